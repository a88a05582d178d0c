"""Every edge of an index, held column by column.

A large estate has millions of edges (one per pair of identities per escalation method). As objects
they would take most of a restart to unpickle and much of the memory; as columns of small integers
over tables of distinct values (identity ids, method names, tuples of permissions ...) they are a
few byte arrays. An edge is its row number; :meth:`EdgeStore.edge` makes the :class:`Edge` when a
path or a finding needs it.
"""

from __future__ import annotations

from array import array
from operator import attrgetter
from typing import Callable, Mapping, Sequence

from ciem import columns
from ciem.model import Edge, EdgeKind

_KINDS = tuple(EdgeKind)
_KIND_NUMBER = {kind: number for number, kind in enumerate(_KINDS)}
# Edge fields other than ``kind``, each a column over its own table of distinct values.
_FIELDS = ("source", "target", "method", "permissions", "resources", "conditions", "provenance", "reference")

# node -> (the nodes one edge away, and for each the number of the edge that gets there).
Steps = Mapping[str, tuple[tuple[str, ...], Sequence[int]]]


class EdgeStore:
    """Edges as columns; see the module docstring."""

    def __init__(self, edges: Sequence[Edge]):
        self._tables: dict[str, list] = {}
        self._columns: dict[str, array] = {}
        for name in _FIELDS:
            self._tables[name], self._columns[name] = columns.encode(map(attrgetter(name), edges))
        self._kinds = array("B", map(_KIND_NUMBER.__getitem__, map(attrgetter("kind"), edges)))
        self._sources = self._tables["source"]
        self._source_column = self._columns["source"]
        self._targets = self._tables["target"]
        self._target_column = self._columns["target"]
        self._unconditional = self._tables["conditions"].index(()) if () in self._tables["conditions"] else -1

    def __len__(self) -> int:
        return len(self._kinds)

    def edge(self, number: int) -> Edge:
        values = {name: self._tables[name][self._columns[name][number]] for name in _FIELDS}
        return Edge(kind=_KINDS[self._kinds[number]], **values)

    def kind(self, number: int) -> EdgeKind:
        return _KINDS[self._kinds[number]]

    def by_source(self) -> dict[str, array]:
        """Edge numbers by source identity, in edge order."""
        return _grouped(self._source_column, self._sources)

    def by_target(self) -> dict[str, array]:
        """Edge numbers by target identity, in edge order."""
        return _grouped(self._target_column, self._targets)

    def steps(self, grouped: Mapping[str, Sequence[int]], towards_targets: bool,
              keep: Callable[[int], bool] | None = None) -> dict[str, tuple[tuple[str, ...], array]]:
        """Parallel edges (several methods between the same two identities) collapsed to the one a
        path should show: the first unconditional edge, else the first edge. The far end is each
        edge's target (``towards_targets``) or its source; ``keep`` drops edges first."""
        far_column, far_table = ((self._target_column, self._targets) if towards_targets
                                 else (self._source_column, self._sources))
        conditions = self._columns["conditions"]
        unconditional = self._unconditional
        steps = {}
        for node, numbers in grouped.items():
            chosen: dict[int, int] = {}
            for number in numbers:
                if keep is not None and not keep(number):
                    continue
                other = far_column[number]
                held = chosen.get(other)
                if held is None or (conditions[held] != unconditional and conditions[number] == unconditional):
                    chosen[other] = number
            if chosen:
                steps[node] = (tuple(far_table[other] for other in chosen), array("I", chosen.values()))
        return steps


def _grouped(column: array, table: list[str]) -> dict[str, array]:
    grouped: dict[int, array] = {}
    for number, key in enumerate(column):
        numbers = grouped.get(key)
        if numbers is None:
            numbers = grouped[key] = array("I")
        numbers.append(number)
    return {table[key]: numbers for key, numbers in grouped.items()}
