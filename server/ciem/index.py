"""The effective-access index: every provider's resolution, compacted and indexed both ways.

Built once per refresh and never changed afterwards, so queries need no locks: a refresh builds a new
index and the holder swaps the reference. Compact by construction:

- identity and resource ids are interned strings;
- a grant's actions are one int bitset over its provider's catalog, and equal bitsets are shared;
- wildcard grants are stored once, as selectors, and matched at query time: no identity x resource
  product is ever materialised.

Forward lookups go through ``grants_of`` (identity -> its grants); reverse lookups through the
resource index (exact ids, and wildcard patterns keyed by their literal prefix), so "who can reach
this resource" touches only grants whose pattern could match it.
"""

from __future__ import annotations

import pickle
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from operator import attrgetter
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ciem import columns
from ciem.catalog import PermissionCatalog
from ciem.model import (
    CoverageGap,
    Edge,
    EdgeKind,
    Grant,
    Identity,
    Resolution,
    Resource,
    ResourceSelector,
    Snapshot,
)
from ciem.patterns import PatternSet, is_literal, literal_prefix
from ciem.edges import EdgeStore, Steps
from ciem.reachability import NO_STEPS, shortest_paths


# Answers about one resource id, keyed by the id() of the shared object asked about (a pattern set,
# an identity's list of denies): one per query, so that what many grants share is worked out once.
Memo = dict[int, Any]


class SelectorMatcher:
    """A selector compiled for matching: one :class:`PatternSet` per clause."""

    __slots__ = ("selector", "include", "also", "exclude", "_covers", "_covering")

    def __init__(self, selector: ResourceSelector, include: PatternSet, also: tuple[PatternSet, ...],
                 exclude: PatternSet | None):
        self.selector = selector
        self.include = include
        self.also = also
        self.exclude = exclude
        self._covers: dict[SelectorMatcher, bool] = {}
        self._covering: PatternSet | None | bool = False  # not worked out yet

    def covers_selector(self, inner: "SelectorMatcher") -> bool:
        """:func:`selector_covers` of the two selectors, remembered per pair."""
        found = self._covers.get(inner)
        if found is None:
            if self._covering is False:
                self._covering = _covering_set(self.selector)
            found = self._covers[inner] = _covered(self._covering, inner.selector)
        return found

    def __reduce__(self):
        return SelectorMatcher, (self.selector, self.include, self.also, self.exclude)

    def matches(self, resource_id: str, memo: Memo | None = None) -> bool:
        """Whether the selector matches ``resource_id``; ``memo`` (one per resource id) keeps each
        shared clause's answer for the next selector asked about the same id."""
        if memo is None:
            return (self.include.matches(resource_id) and all(c.matches(resource_id) for c in self.also)
                    and not (self.exclude is not None and self.exclude.matches(resource_id)))
        if not _memo_match(self.include, resource_id, memo):
            return False
        for clause in self.also:
            if not _memo_match(clause, resource_id, memo):
                return False
        return self.exclude is None or not _memo_match(self.exclude, resource_id, memo)


def _memo_match(patterns: PatternSet, resource_id: str, memo: Memo) -> bool:
    key = id(patterns)
    found = memo.get(key)
    if found is None:
        found = memo[key] = patterns.matches(resource_id)
    return found


