"""corsc — a compiler for CORS policy.

The pipeline, one module per stage::

    source → parse → lower → check → backend.check → backend.emit → output

``corsc.evaluate`` (the reference meaning) and ``corsc.runtime`` (the middleware) stand apart
and import nothing heavy.
"""

__version__ = "0.1.0"
