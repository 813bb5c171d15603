"""corsc's own CORS middleware, for ASGI and WSGI applications, reading a compiled policy file.

``corsc compile api.cors --target python -o cors.toml`` writes the policy as TOML. At start-up
:func:`load` reads it back into the IR, validating every value (:mod:`~corsc.runtime.reader`:
a file that cannot be used raises :class:`PolicyFileError` there and then, never at request
time). Each middleware then builds the shared :class:`~corsc.plan.Plan` and encodes what it
says for its server interface (:mod:`~corsc.runtime.answer`, :mod:`~corsc.runtime.response`);
:mod:`~corsc.runtime.asgi` and :mod:`~corsc.runtime.wsgi` carry a request through.

Invariant: for every request the middleware sends exactly the status, ``Access-Control-*``
headers (same names, values and order) and ``Vary`` members that
``corsc.evaluate.Evaluator(load(path)).respond(request)`` gives; the test suite holds the two to
exact agreement.

Imports only the standard library, attrs and the light core modules (``ir``, ``origins``,
``paths``, ``plan``, ``http``): never lark or the compiler.
"""

from __future__ import annotations

from corsc.runtime.asgi import ASGIMiddleware
from corsc.runtime.reader import FORMAT, PolicyFileError, load, loads
from corsc.runtime.wsgi import WSGIMiddleware

__all__ = ["FORMAT", "ASGIMiddleware", "PolicyFileError", "WSGIMiddleware", "load", "loads"]
