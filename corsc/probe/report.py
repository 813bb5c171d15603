"""The results of a probing run as text (a table for people), JSON (for CI) or JUnit XML (for
CI systems that show test reports).

Every format lists each probe; a mismatch comes with the request as a curl command, what came
back and what the policy says (its status, its CORS headers, the evaluator's reason).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.etree import ElementTree

from corsc import http
from corsc.probe.client import Server
from corsc.probe.session import Result

#: The response headers a report shows: the CORS ones and Vary.
_SHOWN = frozenset(name.lower() for name in (*http.RESPONSE_HEADERS, http.VARY))


def _cors_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() in _SHOWN]


def _status(result: Result) -> str:
    if result.mismatches:
        return "MISMATCH"
    return "deviation" if result.deviations else "ok"


def _request(result: Result) -> str:
    probe = result.probe
    shown = f"from {probe.origin}" if probe.origin is not None else "without Origin"
    method = probe.method
    if probe.preflight:
        asked = probe.requested_headers
        method = f"preflight {probe.requested_method}" + (f" ({', '.join(asked)})" if asked else "")
    mode = ", credentials" if probe.credentials else ""
    return f"{method} {probe.path} {shown}{mode}"


def summary(results: Sequence[Result], sent: int) -> dict[str, int]:
    return {
        "probes": len(results),
        "requests": sent,
        "mismatches": sum(1 for result in results if result.mismatches),
        "deviations": sum(1 for result in results if result.deviations and not result.mismatches),
    }


def text(results: Sequence[Result], server: Server, sent: int) -> str:
    """A line per probe, then each mismatch in detail, then the totals."""
    lines = [f"corsc probe {server.origin}"]
    for result in results:
        lines.append(f"  {_status(result):<9} {result.probe.policy or '-':<12} {_request(result)}")
    for result in results:
        if not result.mismatches and not result.deviations:
            continue
        lines += ["", f"{_status(result)}: {_request(result)} — {result.probe.purpose}"]
        lines += [f"  {mismatch.text}" for mismatch in result.mismatches]
        for deviation in result.deviations:
            lines += [f"  {deviation.mismatch.text}", f"    declared: {deviation.declared}"]
        if not result.mismatches:
            continue
        lines.append(f"  server answered {result.reply.status}:")
        lines += [f"    {name}: {value}" for name, value in _cors_headers(result.reply.headers)]
        lines.append(f"  the policy answers {result.expected_status}:")
        lines += [f"    {name}: {value}" for name, value in result.expected_headers]
        lines.append(f"    because {result.expected.reason}")
        lines.append(f"  replay: {server.curl(result.probe)}")
    counts = summary(results, sent)
    lines += [
        "",
        f"{counts['probes']} probes ({counts['requests']} requests): "
        f"{counts['mismatches']} mismatches, {counts['deviations']} declared deviations",
    ]
    return "\n".join(lines) + "\n"


def _record(result: Result, server: Server) -> dict[str, object]:
    probe = result.probe
    return {
        "policy": probe.policy,
        "path": probe.path,
        "purpose": probe.purpose,
        "request": {
            "method": probe.method,
            "headers": [list(pair) for pair in server.fields(probe)],
            "credentials": probe.credentials,
            "curl": server.curl(probe),
        },
        "status": _status(result).lower(),
        "received": {
            "status": result.reply.status,
            "headers": [list(pair) for pair in _cors_headers(result.reply.headers)],
            "allowed": result.server.allowed,
        },
        "policy_says": {
            "status": result.expected_status,
            "headers": [list(pair) for pair in result.expected_headers],
            "allowed": result.policy.allowed,
            "reason": result.expected.reason,
        },
        "mismatches": [
            {"aspect": item.aspect.value, "message": item.text} for item in result.mismatches
        ],
        "deviations": [
            {
                "aspect": item.mismatch.aspect.value,
                "message": item.mismatch.text,
                "declared": item.declared,
            }
            for item in result.deviations
        ],
    }


def json_text(results: Sequence[Result], server: Server, sent: int) -> str:
    document = {
        "server": server.origin,
        "summary": summary(results, sent),
        "results": [_record(result, server) for result in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def junit(results: Sequence[Result], server: Server, sent: int) -> str:
    """One ``testsuite``; a ``testcase`` per probe (``classname`` the policy and path), a
    ``failure`` per mismatching one; a declared deviation passes, its text in ``system-out``."""
    counts = summary(results, sent)
    suite = ElementTree.Element(
        "testsuite",
        name=f"corsc probe {server.origin}",
        tests=str(counts["probes"]),
        failures=str(counts["mismatches"]),
        errors="0",
        skipped="0",
    )
    for result in results:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"{result.probe.policy or '-'} {result.probe.path}",
            name=f"{result.probe.purpose}: {_request(result)}",
        )
        if result.mismatches:
            failure = ElementTree.SubElement(
                case, "failure", message="; ".join(item.text for item in result.mismatches)
            )
            failure.text = "\n".join(
                [
                    f"server answered {result.reply.status}: "
                    + "; ".join(f"{n}: {v}" for n, v in _cors_headers(result.reply.headers)),
                    f"policy answers {result.expected_status}: "
                    + "; ".join(f"{n}: {v}" for n, v in result.expected_headers),
                    f"because {result.expected.reason}",
                    f"replay: {server.curl(result.probe)}",
                ]
            )
        elif result.deviations:
            out = ElementTree.SubElement(case, "system-out")
            out.text = "\n".join(
                f"{item.mismatch.text} (declared: {item.declared})" for item in result.deviations
            )
    ElementTree.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(suite, encoding="unicode")
        + "\n"
    )


WRITERS = {"text": text, "json": json_text, "junit": junit}
