"""What an Apache httpd 2.4 site answers, worked out request by request, in the phases Apache
runs a request through:

1. post-read: the ``SetEnvIf``/``SetEnvIfNoCase``/``SetEnvIfExpr`` of the server level;
2. URL translation: the server level's ``RewriteCond``/``RewriteRule`` (``[E=…]``,
   ``[R=…]``, ``[F]``, ``[L]``, ``[OR]``, ``[NC]``) when its ``RewriteEngine`` is on; a status
   answered here goes out with the ``Header`` directives of the server level and of the
   ``<Location>`` and ``<If>`` sections Apache merged just before (not ``<Directory>``);
3. the sections merged for the request: ``<Directory>`` (every request), ``<Location>`` (a
   path prefix, segment by segment) and ``<If>``/``<ElseIf>``/``<Else>``, then their
   ``SetEnvIf*`` and the rewrite rules of the innermost section that has any (``.htaccess``
   context: the path without its leading ``/``);
4. the response: the application (status ``None``) or the status a rule answered;
   ``Header`` directives (``set``, ``append``, ``merge``, ``add``, ``setifempty``,
   ``unset``, ``edit``/``edit*``, conditions ``env=``, ``env=!``, ``expr=``) of every level
   merged, in order. ``always`` ones act on the table Apache sends with every response,
   the others on the one it drops when it answers a status itself (a rule's ``R=``, ``F``).

What the machine cannot know from the request — another request header, the client's
address, a file test, a rule that rewrites the URL, a variable of the server — is
:class:`~corsc.imports.answers.Opaque` at its line. ``repair`` sends what a configuration
meant where browsers refuse what it says (several origins in one Allow-Origin: the one
matching; one Access-Control-* header added twice alike: once): the importer reads the
policy meant, and reports the mistakes separately.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

from attrs import define, field

from corsc.imports.answers import Answer, Opaque, pcre
from corsc.imports.apache_syntax import (
    Evaluation,
    Expr,
    ExprError,
    Node,
    parse_expr,
    parse_string,
)

#: The request headers the machine knows, by lowercase name, as the request keys.
HEADERS = {
    "origin": "$http_origin",
    "access-control-request-method": "$http_access_control_request_method",
    "access-control-request-headers": "$http_access_control_request_headers",
    "access-control-request-private-network": "$http_access_control_request_private_network",
}
#: Sections whose contents apply to every request this site serves.
TRANSPARENT = {"ifmodule", "ifdefine", "ifversion"}
#: The sections the machine follows; any other (``<LocationMatch>``, ``<Files>``, ``<Limit>``,
#: ``<Proxy>``, …) selects requests in ways corsc does not.
FOLLOWED = {*TRANSPARENT, "virtualhost", "directory", "location", "if", "elseif", "else"}
_REDIRECTS = {"permanent": 301, "temp": 302, "seeother": 303, "gone": 410}


def flatten(nodes: list[Node]) -> Iterator[Node]:
    """``nodes`` with the transparent sections opened in place (``<IfModule !…>`` and
    ``<IfDefine !…>`` left out: the modules are loaded, no name defined)."""
    for node in nodes:
        if node.block is not None and node.key in TRANSPARENT:
            if node.args and node.args[0].startswith("!"):
                continue
            yield from flatten(node.block)
        else:
            yield node


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Expr:
    return parse_expr(text)


def _expr(text: str, line: int) -> Expr:
    try:
        return _parsed(text)
    except ExprError as problem:
        raise Opaque(line, f"the expression `{text}` is not one corsc reads ({problem})") from None


@define
class Machine:
    """One request through a site (``levels``: the server level, outermost first)."""

    site: list[Node]
    request: Mapping[str, str]
    relative: bool = False
    repair: bool = False
    env: dict[str, str] = field(factory=dict)
    #: The line each header sent comes from (the last directive that set it).
    lines: dict[str, int] = field(factory=dict)
    #: The line of the rule that answered with a status (0: none did).
    rule: int = 0
    #: The levels merged from ``<Directory>`` sections.
    directories: list[list[Node]] = field(factory=list)

    @property
    def path(self) -> str:
        return self.request.get("$uri", "/")

    # ---- values ----------------------------------------------------------------------

    def header_in(self, name: str, line: int) -> str:
        key = HEADERS.get(name.lower())
        if key is None:
            raise Opaque(line, f"the answer depends on the request header {name}")
        return self.request.get(key, "")

    def lookup(self, line: int) -> object:
        def call(name: str, argument: str) -> str:
            if name == "var":
                if argument == "REQUEST_METHOD":
                    return self.request.get("$request_method", "")
                if argument.startswith("HTTP_") and argument[5:].replace("_", "-").lower() in (
                    HEADERS
                ):
                    return self.header_in(argument[5:].replace("_", "-"), line)
                raise Opaque(line, f"the variable %{{{argument}}} is nothing corsc can know")
            if name in ("req", "http", "req_novary"):
                return self.header_in(argument, line)
            if name in ("reqenv", "env"):
                return self.env.get(argument, "")
            if name == "tolower":
                return argument.lower()
            if name == "toupper":
                return argument.upper()
            raise Opaque(line, f"the function {name}() is nothing corsc can know")

        return call

    def evaluation(self, line: int) -> Evaluation:
        return Evaluation(self.lookup(line), line)  # type: ignore[arg-type]

    def rewrite_text(self, text: str, line: int, refs: list[str], cond_refs: list[str]) -> str:
        """A RewriteCond test string or rule value with ``%{…}``, ``$N`` and ``%N`` filled."""

        def fill(found: re.Match[str]) -> str:
            if found.group(1) is not None:
                name = found.group(1)
                if name.upper().startswith("ENV:"):
                    return self.env.get(name[4:], "")
                if name.upper().startswith("HTTP:"):
                    return self.header_in(name[5:], line)
                if name.upper() == "REQUEST_METHOD":
                    return self.request.get("$request_method", "")
                raise Opaque(line, f"%{{{name}}} is nothing corsc can know from the request")
            groups = refs if found.group(2) == "$" else cond_refs
            index = int(found.group(3))
            return groups[index] if index < len(groups) else ""

        return re.sub(r"%\{([^}]*)\}|([$%])([0-9])", fill, text)

    # ---- the phases ------------------------------------------------------------------

    def answer(self) -> Answer:
        server = list(flatten(self.site))
        plain = [node for node in server if node.block is None]
        self.environment(plain)
        levels = [plain]
        status = None
        if not self.relative:
            # Apache merges <Location> and <If> once before URL translation: a status a
            # server-level rule answers goes out with their headers (not <Directory>'s).
            early = self.sections(server, directories=False)
            status = self.rewrite(plain, relative=False)
            if status is not None:
                levels += early
        if status is None:
            sections = self.sections(server)
            levels += sections
            for level in sections:
                self.environment(level)
            # Per-directory rules: those of the innermost level that has any (without
            # RewriteOptions Inherit, a level's rules replace its parent's).
            per_directory = levels if self.relative else sections
            ruled = [level for level in per_directory if any(n.key == "rewriterule" for n in level)]
            if ruled and any(_engine_on(level) for level in per_directory):
                relative = self.relative or any(ruled[-1] is level for level in self.directories)
                status = self.rewrite(ruled[-1], relative, engine_checked=True)
            if status is None:
                status = self.redirect(per_directory)
        for level in levels:
            for node in level:
                if node.key == "setenv" and len(node.args) >= 1:
                    self.env[node.args[0]] = " ".join(node.args[1:])
                elif node.key == "unsetenv":
                    for name in node.args:
                        self.env.pop(name, None)
        out: list[tuple[str, str]] = []
        err: list[tuple[str, str]] = []
        for level in levels:
            for node in level:
                if node.key == "header":
                    self.header(node, status is None, out, err)
        sent = err + (out if status is None else [])
        if self.repair:
            sent = _repaired(sent, self.request.get("$http_origin", ""))
        return Answer(status, tuple(sent))

    def sections(self, nodes: list[Node], directories: bool = True) -> list[list[Node]]:
        """The levels merged for this request under ``nodes``, in Apache's order:
        directories (every request; their rewrite rules see the path without ``/``),
        locations whose path is a prefix of the request's, then ``<If>``s."""
        merged: list[list[Node]] = []
        found: list[list[Node]] = []
        conditional: list[list[Node]] = []
        for node in nodes:
            if node.block is None or node.key not in ("directory", "location"):
                continue
            if node.key == "directory" and not directories:
                continue
            if node.key == "location":
                prefix = node.args[-1] if node.args else ""
                if len(node.args) != 1 or prefix.startswith("~"):
                    raise Opaque(node.line, f"<Location {' '.join(node.args)}> is a regex")
                if not _under(self.path, prefix):
                    continue
            inner = list(flatten(node.block))
            level = [n for n in inner if n.block is None]
            if node.key == "directory":
                self.directories.append(level)
                merged += [level, *self.sections(inner, directories)]
            else:
                found += [level, *self.sections(inner, directories)]
        chosen = False
        for node in nodes:
            if node.block is None or node.key not in ("if", "elseif", "else"):
                chosen = chosen if node.block is None else False
                continue
            if node.key == "if":
                chosen = False
            if chosen:
                continue
            if node.key == "else" or self.evaluation(node.line).truth(
                _expr(" ".join(node.args), node.line)
            ):
                chosen = True
                inner = list(flatten(node.block))
                conditional.append([n for n in inner if n.block is None])
                conditional += self.sections(inner, directories)
        return merged + found + conditional

    def environment(self, nodes: list[Node]) -> None:
        for node in nodes:
            if node.key in ("setenvif", "setenvifnocase") and len(node.args) >= 3:
                attribute, pattern = node.args[0], node.args[1]
                value = self.attribute(attribute, node.line)
                found = pcre(pattern, node.key == "setenvifnocase", node.line).search(value)
                if found is not None:
                    refs = [found.group(0), *(group or "" for group in found.groups())]
                    self.assign(node.args[2:], refs)
            elif node.key == "setenvifexpr" and len(node.args) >= 2:
                evaluation = self.evaluation(node.line)
                if evaluation.truth(_expr(node.args[0], node.line)):
                    self.assign(node.args[1:], evaluation.refs)
            elif node.key in ("browsermatch", "browsermatchnocase"):
                raise Opaque(node.line, f"{node.name} tests the User-Agent")

    def attribute(self, name: str, line: int) -> str:
        lowered = name.lower()
        if lowered == "request_method":
            return self.request.get("$request_method", "")
        if lowered in HEADERS:
            return self.header_in(name, line)
        if name in self.env:
            return self.env[name]
        raise Opaque(line, f"SetEnvIf {name} tests what corsc cannot know from the request")

    def assign(self, items: list[str], refs: list[str]) -> None:
        for item in items:
            if item.startswith("!"):
                self.env.pop(item[1:], None)
                continue
            name, equals, value = item.partition("=")
            if equals:
                value = re.sub(
                    r"\$([0-9])", lambda m: refs[int(m[1])] if int(m[1]) < len(refs) else "", value
                )
            self.env[name] = value if equals else "1"

    # ---- mod_rewrite -----------------------------------------------------------------

    def rewrite(
        self, nodes: list[Node], relative: bool, engine_checked: bool = False
    ) -> int | None:
        if not (engine_checked or _engine_on(nodes)):
            return None
        subject = self.path.lstrip("/") if relative else self.path
        conditions: list[Node] = []
        for node in nodes:
            if node.key == "rewritecond":
                conditions.append(node)
                continue
            if node.key != "rewriterule":
                continue
            pending, conditions = conditions, []
            if len(node.args) < 2:
                continue
            pattern, substitution = node.args[0], node.args[1]
            flags = _flags(node.args[2] if len(node.args) > 2 else "")
            negate = pattern.startswith("!")
            found = pcre(pattern.removeprefix("!"), "NC" in flags, node.line).search(subject)
            if (found is None) != negate:
                continue
            refs = [found.group(0), *(g or "" for g in found.groups())] if found else []
            matched, cond_refs = self.conditions(pending, refs)
            if not matched:
                continue
            for name in flags:
                if name in ("C", "S", "N", "H") or name.startswith(("C=", "S=", "N=", "H=")):
                    raise Opaque(node.line, f"the flag [{name}] is one corsc does not follow")
            for name in flags:
                if name.startswith("E="):
                    assignment = self.rewrite_text(name[2:], node.line, refs, cond_refs)
                    if assignment.startswith("!"):
                        self.env.pop(assignment[1:], None)
                    else:
                        key, _, value = assignment.partition(":")
                        self.env[key] = value
            status = next((flags[name] for name in flags if name == "R"), None)
            status = 403 if "F" in flags else 410 if "G" in flags else status
            if status is not None:
                self.rule = node.line
                return status
            if substitution != "-" and not _identity(pattern, substitution):
                raise Opaque(
                    node.line, "the rule rewrites the URL before corsc can tell its answer"
                )
            if "L" in flags or "END" in flags or "P" in flags:
                return None
        return None

    def redirect(self, levels: list[list[Node]]) -> int | None:
        """mod_alias in a section: ``Redirect status`` (or ``Redirect [status] URL``) answers."""
        for level in levels:
            for node in level:
                if node.key != "redirect" or not node.args:
                    continue
                word = node.args[0].lower()
                status = _REDIRECTS.get(word, int(word) if word.isdigit() else None)
                if len(node.args) > (1 if status is None else 2) or (
                    node.args[0].startswith("/") and len(node.args) > 1
                ):
                    raise Opaque(node.line, "Redirect of a path is nothing corsc follows")
                self.rule = node.line
                return status if status is not None else 302
        return None

    def conditions(self, nodes: list[Node], refs: list[str]) -> tuple[bool, list[str]]:
        """The RewriteConds of a rule, ``[OR]`` as Apache chains them (a true one skips the
        rest of its chain); the groups of the last regex that matched."""
        cond_refs: list[str] = []
        usable = [node for node in nodes if len(node.args) >= 2]
        index = 0
        while index < len(usable):
            node = usable[index]
            flags = _flags(node.args[2] if len(node.args) > 2 else "")
            hit, groups = self.condition(node, refs, cond_refs, "NC" in flags)
            if hit and groups is not None:
                cond_refs = groups
            if "OR" in flags:
                if hit:
                    while index < len(usable) and "OR" in _flags(
                        usable[index].args[2] if len(usable[index].args) > 2 else ""
                    ):
                        index += 1
                index += 1
                continue
            if not hit:
                return False, cond_refs
            index += 1
        return True, cond_refs

    def condition(
        self, node: Node, refs: list[str], cond_refs: list[str], ignore_case: bool
    ) -> tuple[bool, list[str] | None]:
        test, pattern = node.args[0], node.args[1]
        if test == "expr":
            return self.evaluation(node.line).truth(_expr(pattern, node.line)), None
        value = self.rewrite_text(test, node.line, refs, cond_refs)
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!")
        if pattern[:1] in "=<>" and not pattern.startswith(("=~",)):
            operator = pattern[:2] if pattern[:2] in ("<=", ">=") else pattern[:1]
            other = pattern[len(operator) :]
            other = "" if other == '""' else other
            left, right = (value.lower(), other.lower()) if ignore_case else (value, other)
            hit = {
                "=": left == right,
                "<": left < right,
                ">": left > right,
                "<=": left <= right,
                ">=": left >= right,
            }[operator]
            return hit != negate, None
        if pattern.startswith("-"):
            raise Opaque(node.line, f"RewriteCond {pattern} tests what corsc cannot know")
        found = pcre(pattern, ignore_case, node.line).search(value)
        groups = [found.group(0), *(g or "" for g in found.groups())] if found else None
        return (found is not None) != negate, (None if negate else groups)

    # ---- mod_headers -----------------------------------------------------------------

    def header(
        self,
        node: Node,
        success: bool,
        out: list[tuple[str, str]],
        err: list[tuple[str, str]],
    ) -> None:
        args = list(node.args)
        table = out
        if args and args[0].lower() in ("always", "onsuccess"):
            table = err if args.pop(0).lower() == "always" else out
        if not args:
            return
        action = args.pop(0).lower()
        if action == "echo" or (table is out and not success):
            return
        if args and args[-1].lower() == "early":
            raise Opaque(node.line, "Header … early runs before the request is read")
        needed = {"unset": 1, "edit": 3, "edit*": 3, "note": 2}.get(action, 2)
        if len(args) < needed:
            return
        if len(args) > needed and not self.holds(args[needed], node.line):
            return
        name = args[0].lower()
        if action == "unset":
            table[:] = [(k, v) for k, v in table if k != name]
            return
        if action in ("edit", "edit*"):
            regex = pcre(args[1], False, node.line)
            replacement = re.sub(r"\$([0-9])", r"\\g<\1>", args[2])
            count = 0 if action == "edit*" else 1
            table[:] = [(k, regex.sub(replacement, v, count) if k == name else v) for k, v in table]
            return
        value = self.value(args[1], node.line)
        present = [index for index, (k, _) in enumerate(table) if k == name]
        if action == "set":
            table[:] = [(k, v) for k, v in table if k != name]
            table.append((name, value))
        elif action == "add":
            table.append((name, value))
        elif action == "setifempty":
            if not present:
                table.append((name, value))
        elif action in ("append", "merge"):
            if not present:
                table.append((name, value))
            else:
                old = table[present[0]][1]
                if action == "merge" and value in [item.strip() for item in old.split(",")]:
                    return
                table[present[0]] = (name, f"{old}, {value}")
        else:
            raise Opaque(node.line, f"Header {action} is an action corsc does not follow")
        self.lines[name] = node.line

    def holds(self, condition: str, line: int) -> bool:
        if condition.startswith("env="):
            name = condition[4:]
            return (name[1:] not in self.env) if name.startswith("!") else name in self.env
        if condition.startswith("expr="):
            return self.evaluation(line).truth(_expr(condition[5:], line))
        raise Opaque(line, f"the Header condition `{condition}` is not one corsc follows")

    def value(self, text: str, line: int) -> str:
        """A Header value: ``expr=…`` a string expression, else mod_headers' format
        (``%{VAR}e``, ``%{Header}i``, ``%%``)."""
        if text.startswith("expr="):
            try:
                tree = parse_string(text[5:])
            except ExprError as problem:
                raise Opaque(line, f"the value `{text}` is not one corsc reads") from problem
            return self.evaluation(line).text(tree)

        def fill(found: re.Match[str]) -> str:
            if found.group(0) == "%%":
                return "%"
            name, kind = found.group(1), found.group(2)
            if kind == "e":
                return self.env.get(name, "(null)")
            if kind == "i":
                raise Opaque(
                    line,
                    f"{found.group(0)} in a Header value is mod_headers' idle percentage "
                    "(`i=…`), not a request header, and no origin a browser accepts",
                )
            raise Opaque(line, f"the value {found.group(0)} is nothing corsc can know")

        return re.sub(r"%%|%(?:\{([^}]*)\})?([a-zA-Z])", fill, text)


