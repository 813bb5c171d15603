"""The rules' documentation: for every code of the catalogue (:data:`corsc.diagnostics.CATALOGUE`),
what it reports (the catalogue's summary), why it matters, an example that triggers it and the
fix. ``corsc rule CODE`` prints it; a test holds that every registered code has an entry, so a
new diagnostic cannot ship undocumented.
"""

from __future__ import annotations

import difflib

from attrs import frozen

from corsc import diagnostics as d
from corsc.records import fields_repr


@frozen
class Rule:
    """One rule: its catalogue entry and its documentation. ``example`` is policy text (or a
    command) that triggers it; ``fix`` what to change."""

    __repr__ = fields_repr

    kind: d.Kind
    why: str
    example: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.kind.code,
            "name": self.kind.name,
            "severity": self.kind.severity.value,
            "what": self.kind.summary,
            "why": self.why,
            "example": self.example,
            "fix": self.fix,
        }

    def to_text(self) -> str:
        example = "\n".join(f"    {line}" if line else "" for line in self.example.splitlines())
        return (
            f"{self.kind.code} {self.kind.name} ({self.kind.severity.value})\n\n"
            f"What: {self.kind.summary}.\n\n"
            f"Why: {self.why}\n\n"
            f"Example:\n\n{example}\n\n"
            f"Fix: {self.fix}\n"
        )


def catalogue() -> dict[str, d.Kind]:
    """Every rule: the catalogue with every backend loaded, so the targets' own are there."""
    from corsc.backends import MODULES, get

    for name in MODULES:
        get(name)
    return d.CATALOGUE


