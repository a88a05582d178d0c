"""Admin-equivalence, decided per principal (the core adds what is reachable over edges).

A principal is admin-equivalent when either

* **all-powerful**: after every layer it is allowed, unconditionally and on every resource (``*``),
  every action its account's SCPs leave allowed to anyone (all actions in an account without SCPs,
  in the management account and for service-linked roles), with no unconditional explicit deny
  left on any of them. Conditional denies (MFA required, say) do not prevent it; the reason names
  their keys. An account's root user is all-powerful by construction; or
* **self-escalating**: it can, unconditionally, give itself arbitrary permissions: put or attach
  (AdministratorAccess) a policy on itself, on a group it is in or on a role it can assume
  unconditionally; write a new default version of a customer managed policy that applies to any of
  those; make an older version that allows ``*`` the default; or create a role trusting itself
  with AdministratorAccess. Where a permissions boundary caps the holder, it must also be able to
  delete that boundary. See ciem_aws.escalation.iam.
"""

from __future__ import annotations

from typing import Iterable

from ciem_aws.resolve.grants import Effective, Layers


def all_powerful_reason(layers: Layers, effective: Effective) -> str | None:
    principal = effective.principal
    if principal.kind == "root":
        return "account root user: every action its account's SCPs allow"
    ceiling = layers.ceiling_bits(principal)
    if not ceiling:
        return None
    bits = 0
    labels: list[str] = []
    for item in effective.allows:
        if item.unconditional and item.everywhere and item.bits & ceiling:
            bits |= item.bits
            labels.extend(item.provenance)
    if bits & ceiling != ceiling:
        return None
    if any(deny.unconditional for deny in effective.denies):
        return None
    conditional = sorted({key for deny in effective.denies for key in deny.keys})
    reason = f"allowed every action on every resource ({', '.join(dict.fromkeys(labels))})"
    if conditional:
        reason += f", except where conditional denies apply (keys: {', '.join(conditional)})"
    return reason


def admin_reasons(layers: Layers, principals: Iterable[Effective]) -> dict[str, str]:
    out: dict[str, str] = {}
    for effective in principals:
        reason = all_powerful_reason(layers, effective)
        if reason is not None:
            out[effective.principal.arn] = reason
    return out
