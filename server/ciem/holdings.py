"""Which identities hold some access to which of a list of resources, for every identity at once.

Asking who-can of each resource in turn repeats the same work: one selector (a managed policy's
statement, an account's scope) is matched against one resource for every identity that holds it. Here
each distinct pattern clause is matched once against every resource, giving a bitset over the list;
an identity's holdings are the union of its grants' bitsets. Only where an unconditional deny could
take every action a grant gives is the identity's access on that resource worked out in full.
"""

from __future__ import annotations

import bisect
from typing import Sequence

from ciem.catalog import iter_bits
from ciem.index import EffectiveAccessIndex, SelectorMatcher
from ciem.patterns import PatternSet, literal_prefix


class ResourceBits:
    """Bitsets over a fixed list of resource ids: the ids a pattern set or a selector matches,
    each worked out once. Bit ``n`` stands for ``resource_ids[n]``."""

    def __init__(self, resource_ids: Sequence[str]):
        self.ids = list(resource_ids)
        self.all = (1 << len(self.ids)) - 1
        self._sorted = {case: sorted((rid if case else rid.lower(), n) for n, rid in enumerate(self.ids))
                        for case in (True, False)}
        self._keys = {case: [key for key, _ in pairs] for case, pairs in self._sorted.items()}
        # Keyed by id(); the objects are kept alongside so that an id is never reused while cached.
        self._sets: dict[int, tuple[PatternSet, int]] = {}
        self._selectors: dict[int, tuple[SelectorMatcher, int]] = {}

    def of_patterns(self, patterns: PatternSet) -> int:
        cached = self._sets.get(id(patterns))
        if cached is not None:
            return cached[1]
        if patterns.matches_all:
            bits = self.all
        else:
            keys, pairs = self._keys[patterns.case_sensitive], self._sorted[patterns.case_sensitive]
            candidates: set[int] = set()
            for pattern in patterns.patterns:
                prefix = patterns.fold(literal_prefix(pattern))
                start = bisect.bisect_left(keys, prefix)
                end = bisect.bisect_left(keys, prefix + "\U0010ffff", start)
                candidates.update(n for _, n in pairs[start:end])
            bits = 0
            for n in candidates:
                if patterns.matches(self.ids[n]):
                    bits |= 1 << n
        self._sets[id(patterns)] = (patterns, bits)
        return bits

    def of_selector(self, matcher: SelectorMatcher) -> int:
        cached = self._selectors.get(id(matcher))
        if cached is not None:
            return cached[1]
        bits = self.of_patterns(matcher.include)
        for clause in matcher.also:
            if bits:
                bits &= self.of_patterns(clause)
        if bits and matcher.exclude is not None:
            bits &= ~self.of_patterns(matcher.exclude)
        self._selectors[id(matcher)] = (matcher, bits)
        return bits


def holdings(index: EffectiveAccessIndex, resource_ids: Sequence[str]) -> dict[str, int]:
    """identity id -> bitset over ``resource_ids`` of those it holds some access to after denies
    (what ``ciem.queries.direct_holders`` finds, asked of each resource without a filter)."""
    over = ResourceBits(resource_ids)
    held: dict[str, int] = {}
    for identity_id in index.identities:
        grants = index.grants_of(identity_id)
        if not grants:
            continue
        blocking = denied_actions = 0
        for deny in index.denies_of(identity_id):
            if not deny.conditions:
                blocking |= over.of_selector(deny.matcher)
                denied_actions |= deny.actions
        sure = doubtful = 0
        for grant in grants:
            bits = over.of_selector(grant.matcher)
            if grant.actions & ~denied_actions:
                sure |= bits  # no deny of this identity takes all of this grant's actions
            else:
                doubtful |= bits
        sure |= doubtful & ~blocking
        doubtful &= blocking & ~sure
        for position in iter_bits(doubtful):
            access = index.access_on(identity_id, over.ids[position])
            if access.allowed | access.conditional:
                sure |= 1 << position
        if sure:
            held[identity_id] = sure
    return held
