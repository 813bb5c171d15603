"""A path's CORS layers of an Express app as a policy: each layer (``cors`` options or a
hand-written middleware) answers requests in the order the app runs them
(:mod:`corsc.imports.express_machine`), and the policy is read from those answers and checked
against them (:func:`corsc.imports.answers.read_level`). Beside what no policy says (CORS703),
the answers show what the app does that a policy would not: every OPTIONS answered (CORS708),
the Origin reflected (CORS705), a fixed Allow-Origin (CORS714), ``*`` with credentials
(CORS711).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import define

from corsc import diagnostics as d
from corsc.imports.answers import read_level, report
from corsc.imports.answers_check import evaluator_for
from corsc.imports.draft import Draft, Findings, exact, policy_name, regex
from corsc.imports.express_machine import Handwritten, Headers, cors_answer, python_pattern
from corsc.imports.javascript import JsSet, Node, RegexLiteral, Values, flag, name_of, walk
from corsc.imports.machine import Answer, Opaque, Run
from corsc.imports.probes import UNLISTED, Probes
from corsc.imports.witnesses import Candidate, origin_shaped, regex_candidates

_SERVER = "Express"


@define
class Layer:
    """One CORS handler of the app: ``cors`` options (literal values) or a middleware."""

    prefix: str | None  # ``None``: every path
    verb: str
    node: Node
    options: dict[str, Any] | None = None
    function: Node | None = None

    def applies(self, method: str) -> bool:
        if self.verb in ("use", "all"):
            return True
        return method == self.verb.upper() or (self.verb == "get" and method == "HEAD")


def chain_run(values: Values, chain: list[Layer], state: dict[str, Node] | None = None) -> Run:
    """What the layers of ``chain`` answer a request, in order, until one answers it (its
    status) or all call ``next()`` (``None``: the app's routes answer). ``state`` gets where
    the last answer was given (``answer``) and where a middleware last set Allow-Origin
    (``origin``)."""
    where: dict[str, Node] = {} if state is None else state

    def run(request: Mapping[str, str]) -> Answer:
        headers = Headers()
        for layer in chain:
            if not layer.applies(request["$request_method"]):
                continue
            if layer.options is not None:
                status = cors_answer(layer.options, request, headers)
                node = layer.node
            else:
                machine = Handwritten(values, layer.function, request)
                machine.headers = headers
                status = machine.run()
                node = machine.answer_node or layer.node
                if machine.origin_node is not None:
                    where["origin"] = machine.origin_node
            if status is not None:
                where["answer"] = node
                return Answer(status, tuple(headers.items))
        return Answer(None, tuple(headers.items))

    return run


def read_chain(
    findings: Findings, values: Values, chain: list[Layer], prefix: str | None, taken: list[str]
) -> Draft | None:
    """The policy ``chain`` (the layers governing ``prefix``, in order) answers as, read and
    checked by :func:`corsc.imports.answers.read_level`; ``None`` when it allows no origin or
    its answers cannot be known (CORS703)."""
    first = chain[0].node
    start = first.range[0]
    draft = Draft(
        policy_name(prefix or "app", taken),
        findings.source.span(start, start),
        paths=[prefix] if prefix else [],
    )
    state: dict[str, Node] = {}
    run = chain_run(values, chain, state)

    # One candidate per origin test, at the first layer that makes it.
    unique: dict[tuple[object, ...], Candidate] = {}
    for layer in chain:
        for test in _origin_tests(values, layer):
            unique.setdefault((test.entry, test.witnesses), test)
    tests = list(unique.values())
    probes = Probes.of(_strings(values, chain))
    try:
        plain = run({"$request_method": "OPTIONS", "$http_origin": UNLISTED[0]})
        answer = state.pop("answer", None)
        reflected = run({"$request_method": "GET", "$http_origin": UNLISTED[0]})
        origin_node = state.get("origin")
        reading = read_level(draft, run, tests, probes, evaluator_for(findings), _SERVER)
    except (Opaque, RecursionError) as error:
        problem = (
            error
            if isinstance(error, Opaque)
            else Opaque(first.loc.start.line, "the middleware nests deeper than corsc follows")
        )
        findings.at_line(
            d.IMPORT_NOT_EXPRESSED,
            problem.line,
            f"{problem.reason}, so corsc cannot tell which origins this app allows",
            "write the policy's origins and settings by hand",
        )
        return None
    report(findings, reading, _SERVER)
    _answers_notes(findings, values, chain, plain, reflected, answer, origin_node)
    if "*" in draft.origins and draft.grant.credentials:
        flag(
            findings,
            d.IMPORT_WILDCARD_CREDENTIALS,
            first,
            "credentials with an Allow-Origin that is `*` or every Origin: browsers refuse "
            "`*` with credentials, and a reflected Origin lets every site read the user's "
            "data",
            "name the origins trusted with credentials in the imported policy",
        )
    return None if draft.empty else draft


def _answers_notes(
    findings: Findings,
    values: Values,
    chain: list[Layer],
    plain: Answer,
    reflected: Answer,
    answer: Node | None,
    origin_node: Node | None,
) -> None:
    """CORS708 where a plain OPTIONS is answered, CORS705 where the Origin is reflected,
    CORS714 where a middleware sends a fixed Allow-Origin."""
    if plain.status is not None and answer is not None:
        flag(
            findings,
            d.IMPORT_OPTIONS_ANSWERED,
            answer,
            f"every OPTIONS request is answered {plain.status} here, a preflight or not "
            "and whatever it asks; the app never sees a plain OPTIONS",
            "the imported policy answers preflights itself, granting only what it lists",
        )
    if reflected.header("access-control-allow-origin") == UNLISTED[0]:
        node = origin_node or chain[0].node
        for layer in chain:
            if layer.options is not None and layer.options.get("origin") is True:
                node = layer.node
        flag(
            findings,
            d.IMPORT_REFLECTED_ORIGIN,
            node,
            "this sends back every request's Origin, unchecked: any site may read these "
            "responses (with the user's cookies, when credentials are allowed)",
            "the imported policy says `origins *`; replace it with the origins you trust",
        )
    for layer in chain:
        if layer.function is None:
            continue
        for call in walk(layer.function.body):
            if call.type != "CallExpression" or not 1 <= len(call.arguments) <= 2:
                continue
            written = [values.value(argument) for argument in call.arguments]
            # `res.header(name, value)`, or `res.set({ name: value })`
            pairs = [written] if len(written) == 2 else []
            if isinstance(written[0], dict):
                pairs = [list(pair) for pair in written[0].items()]
            for name, value in pairs:
                if (
                    isinstance(name, str)
                    and name.lower() == "access-control-allow-origin"
                    and isinstance(value, str)
                ):
                    flag(
                        findings,
                        d.IMPORT_STATIC_HEADERS,
                        call,
                        f"Access-Control-Allow-Origin {value} is sent to every request, "
                        "whatever its Origin",
                        "the imported policy means the same for browsers; the targets "
                        "corsc compiles it to answer only the origins it lists",
                    )


def _origin_tests(values: Values, layer: Layer) -> list[Candidate]:
    """The origins a layer tests: its strings and regexes that look like origins."""
    found: list[Candidate] = []
    if layer.options is not None:
        origin = layer.options.get("origin", "*")
        items = list(origin) if isinstance(origin, list) else [origin]
        line = layer.node.loc.start.line
    else:
        items = [values.value(n) for n in walk(layer.function) if _literal(n)]
        items += [
            values.value(n)
            for n in walk(layer.function)
            if n.type == "Identifier" and n.name in values.bindings
        ]
        line = layer.node.loc.start.line
        found += _string_tests(values, layer.function)
    flat: list[Any] = []
    while items:
        item = items.pop(0)
        if isinstance(item, JsSet):
            item = list(item.items)
        if isinstance(item, list):
            items[:0] = item
        else:
            flat.append(item)
    for item in flat:
        if isinstance(item, str) and item != "*" and origin_shaped(item):
            found.append(Candidate(exact(item), (item,), line))
        elif isinstance(item, RegexLiteral):
            pattern = python_pattern(item.pattern)
            found += regex_candidates(pattern, "i" in item.flags, item.node.loc.start.line)
    return found


def _string_tests(values: Values, function: Node) -> list[Candidate]:
    """The origins a middleware's string tests admit (``origin.endsWith(".example.com")``,
    ``startsWith``, ``includes``): the regex each one is, with a few origins it admits."""
    from corsc.regex import escape

    found: list[Candidate] = []
    for call in walk(function):
        if call.type != "CallExpression" or call.callee.type != "MemberExpression":
            continue
        method = name_of(call.callee.property)
        text = values.value(call.arguments[0]) if len(call.arguments) == 1 else None
        receiver = values.value(call.callee.object)
        if method not in _SHAPES or not isinstance(text, str) or not text:
            continue
        if isinstance(receiver, list | JsSet | str):
            continue  # a test of the module's own values, not of the request
        before, after = _SHAPES[method]
        try:
            body = before + escape(text) + after
        except ValueError:
            continue  # not ASCII: no Origin is
        shown = (f"https://a{text}", f"http://a.b{text}") if before else (text, f"{text}.a.b")
        if before and after:
            shown = (text, f"https://a.{text}.b")
        found.append(Candidate(regex(body), shown, call.loc.start.line))
    return found


#: A string test as the regex it is, around the escaped text.
_SHAPES = {"endsWith": (".*", ""), "startsWith": ("", ".*"), "includes": (".*", ".*")}


def _strings(values: Values, chain: list[Layer]) -> list[str]:
    """The strings the layers write: the methods and headers to ask for."""
    found: list[str] = []
    for layer in chain:
        written = (
            list(layer.options.values())
            if layer.options is not None
            else [values.value(n) for n in walk(layer.function) if _literal(n)]
        )
        for value in written:
            items = value if isinstance(value, list) else [value]
            found += [item for item in items if isinstance(item, str)]
    return found


def _literal(node: Node) -> bool:
    return node.type == "Literal" or (node.type == "TemplateLiteral" and not node.expressions)
