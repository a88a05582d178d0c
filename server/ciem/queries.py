"""The questions ciem answers, as pure functions of an index.

The gRPC service and the CLI (with or without a server) both call these, so an answer is the same
whichever way it is asked.
"""

from __future__ import annotations

import bisect
import weakref
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable, Mapping, Sequence

import pluggy

from ciem.catalog import PermissionCatalog
from ciem.errors import NotFoundError, QueryError
from ciem.holdings import holdings
from ciem.index import AccessOnResource, EffectiveAccessIndex, IndexedGrant, Memo
from ciem.model import AccessLevel, Decision, Edge, EvaluationRequest, Identity, Sensitivity, pickled_by_fields
from ciem.reachability import bit_positions, closures
from ciem.usage import ACTING_KINDS, DEFAULT_WINDOW_DAYS, usage_of, usage_summary

DEFAULT_MAX_HOPS = 5
MAX_HOPS_LIMIT = 16


@dataclass(frozen=True, slots=True)
class ActionEntry:
    name: str
    service: str
    access_level: str
    conditional: bool


@dataclass(frozen=True, slots=True)
class ActionBits:
    """The actions of one answer as bitsets over their provider's catalog (sure, and allowed only
    under conditions), listed only when asked: a broad grant holds thousands of actions."""

    catalog: PermissionCatalog
    sure: int
    conditional: int

    def entries(self) -> tuple[ActionEntry, ...]:
        return action_entries(self.catalog, self.sure, self.conditional)


def path_is_conditional(path: tuple[Edge, ...], actions: ActionBits) -> bool:
    """An answer is conditional when any step of its path is, or when all of its actions are."""
    return not actions.sure or any(edge.conditions for edge in path)


@dataclass(frozen=True, slots=True)
class HeldAccess:
    """Actions one identity's own grants give on ``resource``: a pattern, or a known resource id."""

    resource: str
    resource_known: bool
    sensitivity: int
    action_bits: ActionBits
    conditions: tuple[str, ...]
    provenance: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReachGroup:
    """What ``via`` holds; ``via`` is ``hops`` edges away (0 for the identity asked about)."""

    via: str
    hops: int
    held: tuple[HeldAccess, ...]


@dataclass(frozen=True, slots=True)
class ReachEntry:
    """One line of a reach answer: ``held`` is ``via``'s, reached by ``path``."""

    via: str
    path: tuple[Edge, ...]
    held: HeldAccess

    resource = property(lambda self: self.held.resource)
    resource_known = property(lambda self: self.held.resource_known)
    sensitivity = property(lambda self: self.held.sensitivity)
    conditions = property(lambda self: self.held.conditions)
    provenance = property(lambda self: self.held.provenance)

    @property
    def actions(self) -> tuple[ActionEntry, ...]:
        return self.held.action_bits.entries()

    @property
    def conditional(self) -> bool:
        return path_is_conditional(self.path, self.held.action_bits)


@dataclass(frozen=True, slots=True)
class ReachResult:
    """Groups run nearest identity first; within a group, most sensitive resource first. ``paths``
    holds the shortest path (edge numbers) to every reachable identity, ``reachable_identities``
    the same paths as edges."""

    identity: Identity
    groups: tuple[ReachGroup, ...]
    index: EffectiveAccessIndex
    paths: Mapping[str, tuple[int, ...]]

    @property
    def reachable_identities(self) -> dict[str, tuple[Edge, ...]]:
        return self.index.edges_along(self.paths)

    @property
    def entries(self) -> tuple[ReachEntry, ...]:
        paths = self.index.edges_along({group.via: self.paths[group.via] for group in self.groups})
        return tuple(ReachEntry(group.via, paths[group.via], held) for group in self.groups for held in group.held)


@dataclass(frozen=True, slots=True)
class WhoCanEntry:
    """``identity`` can act on the resource through ``holder``'s grants, reached by ``path``."""

    identity: Identity
    holder: str
    path: tuple[Edge, ...]
    action_bits: ActionBits
    conditions: tuple[str, ...]
    provenance: tuple[str, ...]

    @property
    def actions(self) -> tuple[ActionEntry, ...]:
        return self.action_bits.entries()

    @property
    def conditional(self) -> bool:
        return path_is_conditional(self.path, self.action_bits)