def _engine_on(nodes: list[Node]) -> bool:
    return any(
        n.key == "rewriteengine" and [a.lower() for a in n.args[:1]] == ["on"] for n in nodes
    )


def _under(path: str, prefix: str) -> bool:
    """Whether ``<Location prefix>`` governs ``path`` (whole segments, as Apache 2.4 does)."""
    trimmed = prefix.rstrip("/") if prefix != "/" else ""
    return path == prefix or path.startswith(trimmed + "/") or prefix == "/"


def _identity(pattern: str, substitution: str) -> bool:
    """Whether a rule's substitution gives back the path it matched (``^(.*)$ $1``)."""
    return substitution in ("$0", "$1", "%{REQUEST_URI}") and pattern.lstrip("^").rstrip("$") in (
        "(.*)",
        "/?(.*)",
        "(.*)/?",
        ".*",
    )


def _flags(text: str) -> dict[str, int | None]:
    """``[R=204,L,E=x:1]`` as flag → status (``R``) or ``None``; ``E=`` items keep their text
    as the key."""
    found: dict[str, int | None] = {}
    for item in text.strip("[]").split(","):
        item = item.strip()
        upper = item.upper()
        if upper.startswith(("R=", "REDIRECT=")) or upper in ("R", "REDIRECT"):
            code = item.partition("=")[2]
            found["R"] = int(code) if code.isdigit() else 302
        elif upper.startswith(("E=", "ENV=")):
            found["E=" + item.partition("=")[2]] = None
        elif upper in ("NOCASE",):
            found["NC"] = None
        elif upper in ("LAST",):
            found["L"] = None
        elif upper in ("FORBIDDEN",):
            found["F"] = None
        elif upper in ("GONE",):
            found["G"] = None
        elif upper in ("ORNEXT",):
            found["OR"] = None
        elif item:
            found[upper] = None
    return found


def _repaired(sent: list[tuple[str, str]], origin: str) -> list[tuple[str, str]]:
    """What the configuration meant: an Access-Control-* header sent twice alike, once; an
    Allow-Origin listing several origins, the request's Origin when it is one of them."""
    out: list[tuple[str, str]] = []
    for name, value in sent:
        if name.startswith("access-control-") and (name, value) in out:
            continue
        if name == "access-control-allow-origin":
            listed = [item for item in re.split(r"[\s,]+", value) if item]
            if len(listed) > 1:
                value = origin if origin in listed else listed[0]
        out.append((name, value))
    return out
