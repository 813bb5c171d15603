"""What the ``--merge`` tests share: the examples and targets they merge, merging through a
target's backend as the command line does, the command line itself, and generated web.config
documents (nested containers corsc touches, self-closing or not, with comments, processing
instructions, CDATA, odd attribute quoting) with the user's tree to compare against."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import strategies as st

from corsc import cli
from corsc.backends import EmitOptions, Merged, MergingBackend, OutputFile, get
from corsc.diagnostics import Diagnostic
from corsc.frontend import load
from corsc.source import Source

ROOT = Path(__file__).resolve().parent.parent


FIXTURES = ROOT / "tests" / "fixtures" / "iis"


SPA = ROOT / "examples" / "spa-localhost.cors"


STAGING = ROOT / "examples" / "production-staging.cors"


TARGETS = ("iis", "iis-headers", "iis-rewrite")


@functools.cache
def emitted(policy: Path, target: str) -> tuple[OutputFile, ...]:
    """What the target emits for the policy file (compiled once per pair)."""
    loaded = load(Source(policy.name, policy.read_text("utf-8")))
    assert loaded.policy_set is not None
    return tuple(get(target).emit(loaded.policy_set, emit_options(policy, target)))


def emit_options(policy: Path, target: str) -> EmitOptions:
    """The options the command line gives the target for the policy file."""
    return EmitOptions("0.1.0", policy.name, target, {})


def merged_of(policy: Path, target: str, existing: bytes) -> Merged:
    """``--merge`` through the target's backend, as the command line calls it."""
    backend = get(target)
    assert isinstance(backend, MergingBackend)
    files = list(emitted(policy, target))
    return backend.merge(existing, files, emit_options(policy, target), "web.config")


def merge(policy: Path, target: str, existing: bytes) -> str | Diagnostic:
    """The merged text, or the first diagnostic when the merge is refused."""
    merged = merged_of(policy, target, existing)
    return merged.diagnostics[0] if merged.text is None else merged.text


def run(*args: str) -> int:
    """``corsc compile`` of the SPA example for ``iis`` with ``args``: its exit code."""
    return cli.main(["compile", str(SPA), "--target", "iis", *args])


API = ROOT / "examples" / "api.cors"


#: (policy, target) pairs that compile; api.cors has path-scoped policies (``<location>``).
COMPILED = [(SPA, target) for target in TARGETS] + [(STAGING, "iis"), (API, "iis-rewrite")]


#: Children each element corsc touches may hold (leaves are user entries corsc never owns).
CHILDREN: dict[str, tuple[str, ...]] = {
    "configuration": ("system.webServer", "location", "appSettings"),
    "location": ("system.webServer",),
    "system.webServer": ("httpProtocol", "handlers", "modules", "rewrite", "staticContent"),
    "httpProtocol": ("customHeaders",),
    "customHeaders": ("header", "clear", "vary"),
    "handlers": ("handler",),
    "modules": ("module",),
    "rewrite": ("rules", "outboundRules"),
    "rules": ("rule", "clear"),
    "outboundRules": ("outbound",),
}


LEAVES: dict[str, tuple[str, dict[str, str]]] = {
    "appSettings": ("appSettings", {}),
    "staticContent": ("staticContent", {}),
    "header": ("add", {"name": "X-Frame-Options", "value": "DENY & more"}),
    "clear": ("clear", {}),
    "vary": ("add", {"name": "Vary", "value": "Accept-Encoding"}),
    "handler": (
        "add",
        {"name": "aspNetCore", "path": "*", "verb": "*", "modules": "AspNetCoreModuleV2"},
    ),
    "module": ("remove", {"name": "WebDAVModule"}),
    "rule": ("rule", {"name": 'SPA "fallback"', "stopProcessing": "true"}),
    "outbound": ("rule", {"name": "Strip server", "preCondition": "html"}),
}


@st.composite
def attribute_text(draw: st.DrawFn, attributes: dict[str, str]) -> str:
    """Attributes in odd but valid spellings: either quote, spaces or newlines around ``=``,
    references for the characters that need (or may use) them."""
    parts = []
    for name, value in attributes.items():
        quote = draw(st.sampled_from(['"', "'"]))
        escaped = value.replace("&", "&amp;").replace("<", "&lt;")
        escaped = escaped.replace(quote, "&quot;" if quote == '"' else "&apos;")
        if draw(st.booleans()):
            escaped = escaped.replace(">", "&gt;")
        space = draw(st.sampled_from([" ", "\n\t", "  "]))
        around = draw(st.sampled_from(["", " ", "\t"]))
        parts.append(f"{space}{name}{around}={around}{quote}{escaped}{quote}")
    return "".join(parts)


MISC = st.sampled_from(
    [
        "<!-- a note > with markup-like text <x/> -->",
        "<!---->",
        "<?iis-tool hint='1'?>",
        "<![CDATA[ <not-an-element/> & ]]>",
    ]
)


#: Hand-written CORS handling a generated document may carry, by container.
LEFTOVERS: dict[str, tuple[str, ...]] = {
    "customHeaders": ("aca",),
    "handlers": ("options-remove",),
    "outboundRules": ("outbound-aca",),
}