@dataclass(frozen=True, slots=True)
class WhoCanResult:
    """``holders`` hold grants on ``resource`` themselves (with what each may do there); every other
    identity in ``paths`` can become one, by a shortest path (edge numbers) to its nearest holder.
    ``entries`` lists them all, holders first, then by path length and identity."""

    resource: str
    resource_known: bool
    index: EffectiveAccessIndex
    holders: Mapping[str, AccessOnResource]
    paths: Mapping[str, tuple[int, ...]]

    @property
    def entries(self) -> tuple[WhoCanEntry, ...]:
        index = self.index
        paths = index.edges_along(self.paths)
        entries = []
        for source in sorted(paths, key=lambda source: (len(paths[source]), source)):
            identity = index.identities.get(source)
            if identity is None:
                continue
            path = paths[source]
            holder = path[-1].target if path else source
            access = self.holders[holder]
            actions = ActionBits(index.catalogs[index.identities[holder].provider], access.allowed, access.conditional)
            entries.append(WhoCanEntry(identity, holder, path, actions, access.conditions, access.provenance))
        return tuple(entries)


@dataclass(frozen=True, slots=True)
class ActionFilter:
    """Narrows answers to services, action patterns and access levels (empty means no narrowing)."""

    services: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    access_levels: tuple[str, ...] = ()

    def mask(self, catalog: PermissionCatalog) -> int:
        bits = catalog.all_bits
        if self.services:
            bits &= _union(catalog.service_bits(s) for s in self.services)
        if self.actions:
            bits &= _union(catalog.expand(a) for a in self.actions)
        if self.access_levels:
            bits &= _union(catalog.access_level_bits(_access_level(level)) for level in self.access_levels)
        return bits


def _union(values: Iterable[int]) -> int:
    total = 0
    for value in values:
        total |= value
    return total


def _access_level(text: str) -> AccessLevel:
    for level in AccessLevel:
        if text.lower() in (level.value.lower(), level.name.lower()):
            return level
    names = ", ".join(level.value for level in AccessLevel)
    raise QueryError(f"unknown access level {text!r}; one of: {names}")


def _check_hops(max_hops: int) -> int:
    if not 0 <= max_hops <= MAX_HOPS_LIMIT:
        raise QueryError(f"max_hops must be between 0 and {MAX_HOPS_LIMIT}, not {max_hops}")
    return max_hops


_ENTRIES: "weakref.WeakKeyDictionary[PermissionCatalog, dict[tuple[int, int], tuple[ActionEntry, ...]]]" = (
    weakref.WeakKeyDictionary()
)
_ENTRIES_PER_CATALOG = 4096


def action_entries(catalog: PermissionCatalog, sure: int, conditional: int) -> tuple[ActionEntry, ...]:
    """The actions of two bitsets as sorted entries; equal bitsets recur (one managed policy, many
    holders), so each pair is expanded once per catalog."""
    cache = _ENTRIES.setdefault(catalog, {})
    key = (sure, conditional)
    entries = cache.get(key)
    if entries is None:
        listed = [
            ActionEntry(info.name, info.service, info.access_level.value, False) for info in catalog.infos(sure)
        ] + [ActionEntry(info.name, info.service, info.access_level.value, True) for info in catalog.infos(conditional)]
        listed.sort(key=lambda entry: (entry.service, entry.access_level, entry.name))
        entries = tuple(listed)
        if len(cache) >= _ENTRIES_PER_CATALOG:
            cache.clear()
        cache[key] = entries
    return entries


# -- identities -------------------------------------------------------------------------------------


def resolve_identity(index: EffectiveAccessIndex, identifier: str, manager: pluggy.PluginManager) -> Identity:
    """The identity an alert's identifier names: canonical id, alias, or a provider-specific form
    (a session ARN, say) that a provider normalises."""
    text = identifier.strip()
    if not text:
        raise QueryError("an identifier is required")
    found = index.lookup(text)
    if found is not None:
        return found
    normalized = manager.hook.ciem_normalize_identifier(identifier=text)
    if normalized is not None:
        found = index.lookup(normalized)
        if found is not None:
            return found
    raise NotFoundError(f"no identity known as {identifier!r}")


