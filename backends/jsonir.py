"""The ``json`` target: the resolved IR, for other tools.

Key order is stable (IR field order); spans are included so tools can point back into the
policy. The provenance is the first key, ``generated_by``.
"""

from __future__ import annotations

import json

from corsc.backends import Capability, EmitOptions, Option, OutputFile

from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet, to_data
from corsc.output import provenance

FORMAT_VERSION = 1


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
            "policy_set": to_data(policy_set),
        }
        content = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        stem = policy_set.file.rsplit("/", 1)[-1].removesuffix(".cors") or "policy"
        return [OutputFile(f"{stem}.json", content, "anywhere a tool reads it", comment="")]


BACKEND = JsonBackend()
