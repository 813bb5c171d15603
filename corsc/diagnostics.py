"""The diagnostics model and the catalogue of every diagnostic corsc can report.

A :class:`Kind` is one entry of the catalogue (stable code, slug, severity, one-line summary).
A :class:`Diagnostic` is one finding at a span. Stages never raise on bad input: they return
diagnostics, and :class:`Diagnostics` collects them in one run.

Code ranges (README: Diagnostics): ``CORS0xx`` syntax and input, ``1xx`` origins and patterns,
``2xx`` methods and headers, ``3xx`` credentials and exposure, ``4xx`` max-age, preflight and
private network, ``5xx`` structure, names and paths, ``6xx`` targets (registered by backends),
``700``–``749`` ``corsc import`` (what a hand-written configuration got wrong or could not
mean), ``9xx`` suppression comments.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from attrs import frozen

from corsc.records import fields_repr
from corsc.source import Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@frozen
class TextEdit:
    """Replace the text in ``span`` with ``new_text``."""

    __repr__ = fields_repr

    span: Span
    new_text: str

    def to_dict(self) -> dict[str, object]:
        return {"range": self.span.to_dict(), "new_text": self.new_text}


@frozen
class Fix:
    """A suggested change: a title a person reads and the edits that make it."""

    __repr__ = fields_repr

    message: str
    edits: tuple[TextEdit, ...]

    def to_dict(self) -> dict[str, object]:
        return {"message": self.message, "edits": [edit.to_dict() for edit in self.edits]}


@frozen
class Related:
    """Another location that explains a diagnostic ("credentials enabled here")."""

    __repr__ = fields_repr

    span: Span
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"file": self.span.file, "range": self.span.to_dict(), "message": self.message}


@frozen
class Diagnostic:
    """One finding. ``span`` is where it is reported; ``help`` says what to do instead."""

    __repr__ = fields_repr

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    help: str
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.start.offset, self.span.end.offset, self.code)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.file,
            "range": self.span.to_dict(),
            "help": self.help,
            "related": [item.to_dict() for item in self.related],
            "fixes": [fix.to_dict() for fix in self.fixes],
        }


@frozen
class Kind:
    """A catalogue entry: the stable identity of a diagnostic."""

    __repr__ = fields_repr

    code: str
    name: str
    severity: Severity
    summary: str

    def at(
        self,
        span: Span,
        message: str,
        help: str,
        *,
        related: Iterable[Related] = (),
        fixes: Iterable[Fix] = (),
        severity: Severity | None = None,
    ) -> Diagnostic:
        """A diagnostic of this kind; ``severity`` overrides the catalogue's only when a kind
        documents two levels (for example a warning that becomes an error with credentials)."""
        return Diagnostic(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            span=span,
            help=help,
            related=tuple(related),
            fixes=tuple(fixes),
        )


CATALOGUE: dict[str, Kind] = {}
_CODES_BY_NAME: dict[str, str] = {}


def kind(code: str, name: str, severity: Severity, summary: str) -> Kind:
    """Register a catalogue entry. Codes and names are unique across corsc and its backends."""
    entry = Kind(code, name, severity, summary)
    existing = CATALOGUE.get(code)
    if existing is not None and existing != entry:
        raise ValueError(f"diagnostic code {code} registered twice")
    if _CODES_BY_NAME.setdefault(name, code) != code:
        raise ValueError(f"diagnostic name {name} registered twice")
    CATALOGUE[code] = entry
    return entry


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

# ---- 0xx: syntax and input ---------------------------------------------------------------
SYNTAX_ERROR = kind("CORS001", "syntax-error", E, "the text does not follow the grammar")
UNCLOSED_BLOCK = kind("CORS002", "unclosed-block", E, "a `{` is never closed")
UNCLOSED_STRING = kind("CORS003", "unclosed-string", E, "a string has no closing quote")
UNEXPECTED_CHARACTER = kind("CORS004", "unexpected-character", E, "a character no token uses")
UNKNOWN_STATEMENT = kind("CORS005", "unknown-statement", E, "a statement name corsc does not know")
INVALID_VALUE = kind("CORS006", "invalid-value", E, "a value of the wrong kind for its statement")
INVALID_NAME = kind("CORS007", "invalid-name", E, "a policy or `let` name outside [a-z][a-z0-9_]*")
UNREADABLE_INPUT = kind("CORS008", "unreadable-input", E, "a file that is missing or unreadable")
NOT_UTF8 = kind("CORS009", "not-utf8", E, "a file that is binary or not UTF-8")
INPUT_TOO_LARGE = kind("CORS010", "input-too-large", E, "a file larger than corsc reads")
INVALID_OVERRIDE = kind(
    "CORS011", "invalid-override", E, "a `--set` that is malformed or names no binding"
)
TOO_MANY_ERRORS = kind("CORS012", "too-many-errors", E, "syntax errors stopped being reported")
INVALID_PROJECT = kind(
    "CORS030", "invalid-project", E, "a project file (corsc.toml) corsc cannot use"
)

# ---- 1xx: origins and patterns ---------------------------------------------------------
NOT_AN_ORIGIN = kind("CORS101", "origin-not-an-origin", E, "not a scheme://host[:port] origin")
ORIGIN_NOT_CANONICAL = kind(
    "CORS102",
    "origin-not-canonical",
    I,
    "spelled otherwise than browsers send it (the output uses their spelling)",
)
WILDCARD_NOT_LEADING_LABEL = kind(
    "CORS103", "wildcard-not-leading-label", E, "`*` that is not a whole leading label"
)
WILDCARD_PUBLIC_SUFFIX = kind(
    "CORS104", "wildcard-public-suffix", E, "a wildcard over a public suffix"
)
DUPLICATE_ORIGIN = kind("CORS105", "duplicate-origin", W, "the same origin pattern listed twice")
ANY_BESIDE_OTHERS = kind(
    "CORS106", "any-origin-beside-others", W, "`*` listed beside entries it already covers"
)
NULL_ORIGIN = kind("CORS107", "null-origin", W, "the opaque origin `null` allowed")
NULL_ORIGIN_WITH_CREDENTIALS = kind(
    "CORS108", "null-origin-with-credentials", E, "`null` allowed with credentials"
)
INSECURE_ORIGIN_WITH_CREDENTIALS = kind(
    "CORS109", "insecure-origin-with-credentials", W, "an http:// origin trusted with credentials"
)
LOCAL_ORIGIN = kind("CORS110", "local-origin", I, "a loopback or private-address origin")
REGEX_UNSUPPORTED = kind(
    "CORS111", "regex-unsupported-construct", E, "a regex construct outside the portable subset"
)
REGEX_UNESCAPED_DOT = kind("CORS112", "regex-unescaped-dot", E, "an unescaped `.` in a regex host")
REGEX_ADMITS_LOOK_ALIKE = kind(
    "CORS113", "regex-admits-look-alike", E, "a regex that admits look-alike origins"
)
WILDCARD_WITH_CREDENTIALS_SUBDOMAIN = kind(
    "CORS114", "subdomain-wildcard-with-credentials", I, "every subdomain trusted with credentials"
)
REGEX_ADMITS_OTHER_SITES = kind(
    "CORS115", "regex-admits-other-sites", W, "a regex that admits sites it does not spell out"
)
REGEX_ADMITS_OTHER_SITES_WITH_CREDENTIALS = kind(
    "CORS116",
    "regex-admits-other-sites-with-credentials",
    E,
    "a regex admitting sites it does not spell out, with credentials",
)
REGEX_ADMITS_OTHER_SCHEMES = kind(
    "CORS117", "regex-admits-other-schemes", W, "a regex that admits schemes other than http(s)"
)
REGEX_ADMITS_OTHER_SCHEMES_WITH_CREDENTIALS = kind(
    "CORS118",
    "regex-admits-other-schemes-with-credentials",
    E,
    "a regex admitting schemes other than http(s), with credentials",
)
REGEX_TOO_COMPLEX = kind(
    "CORS119", "regex-too-complex", E, "a regex too complex to tell which origins it admits"
)

# ---- 2xx: methods and headers ------------------------------------------------------------
INVALID_METHOD = kind("CORS201", "invalid-method-token", E, "a method that is not an HTTP token")
LOWERCASE_METHOD = kind(
    "CORS202", "lowercase-normalized-method", E, "a method browsers uppercase, written otherwise"
)
NON_UPPERCASE_METHOD = kind("CORS203", "non-uppercase-method", W, "a method not in uppercase")
FORBIDDEN_METHOD = kind("CORS204", "forbidden-method", E, "CONNECT, TRACE or TRACK")
SAFELISTED_METHOD = kind("CORS205", "safelisted-method-listed", I, "GET, HEAD or POST listed")
OPTIONS_METHOD = kind("CORS206", "options-method-listed", I, "OPTIONS listed")
DUPLICATE_ITEM = kind("CORS207", "duplicate-list-item", W, "the same method or header listed twice")
INVALID_HEADER = kind(
    "CORS211", "invalid-header-token", E, "a header name that is not an HTTP token"
)
FORBIDDEN_HEADER = kind("CORS212", "forbidden-request-header", W, "a header scripts cannot send")
SAFELISTED_HEADER = kind(
    "CORS213", "safelisted-request-header", I, "a header that never needs a preflight"
)

# ---- 3xx: credentials and exposure -----------------------------------------------------
WILDCARD_WITH_CREDENTIALS = kind(
    "CORS301", "wildcard-with-credentials", E, "`origins *` with credentials"
)
EXPOSE_WILDCARD_WITH_CREDENTIALS = kind(
    "CORS302", "expose-wildcard-with-credentials", E, "`expose *` with credentials"
)
EXPOSE_SET_COOKIE = kind(
    "CORS303", "expose-set-cookie", W, "Set-Cookie exposed (browsers never expose it)"
)
EXPOSE_SENSITIVE = kind("CORS304", "expose-sensitive", W, "a secret-bearing header exposed")
EXPOSE_SAFELISTED = kind(
    "CORS305", "expose-safelisted", I, "a response header scripts can always read"
)

# ---- 4xx: max-age, preflight and private network ----------------------------------------
MAX_AGE_INVALID = kind("CORS401", "max-age-invalid", E, "a max-age that is not a duration")
MAX_AGE_SAFARI_CAP = kind(
    "CORS402", "max-age-over-webkit-cap", I, "max-age above 600 s (Safari's cap)"
)
MAX_AGE_CHROMIUM_CAP = kind(
    "CORS403", "max-age-over-chromium-cap", W, "max-age above 7200 s (Chromium's cap)"
)
MAX_AGE_EVERY_CAP = kind(
    "CORS404", "max-age-over-every-cap", W, "max-age above 86400 s (every engine's cap)"
)
PRIVATE_NETWORK_PATTERN = kind(
    "CORS405", "private-network-pattern", E, "private-network with a non-exact origin"
)
PRIVATE_NETWORK_ENABLED = kind(
    "CORS406", "private-network-enabled", W, "private-network answered at all"
)
UNLISTED_REJECT = kind(
    "CORS407",
    "unlisted-reject-same-origin",
    I,
    "`unlisted reject` also refuses same-origin requests with Origin",
)
PREFLIGHT_STATUS_INVALID = kind(
    "CORS408", "preflight-status-invalid", E, "a preflight status other than 200 or 204"
)
ORIGIN_TOO_LONG = kind(
    "CORS409", "origin-too-long", E, "an origin longer than any Origin corsc allows"
)

# ---- 5xx: structure, names and paths ---------------------------------------------------
DUPLICATE_STATEMENT = kind("CORS501", "duplicate-statement", E, "a statement twice in one block")
DUPLICATE_POLICY = kind("CORS502", "duplicate-policy-name", E, "two policies with one name")
DUPLICATE_PATH = kind(
    "CORS503", "duplicate-path-prefix", E, "two policies with the same path prefix"
)
DUPLICATE_FALLBACK = kind("CORS504", "duplicate-fallback", E, "two policies without `paths`")
UNDEFINED_NAME = kind("CORS505", "undefined-name", E, "a name no `let` defines")
CYCLIC_BINDING = kind(
    "CORS506", "cyclic-binding", E, "`let` bindings that refer to each other in a cycle"
)
BINDING_KIND_CONFLICT = kind(
    "CORS507", "binding-kind-conflict", E, "a `let` used as two kinds of list, or as the wrong kind"
)
DENIED_ENTRY = kind(
    "CORS508", "entry-unreachable-by-deny", E, "an allow entry every origin of which is denied"
)
DENIED_REGEX_ENTRY = kind(
    "CORS509", "regex-entry-probably-denied", W, "a regex entry whose probes are all denied"
)
DENY_REMOVES_NOTHING = kind(
    "CORS510", "deny-removes-nothing", W, "a `deny` that matches no allowed origin"
)
OVERLAPPING_BLOCKS = kind(
    "CORS511",
    "overlapping-origin-blocks",
    W,
    "two `origin` blocks match one origin with different settings",
)
NO_ORIGIN_ALLOWED = kind("CORS512", "no-origin-allowed", E, "a policy that allows no origin")
INVALID_PATH = kind("CORS513", "invalid-path", E, "a path prefix that is not an absolute path")
MISPLACED_STATEMENT = kind(
    "CORS514", "misplaced-statement", E, "a statement where it has no meaning"
)
UNUSED_BINDING = kind("CORS515", "unused-binding", I, "a `let` binding no policy uses")
DUPLICATE_BINDING = kind("CORS516", "duplicate-binding", E, "two `let` bindings with one name")
NO_POLICY = kind("CORS517", "no-policy", E, "a file without any `policy` block")
TOO_MANY_VALUES = kind(
    "CORS518", "binding-expansion-too-large", E, "`let` bindings that expand to too many values"
)

# ---- 60x: shared by every target (61x IIS, 62x nginx, 63x Python are the backends' own) ----
TARGET_CANNOT_EXPRESS = kind(
    "CORS601", "target-cannot-express", E, "a construct the target cannot reproduce"
)
TARGET_DEVIATION = kind(
    "CORS602", "target-declared-deviation", I, "a declared difference that never changes a verdict"
)
TARGET_UNDOCUMENTED = kind(
    "CORS603", "target-undocumented-behaviour", I, "the server's behaviour here is not documented"
)
TARGET_LAYOUT = kind(
    "CORS604", "target-output-layout", I, "how the output files map onto the server's configuration"
)

# A target's notes: facts about how it renders this policy that never call for a change to it.
# Text output shows them as one line per target unless ``--verbose``.
TARGET_NOTES = frozenset({TARGET_DEVIATION.code, TARGET_LAYOUT.code})


def and_list(items: list[str]) -> str:
    """Items in a message: ``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# ---- 700–749: corsc import (findings in the imported configuration, at its lines) ----------
