"""What each target is expected to do with the shared conformance table, where it is not a pass.

Every target has a listing (empty when it passes every case): case ids (``table: name``), or a
table's name for all of its cases, mapped to the outcome the target must give and why. A case
not listed must pass; a listed case must give exactly the listed outcome — a refusal with the
listed diagnostic codes (the reason starts with them), any other outcome with the listed
detail — so a listing that is no longer needed fails too (tests/test_conformance.py).
"""

from __future__ import annotations

from collections.abc import Callable

from tests.conformance_apache import ENCODED_SLASH, ROUTED_PATH
from tests.conformance_nginx import DECODED_PATH, REFLECTED_LIST, UNSERVED_METHOD
from tests.conformance_python import AMBIGUOUS, DECODED_PATHS, UNGOVERNED
from tests.conformance_runner import DEVIATES, OUTSIDE, REFUSED, UNDETERMINED, Listed


def _group(kind: str) -> Callable[..., dict[str, Listed]]:
    def group(reason: str, *keys: str) -> dict[str, Listed]:
        return dict.fromkeys(keys, Listed(kind, reason))

    return group


refused = _group(REFUSED)
undetermined = _group(UNDETERMINED)
deviates = _group(DEVIATES)
outside = _group(OUTSIDE)


def listing(*groups: dict[str, Listed]) -> dict[str, Listed]:
    """One target's listing: the groups merged, a key never in two groups."""
    merged: dict[str, Listed] = {}
    for group in groups:
        repeated = merged.keys() & group.keys()
        assert not repeated, f"listed twice: {sorted(repeated)}"
        merged.update(group)
    return merged


#: Reasons and open questions that several listings give.
IIS_INEXPRESSIBLE_AND_NESTED = (
    "CORS601, CORS611: a pattern or setting the CORS Module cannot express (a `null` or "
    "port-wildcard deny, a regex, `private-network`), and a policy whose <cors> section would "
    "be nested in another's, whose inheritance Microsoft does not document"
)
STATIC_INEXPRESSIBLE = (
    "CORS601: `headers *`, `private-network` and `unlisted reject` cannot be static "
    "headers, nor can the Allow-Origin these policies need"
)
IIS_INEXPRESSIBLE = (
    "CORS601: the CORS Module cannot express the origin `null`, a port wildcard or `methods *`"
)
IIS_NESTED = (
    "CORS611: a policy whose <cors> section would be nested in another's, and Microsoft does "
    "not document whether the outer entries are inherited"
)
STATIC_ORIGIN = (
    "CORS601: custom headers send one fixed Access-Control-Allow-Origin, and these policies "
    "allow several origins or deny some"
)
LIBRARY_INEXPRESSIBLE = (
    "CORS601: the library has no deny list, lets refused origins reach the application "
    "(`unlisted reject`) and cannot reflect `methods *` or `headers *` (its capability table, "
    "docs/python.md); `--target python` expresses them"
)
PERCENT_ENCODED = "how IIS maps a percent-encoded path onto <location path>"

#: What Microsoft does not document about how <location path> matches a request's path, for
#: the targets that scope policies by location and answer requests of the `paths` table.
LOCATION_PATHS = (
    undetermined(
        "how IIS maps a path with dot segments onto <location path>",
        "paths: dot segments that leave /api are refused: servers may route them unremoved",
        "paths: dot segments that lead into /api are refused too",
        "paths: single dot segments are removed",
    ),
    undetermined(
        "whether <location path> matches request paths case-sensitively",
        "paths: paths are case-sensitive",
    ),
)

#: The cases whose path corsc refuses as ambiguous (400): raw and decoded, it would choose
#: different policies.
AMBIGUOUS_PATHS = (
    "encoded-paths: an encoded slash that decoding would move into /api is refused",
    "encoded-paths: lowercase %2f too",
    "encoded-paths: a preflight on an ambiguous path is refused with 400",
    "encoded-paths: encoded slashes and dots that decode into /api are refused",
    "encoded-paths: encoded dot segments that lead into /api are refused",
    "encoded-paths: an encoded slash that makes a dot segment out of /api is refused",
    "encoded-paths: a lowercase encoded slash and dots make one too",
    "encoded-paths: a doubled slash that servers merge into /api is refused",
    "paths: dot segments that leave /api are refused: servers may route them unremoved",
    "paths: dot segments that lead into /api are refused too",
    "paths: an encoded slash that a decoding server would route elsewhere is refused",
)

