"""Options for the ``cors`` npm package, generated: an app that calls ``cors(options)`` imports
to a policy that answers as the package does (checked in-process on generated sets, and against
the real package under Node.js on a fixed sample). One ``random.Random`` draws each set, so
hypothesis (``st.randoms()``) and a seeded sample share the generator."""

from __future__ import annotations

import json
import random

ORIGINS = (
    "https://app.example.com",
    "https://staging.example.com",
    "http://localhost:3000",
    "null",
)
REGEXES = (
    "/^https:\\/\\/[a-z0-9-]+\\.preview\\.example\\.com$/",
    "/^https:\\/\\/(www\\.)?example\\.org$/i",
    "/\\.partner\\.example\\.net$/",
)
#: The origins asked about: those named and look-alikes of them (longer, shorter, another
#: scheme), those the regexes admit, and others (browsers send scheme and host lowercase, as
#: the imported policy, which lowercases a `/…/i` regex, expects).
ASKED = (
    *ORIGINS,
    *(origin + ".evil.example" for origin in ORIGINS[:3]),
    *(origin[:-1] for origin in ORIGINS[:3]),
    "http://app.example.com",
    "https://pr-1.preview.example.com",
    "https://www.example.org",
    "https://example.org",
    "https://a.partner.example.net",
    "https://partner.example.net",
    "https://evil.example",
)
_METHODS = ('"GET,POST"', '["GET", "PUT", "DELETE"]', '"GET, PATCH"', '["POST"]')
_HEADERS = ('["Content-Type"]', '"Content-Type,Authorization"', "[]", '""')
_EXPOSE = ('["X-Request-Id"]', '"X-Total-Count, ETag"')


def _origin(rng: random.Random) -> str:
    kind = rng.choice(["star", "one", "list", "regex", "true"])
    if kind == "star":
        return '"*"'
    if kind == "one":
        return json.dumps(rng.choice(ORIGINS[:3]))
    if kind == "true":
        return "true"
    written = [json.dumps(item) for item in rng.sample(ORIGINS, rng.randint(0, 3))]
    if kind == "regex" or not written:
        written += rng.sample(REGEXES, rng.randint(1, 2))
    return "[" + ", ".join(written) + "]"


def options(rng: random.Random) -> str:
    """A ``cors({...})`` options object literal."""
    items = []
    if rng.random() < 0.8:
        items.append(f"origin: {_origin(rng)}")
    if rng.random() < 0.5:
        items.append(f"methods: {rng.choice(_METHODS)}")
    if rng.random() < 0.5:
        items.append(f"allowedHeaders: {rng.choice(_HEADERS)}")
    if rng.random() < 0.5:
        items.append(f"exposedHeaders: {rng.choice(_EXPOSE)}")
    if rng.random() < 0.4:
        items.append("credentials: true")
    if rng.random() < 0.4:
        items.append(f"maxAge: {rng.choice(['0', '600', '86400'])}")
    if rng.random() < 0.3:
        items.append("optionsSuccessStatus: 200")
    return "{ " + ", ".join(items) + " }"


def app(written: str) -> str:
    """An app that uses ``cors(written)`` for every path, then answers every request."""
    return (
        'const express = require("express");\nconst cors = require("cors");\n\n'
        f"const app = express();\napp.use(cors({written}));\n"
        'app.all("*", (req, res) => res.json({}));\n\napp.listen(3000);\n'
    )


def sample(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct option objects, the same every run."""
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        text = options(rng)
        if text not in found:
            found.append(text)
    return found
