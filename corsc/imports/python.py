"""Importing Python CORS settings, read with :mod:`ast` and never executed: Starlette/FastAPI
``CORSMiddleware(...)`` (or ``add_middleware(CORSMiddleware, ...)``) keyword arguments,
django-cors-headers ``CORS_*`` settings, and flask-cors options (``CORS(app, ...)``,
``CORS_OPTIONS = {...}``, ``resources={pattern: {...}}``).

Only literals are read (strings, numbers, booleans, ``None``, lists, tuples, dicts,
``re.compile("…")``); a value computed at run time (``os.environ[…]``, a name) cannot be known
without running the file, so it is a CORS703 at its position, never a guess.
"""

from __future__ import annotations

import ast
from typing import Any

from corsc import diagnostics as d
from corsc.imports.common import full_match, searched_entry, unanchored_help
from corsc.imports.draft import Draft, Entry, Findings, Grant, exact, policy_name
from corsc.source import Source

_UNKNOWN = object()


def read(source: Source, family: str) -> tuple[list[Draft], list[d.Diagnostic]]:
    """The policies Python settings of ``family`` (starlette, django, flask) mean."""
    findings = Findings(source)
    try:
        tree = ast.parse(source.text, filename=source.name)
    except SyntaxError as error:
        findings.at_line(
            d.IMPORT_UNREADABLE,
            error.lineno or 1,
            f"this is not Python corsc can read: {error.msg}",
            "fix the syntax, then import again",
        )
        return [], findings.items
    reader = _Reader(findings)
    drafts = {"starlette": reader.starlette, "django": reader.django, "flask": reader.flask}[
        family
    ](tree)
    if not drafts and not findings.items:
        findings.add(
            d.IMPORT_NO_CORS,
            0,
            0,
            f"no {family} CORS settings found in this file",
            "import the file that configures the CORS middleware",
        )
    return drafts, findings.items