#: Starlette and Django take one policy per configuration (tests/conformance_python.py).
ONE_POLICY_EACH = (
    refused(
        LIBRARY_INEXPRESSIBLE,
        "deny",
        "origin-blocks",
        "trailing-dot: the dotted form of a denied host and port is refused",
        "trailing-dot: the undotted form is refused",
        "trailing-dot: the dotted form without a port is refused",
        "trailing-dot: a dotted subdomain of a denied wildcard is refused",
        "trailing-dot: a dotted exact deny is refused",
        "trailing-dot: a preflight from the dotted form is refused",
        "trailing-dot: a dotted origin nothing denies is allowed by *, as sent",
        "trailing-dot: a long Origin is not allowed by * when the policy echoes",
        "unlisted-reject",
        "wildcards",
    ),
    outside(
        AMBIGUOUS,
        *AMBIGUOUS_PATHS,
    ),
    outside(
        UNGOVERNED,
        "paths-no-fallback: GET outside every policy",
        "paths-no-fallback: /apiary is outside /api",
        "paths-no-fallback: a preflight outside every policy is left to the application",
    ),
)

EXPECTED: dict[str, dict[str, Listed]] = {
    "evaluator": listing(),
    "runtime-asgi": listing(),
    "runtime-wsgi": listing(),
    "iis": listing(
        refused(
            IIS_INEXPRESSIBLE_AND_NESTED,
            "deny",
            "long-origin",
            "private-network",
            "trailing-dot",
        ),
        refused(
            IIS_NESTED,
            "encoded-paths",
            "paths",
            "static-expose",
        ),
        undetermined(
            "how the CORS Module compares the case and default port of Origin",
            "exact-origins: uppercase origin is refused",
            "exact-origins: default port written out is refused",
        ),
        refused(
            IIS_INEXPRESSIBLE,
            "null-and-case",
            "port-wildcard",
            "wildcards",
        ),
        undetermined(
            "the CORS Module's answer to a preflight for a method it does not list exactly",
            "refused-preflights: lowercase patch is not PATCH",
            "refused-preflights: HEAD needs no grant",
            "refused-preflights: POST with a granted header",
        ),
        undetermined(
            "whether `*.domain` rules of the CORS Module match several labels",
            "subdomain-wildcard: two labels deep",
        ),
        undetermined(
            "whether `*.domain` rules of the CORS Module match the apex domain",
            "subdomain-wildcard: the apex is refused",
        ),
        undetermined(
            "whether `*.domain` rules of the CORS Module match other ports",
            "subdomain-wildcard: another port is refused",
        ),
        undetermined(
            "whether the CORS Module compares origins case-sensitively",
            "subdomain-wildcard: uppercase is refused",
        ),
    ),
    "iis-headers": listing(
        refused(
            STATIC_ORIGIN,
            "deny",
            "encoded-paths",
            "exact-origins",
            "expose",
            "long-origin",
            "null-and-case",
            "paths-no-fallback",
            "port-wildcard",
            "refused-preflights",
            "subdomain-wildcard",
            "trailing-dot",
        ),
        refused(
            STATIC_INEXPRESSIBLE,
            "origin-blocks",
            "private-network",
            "unlisted-reject",
            "wildcards",
        ),
        *LOCATION_PATHS,
        undetermined(
            PERCENT_ENCODED,
            "paths: an encoded slash that a decoding server would route elsewhere is refused",
            "paths: an encoded slash that chooses the same policy either way",
        ),
    ),
    "iis-rewrite": listing(
        undetermined(
            "whether outbound rules and custom headers (Vary) apply to an inbound CustomResponse",
            "deny: preflight from the denied partner is refused",
            "deny: preflight from a partner",
            "exact-origins: preflight for PUT",
            "exact-origins: preflight from an unlisted origin is refused",
            "expose: a preflight carries no Expose-Headers",
            "long-origin: one character longer, the preflight is refused",
            "long-origin: a preflight from a long Origin is refused in static mode too",
            "null-and-case: preflight from null",
            "origin-blocks: preflight from production for DELETE with headers",
            "origin-blocks: headers * covers Authorization, with credentials",
            "origin-blocks: preflight from staging gets the block's settings",
            "origin-blocks: preflight from staging for DELETE is refused",
            "origin-blocks: GET from an unlisted origin is rejected",
            "origin-blocks: preflight from an unlisted origin is refused",
            "paths: preflight for PUT under /api",
            "paths: preflight for PUT under /apiary is refused by the fallback",
            "port-wildcard: preflight asking for a header nothing grants is refused",
            "refused-preflights",
            "static-any: preflight for PUT with a granted header",
            "static-any: preflight without request headers has no Allow-Headers",
            "static-any: refused preflight for DELETE keeps only the fixed origin",
            "static-any: refused preflight for a header that is not granted",
            "static-expose: an accepted preflight carries no Expose-Headers",
            "static-expose: a refused preflight keeps only the fixed "
            "Allow-Origin and Allow-Credentials",
            "static-origin-credentials: preflight for PUT with granted headers",
            "static-origin-credentials: refused preflight for PATCH",
            "static-origin-credentials: refused preflight from the http twin",
            "subdomain-wildcard: preflight asking for Authorization",
            "subdomain-wildcard: preflight for DELETE is refused: "
            "the default methods are GET, HEAD, POST",
            "trailing-dot: a preflight from the dotted form is refused",
            "unlisted-reject: GET from another origin is rejected",
            "unlisted-reject: a simple POST from another origin is rejected",
            "unlisted-reject: the null origin is rejected",
            "unlisted-reject: OPTIONS without Access-Control-Request-Method "
            "from another origin is rejected",
            "unlisted-reject: preflight from another origin is refused",
            "unlisted-reject: preflight from the allowed origin",
            "wildcards: PATCH with Authorization and a custom header",
            "wildcards: a lowercase method is reflected as sent",
            "wildcards: no requested headers, no Allow-Headers",
            "wildcards: empty list items are ignored",
            "wildcards: a requested header that is not a token is refused",
            "wildcards: preflight from an unlisted origin is refused",
        ),
        undetermined(
            PERCENT_ENCODED,
            "encoded-paths: %61 is a: the api policy answers, not public",
            "encoded-paths: %61 is a: the api policy's grant",
            "encoded-paths: every escape decodes",
            "encoded-paths: %41 is A: /Api is not /api",
            "encoded-paths: an encoded slash that decoding would move into /api is refused",
            "encoded-paths: lowercase %2f too",
            "encoded-paths: a preflight on an ambiguous path is refused with 400",
            "encoded-paths: encoded slashes and dots that decode into /api are refused",
            "encoded-paths: an encoded slash inside the policy's own paths is not ambiguous",
            "encoded-paths: %252F decodes once, to the text %2F: no slash, public",
            "encoded-paths: encoded dot segments that lead into /api are refused",
            "encoded-paths: an encoded slash that makes a dot segment out of /api is refused",
            "encoded-paths: a lowercase encoded slash and dots make one too",
            "encoded-paths: the query is not part of the path",
            "encoded-paths: a prefix written encoded matches the encoded request",
            "encoded-paths: lowercase hex decodes alike",
            "encoded-paths: under the cafe prefix the public policy does not answer",
            "encoded-paths: a decomposed e-acute is another path",
            "paths: an encoded slash that a decoding server would route elsewhere is refused",
            "paths: an encoded slash that chooses the same policy either way",
        ),
        undetermined(
            "how IIS maps a path with an empty segment onto <location path>",
            "encoded-paths: a doubled slash that servers merge into /api is refused",
            "encoded-paths: a doubled slash inside /api is not ambiguous",
        ),
        *LOCATION_PATHS,
        refused(
            "CORS601: URL Rewrite rules cannot express `private-network true`", "private-network"
        ),
    ),
    "express": listing(),
    "caddy": listing(),
    "haproxy": listing(),
    "apache": listing(
        deviates(
            ENCODED_SLASH,
            "encoded-paths: an encoded slash that decoding would move into /api is refused",
            "encoded-paths: lowercase %2f too",
            "encoded-paths: a preflight on an ambiguous path is refused with 400",
            "encoded-paths: encoded slashes and dots that decode into /api are refused",
            "encoded-paths: an encoded slash inside the policy's own paths is not ambiguous",
            "encoded-paths: an encoded slash that makes a dot segment out of /api is refused",
            "encoded-paths: a lowercase encoded slash and dots make one too",
            "paths: an encoded slash that a decoding server would route elsewhere is refused",
            "paths: an encoded slash that chooses the same policy either way",
        ),
        deviates(
            ROUTED_PATH,
            "encoded-paths: encoded dot segments that lead into /api are refused",
            "encoded-paths: a doubled slash that servers merge into /api is refused",
            "paths: dot segments that leave /api are refused: servers may route them unremoved",
            "paths: dot segments that lead into /api are refused too",
        ),
    ),
    "nginx": listing(
        deviates(
            DECODED_PATH,
            *AMBIGUOUS_PATHS,
        ),
        deviates(
            REFLECTED_LIST,
            "origin-blocks: preflight from production for DELETE with headers",
            "wildcards: PATCH with Authorization and a custom header",
            "wildcards: empty list items are ignored",
        ),
        deviates(
            UNSERVED_METHOD,
            "wildcards: a lowercase method is reflected as sent",
        ),
    ),
    "starlette": listing(*ONE_POLICY_EACH),
    "django": listing(
        *ONE_POLICY_EACH,
        deviates(
            DECODED_PATHS,
            "encoded-paths: an encoded slash inside the policy's own paths is not ambiguous",
            "encoded-paths: a doubled slash inside /api is not ambiguous",
            "paths: single dot segments are removed",
            "paths: an encoded slash that chooses the same policy either way",
        ),
    ),
    "flask": listing(
        refused(
            LIBRARY_INEXPRESSIBLE,
            "deny",
            "origin-blocks",
            "trailing-dot",
            "unlisted-reject",
            "wildcards",
        ),
        deviates(
            DECODED_PATHS,
            *AMBIGUOUS_PATHS,
            "encoded-paths: an encoded slash inside the policy's own paths is not ambiguous",
            "encoded-paths: %252F decodes once, to the text %2F: no slash, public",
            "encoded-paths: a doubled slash inside /api is not ambiguous",
            "paths: single dot segments are removed",
            "paths: an encoded slash that chooses the same policy either way",
        ),
    ),
}
