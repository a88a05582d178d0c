"""Rules about how much an identity can do: admin-equivalence, escalation, unused privilege,
human standing admin, and toxic combinations of actions."""

from __future__ import annotations

from typing import Iterable

from ciem.findings.config import ToxicCombination
from ciem.findings.context import ScanContext
from ciem.findings.model import Hit, Usage
from ciem.findings.rules.common import MAX_ACTIONS_LISTED, action_names, actions_usage
from ciem.findings.scoring import CONDITION_FACTOR, path_exploitability
from ciem.model import AccessLevel, Edge, EdgeKind, IdentityKind
from ciem.patterns import glob_match, literal_prefix
from ciem.reachability import shortest_paths

# Edges that are access as designed (a trust relationship, a credential grant), as opposed to
# escalation through a permission that was never meant to confer the target's privileges.
DESIGNED_KINDS = frozenset({EdgeKind.ASSUME, EdgeKind.IMPERSONATE})


def _paths_by_source(ctx: ScanContext, designed_only: bool) -> dict[str, list[tuple[Edge, ...]]]:
    """For every identity that reaches some admin-equivalent identity: one shortest path per admin
    it reaches (in walking order), shortest first. ``designed_only`` walks assume and impersonate
    edges only."""
    steps = ctx.index.incoming_steps(DESIGNED_KINDS) if designed_only else ctx.index.steps_in
    by_source: dict[str, list[tuple[Edge, ...]]] = {}
    for admin in sorted(ctx.index.admin):
        found = ctx.index.edges_along(shortest_paths((admin,), ctx.config.max_hops, steps))
        for source, path in found.items():
            if path:
                by_source.setdefault(source, []).append(tuple(reversed(path)))
    for paths in by_source.values():
        paths.sort(key=lambda path: (len(path), path[-1].target))
    return by_source


def _admin_usage(ctx: ScanContext, identity) -> tuple[Usage, str]:
    """Admin access counts as used when the identity used any write or permissions action."""
    catalog = ctx.catalog(identity)
    privileged = catalog.access_level_bits(AccessLevel.PERMISSIONS_MANAGEMENT) | catalog.access_level_bits(AccessLevel.WRITE)
    return actions_usage(ctx, identity, privileged)


