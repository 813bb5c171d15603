"""What HAProxy 2.6 answers a request, worked out rule by rule: the ``http-request`` rules of
the frontend (those of the ``defaults`` section it takes rules ``from`` first), the backend
``use_backend``/``default_backend`` chooses and its rules, the application, then
``http-response`` (server responses only: not HAProxy's own ``return``, ``deny`` or 503) and
``http-after-response`` (every response), the backend's before the frontend's.

The request is what :mod:`corsc.imports.probes` asks (nginx's names of its parts, and
``$uri`` for the path); its other headers are unknown, so a rule that reads one is
:class:`~corsc.imports.machine.Opaque`, as is anything else the request does not tell (the
client's address, the host, TLS when the bind lines do not all say the same). A backend with
servers is the application, which answers 200 with no CORS header of its own; ``allow`` ends
the rule list it is in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attrs import define, field

from corsc.imports.haproxy_config import (
    Acl,
    Call,
    ConfigError,
    Term,
    expression,
    log_format,
)
from corsc.imports.haproxy_fetches import fetch
from corsc.imports.haproxy_proxies import Files, Proxy, Rule
from corsc.imports.haproxy_samples import (
    SUFFIXES,
    MapTable,
    Prepared,
    Value,
    convert,
    matches,
    text,
)
from corsc.imports.machine import Answer, Opaque

#: The request headers the machine knows, by the request key that holds each.
KNOWN = {
    "origin": "$http_origin",
    "access-control-request-method": "$http_access_control_request_method",
    "access-control-request-headers": "$http_access_control_request_headers",
    "access-control-request-private-network": "$http_access_control_request_private_network",
}
_IGNORED = {
    "set-log-level", "set-nice", "set-tos", "set-mark", "track-sc0", "track-sc1", "track-sc2",
    "sc-inc-gpc0", "sc-inc-gpc1", "sc-inc-gpc", "sc-set-gpt0", "set-priority-class",
    "set-priority-offset", "early-hint", "wait-for-handshake", "wait-for-body", "set-timeout",
    "strict-mode", "cache-store",
}  # fmt: skip
_METHODS = {
    "METH_CONNECT": ("CONNECT",),
    "METH_DELETE": ("DELETE",),
    "METH_GET": ("GET", "HEAD"),
    "METH_HEAD": ("HEAD",),
    "METH_OPTIONS": ("OPTIONS",),
    "METH_POST": ("POST",),
    "METH_PUT": ("PUT",),
    "METH_TRACE": ("TRACE",),
}
_CONSTANT = {"TRUE": True, "FALSE": False, "HTTP": True, "HTTP_1.1": True, "HTTP_1.0": False,
             "HTTP_URL_ABS": False, "HTTP_URL_STAR": False, "WAIT_END": True}  # fmt: skip


@define
class Response:
    """What HAProxy sends so far: a status (``None``: the application's 200) and headers
    with the line of the rule that set each (0: the application's)."""

    status: int | None
    headers: list[tuple[str, str, int]] = field(factory=list)
    #: The line of the rule that answered (``return``, ``deny``, ``redirect``), or 0.
    answered: int = 0


class Machine:
    """One request through a frontend and the backend it chooses."""

    def __init__(
        self,
        request: Mapping[str, str],
        backends: Mapping[str, Proxy],
        lines: Files,
        prepared: dict[tuple[int, str], Prepared] | None = None,
    ) -> None:
        self.request_headers: dict[str, list[str]] = {
            name: [request[key]] for name, key in KNOWN.items() if request.get(key)
        }
        self.known = set(KNOWN)
        self.method = request.get("$request_method", "GET")
        self.path = request.get("$uri", "/")
        self.backends = backends
        self.files = lines
        #: Each ACL's patterns ready to match, shared by the requests of one import.
        self.prepared = prepared if prepared is not None else {}
        self.variables: dict[str, Value] = {}
        self.captured: list[str | None] = []
        self.phase = "request"
        self.response = Response(None)
        self.tls: bool | None = None

    # ---- the Env of converters ------------------------------------------------------------

    def variable(self, name: str) -> Value | None:
        return self.variables.get(name)

    def assign(self, name: str, value: Value) -> None:
        self.variables[name] = value

    def lines(self, path: str, line: int) -> list[str]:
        return self.files(path, line)

    def table(self, path: str, line: int) -> MapTable:
        return self.files.table(path, line)

    # ---- samples ----------------------------------------------------------------------------

    def fetch(self, call: Call, every: bool, line: int) -> list[Value]:
        return fetch(self, call, every, line)

    def sample(self, calls: Sequence[Call], line: int) -> Value | None:
        """A sample expression's value (``None``: no sample)."""
        values = self.fetch(calls[0], False, line)
        value: Value | None = values[-1] if values else None
        for call in calls[1:]:
            if value is None:
                return None
            value = convert(value, call, self, line)
        return value

    def format(self, template: str, line: int) -> str:
        """A log-format string with its samples filled in (an empty one for no sample)."""
        try:
            parts = log_format(template, line)
        except ValueError as problem:
            raise Opaque(line, str(problem)) from None
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            else:
                value = self.sample(part, line)
                out.append(text(value) if value is not None else "")
        return "".join(out)

    # ---- conditions ---------------------------------------------------------------------------

    def acl(self, acl: Acl) -> bool:
        first = acl.criterion[0]
        name = first.name
        method = acl.method
        base, _, suffix = name.rpartition("_")
        if method is None and suffix in SUFFIXES and base:
            name, method = base, suffix
        elif method is None and name in ("hdr_val", "req.hdr_val"):
            name, method = name.removesuffix("_val"), "int"
        values = self.fetch(Call(name, first.args), True, acl.line)
        converted: list[Value] = []
        for value in values:
            current: Value | None = value
            for call in acl.criterion[1:]:
                if current is None:
                    break
                current = convert(current, call, self, acl.line)
            if current is not None:
                converted.append(current)
        patterns = self.patterns(acl)
        if method is None:
            if not converted:
                return False
            sample = converted[0]
            if isinstance(sample, bool):
                method = "bool"
            elif isinstance(sample, int):
                method = "int" if patterns else "bool"
            else:
                method = "str" if patterns else "found"
        key = (id(acl), method)
        prepared = self.prepared.get(key)
        if prepared is None:
            prepared = Prepared(method, patterns, acl.ignore_case, acl.line)
            self.prepared[key] = prepared
        return matches(acl, converted, method, prepared, acl.line)

    def patterns(self, acl: Acl) -> tuple[str, ...]:
        """An ACL's patterns: those written, then those of its files."""
        if not acl.files:
            return acl.patterns
        found = list(acl.patterns)
        for path in acl.files:
            found += self.lines(path, acl.line)
        return tuple(found)

    def term(self, term: Term, acls: Mapping[str, tuple[Acl, ...]], line: int) -> bool:
        try:
            return self.decided(term, acls, line)
        except (ValueError, IndexError) as error:
            raise ConfigError(line, f"an ACL HAProxy would not read ({error})") from None

    def decided(self, term: Term, acls: Mapping[str, tuple[Acl, ...]], line: int) -> bool:
        if term.anonymous is not None:
            found = self.acl(term.anonymous)
        elif term.name is not None and term.name in acls:
            found = any(self.acl(item) for item in acls[term.name])
        elif term.name in _METHODS:
            found = self.method in _METHODS[term.name]
        elif term.name in _CONSTANT:
            found = _CONSTANT[term.name]
        elif term.name == "HTTP_URL_SLASH":
            found = self.phase == "request" and self.path.startswith("/")
        else:
            raise Opaque(line, f"the ACL {term.name} is not declared where this rule is")
        return found != term.negated

    def holds(self, rule: Rule) -> bool:
        if rule.condition is None:
            return True
        found = any(
            all(self.term(term, rule.acls, rule.line) for term in alternative)
            for alternative in rule.condition.alternatives
        )
        return found != rule.condition.unless

    # ---- actions --------------------------------------------------------------------------

    def headers_action(self, rule: Rule, target: list[tuple[str, str, int]] | None) -> bool:
        """set-header, add-header, del-header on the request (``target`` ``None``) or the
        response; ``False`` when the action is none of them."""
        action, args = rule.action, rule.args
        if action not in ("set-header", "add-header", "del-header"):
            return False
        if not args:
            raise ConfigError(rule.line, f"{action} names no header")
        name = args[0].lower()
        value = self.format(args[1], rule.line) if action != "del-header" and len(args) > 1 else ""
        if target is None:
            self.known.add(name)
            held = self.request_headers.setdefault(name, [])
            if action != "add-header":
                held.clear()
            if action != "del-header":
                held.append(value)
            return True
        if action != "add-header":
            target[:] = [item for item in target if item[0] != name]
        if action != "del-header":
            target.append((name, value, rule.line))
        return True

    def answer_with(self, rule: Rule, status: int) -> None:
        """A ``return``, ``deny`` or ``redirect``: the status and its ``hdr`` headers."""
        args = list(rule.args)
        headers: list[tuple[str, str, int]] = []
        index = 0
        while index < len(args):
            if args[index] in ("status", "deny_status", "code") and index + 1 < len(args):
                status = int(args[index + 1])
                index += 2
            elif args[index] == "hdr" and index + 2 < len(args):
                headers.append((args[index + 1].lower(), self.format(args[index + 2], rule.line),
                                rule.line))  # fmt: skip
                index += 3
            else:
                index += 1
        self.response = Response(status, headers, rule.line)

    def rules(self, rules: Sequence[Rule], phase: str) -> bool:
        """Run one list; ``True`` when a rule answered (``return``, ``deny``, …). A rule whose
        words HAProxy would not read (a status that is no number, a missing argument) is a
        :class:`ConfigError` at its line."""
        for item in rules:
            try:
                outcome = self.rule(item, phase)
            except (ValueError, IndexError) as error:
                raise ConfigError(item.line, f"a rule HAProxy would not read ({error})") from None
            if outcome is not None:
                return outcome
        return False

    def rule(self, item: Rule, phase: str) -> bool | None:
        """One rule: ``True`` when it answered, ``False`` when it ends the list (``allow``),
        ``None`` when the list goes on."""
        if not self.holds(item):
            return None
        action = item.action
        if action.startswith(("set-var(", "set-var-fmt(", "unset-var(")):
            name = action[action.index("(") + 1 : action.rindex(")")]
            if "," in name:
                raise Opaque(item.line, f"{action} sets the variable under a condition")
            if action.startswith("unset-var("):
                self.variables.pop(name, None)
            elif action.startswith("set-var-fmt("):
                self.variables[name] = self.format(item.args[0], item.line)
            else:
                value = self.sample(expression(item.args[0], item.line), item.line)
                if value is not None:
                    self.variables[name] = value
        elif self.headers_action(item, None if phase == "request" else self.response.headers):
            return None
        elif action == "allow":
            return False
        elif action == "return":
            self.answer_with(item, 200)
            return True
        elif action in ("deny", "tarpit"):
            default = {"request": 403, "response": 502, "after": 403}[phase]
            self.answer_with(item, 500 if action == "tarpit" else default)
            return True
        elif action == "redirect" and phase != "after":
            self.answer_with(item, 302)
            return True
        elif action == "set-status" and phase != "request" and item.args:
            self.response.status = int(item.args[0])
        elif action == "capture" and phase == "request":
            value = self.sample(expression(item.args[0], item.line), item.line)
            size = int(item.args[2]) if len(item.args) > 2 else 64
            self.captured.append(text(value)[:size] if value is not None else None)
        elif action in _IGNORED or (action == "capture" and phase != "request"):
            return None
        else:
            raise Opaque(item.line, f"{phase_name(phase)} {action} is an action corsc "
                                    "does not follow")  # fmt: skip
        return None

    def run(self, frontend: Proxy, application: bool) -> Answer:
        """The answer of ``frontend`` (``application``: with no backend, the request reaches
        the application, as when a defaults section is read alone)."""
        for name, size in frontend.captures:
            values = self.request_headers.get(name, []) if name in self.known else None
            if values is None:
                raise Opaque(frontend.line, f"capture request header {name} is nothing corsc knows")
            self.captured.append(values[-1][:size] if values else None)
        self.tls = frontend.tls
        chain = [frontend]
        answered = any(self.rules(rules, "request") for rules in frontend.request)
        if not answered:
            backend = self.route(frontend)
            if backend is not None and backend is not frontend:
                chain.insert(0, backend)
                answered = any(self.rules(rules, "request") for rules in backend.request)
            if not answered:
                reached = backend.servers if backend is not None else application
                self.response = Response(None if reached else 503)
                if reached:
                    self.phase = "response"
                    for proxy in chain:
                        if any(self.rules(rules, "response") for rules in proxy.response):
                            break
        self.phase = "response"
        for proxy in chain:
            for rules in proxy.after:
                self.rules(rules, "after")
        return self.answer()

    def answer(self) -> Answer:
        return Answer(
            self.response.status,
            tuple((name, value) for name, value, _ in self.response.headers),
        )

    def route(self, frontend: Proxy) -> Proxy | None:
        if frontend.servers:
            return frontend
        for condition, name in frontend.routes:
            if condition is None or self.holds(condition):
                if "%[" in name:
                    line = condition.line if condition is not None else frontend.line
                    raise Opaque(line, f"use_backend {name} chooses the backend from a sample")
                backend = self.backends.get(name)
                if backend is None:
                    raise Opaque(frontend.line, f"the backend {name} is not in this file")
                return backend
        return None


def phase_name(phase: str) -> str:
    return {"request": "http-request", "response": "http-response"}.get(
        phase, "http-after-response"
    )
