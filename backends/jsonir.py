"""The ``json`` target: the resolved IR, for other tools.

Key order is stable (IR field order). Spans are included so tools can point back into the
policy. The provenance is the first key, ``generated_by``. An entry's ``grant`` is written only
when it differs from its policy's (an ``origin`` block); ``null`` means "the policy's grant",
which keeps a policy with thousands of origins small.
"""

from __future__ import annotations

import json

from corsc.backends import Capability, EmitOptions, Option, OutputFile
from corsc.diagnostics import Diagnostic
from corsc.ir import Policy, PolicySet, to_data
from corsc.output import provenance

FORMAT_VERSION = 1


def policy_data(policy: Policy) -> dict[str, object]:
    return {
        "name": policy.name,
        "span": to_data(policy.span),
        "paths": to_data(policy.paths),
        "static_origin": policy.static_origin,
        "unlisted": to_data(policy.unlisted),
        "preflight_status": to_data(policy.preflight_status),
        "grant": to_data(policy.grant),
        "denies": to_data(policy.denies),
        "entries": [
            {
                "pattern": to_data(entry.pattern),
                "canonical": entry.pattern.canonical,
                "block": entry.block,
                "span": to_data(entry.span),
                "grant": None if entry.grant is policy.grant else to_data(entry.grant),
            }
            for entry in policy.entries
        ],
    }


class JsonBackend:
    names = ("json",)
    summary = "the resolved policy as JSON, for other tools"
    capabilities = (Capability("every language feature", "yes", "the IR, resolved and canonical"),)
    options: tuple[Option, ...] = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        return []

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        document = {
            "generated_by": provenance(
                options.version, options.source_name, options.target, policy_set
            ),
            "format": FORMAT_VERSION,
            "file": policy_set.file,
            "policies": [policy_data(policy) for policy in policy_set.policies],
        }
        content = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
        stem = policy_set.file.rsplit("/", 1)[-1].removesuffix(".cors") or "policy"
        return [OutputFile(f"{stem}.json", content, "anywhere a tool reads it", comment="")]


BACKEND = JsonBackend()