ACA_NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "ACCESS-CONTROL-MAX-AGE",
        " Access-Control-Allow-Credentials",
    ]
)


@st.composite
def element_text(
    draw: st.DrawFn, kind: str, depth: int, nl: str, unit: str, leftovers: bool = False
) -> str:
    indent = unit * depth
    if kind == "aca":
        return f"{indent}<add{draw(attribute_text({'name': draw(ACA_NAMES), 'value': '*'}))} />"
    if kind == "options-remove":
        return f'{indent}<remove name="OPTIONSVerbHandler"/>'
    if kind == "outbound-aca":
        return (
            f'{indent}<rule name="cors">'
            '<match serverVariable="RESPONSE_Access_Control_Allow_Origin" pattern=".*" />'
            '<action type="Rewrite" value="*" /></rule>'
        )
    if kind in LEAVES:
        tag, attributes = LEAVES[kind]
        end = draw(st.sampled_from(["/>", " />", f"></{tag}>"]))
        return f"{indent}<{tag}{draw(attribute_text(attributes))}{end}"
    attributes = {}
    if kind == "location":
        attributes["path"] = draw(st.sampled_from([".", "api", "/API/", "v2", "static"]))
    tag = kind
    start = f"<{tag}{draw(attribute_text(attributes))}"
    choices = CHILDREN[kind] + (LEFTOVERS.get(kind, ()) if leftovers else ())
    kinds = draw(st.lists(st.sampled_from(choices), max_size=3 if depth < 4 else 0))
    misc = draw(st.lists(MISC, max_size=1))
    if not kinds and not misc:
        return (
            indent
            + start
            + draw(st.sampled_from(["/>", " />", "\t/>", f"></{tag}>", f">{nl}{indent}</{tag}>"]))
        )
    inner = [draw(element_text(child, depth + 1, nl, unit, leftovers)) for child in kinds]
    for item in misc:
        inner.insert(draw(st.integers(0, len(inner))), unit * (depth + 1) + item)
    body = "".join(nl + line for line in inner)
    return f"{indent}{start}>{body}{nl}{indent}</{tag}>"


@st.composite
def documents(draw: st.DrawFn, leftovers: bool = False) -> bytes:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    unit = draw(st.sampled_from(["  ", "    ", "\t"]))
    prolog = draw(
        st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>', "<?xml version='1.0'?>"])
    )
    bom = draw(st.sampled_from(["", "\ufeff"]))
    head = draw(st.sampled_from(["", "<!-- site config -->" + nl]))
    body = draw(element_text("configuration", 0, nl, unit, leftovers))
    return (bom + (prolog + nl if prolog else "") + head + body + nl).encode("utf-8")


PARSER_OPTIONS = {"insert_comments": True, "insert_pis": True}


def user_tree(text: str) -> ET.Element:
    """The parsed document with corsc's regions taken out (independently of the merge code):
    a region's nodes dropped (their tails kept), a ``vary`` region's markers dropped and the
    members it appended cut from the value it wraps."""
    parser = ET.XMLParser(target=ET.TreeBuilder(**PARSER_OPTIONS))
    root = ET.fromstring(text.removeprefix("\ufeff"), parser=parser)
    for parent in root.iter():
        kept: list[ET.Element] = []
        dropping, appended = False, None
        for child in list(parent):
            comment = (child.text or "").strip() if child.tag is ET.Comment else ""
            if comment.startswith("corsc:begin"):
                found = re.match(r'corsc:begin vary appended="([^"]*)"', comment)
                appended, dropping = (found.group(1), False) if found else (None, True)
            elif comment.startswith("corsc:end"):
                dropping = False
            elif not dropping:
                if appended is not None:
                    value = child.get("value", "")
                    assert value.endswith(appended)
                    child.set("value", value[: -len(appended)])
                    appended = None
                kept.append(child)
                continue
            tail = child.tail or ""
            if kept:
                kept[-1].tail = (kept[-1].tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(child)
    return root


def shape(root: ET.Element) -> list[object]:
    """A tree as comparable data, node by node in document order: depth, tag, attributes,
    text and tail with white space runs collapsed (a stack: some trees are deep)."""

    def words(value: str | None) -> str:
        return " ".join((value or "").split())

    found: list[object] = []
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else str(node.tag)
        found.append((depth, tag, sorted(node.attrib.items()), words(node.text), words(node.tail)))
        stack.extend((child, depth + 1) for child in reversed(node))
    return found


def effective_headers(root: ET.Element, path: str | None) -> dict[str, str]:
    """The custom headers IIS sends under ``<location path>`` (``None``: the site root): the
    site root's collection, then the location's, each applying add/remove/clear in order."""
    headers: dict[str, str] = {}
    scopes = [root.find("system.webServer")]
    if path is not None:
        scopes += [
            location.find("system.webServer")
            for location in root.iter("location")
            if (location.get("path") or "").strip("/").lower() == path
        ]
    for server in scopes:
        collection = None if server is None else server.find("httpProtocol/customHeaders")
        for entry in [] if collection is None else list(collection):
            name = (entry.get("name") or "").lower()
            if entry.tag == "clear":
                headers.clear()
            elif entry.tag == "remove":
                headers.pop(name, None)
            elif entry.tag == "add":
                headers[name] = entry.get("value", "")
    return headers