class _Reader:
    def __init__(self, findings: Findings) -> None:
        self.findings = findings

    def flag(self, kind: d.Kind, node: ast.AST, message: str, help: str) -> None:
        source = self.findings.source
        line = getattr(node, "lineno", 1)
        start = self.findings.line_offset(line) + getattr(node, "col_offset", 0)
        end_line = getattr(node, "end_lineno", line) or line
        end = self.findings.line_offset(end_line) + (getattr(node, "end_col_offset", 0) or 0)
        self.findings.add(kind, start, max(start, min(end, len(source.text))), message, help)

    def value(self, node: ast.AST, what: str) -> Any:
        """A literal's value; ``_UNKNOWN`` (and CORS703) when it is computed at run time."""
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "compile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            return _Regex(str(node.args[0].value))
        if isinstance(node, ast.Dict):
            return {
                self.value(key, what) if key is not None else None: self.value(item, what)
                for key, item in zip(node.keys, node.values, strict=True)
            }
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return [self.value(item, what) for item in node.elts]
        try:
            return ast.literal_eval(node)
        except ValueError:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                node,
                f"{what} is computed when the program runs; corsc reads settings without "
                "running them",
                "write the value into the imported policy by hand (a `let` binding and "
                "`--set` vary it per environment)",
            )
            return _UNKNOWN

    def _names(self, value: Any) -> list[str] | None:
        if value is _UNKNOWN or value is None:
            return None
        if isinstance(value, str):
            return [value]
        return [str(item) for item in value if item is not _UNKNOWN]

    def _regex(
        self, pattern: str, node: ast.AST, *, searched: bool, ignore_case: bool = False
    ) -> Entry:
        """A library's origin regex as a full-match entry: ``searched`` (anchored as written)
        or, for ``re.match``, anchored at its start only."""
        matched = full_match(
            pattern if searched else "^" + pattern.lstrip("^"), ignore_case=ignore_case
        )
        if matched.unanchored:
            self.flag(
                d.IMPORT_UNANCHORED_REGEX,
                node,
                f"the origin regex `{pattern}` is not anchored at its end",
                unanchored_help(matched, "the library"),
            )
        return searched_entry(matched)

    # ---- Starlette / FastAPI -------------------------------------------------------------

    def starlette(self, tree: ast.AST) -> list[Draft]:
        drafts: list[Draft] = []
        spread = _options_dicts(tree)
        used: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node.func)
            named = name == "CORSMiddleware" or (
                name in ("add_middleware", "Middleware")
                and node.args
                and _called(node.args[0]) == "CORSMiddleware"
            )
            if not named:
                continue
            options: dict[str, tuple[Any, ast.AST]] = {}
            for keyword in node.keywords:
                if keyword.arg is not None:
                    options[keyword.arg] = (self.value(keyword.value, keyword.arg), keyword.value)
                elif isinstance(keyword.value, ast.Name) and keyword.value.id in spread:
                    # `CORSMiddleware(app, **CORS_OPTIONS)`: the dict's items are keywords.
                    used.add(keyword.value.id)
                    options.update(self._dict_options(spread[keyword.value.id]))
            drafts.append(self._starlette(options, node, [draft.name for draft in drafts]))
        # A dict of CORSMiddleware keywords that no call in the file spreads (corsc's own
        # starlette output, a settings module) is read as the call it is written for.
        for name, options_dict in spread.items():
            if name not in used:
                drafts.append(
                    self._starlette(
                        self._dict_options(options_dict),
                        options_dict,
                        [draft.name for draft in drafts],
                    )
                )
        return drafts

    def _dict_options(self, options: ast.Dict) -> dict[str, tuple[Any, ast.AST]]:
        return {
            key.value: (self.value(value, key.value), value)
            for key, value in zip(options.keys, options.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        }

    def _starlette(self, options: dict[str, Any], call: ast.AST, taken: list[str]) -> Draft:
        draft = self._draft(call, taken)
        origins = self._names(options.get("allow_origins", ([], call))[0]) or []
        draft.origins = [exact(origin) for origin in origins]
        if "allow_origin_regex" in options:
            pattern, node = options["allow_origin_regex"]
            if isinstance(pattern, str):
                # Starlette full-matches the regex (re.fullmatch).
                draft.origins.append(
                    self._regex("^" + pattern.lstrip("^") + "$", node, searched=True)
                )
        methods = self._names(options.get("allow_methods", (["GET"], call))[0])
        headers = self._names(options.get("allow_headers", ([], call))[0])
        expose = self._names(options.get("expose_headers", ([], call))[0])
        credentials = options.get("allow_credentials", (False, call))[0]
        max_age = options.get("max_age", (600, call))[0]
        draft.grant = Grant(
            methods=methods,
            headers=headers or None,
            expose=expose or None,
            credentials=bool(credentials) if credentials is not _UNKNOWN else None,
            max_age=max_age if isinstance(max_age, int) else None,
        )
        return draft

    def _draft(self, node: ast.AST, taken: list[str]) -> Draft:
        start = self.findings.line_offset(getattr(node, "lineno", 1))
        return Draft(policy_name("app", taken), self.findings.source.span(start, start))

    # ---- django-cors-headers ---------------------------------------------------------------

    def django(self, tree: ast.Module) -> list[Draft]:
        settings: dict[str, tuple[Any, ast.AST]] = {}
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name) and target.id.startswith("CORS_"):
                    settings[target.id] = (self.value(statement.value, target.id), statement)
        if not settings:
            return []
        first = min(node.lineno for _, node in settings.values())  # type: ignore[attr-defined]
        start = self.findings.line_offset(first)
        draft = Draft("app", self.findings.source.span(start, start))

        def get(name: str, default: Any) -> Any:
            return settings.get(name, (default, None))[0]

        if get("CORS_ALLOW_ALL_ORIGINS", get("CORS_ORIGIN_ALLOW_ALL", False)) is True:
            draft.origins = ["*"]
        else:
            origins = self._names(get("CORS_ALLOWED_ORIGINS", get("CORS_ORIGIN_WHITELIST", [])))
            draft.origins = [exact(origin) for origin in origins or []]
            node = settings.get("CORS_ALLOWED_ORIGIN_REGEXES", (None, tree))[1]
            for pattern in get("CORS_ALLOWED_ORIGIN_REGEXES", []) or []:
                if isinstance(pattern, str):  # django-cors-headers uses re.match: end open
                    draft.origins.append(self._regex(pattern, node, searched=False))
        urls = get("CORS_URLS_REGEX", r"^.*$")
        if isinstance(urls, str) and urls not in (r"^.*$", r"\A(?:/)", "^/", r"^.*"):
            prefix = _regex_prefix(urls)
            if prefix is None:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    settings["CORS_URLS_REGEX"][1],
                    f"CORS_URLS_REGEX `{urls}` is not a path prefix; a policy's paths are prefixes",
                    "the imported policy governs every path; give its paths by hand",
                )
            else:
                draft.paths = [prefix]
        methods = self._names(get("CORS_ALLOW_METHODS", None))
        headers = self._names(get("CORS_ALLOW_HEADERS", None))
        if headers is None:
            # django-cors-headers' default list (corsheaders.defaults.default_headers).
            headers = [
                "accept", "authorization", "content-type", "user-agent", "x-csrftoken",
                "x-requested-with",
            ]  # fmt: skip
        max_age = get("CORS_PREFLIGHT_MAX_AGE", 86400)
        draft.grant = Grant(
            methods=methods or ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"],
            headers=headers or None,
            expose=self._names(get("CORS_EXPOSE_HEADERS", [])) or None,
            credentials=get("CORS_ALLOW_CREDENTIALS", False) is True,
            max_age=max_age if isinstance(max_age, int) and max_age > 0 else None,
            private_network=get("CORS_ALLOW_PRIVATE_NETWORK", False) is True or None,
        )
        return [draft] if draft.origins else []

    # ---- flask-cors --------------------------------------------------------------------------

    def flask(self, tree: ast.Module) -> list[Draft]:
        option_sets: list[tuple[dict[Any, Any], ast.AST]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node.func) in ("CORS", "cross_origin"):
                if any(k.arg is None for k in node.keywords):
                    continue  # CORS(app, **CORS_OPTIONS): the dict is read where it is defined
                options = {k.arg: self.value(k.value, k.arg) for k in node.keywords if k.arg}
                option_sets.append((options, node))
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "CORS_OPTIONS" for t in node.targets
            ):
                value = self.value(node.value, "CORS_OPTIONS")
                if isinstance(value, dict):
                    option_sets.append((value, node))
        drafts: list[Draft] = []
        for options, node in option_sets:
            resources = options.get("resources")
            if isinstance(resources, dict):
                for pattern, inner in resources.items():
                    merged = {**options, **(inner if isinstance(inner, dict) else {})}
                    drafts.append(self._flask(merged, node, pattern, drafts))
            else:
                drafts.append(self._flask(options, node, None, drafts))
        return [draft for draft in drafts if not draft.empty]

    def _flask(
        self, options: dict[Any, Any], node: ast.AST, pattern: Any, drafts: list[Draft]
    ) -> Draft:
        draft = self._draft(node, [draft.name for draft in drafts])
        if pattern is not None:
            text = pattern.pattern if isinstance(pattern, _Regex) else str(pattern)
            prefix = _regex_prefix(text)
            if prefix is None:
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    node,
                    f"the resource pattern `{text}` is not a path prefix",
                    "the imported policy governs every path; give its paths by hand",
                )
            elif prefix != "/":
                draft.paths = [prefix]
        origins = options.get("origins", "*")
        for origin in [origins] if not isinstance(origins, list) else origins:
            if isinstance(origin, _Regex):
                draft.origins.append(self._regex(origin.pattern, node, searched=False))
            elif isinstance(origin, str) and origin != "*" and _probably_regex(origin):
                # flask-cors takes such a string for a regex, matched case-insensitively with
                # re.match: `https://*.example.com` is not the wildcard it looks like.
                draft.origins.append(self._regex(origin, node, searched=False, ignore_case=True))
            elif isinstance(origin, str):
                draft.origins.append(exact(origin))
        methods = self._names(options.get("methods"))
        headers = self._names(options.get("allow_headers", "*"))
        max_age = options.get("max_age")
        draft.grant = Grant(
            methods=[m.upper() for m in methods] if methods else None,
            headers=headers or None,
            expose=self._names(options.get("expose_headers")) or None,
            credentials=options.get("supports_credentials", False) is True,
            max_age=max_age if isinstance(max_age, int) else None,
            private_network=options.get("allow_private_network") is True or None,
        )
        return draft


