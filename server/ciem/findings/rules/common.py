"""Helpers several rule families share: what an identity's access is worth, and usage of a set of
actions."""

from __future__ import annotations

from ciem.findings.context import ScanContext
from ciem.findings.model import Usage
from ciem.model import AccessLevel, Identity

MAX_ACTIONS_LISTED = 25


def identity_impact(ctx: ScanContext, identity: Identity) -> tuple[float, str]:
    """What holding this identity's credential makes reachable, as an impact value."""
    if identity.id in ctx.index.admin:
        return 1.0, "admin-equivalent"
    if identity.id in ctx.facts.path_to_admin:
        return 0.9, "can reach admin-equivalent access"
    catalog = ctx.catalog(identity)
    sure, conditional = ctx.held(identity.id)
    held = sure | conditional
    if held & ctx.privileged_bits(catalog):
        return 0.7, "holds high-privilege actions"
    if identity.id in ctx.sensitive_access:
        return 0.6, "can act on sensitive resources"
    if held & catalog.access_level_bits(AccessLevel.WRITE):
        return 0.4, "holds write actions"
    if held:
        return 0.2, "holds read or list actions only"
    return 0.1, "holds no actions"


def actions_usage(ctx: ScanContext, identity: Identity, bits: int) -> tuple[Usage, str]:
    """Whether any of ``bits`` was used in the window, from action-level activity when covered,
    else from the identity's own usage: an identity unused in the window used none of its actions."""
    observed = ctx.used_actions(identity)
    if observed is not None:
        used, not_judged = observed
        if used & bits:
            names = ctx.catalog(identity).names(used & bits)[:5]
            return Usage.USED, "used " + ", ".join(names)
        if not_judged & bits:
            return Usage.UNKNOWN, "the logs name only the service of some of these actions"
        return Usage.UNUSED, f"none used in the {ctx.config.usage_window_days}-day window"
    usage, reason = ctx.identity_usage(identity)
    if usage is Usage.UNUSED:
        return Usage.UNUSED, reason
    return Usage.UNKNOWN, "which actions were used is not known" if usage is Usage.USED else reason


def action_names(ctx: ScanContext, identity: Identity, bits: int) -> list[str]:
    return sorted(ctx.catalog(identity).names(bits))