class AdminEquivalentRule:
    id = "admin-equivalent"
    title = "Admin-equivalent identity"
    rationale = (
        "An identity that holds, or can assume without escalating, access equivalent to full "
        "administration can undo every other control; each one should be known, few, and used."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        designed = _paths_by_source(ctx, designed_only=True)
        for identity in ctx.acting_identities():
            reason = ctx.index.admin.get(identity.id)
            paths = () if reason is not None else tuple(designed.get(identity.id, ())[: ctx.config.max_paths_per_finding])
            if reason is None and not paths:
                continue
            if reason is not None:
                exploitability, how = 1.0, "held directly"
                via = {"reason": reason}
            else:
                exploitability, how = path_exploitability(paths)
                via = {"via": sorted({path[-1].target for path in paths})}
            usage, usage_reason = _admin_usage(ctx, identity)
            yield Hit(
                subject=identity.id,
                title=f"{identity.name} is admin-equivalent ({'directly' if reason else 'through assumable identities'})",
                impact=1.0, impact_reason="full administration",
                exploitability=exploitability, exploitability_reason=how,
                usage=usage, details={**via, "usage_evidence": usage_reason}, paths=paths,
            )


class PrivilegeEscalationRule:
    id = "privilege-escalation-path"
    title = "Privilege escalation to admin-equivalent access"
    rationale = (
        "An identity that can turn a permission (pass a role to compute it creates, rewrite a "
        "policy, mint a credential) into admin-equivalent access is an administrator in all but "
        "name, and rarely reviewed as one."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        designed = _paths_by_source(ctx, designed_only=True)
        every = _paths_by_source(ctx, designed_only=False)
        for identity in ctx.acting_identities():
            if identity.id in ctx.index.admin or identity.id in designed or identity.id not in every:
                continue
            paths = tuple(every[identity.id][: ctx.config.max_paths_per_finding])
            exploitability, how = path_exploitability(paths)
            methods = sorted({edge.method for path in paths for edge in path if edge.kind is EdgeKind.ESCALATE})
            usage, usage_reason = actions_usage(
                ctx, identity, ctx.catalog(identity).bits_of(p for path in paths for p in path[0].permissions)
            )
            yield Hit(
                subject=identity.id,
                title=f"{identity.name} can escalate to admin-equivalent access ({len(paths)} path{'s' if len(paths) != 1 else ''})",
                impact=1.0, impact_reason="reaches full administration",
                exploitability=exploitability, exploitability_reason=how,
                usage=usage,
                details={"methods": methods, "targets": sorted({p[-1].target for p in paths}), "usage_evidence": usage_reason},
                paths=paths,
            )


class HumanStandingAdminRule:
    id = "human-standing-admin"
    title = "Human identity with standing admin access"
    rationale = (
        "A person's credential that is admin-equivalent at all times is the most phished and reused "
        "kind; humans should reach admin just in time (an assumed role, an eligible assignment)."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            reason = ctx.index.admin.get(identity.id)
            if identity.kind is not IdentityKind.USER or not identity.human or reason is None:
                continue  # a role a person assumes is not standing access
            if ctx.provider_managed(identity):
                continue  # an account's root user: its credentials have their own rules
            standing = [g for g in ctx.index.grants_of(identity.id) if not g.potential]
            if not standing:
                continue  # eligible only: activation is just in time
            usage, usage_reason = _admin_usage(ctx, identity)
            yield Hit(
                subject=identity.id,
                title=f"{identity.name} is a human with standing admin access",
                impact=1.0, impact_reason="full administration",
                exploitability=1.0, exploitability_reason="standing, no activation needed",
                usage=usage, details={"reason": reason, "usage_evidence": usage_reason},
            )


class UnusedPrivilegedAccessRule:
    id = "unused-privileged-access"
    title = "Unused high-privilege access"
    rationale = (
        "Permissions management, escalation-capable and credential-minting actions, and write access "
        "to sensitive services that an identity did not use in the window are pure risk: removing "
        "them breaks nothing that ran."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            if identity.id in ctx.index.admin or ctx.provider_managed(identity):
                continue  # reported, with its usage, as admin-equivalent; or not the estate's to narrow
            catalog = ctx.catalog(identity)
            sure, conditional = ctx.held(identity.id)
            privileged = (sure | conditional) & ctx.privileged_bits(catalog)
            if not privileged:
                continue
            observed = ctx.used_actions(identity)
            if observed is None:
                usage, _ = ctx.identity_usage(identity)
                if usage is not Usage.UNUSED:
                    continue  # which actions were used is unknown: never reported as unused
                observed = (0, 0)
            used, not_judged = observed
            unused = privileged & ~used & ~not_judged
            if not unused:
                continue
            names = action_names(ctx, identity, unused)
            management = unused & catalog.access_level_bits(AccessLevel.PERMISSIONS_MANAGEMENT)
            only_conditional = not (unused & sure)
            yield Hit(
                subject=identity.id,
                title=f"{identity.name} has {len(names)} unused high-privilege action{'s' if len(names) != 1 else ''}",
                impact=0.8 if management else 0.6,
                impact_reason="permissions management" if management else "write access to sensitive services",
                exploitability=CONDITION_FACTOR if only_conditional else 1.0,
                exploitability_reason="conditional grants only" if only_conditional else "granted unconditionally",
                usage=Usage.UNUSED,
                details={
                    "unused_actions": names[:MAX_ACTIONS_LISTED],
                    "unused_count": len(names),
                    "services": sorted({name.split(":", 1)[0] for name in names}),
                },
            )


def _patterns_overlap(first: str, second: str) -> bool:
    """Whether two resource patterns can match one common resource (literal prefixes agree, or one
    pattern matches the other read literally)."""
    if glob_match(first, second) or glob_match(second, first):
        return True
    a, b = literal_prefix(first), literal_prefix(second)
    literal_a, literal_b = a == first, b == second
    if literal_a or literal_b:
        return False
    return a.startswith(b) or b.startswith(a)


class ToxicCombinationRule:
    """Separation of duties: one identity holding an action from every group of a combination."""

    def __init__(self, combination: ToxicCombination, source: str = "core"):
        self.combination = combination
        self.id = f"toxic-combination:{combination.id}"
        self.title = combination.title
        self.rationale = combination.rationale
        self.source = source

    def _grants_per_group(self, ctx: ScanContext, identity) -> list[list[tuple[object, int, int]]] | None:
        catalog = ctx.catalog(identity)
        groups = []
        for patterns in self.combination.all_of:
            wanted = catalog.bits_of(patterns)
            found = []
            for grant in ctx.index.grants_of(identity.id):
                sure, conditional, _ = ctx.index.effective_bits(grant)
                if (sure | conditional) & wanted:
                    found.append((grant, sure & wanted, conditional & wanted))
            if not found:
                return None
            groups.append(found)
        return groups

    def _common_resource(self, groups) -> bool:
        first, *rest = groups
        for grant, _, _ in first:
            if all(any(any(_patterns_overlap(a, b) for a in grant.resources.include for b in other.resources.include)
                       for other, _, _ in group) for group in rest):
                return True
        return False

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            if identity.id in ctx.index.admin:
                continue  # an admin holds every combination; reported as admin-equivalent
            groups = self._grants_per_group(ctx, identity)
            if groups is None or (self.combination.same_resource and not self._common_resource(groups)):
                continue
            catalog = ctx.catalog(identity)
            held = [sorted(catalog.names(_or(s | c for _, s, c in group))) for group in groups]
            conditional = any(not _or(s for _, s, _ in group) for group in groups)
            usage, usage_reason = actions_usage(ctx, identity, catalog.bits_of(n for names in held for n in names))
            yield Hit(
                subject=identity.id,
                title=f"{identity.name}: {self.combination.title}",
                impact=0.8, impact_reason="separation of duties broken",
                exploitability=CONDITION_FACTOR if conditional else 1.0,
                exploitability_reason="some duties only on conditions" if conditional else "every duty held unconditionally",
                usage=usage,
                key={"combination": self.combination.id},
                details={"actions": held, "usage_evidence": usage_reason},
            )


def _or(values: Iterable[int]) -> int:
    total = 0
    for value in values:
        total |= value
    return total
