# corsc 0.1.0 from spa-localhost.cors for target starlette; policy sha256:a60bce05d53f0955; generated — edit the policy, not this file
"""Keyword arguments for Starlette's CORSMiddleware, compiled by corsc.

FastAPI's fastapi.middleware.cors.CORSMiddleware is the same class. Wrap the whole application,
so that the 500 of an unhandled exception carries CORS headers too::

    from starlette.middleware.cors import CORSMiddleware
    from cors_starlette import CORS_OPTIONS

    app = CORSMiddleware(app, **CORS_OPTIONS)

Verified with Starlette 1.10.0 and FastAPI 0.165.0.
"""

CORS_OPTIONS = {
    "allow_origins": [
        "https://localhost:3000",
    ],
    "allow_origin_regex": None,
    "allow_methods": [
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "DELETE",
    ],
    "allow_headers": [
        "Content-Type",
        "Accept",
        "X-Requested-With",
    ],
    "allow_credentials": True,
    "allow_private_network": False,
    "expose_headers": [],
    "max_age": 5,
}
