"""HAProxy 2.6's sample fetches as the machine knows them from a request: the request's
headers (``req.hdr`` split at commas, ``req.fhdr`` whole, their counts, an occurrence; in
response rules ``hdr`` is the response's and the request's fetches give nothing, as HAProxy's
ACLs there never match), ``method``, ``path``, ``var()``, ``capture.req.hdr``, constants,
``status`` and ``ssl_fc`` (from the bind lines). Any other fetch is
:class:`~corsc.imports.machine.Opaque`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from corsc.imports.haproxy_config import Call
from corsc.imports.haproxy_samples import Value
from corsc.imports.machine import Opaque

if TYPE_CHECKING:
    from corsc.imports.haproxy_machine import Machine

#: Fetches of the request that HAProxy cannot read in response rules.
REQUEST_ONLY = re.compile(r"^(?:req\.f?hdr|req\.f?hdr_cnt|req\.hdr_val|path|url|base|query)")
_HEADER_FETCHES = {"hdr", "req.hdr", "fhdr", "req.fhdr", "res.hdr", "res.fhdr", "shdr"}
_COUNTS = {"hdr_cnt", "req.hdr_cnt", "fhdr_cnt", "req.fhdr_cnt", "res.hdr_cnt", "res.fhdr_cnt"}


def header_values(machine: Machine, name: str, full: bool, line: int) -> list[str]:
    """The request's (or, in response rules, the response's) values of a header: every
    line, split at commas unless ``full``."""
    key = name.lower()
    if machine.phase == "response":
        found = [value for header, value, _ in machine.response.headers if header == key]
    else:
        if key not in machine.known:
            raise Opaque(line, f"the answer depends on the request header {name}")
        found = machine.request_headers.get(key, [])
    if full:
        return [value.strip(" \t") for value in found]
    return [item.strip(" \t") for value in found for item in value.split(",")]


def fetch(machine: Machine, call: Call, every: bool, line: int) -> list[Value]:
    """A fetch's values: every occurrence when ``every`` (an ACL), else the one a sample
    takes (the last)."""
    name, args = call.name, call.args
    if machine.phase == "response" and REQUEST_ONLY.match(name):
        return []  # HAProxy cannot read the request here: the ACL never matches
    if name in _HEADER_FETCHES or name in _COUNTS:
        if name.startswith("res.") and machine.phase != "response":
            return []
        full = "fhdr" in name
        values: list[Value] = []
        if args:
            values += header_values(machine, args[0], full, line)
        if name in _COUNTS:
            return [len(values)]
        if len(args) > 1 and args[1]:
            position = int(args[1])
            index = position - 1 if position > 0 else len(values) + position
            return [values[index]] if 0 <= index < len(values) else []
        if not every:
            return list(values[-1:])
        return list(values)
    if name == "method":
        return [machine.method]
    if name in ("path", "url", "pathq"):
        return [machine.path]
    if name == "query":
        return []
    if name == "var":
        held = machine.variables.get(args[0]) if args else None
        if held is None and len(args) > 1:
            return [args[1]]
        return [held] if held is not None else []
    if name == "int":
        return [int(args[0])]
    if name == "bool":
        return [args[0] not in ("0", "")]
    if name == "str":
        return [args[0] if args else ""]
    if name in ("always_true", "always_false"):
        return [name == "always_true"]
    if name == "status" and machine.phase == "response":
        return [machine.response.status or 200]
    if name in ("capture.req.hdr",):
        index = int(args[0]) if args else 0
        held = machine.captured[index] if index < len(machine.captured) else None
        return [held] if held is not None else []
    if name == "ssl_fc":
        if machine.tls is None:
            raise Opaque(line, "ssl_fc depends on the bind line the request came in by")
        return [machine.tls]
    if name in ("req.ver", "req.proto_http"):
        return ["1.1" if name == "req.ver" else True]
    raise Opaque(line, f"the sample fetch {name} is nothing a request's CORS headers tell")
