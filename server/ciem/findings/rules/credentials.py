"""Rules about identities and their credentials: unused identities, unused and old access keys,
password sign-in without MFA.

They read the provider-neutral attributes docs/findings.md lists (``access_keys``,
``password_enabled``, ``mfa``, ``last_used``, ``password_last_used``, ``created``) and stay silent
where the export does not say.
"""

from __future__ import annotations

from typing import Iterable

from ciem.findings.context import ScanContext, attribute_list, parse_time
from ciem.findings.model import Hit, Usage
from ciem.findings.rules.common import identity_impact
from ciem.model import IdentityKind

class UnusedIdentityRule:
    id = "unused-identity"
    title = "Unused identity"
    rationale = (
        "An identity nobody used in the window is access without an owner: its credentials can still "
        "be stolen and nobody would notice them being used."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            if ctx.provider_managed(identity) or identity.kind is IdentityKind.FEDERATED:
                continue  # cannot be removed; or acts through the roles it assumes, where use is recorded
            usage, reason = ctx.identity_usage(identity)
            if usage is not Usage.UNUSED:
                continue
            impact, impact_reason = identity_impact(ctx, identity)
            yield Hit(
                subject=identity.id, title=f"{identity.name} was not used in {ctx.config.usage_window_days} days",
                impact=impact, impact_reason=impact_reason,
                exploitability=1.0, exploitability_reason="its own credentials",
                usage=Usage.UNUSED, details={"usage_evidence": reason},
            )


def _keys(ctx: ScanContext, identity):
    """(label, key, issued, last used) of each active key; issued is when it was created or last
    rotated, None when the export does not say."""
    for number, key in enumerate(attribute_list(identity, "access_keys"), start=1):
        if key.get("active") is not True:
            continue
        issued = parse_time(key.get("created")) or parse_time(key.get("last_rotated"))
        yield str(key.get("id") or f"access key {number}"), key, issued, ctx.key_last_used(key)


class UnusedAccessKeyRule:
    id = "unused-access-key"
    title = "Active access key unused in the window"
    rationale = (
        "A long-lived key that is active but unused serves no workload; deactivating it removes a "
        "credential that can leak from old laptops, CI logs and repositories."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            for key_id, key, created, last_used in _keys(ctx, identity):
                if created is None or created >= ctx.window_start or "last_used" not in key:
                    continue  # too young to judge, or the export does not say when it was used
                if last_used is not None and last_used >= ctx.window_start:
                    continue
                impact, impact_reason = identity_impact(ctx, identity)
                since = f"last used {last_used.date().isoformat()}" if last_used else "never used"
                yield Hit(
                    subject=identity.id, title=f"{identity.name}: {key_id} is active and {since}",
                    impact=impact, impact_reason=impact_reason,
                    exploitability=1.0, exploitability_reason="a long-lived secret",
                    usage=Usage.UNUSED, key={"access_key": key_id},
                    details={"created": created.isoformat(), "last_used": last_used.isoformat() if last_used else None},
                    exposure=0.7, exposure_reason="active long-lived access key",
                )


class OldAccessKeyRule:
    id = "old-access-key"
    title = "Active access key older than the maximum age"
    rationale = (
        "The longer a key lives the more places it has been copied to; keys past the rotation age "
        "should be replaced."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        max_age = ctx.config.access_key_max_age_days
        for identity in ctx.acting_identities():
            for key_id, key, created, last_used in _keys(ctx, identity):
                if created is None:
                    continue
                age = (ctx.now - created).days
                if age <= max_age:
                    continue
                impact, impact_reason = identity_impact(ctx, identity)
                recent = last_used is not None and last_used >= ctx.window_start
                yield Hit(
                    subject=identity.id, title=f"{identity.name}: {key_id} was issued {age} days ago",
                    impact=impact, impact_reason=impact_reason,
                    exploitability=1.0, exploitability_reason="a long-lived secret",
                    usage=Usage.USED if recent else Usage.UNUSED if "last_used" in key else Usage.UNKNOWN,
                    key={"access_key": key_id},
                    details={"age_days": age, "max_age_days": max_age},
                    exposure=0.7, exposure_reason="active long-lived access key",
                )


class ConsoleWithoutMfaRule:
    id = "console-without-mfa"
    title = "Password sign-in without MFA"
    rationale = "A password alone is phished, guessed and reused; every interactive sign-in needs a second factor."

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            attributes = identity.attributes
            if attributes.get("password_enabled") is not True or attributes.get("mfa") is not False:
                continue  # no password, MFA on, or the export does not say
            impact, impact_reason = identity_impact(ctx, identity)
            usage, reason = ctx.identity_usage(identity)
            yield Hit(
                subject=identity.id, title=f"{identity.name} signs in with a password and no MFA",
                impact=impact, impact_reason=impact_reason,
                exploitability=1.0, exploitability_reason="a password is enough",
                usage=usage, details={"usage_evidence": reason},
            )
