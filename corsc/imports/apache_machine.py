"""What an Apache httpd 2.4 site answers, worked out request by request, in the phases Apache
runs a request through:

1. post-read: the ``SetEnvIf``/``SetEnvIfNoCase``/``SetEnvIfExpr`` of the server level;
2. URL translation: the server level's ``RewriteCond``/``RewriteRule``
   (:mod:`corsc.imports.apache_rewrite`) when its ``RewriteEngine`` is on; a status
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
:class:`~corsc.imports.machine.Opaque` at its line. ``repair`` sends what a configuration
meant where browsers refuse what it says (several origins in one Allow-Origin: the one
matching; one Access-Control-* header added twice alike: once): the importer reads the
policy meant, and reports the mistakes separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from attrs import define, field

from corsc.imports.apache_rewrite import Rewriting, engine_on, expression
from corsc.imports.apache_syntax import Evaluation, ExprError, Lookup, Node, parse_string
from corsc.imports.machine import APACHE_GROUPS, Answer, Opaque, pcre, substitute

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


@define
class Machine(Rewriting):
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

    # ---- values ----------------------------------------------------------------------

    def header_in(self, name: str, line: int) -> str:
        key = HEADERS.get(name.lower())
        if key is None:
            raise Opaque(line, f"the answer depends on the request header {name}")
        return self.request.get(key, "")

    def lookup(self, line: int) -> Lookup:
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
        return Evaluation(self.lookup(line), line)

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
            if ruled and any(engine_on(level) for level in per_directory):
                relative = self.relative or any(ruled[-1] is level for level in self.directories)
                status = self.rewrite(ruled[-1], relative, engine_checked=True)
            if status is None:
                status = self.redirect(per_directory)
        for level in levels if status is None else []:
            # mod_env's fixup, after the rules: a status answered earlier never sees it.
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
                expression(" ".join(node.args), node.line)
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
                if evaluation.truth(expression(node.args[0], node.line)):
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
            count = 0 if action == "edit*" else 1
            table[:] = [
                (k, substitute(regex, APACHE_GROUPS, args[2], v, count) if k == name else v)
                for k, v in table
            ]
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
            return self.evaluation(line).truth(expression(condition[5:], line))
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


def _under(path: str, prefix: str) -> bool:
    """Whether ``<Location prefix>`` governs ``path`` (whole segments, as Apache 2.4 does)."""
    trimmed = prefix.rstrip("/") if prefix != "/" else ""
    return path == prefix or path.startswith(trimmed + "/") or prefix == "/"


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