IMPORT_UNKNOWN_FORMAT = kind(
    "CORS700", "import-unknown-format", E, "a file corsc cannot tell the format of"
)
IMPORT_UNREADABLE = kind(
    "CORS701", "import-unreadable", E, "a configuration that does not parse as its format"
)
IMPORT_NO_CORS = kind("CORS702", "import-no-cors", W, "a configuration without CORS handling")
IMPORT_NOT_EXPRESSED = kind(
    "CORS703", "import-not-expressed", E, "a setting the imported policy cannot carry over"
)
IMPORT_SEVERAL_ORIGINS = kind(
    "CORS704", "import-several-origins-one-header", E, "several origins in one Allow-Origin value"
)
IMPORT_REFLECTED_ORIGIN = kind(
    "CORS705", "import-origin-reflected", E, "the request's Origin sent back without a check"
)
IMPORT_UNANCHORED_REGEX = kind(
    "CORS706", "import-unanchored-regex", W, "an origin regex that matches anywhere in the Origin"
)
IMPORT_HEADER_IN_IF = kind(
    "CORS707", "import-add-header-in-if", W, "nginx `add_header` inside `if` (if is evil)"
)
IMPORT_OPTIONS_ANSWERED = kind(
    "CORS708", "import-options-answered", W, "every OPTIONS request answered, preflight or not"
)
IMPORT_MANAGED_MODULES = kind(
    "CORS709",
    "import-run-all-managed-modules",
    I,
    "runAllManagedModulesForAllRequests, which CORS never needs",
)
IMPORT_DUPLICATE_HEADER = kind(
    "CORS710", "import-duplicate-cors-header", E, "one CORS header sent twice by two mechanisms"
)
IMPORT_WILDCARD_CREDENTIALS = kind(
    "CORS711", "import-wildcard-with-credentials", E, "`*` with credentials: browsers refuse it"
)
IMPORT_INVALID_VALUE = kind(
    "CORS712", "import-invalid-value", W, "a CORS value the server or browsers cannot use"
)
IMPORT_HANDLER_CHANGE = kind(
    "CORS713", "import-options-handler", W, "a handler change that hands OPTIONS elsewhere"
)
IMPORT_STATIC_HEADERS = kind(
    "CORS714", "import-static-headers", I, "static headers: the same answer to every origin"
)
IMPORT_INCLUDE_NOT_READ = kind(
    "CORS715",
    "import-include-not-read",
    W,
    "an nginx `include` or Apache `Include` whose files import does not read",
)
IMPORT_EXACT_LOCATION = kind(
    "CORS716", "import-exact-location", W, "an exact nginx location imported as a path prefix"
)
IMPORT_ROUTE_PREFIX = kind(
    "CORS730", "import-route-prefix", W, "an Express route's path imported as a path prefix"
)
IMPORT_PATH_MATCHER = kind(
    "CORS735", "import-path-matcher", W, "a Caddy path matcher that selects otherwise than a prefix"
)


# ---- 9xx: suppression comments (`# corsc: allow CODE`) ----------------------------------
UNUSED_SUPPRESSION = kind(
    "CORS901", "unused-suppression", W, "a `# corsc: allow` that suppresses nothing"
)
INVALID_SUPPRESSION = kind(
    "CORS902", "invalid-suppression", W, "a `# corsc:` comment corsc cannot read"
)


def fails(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    """Whether these diagnostics make a run fail: errors, or warnings too under ``--strict``."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(item.severity in failing for item in diagnostics)