def find(code_or_name: str) -> Rule:
    """The rule with this code (any case) or slug; :class:`LookupError` naming the closest
    one otherwise."""
    catalogue()
    wanted = code_or_name.strip()
    code = wanted.upper() if wanted.upper() in d.CATALOGUE else None
    if code is None:
        code = next((k.code for k in d.CATALOGUE.values() if k.name == wanted.lower()), None)
    if code is None:
        names = [*d.CATALOGUE, *(k.name for k in d.CATALOGUE.values())]
        close = difflib.get_close_matches(wanted, names, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        raise LookupError(f"no rule `{wanted}`{hint} (codes are listed in the README)")
    why, example, fix = DOCS[code]
    return Rule(d.CATALOGUE[code], why, example, fix)


#: Code → (why, example, fix).
DOCS: dict[str, tuple[str, str, str]] = {
    # ---- 0xx: syntax and input
    "CORS001": (
        "corsc compiles only what it can read unambiguously; a guess at the meaning of broken "
        "text could allow origins nobody intended.",
        'policy api {\n  origins "https://app.example.com" "https://b.example"\n}',
        "follow the message's `expected …`: here a comma between the two origins.",
    ),
    "CORS002": (
        "everything after an unclosed `{` would belong to the block, changing which policy a "
        "statement configures.",
        'policy api {\n  origins "https://app.example.com"',
        "add the `}` where the block ends.",
    ),
    "CORS003": (
        "the rest of the line would become part of the origin or header name.",
        'policy api {\n  origins "https://app.example.com\n}',
        'close the string with `"` on the same line.',
    ),
    "CORS004": (
        "a character outside the language (a smart quote pasted from a document, a stray "
        "symbol) usually means the text was mangled on the way in.",
        "policy api {\n  origins \u201chttps://app.example.com\u201d\n}",
        'retype the character; strings use straight double quotes `"`.',
    ),
    "CORS005": (
        "an unknown statement is most often a typo; ignoring it would silently drop a setting.",
        'policy api {\n  origins "https://app.example.com"\n  method GET\n}',
        "use the statement the message suggests (`methods`).",
    ),
    "CORS006": (
        "each statement takes one kind of value; any other would be misread by a server.",
        'policy api {\n  origins "https://app.example.com"\n  credentials yes\n}',
        "write a value of the kind the statement takes (`credentials true`).",
    ),
    "CORS007": (
        "names become parts of file names and variables in the outputs (nginx variables, "
        "snippet names), so they are restricted to what every target accepts.",
        'policy API-v2 {\n  origins "https://app.example.com"\n}',
        "rename it to lowercase letters, digits and `_`, starting with a letter (`api_v2`).",
    ),
    "CORS008": (
        "there is nothing to check or compile.",
        "corsc check missing.cors",
        "check the path and the file's permissions.",
    ),
    "CORS009": (
        "policy files are UTF-8 text; anything else is a wrong file or a wrong encoding.",
        "corsc check logo.png",
        "name the .cors file, or save it as UTF-8.",
    ),
    "CORS010": (
        "corsc bounds what it reads so that a mistaken path (a log, a device) cannot exhaust "
        "memory.",
        "corsc check huge.cors",
        "split the policy, or move long origin lists into `--set` values.",
    ),
    "CORS011": (
        "a `--set` that names no binding, or is malformed, would otherwise be ignored and the "
        "deployment would run with the file's default values.",
        "corsc compile api.cors --target nginx --set partner=https://p.example",
        "use `--set NAME=VALUE[,VALUE…]` with a name a `let` in the file defines.",
    ),
    "CORS012": (
        "after many syntax errors the later ones are mostly echoes of the first.",
        "a file that is not a policy at all, such as a web.config given by mistake",
        "fix the first errors and check again.",
    ),
    "CORS030": (
        "`corsc build` and `corsc check` take the policies, rules and outputs from the "
        "project file; a key it does not understand would silently change what is built.",
        '[[output]]\ntarget = "nginx"\npolicy = "policy.cors"\npaht = "nginx/"',
        "correct the key or value the message names (docs/projects.md lists every key).",
    ),
    # ---- 1xx: origins and patterns
    "CORS101": (
        "browsers send an Origin as scheme://host[:port] with nothing else; anything more (a "
        "path, a trailing slash) never matches.",
        'policy api {\n  origins "https://app.example.com/"\n}',
        'write the origin alone: `"https://app.example.com"`.',
    ),
    "CORS102": (
        "browsers send origins lowercased, punycoded and without default ports; the policy is "
        "clearer spelled the way requests arrive.",
        'policy api {\n  origins "https://App.Example.com:443"\n}',
        'spell it as browsers send it: `"https://app.example.com"`.',
    ),
    "CORS103": (
        "corsc wildcards stand for whole leading labels only (`*.example.com`); a `*` inside a "
        "label has no portable meaning across servers.",
        'policy api {\n  origins "https://app-*.example.com"\n}',
        "use `*.example.com`, list the origins, or write a `regex` entry.",
    ),
    "CORS104": (
        "a wildcard over a public suffix (`*.com`, `*.github.io`) admits sites anyone can "
        "register.",
        'policy api {\n  origins "https://*.github.io"\n}',
        'list the sites you mean: `"https://yourname.github.io"`.',
    ),
    "CORS105": (
        "a repeated origin is usually a copy-paste slip, and hides which entry was meant.",
        'policy api {\n  origins "https://a.example", "https://a.example"\n}',
        "remove one of them.",
    ),
    "CORS106": (
        "`*` already allows every origin, so the other entries change nothing and suggest a "
        "restriction that does not exist.",
        'policy api {\n  origins *, "https://app.example.com"\n}',
        "keep either `*` or the list.",
    ),
    "CORS107": (
        "`null` is the Origin of sandboxed iframes, file: pages and some redirects — any site "
        "can produce it.",
        'policy api {\n  origins "null"\n}',
        "remove `null` unless an opaque origin really must call this server.",
    ),
    "CORS108": (
        "with credentials, allowing `null` lets any site read its visitors' authenticated "
        "responses from a sandboxed iframe.",
        'policy api {\n  origins "null"\n  credentials true\n}',
        "remove `null`, or `credentials true`.",
    ),
    "CORS109": (
        "an http:// page can be altered by anyone on the network path, and then read "
        "credentialed responses.",
        'policy api {\n  origins "http://app.example.com"\n  credentials true\n}',
        "use the https:// origin.",
    ),
    "CORS110": (
        "a loopback or private-address origin is usually a development setting that should "
        "not reach production.",
        'policy api {\n  origins "http://localhost:3000"\n}',
        "move it to a `let` replaced per environment with `--set`, or keep it if intended.",
    ),
    "CORS111": (
        "servers use different regex engines; corsc accepts only constructs every target "
        "matches the same way.",
        'policy api {\n  origins regex "^https://(?<name>a|b)\\\\.example\\\\.com$"\n}',
        "rewrite with the portable subset (groups, alternation, classes, anchors).",
    ),
    "CORS112": (
        "an unescaped `.` matches any character: `app.example.com` also admits "
        "`appXexample.com`, which anyone can register.",
        'policy api {\n  origins regex "^https://app.example.com$"\n}',
        "escape it: `app\\\\.example\\\\.com`.",
    ),
    "CORS113": (
        "the regex admits origins that only look like yours (`example.com.evil.net`).",
        'policy api {\n  origins regex "^https://.*example\\\\.com"\n}',
        "anchor both ends and match whole labels: `^https://([a-z0-9-]+\\\\.)*example\\\\.com$`.",
    ),
    "CORS114": (
        "every subdomain — including ones user content or a forgotten host serves — can read "
        "credentialed responses.",
        'policy api {\n  origins "https://*.example.com"\n  credentials true\n}',
        "list the subdomains that need credentials, if you can.",
    ),
    "CORS115": (
        "the regex admits sites other than the ones it names, by alternation or a loose class.",
        'policy api {\n  origins regex "^https://[a-z]+\\\\.com$"\n}',
        "spell out the registrable domains the regex may admit.",
    ),
    "CORS116": (
        "as CORS115, with credentials: other sites could read authenticated responses.",
        'policy api {\n  origins regex "^https://[a-z]+\\\\.com$"\n  credentials true\n}',
        "spell out the domains, or drop credentials.",
    ),
    "CORS117": (
        "a scheme other than http or https (a browser extension's, say) is rarely meant.",
        'policy api {\n  origins regex "^[a-z-]+://app\\\\.example\\\\.com$"\n}',
        "match `https?://` only.",
    ),
    "CORS118": (
        "as CORS117, with credentials.",
        'policy api {\n  origins regex "^[a-z-]+://app\\\\.example\\\\.com$"\n  '
        "credentials true\n}",
        "match `https?://` only, or drop credentials.",
    ),
    "CORS119": (
        "corsc must know which origins a regex admits to check and compile it safely.",
        "a regex whose nested repetitions make the set of origins it admits too large to compute",
        "simplify the regex, or list origins.",
    ),
    # ---- 2xx: methods and headers
    "CORS201": (
        "a method must be an HTTP token; anything else never arrives in a request.",
        'policy api {\n  origins "https://app.example.com"\n  methods "GET POST"\n}',
        "list methods separated by commas: `methods GET, POST`.",
    ),
    "CORS202": (
        "browsers uppercase get, post, head, put, delete and options before comparing, so the "
        "lowercase spelling never matches what they send.",
        'policy api {\n  origins "https://app.example.com"\n  methods put\n}',
        "write it in uppercase: `PUT`.",
    ),
    "CORS203": (
        "methods are case-sensitive; other than the six browsers normalise, `Patch` matches "
        "only `Patch`.",
        'policy api {\n  origins "https://app.example.com"\n  methods Patch\n}',
        "write the method exactly as the scripts send it, normally uppercase.",
    ),
    "CORS204": (
        "browsers refuse to send CONNECT, TRACE and TRACK from scripts.",
        'policy api {\n  origins "https://app.example.com"\n  methods TRACE\n}',
        "remove it.",
    ),
    "CORS205": (
        "GET, HEAD and POST never need a preflight, so listing them at the policy level "
        "changes no verdict (inside an `origin` block it does: it replaces the policy's list).",
        'policy api {\n  origins "https://app.example.com"\n  methods GET, PUT\n}',
        "keep it if it documents intent; it changes nothing at the policy level.",
    ),
    "CORS206": (
        "a preflight is itself an OPTIONS request; listing OPTIONS does not allow anything more.",
        'policy api {\n  origins "https://app.example.com"\n  methods OPTIONS, PUT\n}',
        "remove OPTIONS.",
    ),
    "CORS207": (
        "a repeated item is usually a copy-paste slip.",
        'policy api {\n  origins "https://app.example.com"\n  headers X-Token, X-Token\n}',
        "remove one of them.",
    ),
    "CORS211": (
        "a header name must be an HTTP token; anything else never arrives in a request.",
        'policy api {\n  origins "https://app.example.com"\n  headers "X Token"\n}',
        "use the header's real name (`X-Token`).",
    ),
    "CORS212": (
        "browsers never let scripts set forbidden headers (Cookie, Host, …); allowing one does "
        "nothing.",
        'policy api {\n  origins "https://app.example.com"\n  headers Cookie\n}',
        "remove it; cookies are sent with `credentials true`.",
    ),
    "CORS213": (
        "safelisted headers (Accept, Content-Language, …) with safelisted values never need a "
        "preflight.",
        'policy api {\n  origins "https://app.example.com"\n  headers Accept\n}',
        "keep it only if scripts send it with values outside the safelist.",
    ),
    # ---- 3xx: credentials and exposure
    "CORS301": (
        "browsers refuse `Access-Control-Allow-Origin: *` with credentials; servers that "
        "reflect any origin instead let every site read authenticated responses.",
        "policy api {\n  origins *\n  credentials true\n}",
        "list the origins that need credentials.",
    ),
    "CORS302": (
        "with credentials, browsers read `Access-Control-Expose-Headers: *` as a header named "
        "`*`, exposing nothing.",
        'policy api {\n  origins "https://app.example.com"\n  credentials true\n  expose *\n}',
        "list the headers to expose.",
    ),
    "CORS303": (
        "browsers never expose Set-Cookie (or Set-Cookie2) to scripts, whatever the server says.",
        'policy api {\n  origins "https://app.example.com"\n  expose Set-Cookie\n}',
        "remove it.",
    ),
    "CORS304": (
        "a header that carries secrets (Authorization, a token) becomes readable by every "
        "allowed origin's scripts.",
        'policy api {\n  origins "https://app.example.com"\n  expose Authorization\n}',
        "expose it only if the allowed pages must read it.",
    ),
    "CORS305": (
        "scripts can always read the safelisted response headers (Content-Type, Cache-Control, …).",
        'policy api {\n  origins "https://app.example.com"\n  expose Content-Type\n}',
        "remove it.",
    ),
    # ---- 4xx: max-age, preflight and private network
    "CORS401": (
        "a max-age that is not a duration would be ignored or misread by browsers.",
        'policy api {\n  origins "https://app.example.com"\n  max-age soon\n}',
        "write seconds or a duration: `max-age 10m`.",
    ),
    "CORS402": (
        "Safari caches preflights for at most 600 s; longer values help other engines only.",
        'policy api {\n  origins "https://app.example.com"\n  max-age 1h\n}',
        "nothing, if that is intended.",
    ),
    "CORS403": (
        "Chromium caches preflights for at most 7200 s; the rest of the value is ignored there.",
        'policy api {\n  origins "https://app.example.com"\n  max-age 4h\n}',
        "use at most `2h`.",
    ),
    "CORS404": (
        "no engine caches preflights for longer than 86400 s.",
        'policy api {\n  origins "https://app.example.com"\n  max-age 7d\n}',
        "use at most `2h` (Chromium) or `24h` (Firefox).",
    ),
    "CORS405": (
        "Private Network Access grants access to a private network; a pattern would grant it "
        "to origins nobody listed one by one.",
        'policy api {\n  origins "https://*.example.com"\n  private-network true\n}',
        "move `private-network true` into an `origin` block for an exact origin.",
    ),
    "CORS406": (
        "answering Private Network Access preflights lets public pages reach this server on a "
        "private network.",
        'policy api {\n  origins "https://app.example.com"\n  private-network true\n}',
        "keep it only if public pages must reach this private server.",
    ),
    "CORS407": (
        "with `unlisted reject`, a same-origin request that carries an Origin header (a POST "
        "from the site's own pages) is refused too, unless the site's own origin is listed.",
        'policy api {\n  origins "https://app.example.com"\n  unlisted reject\n}',
        "list the server's own origin too, or use the default (`unlisted pass`).",
    ),
    "CORS408": (
        "browsers accept only a 2xx preflight answer, and some servers rewrite anything other "
        "than 200 and 204.",
        'policy api {\n  origins "https://app.example.com"\n  preflight-status 202\n}',
        "use 204 (or 200).",
    ),
    "CORS409": (
        "an origin longer than any Origin corsc accepts can never match a request.",
        "an origin of thousands of characters, longer than any browser sends",
        "check the origin.",
    ),
    # ---- 5xx: structure, names and paths
    "CORS501": (
        "a second statement would silently replace the first.",
        'policy api {\n  origins "https://a.example"\n  origins "https://b.example"\n}',
        'merge them: `origins "https://a.example", "https://b.example"`.',
    ),
    "CORS502": (
        "outputs name files and variables after policies; two with one name would collide.",
        'policy api {\n  origins "https://a.example"\n}\npolicy api {\n  origins '
        '"https://b.example"\n}',
        "rename one of them.",
    ),
    "CORS503": (
        "a request path must choose exactly one policy.",
        'policy a {\n  paths "/api"\n  origins "https://a.example"\n}\npolicy b {\n  paths '
        '"/api"\n  origins "https://b.example"\n}',
        "give each policy its own prefixes, or merge them.",
    ),
    "CORS504": (
        "a policy without `paths` governs every other path; there can be only one.",
        'policy a {\n  origins "https://a.example"\n}\npolicy b {\n  origins "https://b.example"\n}',
        "give one of them `paths`.",
    ),
    "CORS505": (
        "a bare word in a list is a `let` name; one that no `let` defines is a typo or a "
        "missing quote.",
        "policy api {\n  origins partner\n}",
        'define it (`let partner = "https://p.example"`) or quote the value.',
    ),
    "CORS506": (
        "bindings that refer to each other have no value.",
        "let a = b\nlet b = a\npolicy api {\n  origins a\n}",
        "break the cycle.",
    ),
    "CORS507": (
        "a binding holds one kind of value (origins, methods or headers); used as two it "
        "means something different in each place.",
        'let names = "https://a.example"\npolicy api {\n  origins names\n  headers names\n}',
        "use a binding per kind.",
    ),
    "CORS508": (
        "every origin the entry admits is denied, so the entry allows nothing.",
        'policy api {\n  origins "https://a.example"\n  deny "https://a.example"\n}',
        "remove the entry or the deny.",
    ),
    "CORS509": (
        "every probe origin of a regex entry is denied; it most likely allows nothing.",
        'policy api {\n  origins regex "^https://a\\\\.example$"\n  deny "https://a.example"\n}',
        "check the regex and the denies.",
    ),
    "CORS510": (
        "a deny that matches no allowed origin has no effect, usually a typo.",
        'policy api {\n  origins "https://a.example"\n  deny "https://b.example"\n}',
        "correct or remove the deny.",
    ),
    "CORS511": (
        "when two `origin` blocks match one origin with different settings, which applies is "
        "easy to misread.",
        'policy api {\n  origins "https://*.example.com"\n  origin "https://*.example.com" '
        '{ max-age 60 }\n  origin "https://app.example.com" { max-age 120 }\n}',
        "make the blocks' origins disjoint.",
    ),
    "CORS512": (
        "a policy that allows no origin answers nothing.",
        "policy api {\n  methods GET\n}",
        "add `origins`.",
    ),
    "CORS513": (
        "path prefixes are compared with the request's absolute path.",
        'policy api {\n  paths "api"\n  origins "https://a.example"\n}',
        'start it with `/`: `paths "/api"`.',
    ),
    "CORS514": (
        "some statements mean something only in a policy (`paths`, `unlisted`), not in an "
        "`origin` block.",
        'policy api {\n  origins "https://a.example"\n  origin "https://a.example" {\n    '
        'paths "/x"\n  }\n}',
        "move the statement to the policy.",
    ),
    "CORS515": (
        "an unused binding is often a leftover or a name misspelt where it is used.",
        'let partners = "https://p.example"\npolicy api {\n  origins "https://a.example"\n}',
        "use it or remove it.",
    ),
    "CORS516": (
        "a second binding would silently replace the first.",
        'let a = "https://a.example"\nlet a = "https://b.example"',
        "rename or merge them.",
    ),
    "CORS517": (
        "a file without a policy compiles to nothing.",
        'let a = "https://a.example"',
        "add a `policy NAME { … }` block.",
    ),
    "CORS518": (
        "bindings that refer to each other can expand to more values than any server holds.",
        "bindings nested ten levels deep, each listing the one below ten times",
        "list the values directly, or with fewer levels.",
    ),
    # ---- 6xx: targets
    "CORS601": (
        "the target cannot reproduce the construct's verdicts, so its output would answer "
        "some request differently from the policy.",
        "corsc compile api.cors --target iis-headers   # with two origins",
        "compile for a target that can (`corsc targets`), or simplify the policy.",
    ),
    "CORS602": (
        "the target differs from the policy in a way that never changes a browser's verdict "
        "(a header sent when not needed, say); worth knowing, nothing to fix.",
        "corsc compile api.cors --target nginx",
        "nothing; `corsc targets NAME` lists the target's declared differences.",
    ),
    "CORS603": (
        "the server's documentation does not say how it behaves here; corsc cannot promise "
        "the output behaves like the policy.",
        "corsc compile api.cors --target iis-rewrite",
        "test the output on the server, or compile for a target whose behaviour is documented.",
    ),
    "CORS604": (
        "the output is several pieces that go in different places of the server's configuration.",
        "corsc compile api.cors --target nginx -o nginx/",
        "place each file as the message says.",
    ),
    "CORS611": (
        "IIS does not document how a <cors> section inside another scope's inherits its entries.",
        'policy a {\n  paths "/api"\n  origins "https://a.example"\n}\npolicy b {\n  paths '
        '"/api/v2"\n  origins "https://b.example"\n}',
        "avoid nested path prefixes for the iis target, or use iis-rewrite.",
    ),
    "CORS612": (
        "the IIS CORS Module applies the most specific rule; a deny under a more specific "
        "allow never applies.",
        'policy api {\n  origins "https://app.example.com"\n  deny "https://*.example.com"\n}',
        "compile for iis-rewrite, or restructure the denies.",
    ),
    "CORS614": (
        "IIS does not document whether <location path> matches case-sensitively.",
        'policy api {\n  paths "/api"\n  origins "https://a.example"\n}',
        "keep path prefixes lowercase and test on the server.",
    ),
    "CORS615": (
        "this target answers accepted preflights with a status of its own choosing.",
        'policy api {\n  origins "https://a.example"\n  preflight-status 204\n}',
        "remove `preflight-status` (the answer is 200), or use another IIS target.",
    ),
    "CORS616": (
        "`--merge` must read the existing web.config to merge into it safely.",
        "corsc compile api.cors --target iis --merge broken.config",
        "fix the file's XML, or write a fresh web.config with -o.",
    ),
    "CORS620": (
        "nginx reads parameters up to a fixed length; a longer value would be cut.",
        "a policy with thousands of origins in one regex",
        "split the origins into `origin` blocks or shorter lists.",
    ),
    "CORS621": (
        "the prefix becomes part of nginx variable and file names.",
        "corsc compile api.cors --target nginx -O prefix=my-cors!",
        "use letters, digits and `_`.",
    ),
    "CORS622": (
        "nginx chooses a location after decoding the path, so an encoded path can pick "
        "another policy than the one the path as sent would choose.",
        'policy api {\n  paths "/api"\n  origins "https://a.example"\n}',
        "fine when clients never send such paths; otherwise compile for a middleware target.",
    ),
    "CORS631": (
        "the Python CORS library would change this value (flask-cors uppercases methods and "
        "reads some header names as regexes), so its verdicts would differ.",
        'policy api {\n  origins "https://a.example", "https://b.example"\n  methods patch\n}',
        "compile for `python` (corsc.runtime), which expresses everything.",
    ),
    "CORS632": (
        "the library needs compiled patterns or code, which TOML cannot carry.",
        "corsc compile api.cors --target flask -O format=toml",
        "use the default Python module output.",
    ),
    "CORS650": (
        "a .htaccess is read after Apache's authentication and authorization, so a preflight "
        "(which carries no credentials) to a protected directory is refused 401 or 403 before "
        "these directives can answer it.",
        "corsc compile api.cors --target apache -O placement=htaccess",
        "use -O placement=virtualhost or location, which answer preflights first, or exempt "
        "OPTIONS from the directory's Require.",
    ),
    "CORS651": (
        "in a <Location> or a .htaccess the section's own path chooses the policy, so the file "
        "for it holds one policy without `paths`.",
        "corsc compile api.cors --target apache -O placement=location  # a policy with paths",
        "use -O placement=virtualhost, where the path chooses among the policies, or compile "
        "one policy without `paths` for each <Location>.",
    ),
    "CORS652": (
        "Apache's expressions keep a regex in 8 KB and PCRE refuses larger ones; a union of "
        "patterns is cut into pieces, but one regex cannot be.",
        "a policy with one regex of thousands of alternatives",
        "split the regex into several patterns, or shorten it.",
    ),
    "CORS670": (
        "the prefix names the HAProxy defaults section, its variables and its pattern files.",
        "corsc compile api.cors --target haproxy -O prefix=My-Cors",
        "use a lowercase letter, then lowercase letters, digits and `_`.",
    ),
    "CORS671": (
        "-O from= names a defaults section of yours that HAProxy must find by that name.",
        "corsc compile api.cors --target haproxy -O from='my defaults'",
        "name the section with letters, digits, `-`, `_`, `.` and `:`.",
    ),
    "CORS672": (
        "the pattern files' directory is written into HAProxy's configuration as a file path.",
        "corsc compile api.cors --target haproxy -O pattern-dir='/etc/ha proxy'",
        "use a path of letters, digits and `/._+~-`.",
    ),
    "CORS673": (
        "HAProxy reads a pattern-file line into one buffer; a longer regex cannot be loaded.",
        "a policy with one regex of thousands of alternatives",
        "split the regex into several patterns or `origin` blocks.",
    ),
    "CORS674": (
        "HAProxy keeps a fixed space (tune.maxrewrite) for the headers it adds to a response; "
        "larger CORS headers can make a large response fail.",
        "a policy with a hundred long header names",
        "raise tune.maxrewrite in HAProxy's global section, or shorten the lists.",
    ),
    "CORS640": (
        "the merged web.config had its own CORS handling, which corsc replaced with the policy's.",
        "corsc compile api.cors --target iis --merge web.config",
        "review the removed handling; the policy is now the only CORS source.",
    ),
    "CORS641": (
        "the merged web.config has CORS handling corsc cannot remove without changing other "
        "behaviour.",
        "corsc compile api.cors --target iis --merge web.config",
        "remove that handling by hand, then merge again.",
    ),
    "CORS633": (
        "Starlette's CORSMiddleware always allows Accept, Accept-Language, Content-Language and "
        "Content-Type on preflights; for ordinary values browsers never preflight them, so only "
        "a non-safelisted value of one of them is granted beyond the policy.",
        'policy api {\n  origins "https://app.example.com", "https://admin.example.com"\n  '
        "headers X-Token\n}",
        "nothing, if that difference is acceptable; otherwise compile with `--target python`, "
        "which grants exactly what the policy lists.",
    ),
    # ---- 7xx: corsc import (at lines of the imported file)
    "CORS700": (
        "import reads a web.config, an nginx configuration, a Caddyfile, an Apache "
        "configuration, a HAProxy configuration, Python settings or an Express app, and could "
        "not tell which this file is.",
        "corsc import settings.conf",
        "name the format with `--from "
        "iis|nginx|caddy|apache|haproxy|starlette|django|flask|python|json|express`.",
    ),
    "CORS701": (
        "the file does not parse as the format it was read as, so nothing in it can be trusted.",
        "corsc import web.config   # with an unclosed element",
        "repair the file so that the server itself would accept it, then import again.",
    ),
    "CORS702": (
        "the file sets no CORS header, handler or module, so there is no policy to import.",
        "corsc import nginx.conf   # without any Access-Control-* header",
        "import the file (or the `nginx -T` output) that holds the CORS handling.",
    ),
    "CORS703": (
        "a setting has no equivalent in the policy language (or depends on values computed at "
        "run time), so the imported policy cannot carry it over.",
        "corsc import settings.py   # CORS_ALLOWED_ORIGINS = load_origins()",
        "write that part of the policy by hand; the message names the setting.",
    ),
    "CORS704": (
        "Access-Control-Allow-Origin holds one origin or `*`; a list of origins in it is refused "
        "by every browser.",
        'corsc import web.config   # <add name="Access-Control-Allow-Origin" value="a, b"/>',
        "keep the imported policy, which lists the origins and answers each with its own.",
    ),
    "CORS705": (
        "sending back whatever Origin the request carries, without checking it, lets every "
        "site read the responses, with credentials when they are allowed.",
        "corsc import nginx.conf   # add_header Access-Control-Allow-Origin $http_origin;",
        "list the origins that may read the responses in the imported policy.",
    ),
    "CORS706": (
        "an origin regex without anchors matches anywhere in the Origin, so "
        "`https://example.com.evil.net` passes a test for `example\\.com`.",
        "corsc import nginx.conf   # if ($http_origin ~ example\\.com)",
        "anchor the regex, or list the origins; the imported policy keeps what nginx really "
        "matched until then.",
    ),
    "CORS707": (
        "nginx's `add_header` inside `if` replaces every header set outside it, and `if` in a "
        "location behaves in ways nginx's own documentation warns about.",
        "corsc import nginx.conf   # if ($request_method = OPTIONS) { add_header … }",
        "compile the imported policy with `--target nginx`, which uses maps instead.",
    ),
    "CORS708": (
        "answering every OPTIONS request also answers the application's own OPTIONS requests, "
        "which are not preflights.",
        "corsc import nginx.conf   # if ($request_method = OPTIONS) { return 204; }",
        "let corsc's output answer preflights only (OPTIONS with Origin and "
        "Access-Control-Request-Method).",
    ),
    "CORS709": (
        "runAllManagedModulesForAllRequests sends every request through every managed module; "
        "CORS never needs it, and it costs each request.",
        'corsc import web.config   # <modules runAllManagedModulesForAllRequests="true"/>',
        "remove the attribute unless something else needs it.",
    ),
    "CORS710": (
        "two mechanisms (custom headers and the CORS Module, or two add_header lines) each send "
        "the header, and browsers refuse a response with two Allow-Origin values.",
        "corsc import web.config   # customHeaders and <cors> both set Allow-Origin",
        "keep one mechanism: the output corsc compiles from the imported policy.",
    ),
    "CORS711": (
        "browsers refuse `Access-Control-Allow-Origin: *` on a request with credentials, so "
        "the configuration never worked for them.",
        "corsc import web.config   # Allow-Origin * and Allow-Credentials true",
        "list the origins that need credentials in the imported policy.",
    ),
    "CORS712": (
        "the value is one the server or browsers cannot use (a method that is not a token, a "
        "max-age that is not a number), so it was left out.",
        'corsc import web.config   # maxAge="ten"',
        "write the intended value in the imported policy.",
    ),
    "CORS713": (
        "removing or replacing the OPTIONS handler hands preflights to the application or to "
        "another module, which may answer them without CORS headers.",
        'corsc import web.config   # <remove name="OPTIONSVerbHandler"/>',
        "let corsc's output answer preflights; restore the handler unless something needs it.",
    ),
    "CORS714": (
        "static custom headers give every origin the same answer, so they cannot serve two "
        "origins or refuse one.",
        "corsc import web.config   # customHeaders with Access-Control-Allow-Origin",
        "nothing for one origin or `*`; for more, compile the policy with `--target iis`.",
    ),
    "CORS715": (
        "`corsc import` follows an `include` of a file given on disk to the files it can read "
        "inside the including file's directory; CORS headers in a file it could not read (or "
        "in any, for a configuration from stdin) are not in the imported policy.",
        "corsc import server.conf   # server { include /etc/nginx/snippets/cors.conf; }",
        "import `nginx -T` output (every file in one), or import the included file as well and "
        "merge the policies by hand.",
    ),
    "CORS716": (
        "`location = /api` answers /api only, but a policy's paths are prefixes: the imported "
        "policy also governs /api/… .",
        "corsc import server.conf   # location = /api { add_header Access-Control-… }",
        "check that the paths below it may share the policy, or narrow them with another "
        "policy of their own.",
    ),
    "CORS730": (
        "an Express route (`app.get('/products/:id', cors(), …)`) answers one path and one "
        "method, but a policy's paths are prefixes: the imported policy governs the route's "
        "static start and everything below it, for every method.",
        "corsc import app.js   # app.get('/products/:id', cors(), handler)",
        "check that the paths below it may share the policy, or give them a policy of their own.",
    ),
    "CORS735": (
        "a policy's paths are prefixes on segment boundaries, compared case-sensitively: "
        "`path /api/*` does not select /api itself, `path /api` selects nothing below it, and "
        "Caddy's `path` ignores case, so the imported path answers some paths otherwise.",
        "corsc import Caddyfile   # header /api/* Access-Control-Allow-Origin *",
        "check that those paths may be answered as the policy says, or write the matcher as "
        "`path /api /api/*`.",
    ),
    # ---- 9xx: suppression comments
    "CORS901": (
        "a `# corsc: allow` that suppresses nothing hides nothing today, but will silently hide "
        "the finding if it ever appears there.",
        'policy api {\n  origins "https://app.example.com"  # corsc: allow CORS407\n}',
        "remove the comment, or move it to the statement it was meant for.",
    ),
    "CORS902": (
        "corsc reads `# corsc:` comments as suppressions; one it cannot read (an unknown code, "
        "an error's code, a word other than `allow`) suppresses nothing.",
        'policy api {\n  origins "https://app.example.com"  # corsc: allow CORS9999\n}',
        "write `# corsc: allow CODE` with a warning's or an info's code or slug.",
    ),
}
