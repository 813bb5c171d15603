"""``corsc probe``: ask a live server the requests that decide a policy, and compare each
answer with the policy's as a browser would judge it.

Exit codes: 0 every verdict matches (declared deviations of ``--target`` allowed); 1 a mismatch
(or the policy has errors); 2 a usage error, an unreadable policy, or a server that could not
be asked (connection refused, timeout, TLS failure).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import attrs

from corsc.commands.common import (
    EXIT_OK,
    EXIT_POLICY,
    UsageError,
    add_set,
    backend_for,
    load_usable,
)

if TYPE_CHECKING:
    from corsc.probe.client import Server

#: At most this many requests unless ``--max-requests`` says otherwise.
DEFAULT_MAX_REQUESTS = 1000

#: Requests per second unless ``--rate`` says otherwise.
DEFAULT_RATE = 20.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser(
        "probe", help="send a live server the requests that decide a policy and judge its answers"
    )
    sub.add_argument("url", metavar="URL", help="the server: scheme, host and port")
    sub.add_argument("file", metavar="POLICY", help="the policy file the server should follow")
    add_set(sub)
    sub.add_argument("--policy", help="probe only the policy called NAME", metavar="NAME")
    sub.add_argument(
        "--target",
        help="accept the deviations target T declares (`corsc targets` lists them)",
        metavar="T",
    )
    sub.add_argument("--format", choices=("text", "json", "junit"), default="text")
    sub.add_argument(
        "--timeout", type=float, default=10.0, metavar="S", help="seconds per request (10)"
    )
    sub.add_argument(
        "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    sub.add_argument(
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="NAME:VALUE",
        help="a header sent with every request, e.g. for a gateway's auth (repeatable)",
    )
    sub.add_argument(
        "--resolve",
        metavar="HOST:IP",
        help="connect to IP for HOST (Host and TLS keep the name)",
    )
    sub.add_argument(
        "--max-requests",
        type=int,
        default=DEFAULT_MAX_REQUESTS,
        metavar="N",
        help=f"refuse to send more than N requests ({DEFAULT_MAX_REQUESTS})",
    )
    sub.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        metavar="R",
        help=f"at most R requests per second ({DEFAULT_RATE:g}; 0: no limit)",
    )


def _extra_headers(raw: list[str]) -> tuple[tuple[str, str], ...]:
    from corsc import http

    found = []
    for item in raw:
        name, colon, value = item.partition(":")
        name = name.strip()
        if not colon or not http.is_token(name) or any(c in value for c in "\r\n\0"):
            raise UsageError(f"--header `{item}`: write NAME: VALUE")
        if name.lower() in ("origin", "host") or name.lower().startswith("access-control-"):
            raise UsageError(f"--header `{item}`: corsc probe sets {name} itself")
        found.append((name, value.strip()))
    return tuple(found)


def _server(args: argparse.Namespace) -> Server:
    """The server of the URL, with the options that say how to reach it."""
    from corsc.probe.client import ProbeError, Server

    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    try:
        server = Server.of(args.url)
    except ProbeError as error:
        raise UsageError(str(error)) from None
    address = None
    if args.resolve is not None:
        # HOST:IP, the IP possibly an IPv6 address (with or without brackets).
        host, colon, address = args.resolve.partition(":")
        if not colon or host.lower() != server.host.lower() or not address:
            raise UsageError(f"--resolve `{args.resolve}`: write {server.host}:IP")
        address = address.strip("[]")
    return attrs.evolve(
        server,
        address=address,
        extra=_extra_headers(args.headers),
        insecure=args.insecure,
        timeout=args.timeout,
    )


def run(args: argparse.Namespace) -> int:
    from corsc.evaluate import Evaluator
    from corsc.probe import plan, report, session
    from corsc.probe.client import ProbeError, Sender, distinct_requests

    server = _server(args)
    if args.target is not None:
        backend_for(args.target)
    if args.rate < 0 or args.max_requests < 1:
        raise UsageError("--rate must be 0 or more and --max-requests at least 1")
    policy_set = load_usable(args.file, args.overrides)
    if isinstance(policy_set, int):
        return policy_set
    evaluator = Evaluator(policy_set)
    try:
        probes = plan.probes(evaluator, args.policy)
    except KeyError:
        names = ", ".join(policy.name for policy in policy_set.policies)
        raise UsageError(f"--policy {args.policy}: the file's policies are {names}") from None
    needed = distinct_requests(probes)
    if needed > args.max_requests:
        raise UsageError(
            f"probing this policy takes {needed} requests, more than --max-requests "
            f"{args.max_requests}; raise it or probe one --policy at a time"
        )
    sender = Sender(server, 1 / args.rate if args.rate else 0.0)
    try:
        results = session.run(evaluator, probes, sender, args.target)
    except ProbeError as error:
        raise UsageError(f"cannot probe the server: {error}") from None
    sys.stdout.write(report.WRITERS[args.format](results, server, sender.sent))
    return EXIT_POLICY if any(result.mismatches for result in results) else EXIT_OK