class SelectorCompiler:
    """Compiles selectors once each, sharing one :class:`PatternSet` between every selector that
    repeats a clause (every grant of an account may exclude the same other accounts)."""

    def __init__(self) -> None:
        self._matchers: dict[ResourceSelector, SelectorMatcher] = {}
        self._sets: dict[tuple[tuple[str, ...], bool], PatternSet] = {}
        self._clauses: dict[tuple[str, ...], tuple[str, ...]] = {}

    def __call__(self, selector: ResourceSelector) -> SelectorMatcher:
        matcher = self._matchers.get(selector)
        if matcher is None:
            sensitive = selector.case_sensitive
            # Equal clauses become one object, so that a saved index stores each once.
            canonical = ResourceSelector(self._clause(selector.include), tuple(self._clause(c) for c in selector.also),
                                         self._clause(selector.exclude), sensitive)
            matcher = self._matchers[selector] = SelectorMatcher(
                canonical, self._set(canonical.include, sensitive),
                tuple(self._set(clause, sensitive) for clause in canonical.also),
                self._set(canonical.exclude, sensitive) if canonical.exclude else None)
        return matcher

    def _clause(self, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return self._clauses.setdefault(patterns, patterns)

    def _set(self, patterns: tuple[str, ...], case_sensitive: bool) -> PatternSet:
        found = self._sets.get((patterns, case_sensitive))
        if found is None:
            found = self._sets[(patterns, case_sensitive)] = PatternSet(patterns, case_sensitive)
        return found


@lru_cache(maxsize=1024)
def _compiled(selector: ResourceSelector) -> SelectorMatcher:
    return SelectorCompiler()(selector)


class IndexedGrant:
    """A grant as the index holds it: actions as a bitset over the provider's catalog.

    A plain class rather than a frozen dataclass: an organization's index makes over a million of
    them at every build and restart. Nothing changes one once the index is built.
    """

    __slots__ = ("number", "identity", "provider", "actions", "matcher", "provenance", "conditions", "deny", "potential")

    def __init__(self, number: int, identity: str, provider: str, actions: int, matcher: SelectorMatcher,
                 provenance: tuple[str, ...], conditions: tuple[str, ...], deny: bool, potential: bool):
        self.number = number
        self.identity = identity
        self.provider = provider
        self.actions = actions
        self.matcher = matcher
        self.provenance = provenance
        self.conditions = conditions
        self.deny = deny
        self.potential = potential

    def __repr__(self) -> str:
        return f"IndexedGrant({self.number}, {self.identity!r}, deny={self.deny}, {self.resources!r})"

    @property
    def resources(self) -> ResourceSelector:
        return self.matcher.selector

    def covers(self, resource_id: str, memo: Memo | None = None) -> bool:
        return self.matcher.matches(resource_id, memo)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    provider: str
    source: str
    collected_at: datetime
    gaps: int


@dataclass(frozen=True, slots=True)
class AccessOnResource:
    """What one identity may do on one resource: sure actions, conditional ones, and why."""

    allowed: int
    conditional: int
    conditions: tuple[str, ...]
    provenance: tuple[str, ...]


def selector_matches(selector: ResourceSelector, resource_id: str) -> bool:
    return _compiled(selector).matches(resource_id)


def selector_covers(outer: ResourceSelector, inner: ResourceSelector) -> bool:
    """True when every resource ``inner`` matches is matched by ``outer`` (a sufficient test).

    A pattern without ``?`` that matches another pattern read literally covers it: each wildcard of
    the inner pattern falls inside a ``*`` of the outer one.
    """
    return _covered(_covering_set(outer), inner)


def _covering_set(outer: ResourceSelector) -> PatternSet | None:
    """The patterns of ``outer`` that :func:`selector_covers` may use; None when it has none."""
    if outer.also or outer.exclude:
        return None
    return PatternSet(tuple(p for p in outer.include if "?" not in p), outer.case_sensitive)


def _covered(covering: PatternSet | None, inner: ResourceSelector) -> bool:
    return covering is not None and all(covering.matches(pattern) for pattern in inner.include)


class _SavedApart:
    """A value a saved index stores as one opaque blob, unpickled only when first read: the raw
    snapshots, which only explain and right-sizing read, then cost a restart next to nothing."""

    def __init__(self, value: object = None, blob: bytes | None = None):
        self._value = value
        self._blob = blob
        self._lock = threading.Lock()

    def get(self):
        if self._blob is not None:
            with self._lock:
                if self._blob is not None:
                    self._value = pickle.loads(self._blob)
                    self._blob = None
        return self._value

    def __reduce__(self):
        blob = self._blob if self._blob is not None else pickle.dumps(self._value, pickle.HIGHEST_PROTOCOL)
        return _SavedApart, (None, blob)


class EffectiveAccessIndex:
    """Immutable once built; see the module docstring."""

    def __init__(
        self,
        resolutions: Iterable[Resolution],
        snapshots: Iterable[Snapshot] = (),
        built_at: datetime | None = None,
    ):
        self.built_at = built_at or datetime.now(timezone.utc)
        by_provider: dict[str, list[Snapshot]] = defaultdict(list)
        for snapshot in snapshots:
            by_provider[snapshot.provider].append(snapshot)
        self._snapshots = _SavedApart(dict(by_provider))
        self.sources: tuple[SourceStatus, ...] = tuple(
            SourceStatus(s.provider, s.source, s.collected_at, len(s.gaps))
            for group in by_provider.values()
            for s in group
        )
        self.catalogs: dict[str, PermissionCatalog] = {}
        self.identities: dict[str, Identity] = {}
        self.resources: dict[str, Resource] = {}
        self.admin: dict[str, str] = {}
        self.gaps: list[CoverageGap] = [gap for group in by_provider.values() for s in group for gap in s.gaps]
        self._aliases: dict[str, str] = {}
        self._grants: list[IndexedGrant] = []
        edges: list[Edge] = []
        compile_selector = SelectorCompiler()
        for resolution in resolutions:
            self._add(resolution, compile_selector)
            edges.extend(resolution.edges)
        self._file_grants()
        self._edges = EdgeStore(edges)
        self._edges_out = self._edges.by_source()
        self._edges_in = self._edges.by_target()
        self.steps_out: Steps = self._edges.steps(self._edges_out, towards_targets=True)
        self.steps_in: Steps = self._edges.steps(self._edges_in, towards_targets=False)
        self.sorted_resource_ids: list[str] = sorted(self.resources)
        # Facts derived once for the hot path (ciem.queries.PrecomputedFacts), set before serving.
        self.facts = None

    @property
    def snapshots(self) -> dict[str, list[Snapshot]]:
        """Each provider's snapshots, as collected (explain and right-sizing read them)."""
        return self._snapshots.get()

    # -- building -------------------------------------------------------------------------------

    def _add(self, resolution: Resolution, compile_selector: SelectorCompiler) -> None:
        catalog = resolution.catalog
        self.catalogs[resolution.provider] = catalog
        intern = sys.intern
        for identity in resolution.identities:
            self.identities[intern(identity.id)] = identity
            self._aliases[identity.id.lower()] = identity.id
            for alias in identity.aliases:
                self._aliases.setdefault(alias.lower(), identity.id)
        for resource in resolution.resources:
            self.resources[intern(resource.id)] = resource
        bits_of: dict[frozenset[str], int] = {}
        shared_bits: dict[int, int] = {}
        for grant in resolution.grants:
            bits = bits_of.get(grant.actions)
            if bits is None:
                bits = catalog.bits_of(grant.actions)
                bits = shared_bits.setdefault(bits, bits)
                bits_of[grant.actions] = bits
            if not bits:
                continue
            self._add_grant(grant, resolution.provider, bits, compile_selector(grant.resources))
        self.admin.update(resolution.admin)
        self.gaps.extend(resolution.gaps)

    def _add_grant(self, grant: Grant, provider: str, bits: int, matcher: SelectorMatcher) -> None:
        self._grants.append(IndexedGrant(len(self._grants), sys.intern(grant.identity), provider, bits, matcher,
                                         grant.provenance, grant.conditions, grant.deny, grant.potential))

    def _file_grants(self) -> None:
        """Files every grant by identity and, for allows, by selector, with the reverse index: each
        distinct allow selector under the literal prefixes of its narrowest clause (keys of
        case-insensitive selectors folded to lower case)."""
        allows: dict[str, list[IndexedGrant]] = defaultdict(list)
        denies: dict[str, list[IndexedGrant]] = defaultdict(list)
        by_matcher: dict[SelectorMatcher, list[IndexedGrant]] = {}
        exact: dict[str, list[SelectorMatcher]] = defaultdict(list)
        by_prefix: dict[str, list[SelectorMatcher]] = defaultdict(list)
        for grant in self._grants:
            if grant.deny:
                denies[grant.identity].append(grant)
                continue
            allows[grant.identity].append(grant)
            same_selector = by_matcher.get(grant.matcher)
            if same_selector is not None:
                same_selector.append(grant)
                continue
            by_matcher[grant.matcher] = [grant]
            fold = not grant.resources.case_sensitive
            for pattern in _narrowest_clause(grant.resources):
                key = pattern.lower() if fold else pattern
                if is_literal(pattern):
                    exact[key].append(grant.matcher)
                else:
                    by_prefix[literal_prefix(key)].append(grant.matcher)
        self._allows_by_identity, self._denies_by_identity = dict(allows), dict(denies)
        # Identities of one account mostly share their denies (the same guardrail policies): each distinct
        # list once, so that a query checks it once per resource, not once per identity.
        profiles: dict[tuple, tuple] = {}
        self._deny_profiles = {}
        for identity, grants in denies.items():
            profile = tuple((grant.matcher, grant.actions, grant.conditions) for grant in grants)
            self._deny_profiles[identity] = profiles.setdefault(profile, profile)
        self._allows_by_matcher, self._exact, self._by_prefix = by_matcher, dict(exact), dict(by_prefix)
        self._prefix_lengths_sorted = tuple(sorted({len(prefix) for prefix in by_prefix}))

    # A saved index stores its grants column by column and files them again when loaded: a million
    # grant objects pickled one by one would take most of a restart.
    _FILED = ("_allows_by_identity", "_denies_by_identity", "_deny_profiles", "_allows_by_matcher", "_exact",
              "_by_prefix", "_prefix_lengths_sorted")

    def __getstate__(self) -> dict:
        state = {key: value for key, value in self.__dict__.items() if key not in self._FILED}
        state["_grants"] = tuple(columns.encode(map(attrgetter(field), self._grants))
                                 for field in IndexedGrant.__slots__[1:])
        return state

    def __setstate__(self, state: dict) -> None:
        encoded = state.pop("_grants")
        self.__dict__.update(state)
        values = [columns.decode(table, column) for table, column in encoded]
        self._grants = list(map(IndexedGrant, range(len(values[0])), *values))
        self._file_grants()

    # -- lookups --------------------------------------------------------------------------------

    def lookup(self, identifier: str) -> Identity | None:
        """An identity by canonical id or any alias, case-insensitively."""
        identity_id = self._aliases.get(identifier.lower())
        return None if identity_id is None else self.identities[identity_id]

    def grants_of(self, identity_id: str) -> list[IndexedGrant]:
        return self._allows_by_identity.get(identity_id, [])

    def denies_of(self, identity_id: str) -> list[IndexedGrant]:
        return self._denies_by_identity.get(identity_id, [])

    def grant_count(self) -> int:
        return len(self._grants)

    def edge_count(self) -> int:
        return len(self._edges)

    def edge_sources(self) -> Iterable[str]:
        """Every identity with an outgoing edge."""
        return self._edges_out.keys()

    def edges_from(self, identity_id: str) -> list[Edge]:
        return [self._edges.edge(number) for number in self._edges_out.get(identity_id, ())]

    def edges_to(self, identity_id: str) -> list[Edge]:
        return [self._edges.edge(number) for number in self._edges_in.get(identity_id, ())]

    def candidate_grants(self, resource_id: str, memo: Memo | None = None) -> Iterator[IndexedGrant]:
        """Allow grants whose selector matches ``resource_id``, each once; only selectors filed under
        the id itself or one of its prefixes are matched, each once however many grants share it."""
        memo = {} if memo is None else memo
        seen: set[int] = set()
        folded = resource_id.lower()
        buckets = [self._exact.get(resource_id, ()), self._exact.get(folded, ()) if folded != resource_id else ()]
        for length in self._prefix_lengths_sorted:
            if length > len(resource_id):
                break
            buckets.append(self._by_prefix.get(resource_id[:length], ()))
            if folded != resource_id:
                buckets.append(self._by_prefix.get(folded[:length], ()))
        for bucket in buckets:
            for matcher in bucket:
                if id(matcher) not in seen:
                    seen.add(id(matcher))
                    if matcher.matches(resource_id, memo):
                        yield from self._allows_by_matcher[matcher]

    def access_on(self, identity_id: str, resource_id: str, grants: Iterable[IndexedGrant] | None = None,
                  memo: Memo | None = None) -> AccessOnResource:
        """Effective actions of one identity on one resource, denies applied.

        Unconditional denies remove actions; conditional denies turn sure actions conditional.
        ``memo`` is the clause memo of ``resource_id`` (see :meth:`SelectorMatcher.matches`).
        """
        covering = [grant for grant in (self.grants_of(identity_id) if grants is None else grants)
                    if grant.identity == identity_id and grant.covers(resource_id, memo)]
        return self.access_from(identity_id, resource_id, covering, memo)

    def access_from(self, identity_id: str, resource_id: str, covering: Iterable[IndexedGrant],
                    memo: Memo | None = None) -> AccessOnResource:
        """:meth:`access_on` from the identity's allow grants known to cover the resource."""
        allowed = conditional = 0
        conditions: list[str] = []
        provenance: list[str] = []
        for grant in covering:
            if grant.conditions or grant.potential:
                conditional |= grant.actions
                conditions.extend(grant.conditions)
            else:
                allowed |= grant.actions
            provenance.extend(grant.provenance)
        profile = self._deny_profiles.get(identity_id)
        if profile:
            covering = None if memo is None else memo.get(id(profile))
            if covering is None:
                covering = [(actions, keys) for matcher, actions, keys in profile if matcher.matches(resource_id, memo)]
                if memo is not None:
                    memo[id(profile)] = covering
            allowed, conditional = _apply_denies(covering, allowed, conditional, conditions)
        conditional &= ~allowed
        return AccessOnResource(allowed, conditional, tuple(dict.fromkeys(conditions)), tuple(dict.fromkeys(provenance)))

    def effective_bits(self, grant: IndexedGrant) -> tuple[int, int, tuple[str, ...]]:
        """A wildcard grant's actions after the identity's denies that cover its whole selector.

        Returns (sure, conditional, conditions). Denies that cover only part of the selector are left
        to resource-level answers (``access_on``).
        """
        sure = 0 if (grant.conditions or grant.potential) else grant.actions
        conditional = grant.actions & ~sure
        conditions = list(grant.conditions)
        denies = [(d.actions, d.conditions) for d in self.denies_of(grant.identity) if d.matcher.covers_selector(grant.matcher)]
        sure, conditional = _apply_denies(denies, sure, conditional, conditions)
        return sure, conditional, tuple(dict.fromkeys(conditions))

    # -- paths ----------------------------------------------------------------------------------

    def shortest_paths_from(self, start: str, max_hops: int) -> dict[str, tuple[Edge, ...]]:
        """Every identity reachable from ``start`` in at most ``max_hops`` edges, with the shortest
        path to it (breadth first, so cycles end and the first path found is a shortest one)."""
        return self.edges_along(self.numbered_paths_from(start, max_hops))

    def numbered_paths_from(self, start: str, max_hops: int) -> dict[str, tuple[int, ...]]:
        """:meth:`shortest_paths_from` with the paths as edge numbers (see :meth:`edges_along`)."""
        return shortest_paths((start,), max_hops, self.steps_out)

    def shortest_paths_to(self, goal: str, max_hops: int) -> dict[str, tuple[Edge, ...]]:
        """Every identity that can reach ``goal`` in at most ``max_hops`` edges, with its path."""
        return self.shortest_paths_to_any((goal,), max_hops)

    def shortest_paths_to_any(self, goals: Iterable[str], max_hops: int) -> dict[str, tuple[Edge, ...]]:
        """Every identity that can reach one of ``goals``, with a shortest path to the nearest one."""
        return self.edges_along(self.numbered_paths_to_any(goals, max_hops))

    def numbered_paths_to_any(self, goals: Iterable[str], max_hops: int) -> dict[str, tuple[int, ...]]:
        """:meth:`shortest_paths_to_any` with the paths as edge numbers (see :meth:`edges_along`)."""
        return {source: path[::-1] for source, path in shortest_paths(goals, max_hops, self.steps_in).items()}

    def incoming_steps(self, kinds: frozenset[EdgeKind]) -> Steps:
        """Like ``steps_in``, over edges of ``kinds`` only."""
        return self._edges.steps(self._edges_in, False, lambda number: self._edges.kind(number) in kinds)

    def edges_along(self, paths: Mapping[str, Sequence[int]]) -> dict[str, tuple[Edge, ...]]:
        """Paths of edge numbers (as :func:`ciem.reachability.shortest_paths` gives them over this
        index's steps) as paths of edges."""
        made: dict[int, Edge] = {}
        edge = self._edges.edge
        return {node: tuple(made[n] if n in made else made.setdefault(n, edge(n)) for n in path)
                for node, path in paths.items()}

    def successors(self, identity_id: str) -> tuple[str, ...]:
        """The identities one edge away, each once."""
        return self.steps_out.get(identity_id, NO_STEPS)[0]


def _narrowest_clause(selector: ResourceSelector) -> tuple[str, ...]:
    """The clause (include, or one ``also``) whose widest pattern has the longest literal prefix:
    every clause must match, so filing the selector under that clause's prefixes alone is enough."""
    return max((selector.include, *selector.also), key=lambda clause: min((len(literal_prefix(p)) for p in clause), default=0))


def _apply_denies(denies: Iterable[tuple[int, tuple[str, ...]]], sure: int, conditional: int,
                  conditions: list[str]) -> tuple[int, int]:
    """Denies as (actions, condition keys): unconditional ones remove actions; conditional ones turn
    sure actions conditional and add their keys to ``conditions``."""
    for actions, keys in denies:
        if keys:
            moved = sure & actions
            sure &= ~actions
            conditional |= moved
            if moved:
                conditions.extend(keys)
        else:
            sure &= ~actions
            conditional &= ~actions
    return sure, conditional