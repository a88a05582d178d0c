"""Rules about access from outside the estate: broad or out-of-organization trust, unused trust, and
public access through resource policies.

External principals are identities of kind EXTERNAL; their ``attributes["external"]`` says how far
they reach (``public``: anyone; ``account``: every principal of another account or tenant;
``principal``: one named principal) and ``attributes["in_organization"]`` whether they belong to the
estate's organization (absent when unknown).
"""

from __future__ import annotations

from typing import Iterable

from ciem.findings.context import ScanContext
from ciem.findings.model import Hit, Usage
from ciem.findings.rules.common import identity_impact
from ciem.findings.scoring import CONDITION_FACTOR, identity_exposure
from ciem.model import AccessLevel, Edge, Identity, IdentityKind

BROAD_SCOPES = frozenset({"public", "account"})


def external_trust(ctx: ScanContext) -> Iterable[tuple[Edge, Identity, Identity]]:
    """Every edge from an external principal into the estate: (edge, source, target)."""
    for source_id in sorted(ctx.index.edge_sources()):
        source = ctx.index.identities.get(source_id)
        if source is None or source.kind is not IdentityKind.EXTERNAL:
            continue
        for edge in ctx.index.edges_from(source_id):
            target = ctx.index.identities.get(edge.target)
            if target is not None and target.kind is not IdentityKind.EXTERNAL:
                yield edge, source, target


def _trust_hit(ctx: ScanContext, edge: Edge, source: Identity, target: Identity, title: str, usage: Usage,
               usage_reason: str, **details) -> Hit:
    impact, impact_reason = identity_impact(ctx, target)
    exposure, exposure_reason = identity_exposure(source)
    return Hit(
        subject=target.id, title=title,
        impact=impact, impact_reason=impact_reason,
        exploitability=CONDITION_FACTOR if edge.conditions else 1.0,
        exploitability_reason=f"conditions: {', '.join(edge.conditions)}" if edge.conditions else "no condition",
        usage=usage, key={"trusted": source.id, "method": edge.method},
        details={"conditions": list(edge.conditions), "provenance": list(edge.provenance),
                 "usage_evidence": usage_reason, **details},
        paths=((edge,),), exposure=exposure, exposure_reason=exposure_reason,
    )


class BroadExternalTrustRule:
    id = "broad-external-trust"
    title = "Trust to a whole other account, or to anyone, without a narrowing condition"
    rationale = (
        "Trusting another account's root or every principal lets whoever administers that account "
        "(or anyone at all) decide who gets in; without a condition such as an external id or an "
        "organization check there is nothing to stop a confused deputy or a stranger."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for edge, source, target in external_trust(ctx):
            if edge.conditions or source.attributes.get("external") not in BROAD_SCOPES:
                continue
            usage, reason = ctx.identity_usage(target)
            yield _trust_hit(ctx, edge, source, target,
                             f"{target.name} trusts {source.name} with no condition", usage, reason,
                             scope=source.attributes.get("external"))


class TrustOutsideOrganizationRule:
    id = "trust-outside-organization"
    title = "Trust to a principal outside the organization"
    rationale = (
        "Every trust that leaves the organization hands part of its security to someone else's "
        "controls; each such trust should be known, owned, and narrow."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for edge, source, target in external_trust(ctx):
            if source.attributes.get("in_organization") is not False:
                continue  # inside, or not known
            usage, reason = ctx.identity_usage(target)
            yield _trust_hit(ctx, edge, source, target,
                             f"{target.name} trusts {source.name}, outside the organization", usage, reason)


class UnusedTrustRule:
    id = "unused-trust"
    title = "Trust from outside that was not used in the window"
    rationale = "A trust nobody exercised is an open door with no traffic: close it, nothing breaks."

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for edge, source, target in external_trust(ctx):
            usage, reason = ctx.identity_usage(target)
            if usage is not Usage.UNUSED:
                continue
            yield _trust_hit(ctx, edge, source, target,
                             f"{target.name} trusts {source.name} but was not used in {ctx.config.usage_window_days} days",
                             usage, reason)


def _access_impact(catalog, bits: int, sensitive: bool) -> tuple[float, str]:
    if bits & (catalog.access_level_bits(AccessLevel.PERMISSIONS_MANAGEMENT) | catalog.access_level_bits(AccessLevel.WRITE)):
        return 0.9, "write or permissions management"
    if bits & catalog.access_level_bits(AccessLevel.READ):
        return (0.9, "read of a sensitive resource") if sensitive else (0.6, "read")
    return 0.3, "list or tagging only"


class PublicAccessRule:
    id = "public-access"
    title = "Public or anonymous access through a resource policy"
    rationale = (
        "A resource policy that allows anyone turns every secret in the resource into public data, "
        "and every write into an open inbox."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for holder in sorted(ctx.index.identities):
            identity = ctx.index.identities[holder]
            if identity.kind is not IdentityKind.EXTERNAL or identity.attributes.get("external") != "public":
                continue
            catalog = ctx.catalog(identity)
            for grant in ctx.index.grants_of(holder):
                sure, conditional, conditions = ctx.index.effective_bits(grant)
                bits = sure | conditional
                if not bits:
                    continue
                resources = grant.resources.include
                known = [ctx.index.resources[r] for r in resources if r in ctx.index.resources]
                sensitive = any(ctx.is_sensitive(r) for r in known)
                impact, impact_reason = _access_impact(catalog, bits, sensitive)
                subject = " | ".join(resources)
                yield Hit(
                    subject=subject, subject_type="resource",
                    title=f"{subject} is open to anyone ({', '.join(catalog.names(bits)[:5])}{'...' if bits.bit_count() > 5 else ''})",
                    impact=impact, impact_reason=impact_reason,
                    exploitability=CONDITION_FACTOR if not sure else 1.0,
                    exploitability_reason=f"conditions: {', '.join(conditions)}" if not sure else "no condition",
                    usage=Usage.UNKNOWN, key={"principal": holder},
                    details={"actions": sorted(catalog.names(bits)), "conditions": list(conditions),
                             "provenance": list(grant.provenance)},
                    provider=identity.provider, account=known[0].account if known else "",
                    exposure=1.0, exposure_reason="anyone, unauthenticated",
                )
