"""Access to sensitive resources that is never used."""

from __future__ import annotations

from typing import Iterable

from ciem.findings.context import ScanContext
from ciem.findings.model import Hit, Usage
from ciem.findings.scoring import CONDITION_FACTOR
from ciem.model import AccessLevel, IdentityKind, Sensitivity

_IMPACT = {Sensitivity.CRITICAL: 0.8, Sensitivity.HIGH: 0.6}
_SELECTED_IMPACT = 0.5  # sensitive by type or tag only


class UnusedSensitiveAccessRule:
    id = "unused-sensitive-access"
    title = "Access to a sensitive resource that is never used"
    rationale = (
        "Who can read the payroll bucket or the signing key should be exactly who does; access "
        "nobody exercised in the window is exposure without purpose."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity_id in sorted(ctx.sensitive_access):
            identity = ctx.index.identities[identity_id]
            if identity.kind in (IdentityKind.EXTERNAL, IdentityKind.GROUP):
                continue
            for resource_id, entry in sorted(ctx.sensitive_access[identity_id].items()):
                if resource_id in ctx.index.identities:
                    continue  # access to an identity is a path: the admin and escalation rules' subject
                actions = [a.name for a in entry.actions if a.access_level != AccessLevel.LIST.value]
                if not actions:
                    continue  # listing metadata only
                if ctx.resource_usage(identity, resource_id) is not Usage.UNUSED:
                    continue  # used, or not known
                resource = ctx.index.resources[resource_id]
                impact = _IMPACT.get(Sensitivity(resource.sensitivity), _SELECTED_IMPACT)
                level = Sensitivity(resource.sensitivity).name.lower()
                yield Hit(
                    subject=identity.id,
                    title=f"{identity.name} can act on {resource.type} {resource.name or resource_id} and never did",
                    impact=impact,
                    impact_reason=f"{level} sensitivity" if impact != _SELECTED_IMPACT else "sensitive by type or tag",
                    exploitability=CONDITION_FACTOR if entry.conditional else 1.0,
                    exploitability_reason="conditional" if entry.conditional else "unconditional",
                    usage=Usage.UNUSED,
                    key={"resource": resource_id},
                    details={"actions": actions[:25], "provenance": list(entry.provenance)},
                )