def _identity(index: EffectiveAccessIndex, identity_id: str) -> Identity:
    identity = index.identities.get(identity_id)
    if identity is None:
        raise NotFoundError(f"no identity {identity_id!r}")
    return identity


# -- reach ------------------------------------------------------------------------------------------


def reach(
    index: EffectiveAccessIndex,
    identity_id: str,
    *,
    max_hops: int = DEFAULT_MAX_HOPS,
    action_filter: ActionFilter = ActionFilter(),
    resource_prefix: str = "",
    min_sensitivity: int = 0,
) -> ReachResult:
    """What ``identity_id`` can reach, directly and through identities it can become.

    Without a resource filter each entry is one grant with its resource pattern (a wildcard grant is
    one entry, not one per resource). With ``resource_prefix`` or ``min_sensitivity`` the answer
    lists the known resources that match, with the actions left on each after every deny.
    """
    identity = _identity(index, identity_id)
    paths = index.numbered_paths_from(identity_id, _check_hops(max_hops))
    concrete = bool(resource_prefix) or min_sensitivity > 0
    resources = _resources_in_scope(index, resource_prefix, min_sensitivity) if concrete else ()
    remembered = _HELD.setdefault(index, {})
    masks = {provider: action_filter.mask(catalog) for provider, catalog in index.catalogs.items()}
    groups: list[ReachGroup] = []
    for holder, path in sorted(paths.items(), key=lambda item: (len(item[1]), item[0])):
        holder_identity = index.identities.get(holder)
        if holder_identity is None:
            continue
        catalog, mask = index.catalogs[holder_identity.provider], masks[holder_identity.provider]
        if concrete:
            held = _held_on_resources(index, holder, catalog, mask, resources)
        elif mask == catalog.all_bits:
            held = _own_access(index, holder, catalog, remembered)
        else:
            held = _held_by_grants(index, holder, catalog, mask)
        if held:
            groups.append(ReachGroup(holder, len(path), held))
    return ReachResult(identity, tuple(groups), index, paths)


# Per index: each identity's own access, unfiltered, worked out the first time a reach passes it
# (or ahead of that, by warm_reach).
_HELD: "weakref.WeakKeyDictionary[EffectiveAccessIndex, dict[str, tuple[HeldAccess, ...]]]" = weakref.WeakKeyDictionary()


def _own_access(index, holder, catalog, remembered) -> tuple[HeldAccess, ...]:
    held = remembered.get(holder)
    if held is None:
        held = remembered[holder] = _held_by_grants(index, holder, catalog, catalog.all_bits)
    return held


def warm_reach(index: EffectiveAccessIndex) -> None:
    """Works out every identity's own access ahead of the first reach that passes it; the service
    runs this in the background once an index serves."""
    remembered = _HELD.setdefault(index, {})
    for identity_id, identity in index.identities.items():
        _own_access(index, identity_id, index.catalogs[identity.provider], remembered)


def _resources_in_scope(index: EffectiveAccessIndex, prefix: str, min_sensitivity: int) -> list[str]:
    ids = index.sorted_resource_ids
    start = bisect.bisect_left(ids, prefix)
    selected = []
    for resource_id in ids[start:]:
        if not resource_id.startswith(prefix):
            break
        if index.resources[resource_id].sensitivity >= min_sensitivity:
            selected.append(resource_id)
    return selected


def _held_by_grants(index, holder, catalog, mask) -> tuple[HeldAccess, ...]:
    held = []
    for grant in index.grants_of(holder):
        sure, conditional, conditions = index.effective_bits(grant)
        sure &= mask
        conditional &= mask
        if not (sure | conditional):
            continue
        pattern = _selector_text(grant)
        known = index.resources.get(pattern)
        held.append(HeldAccess(pattern, known is not None, int(known.sensitivity) if known else 0,
                               ActionBits(catalog, sure, conditional), conditions, grant.provenance))
    return _most_sensitive_first(held)


def _held_on_resources(index, holder, catalog, mask, resources) -> tuple[HeldAccess, ...]:
    grants = index.grants_of(holder)
    held = []
    for resource_id in resources:
        if not any(grant.covers(resource_id) for grant in grants):
            continue
        access = index.access_on(holder, resource_id, grants)
        sure, conditional = access.allowed & mask, access.conditional & mask
        if not (sure | conditional):
            continue
        held.append(HeldAccess(resource_id, True, int(index.resources[resource_id].sensitivity),
                               ActionBits(catalog, sure, conditional), access.conditions, access.provenance))
    return _most_sensitive_first(held)


