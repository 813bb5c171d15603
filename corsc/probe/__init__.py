"""``corsc probe``: ask a live server the questions that decide a policy, and judge its answers
as a browser would.

Three steps, one module each:

- :mod:`~corsc.probe.plan`: the requests that decide a policy set — for each policy and each of
  its paths, allowed origins (one per pattern kind and grant), look-alikes of them, ``null``,
  no Origin, denied and unlisted origins, preflights for granted and refused methods and
  headers, with and without credentials;
- :mod:`~corsc.probe.client`: sending them with the standard library's ``http.client`` (explicit
  timeouts, no redirects followed, no body, a polite rate);
- :mod:`~corsc.probe.judge`: the browser's verdict on the server's answer and on the
  evaluator's (:class:`corsc.evaluate.Evaluator`), and how they differ; a difference a target
  declares (:mod:`~corsc.probe.deviations`) is a deviation, not a mismatch.

:mod:`~corsc.probe.session` runs the three for every probe; :mod:`~corsc.probe.report` writes
the results as text, JSON or JUnit XML.
"""
