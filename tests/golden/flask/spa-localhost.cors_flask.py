# corsc 0.1.0 from spa-localhost.cors for target flask; policy sha256:a60bce05d53f0955; generated — edit the policy, not this file
"""flask-cors options, compiled by corsc.

    from cors_flask import init_cors

    init_cors(app)

init_cors() calls flask_cors.CORS(app, **CORS_OPTIONS) and adds the Vary members in VARY to
every response. Patterns are compiled: flask-cors would guess whether a string is a regex.

Verified with Flask 3.1.3 and flask-cors 6.0.5.
"""

import re

from flask_cors import CORS

CORS_OPTIONS = {
    "resources": {
        re.compile(r"\A(?:/)"): {
            "origins": [
                "https://localhost:3000",
            ],
            "send_wildcard": False,
            "methods": [
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
            "expose_headers": [],
            "supports_credentials": True,
            "max_age": None,
            "allow_private_network": False,
            "always_send": True,
            "vary_header": True,
        },
    },
    "intercept_exceptions": True,
}
VARY = [
    "Origin",
]


def init_cors(app):
    """flask-cors with CORS_OPTIONS on ``app``, and the Vary members in VARY on every
    response (flask-cors sends Vary: Origin only where it sends CORS headers)."""
    # Flask runs after_request functions last registered first: this one runs after flask-cors's.
    app.after_request(_vary)
    CORS(app, **CORS_OPTIONS)


def _vary(response):
    present = {
        member.strip().lower()
        for value in response.headers.getlist("Vary")
        for member in value.split(",")
    }
    if "*" not in present:
        for member in VARY:
            if member.lower() not in present:
                response.headers.add("Vary", member)
    return response