def _most_sensitive_first(held: list[HeldAccess]) -> tuple[HeldAccess, ...]:
    return tuple(sorted(held, key=lambda h: (-h.sensitivity, h.resource)))


_EXCEPTIONS_SHOWN = 3


def _selector_text(grant: IndexedGrant) -> str:
    """The selector in one line; a long ``except`` list (an account's grants exclude every other
    account of the organization) shows its first few patterns and how many more there are."""
    selector = grant.resources
    text = " | ".join(selector.include)
    for clause in selector.also:
        text += " and (" + " | ".join(clause) + ")"
    if selector.exclude:
        shown = selector.exclude[:_EXCEPTIONS_SHOWN]
        text += " except " + " | ".join(shown)
        if len(selector.exclude) > len(shown):
            text += f" (and {len(selector.exclude) - len(shown)} more)"
    return text


# -- who can ----------------------------------------------------------------------------------------


def who_can(
    index: EffectiveAccessIndex,
    resource_id: str,
    *,
    action_filter: ActionFilter = ActionFilter(),
    max_hops: int = DEFAULT_MAX_HOPS,
) -> WhoCanResult:
    """Identities that can act on ``resource_id``: holders of a matching grant, and every identity
    that can become a holder within ``max_hops``, each with its shortest path."""
    if not resource_id.strip():
        raise QueryError("a resource id is required")
    _check_hops(max_hops)
    holders = direct_holders(index, resource_id, action_filter)
    # One backward search from every holder at once: each identity gets its nearest holder.
    paths = index.numbered_paths_to_any(holders, max_hops)
    return WhoCanResult(resource_id, resource_id in index.resources, index, holders, paths)


def direct_holders(
    index: EffectiveAccessIndex, resource_id: str, action_filter: ActionFilter = ActionFilter()
) -> dict[str, AccessOnResource]:
    """Identities whose own grants allow something (within the filter) on ``resource_id``, with
    what they allow after denies, as bitsets."""
    memo: Memo = {}
    covering: dict[str, list[IndexedGrant]] = {}
    for grant in index.candidate_grants(resource_id, memo):
        covering.setdefault(grant.identity, []).append(grant)
    holders: dict[str, AccessOnResource] = {}
    masks: dict[str, int] = {}
    for identity_id, grants in covering.items():
        provider = grants[0].provider
        mask = masks.get(provider)
        if mask is None:
            mask = masks[provider] = action_filter.mask(index.catalogs[provider])
        access = index.access_from(identity_id, resource_id, grants, memo)
        sure, conditional = access.allowed & mask, access.conditional & mask
        if sure | conditional:
            unchanged = sure == access.allowed and conditional == access.conditional
            holders[identity_id] = access if unchanged else AccessOnResource(sure, conditional, access.conditions,
                                                                             access.provenance)
    return holders


# -- explain ----------------------------------------------------------------------------------------


def explain(
    index: EffectiveAccessIndex,
    manager: pluggy.PluginManager,
    identity_id: str,
    action: str,
    resource: str,
    context: Mapping[str, object] | None = None,
) -> Decision:
    """One request evaluated by the identity's provider, with every layer's verdict."""
    identity = _identity(index, identity_id)
    if not action.strip() or not resource.strip():
        raise QueryError("explain needs an action and a resource")
    catalog = index.catalogs.get(identity.provider)
    if catalog is not None and action not in catalog:
        raise QueryError(f"{identity.provider}: unknown action {action!r}")
    request = EvaluationRequest(identity.id, action, resource, dict(context or {}))
    decision = manager.hook.ciem_explain(snapshots=index.snapshots.get(identity.provider, []), request=request)
    if decision is None:
        raise QueryError(f"provider {identity.provider!r} cannot explain decisions")
    return decision


