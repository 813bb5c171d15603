"""``corsc targets [NAME…]``: every target (or the ones named) with its capability table,
declared deviations and options."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from corsc.commands.common import EXIT_OK, backend_for


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("targets", help="list the targets and what they can express")
    sub.add_argument(
        "names", nargs="*", metavar="NAME", help="show only these targets (aliases too)"
    )
    sub.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from corsc.backends import backends
    from corsc.capabilities import Feature

    chosen = [backend_for(name) for name in args.names]
    rows: list[dict[str, Any]] = []
    for backend in backends():
        if chosen and backend not in chosen:
            continue
        rows.append(
            {
                "names": list(backend.names),
                "summary": backend.summary,
                "capabilities": [
                    {
                        "feature": feature.name.lower(),
                        "description": feature.value,
                        "support": backend.capabilities[feature].support.value,
                        "note": backend.capabilities[feature].note,
                    }
                    for feature in Feature
                ],
                "deviations": list(backend.deviations),
                "options": [
                    {"key": o.key, "help": o.help, "default": o.default, "choices": list(o.choices)}
                    for o in backend.options
                ],
            }
        )
    if args.format == "json":
        sys.stdout.write(json.dumps({"version": 2, "targets": rows}, indent=2) + "\n")
        return EXIT_OK
    lines = []
    for row in rows:
        names = row["names"]
        lines.append(
            f"{names[0]}" + (f" (alias: {', '.join(names[1:])})" if len(names) > 1 else "")
        )
        lines.append(f"  {row['summary']}")
        for capability in row["capabilities"]:
            note = f" — {capability['note']}" if capability["note"] else ""
            lines.append(f"    {capability['support']:<12} {capability['description']}{note}")
        for deviation in row["deviations"]:
            lines.append(f"    note         {deviation}")
        for option in row["options"]:
            default = f" (default {option['default']})" if option["default"] else ""
            lines.append(f"    -O {option['key']}=…  {option['help']}{default}")
        lines.append("")
    sys.stdout.write("\n".join(lines))
    return EXIT_OK