class _Regex:
    """A ``re.compile("…")`` in the settings."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Regex) and other.pattern == self.pattern


def _probably_regex(text: str) -> bool:
    """Whether flask-cors reads an origin string as a regex (its ``probably_regex``)."""
    return any(char in text for char in "*\\]?$^[()")


#: The keyword arguments of Starlette's CORSMiddleware.
_STARLETTE_KEYWORDS = frozenset(
    {
        "allow_origins",
        "allow_origin_regex",
        "allow_methods",
        "allow_headers",
        "allow_credentials",
        "allow_private_network",
        "expose_headers",
        "max_age",
    }
)


def _options_dicts(tree: ast.AST) -> dict[str, ast.Dict]:
    """Module-level dict literals of CORSMiddleware keywords (every key one of them, origins
    among them), by the name they are assigned to."""
    found: dict[str, ast.Dict] = {}
    for statement in getattr(tree, "body", []):
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Dict)
        ):
            continue
        keys = [
            key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
            for key in statement.value.keys
        ]
        named = {key for key in keys if key is not None}
        origins = named & {"allow_origins", "allow_origin_regex"}
        if len(named) == len(keys) and named <= _STARLETTE_KEYWORDS and origins:
            found[statement.targets[0].id] = statement.value
    return found


def _called(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _regex_prefix(pattern: str) -> str | None:
    """The path prefix a path regex selects (``^/api/.*``, ``r"\\A(?:/api)"``, ``/api/*``),
    ``None`` when it is not one."""
    from corsc.imports.common import literal

    body = pattern.removeprefix("\\A").removeprefix("^")
    for tail in (".*$", ".*", "/*", "*", "$"):
        if body.endswith(tail) and not body.endswith("\\" + tail):
            body = body[: -len(tail)]
            break
    text = literal(body)
    return text if text is not None and text.startswith("/") else None