# -- enrich -----------------------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class EnrichSummary:
    """The compact answer a playbook attaches to an alert about one identifier."""

    identifier: str
    identity: Identity | None
    error: str
    admin_equivalent: bool
    admin_reason: str
    paths_to_admin: tuple[tuple[Edge, ...], ...]
    reachable_identities: int
    sensitive_resources: Mapping[str, int]  # sensitivity name -> count reachable
    # From activity logs (ciem.usage) over the default window up to the index's build; None when no
    # activity source was read or the identity does not act itself (a group, an outside principal).
    last_used: datetime | None = None
    unused_share: float | None = None


def enrich(
    index: EffectiveAccessIndex,
    identifiers: Sequence[str],
    manager: pluggy.PluginManager,
) -> list[EnrichSummary]:
    """One summary per identifier, from data precomputed when the index was built."""
    summaries = []
    facts = precomputed(index)
    for identifier in identifiers:
        try:
            identity = resolve_identity(index, identifier, manager)
        except (NotFoundError, QueryError) as error:
            summaries.append(EnrichSummary(identifier, None, str(error), False, "", (), 0, {}))
            continue
        summaries.append(facts.summary(identifier, identity))
    return summaries


class PrecomputedFacts:
    """Per-identity facts the hot path reads, computed once per index.

    Paths to admin come from one breadth-first search backwards from every admin-equivalent
    identity; reachable sensitive resources and identities from closures over the edge graph's
    strongly connected components (any number of hops, cycles included).
    """

    def __init__(self, index: EffectiveAccessIndex):
        self.index = index
        self.path_to_admin = index.shortest_paths_to_any(index.admin, MAX_HOPS_LIMIT)
        sensitive_ids = [rid for rid, res in index.resources.items() if res.sensitivity >= Sensitivity.HIGH]
        direct = holdings(index, sensitive_ids)
        nodes = list(index.identities)
        reachable_sensitive = closures(nodes, index.successors, direct)
        reachable_identities = closures(nodes, index.successors, bit_positions(nodes))
        by_level: dict[str, int] = {}  # sensitivity name -> bits of the sensitive resources at that level
        for position, resource_id in enumerate(sensitive_ids):
            name = Sensitivity(index.resources[resource_id].sensitivity).name.lower()
            by_level[name] = by_level.get(name, 0) | 1 << position
        self._summaries: dict[str, EnrichSummary] = {}
        with_usage = bool(usage_of(index).coverage)
        for identity_id, identity in index.identities.items():
            reached = reachable_sensitive[identity_id]
            counts = {name: count for name, bits in by_level.items() if (count := (reached & bits).bit_count())}
            admin_reason = index.admin.get(identity_id, "")
            to_admin = self.path_to_admin.get(identity_id)
            self._summaries[identity_id] = EnrichSummary(
                identifier=identity_id,
                identity=identity,
                error="",
                admin_equivalent=bool(admin_reason),
                admin_reason=admin_reason,
                paths_to_admin=(to_admin,) if to_admin and not admin_reason else (),
                reachable_identities=reachable_identities[identity_id].bit_count() - 1,
                sensitive_resources=counts,
            )
            if with_usage and identity.kind in ACTING_KINDS:
                last_used, share = usage_summary(index, identity_id, DEFAULT_WINDOW_DAYS, index.built_at)
                self._summaries[identity_id] = replace(self._summaries[identity_id], last_used=last_used,
                                                       unused_share=share)

    def summary(self, identifier: str, identity: Identity) -> EnrichSummary:
        summary = self._summaries[identity.id]
        return summary if identifier == summary.identifier else replace(summary, identifier=identifier)


def precomputed(index: EffectiveAccessIndex) -> PrecomputedFacts:
    """The index's precomputed facts; the refresh pipeline computes them before the index serves."""
    if index.facts is None:
        index.facts = PrecomputedFacts(index)
    return index.facts


# -- status -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexStatus:
    built_at: str
    sources: tuple
    counts: Mapping[str, int]
    gaps: tuple


def status(index: EffectiveAccessIndex) -> IndexStatus:
    return IndexStatus(
        built_at=index.built_at.isoformat(),
        sources=index.sources,
        counts={
            "identities": len(index.identities),
            "resources": len(index.resources),
            "grants": index.grant_count(),
            "edges": index.edge_count(),
            "admin_equivalent": len(index.admin),
        },
        gaps=tuple(index.gaps),
    )
