"""Every edge of an index, held column by column.

A large estate has millions of edges (one per pair of identities per escalation method). As objects
they would take most of a restart to unpickle and much of the memory; as columns of small integers
over tables of distinct values (identity ids, method names, tuples of permissions ...) they are a
few byte arrays. An edge is its row number; :meth:`EdgeStore.edge` makes the :class:`Edge` when a
path or a finding needs it.
"""

from __future__ import annotations

from array import array
from typing import Callable, Iterable, Mapping, Sequence

from ciem.model import Edge, EdgeKind

_KINDS = tuple(EdgeKind)
_KIND_NUMBER = {kind: number for number, kind in enumerate(_KINDS)}
# Edge fields other than ``kind``, each a column over its own table of distinct values.
_FIELDS = ("source", "target", "method", "permissions", "resources", "conditions", "provenance", "reference")

# node -> (the nodes one edge away, and for each the number of the edge that gets there).
Steps = Mapping[str, tuple[tuple[str, ...], Sequence[int]]]


class EdgeStore:
    """Edges as columns; see the module docstring."""

    def __init__(self, edges: Iterable[Edge]):
        self._tables: dict[str, list] = {name: [] for name in _FIELDS}
        self._columns: dict[str, array] = {name: array("I") for name in _FIELDS}
        self._kinds = array("B")
        numbers: dict[str, dict] = {name: {} for name in _FIELDS}
        for edge in edges:
            self._kinds.append(_KIND_NUMBER[edge.kind])
            for name in _FIELDS:
                value = getattr(edge, name)
                found = numbers[name].get(value)
                if found is None:
                    table = self._tables[name]
                    found = numbers[name][value] = len(table)
                    table.append(value)
                self._columns[name].append(found)
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

    def source(self, number: int) -> str:
        return self._sources[self._source_column[number]]

    def target(self, number: int) -> str:
        return self._targets[self._target_column[number]]

    def kind(self, number: int) -> EdgeKind:
        return _KINDS[self._kinds[number]]

    def conditional(self, number: int) -> bool:
        return self._columns["conditions"][number] != self._unconditional

    def by(self, end: Callable[[int], str]) -> dict[str, array]:
        """Edge numbers grouped by one end (``self.source`` or ``self.target``), in edge order."""
        grouped: dict[str, array] = {}
        for number in range(len(self)):
            key = end(number)
            numbers = grouped.get(key)
            if numbers is None:
                numbers = grouped[key] = array("I")
            numbers.append(number)
        return grouped

    def steps(self, grouped: Mapping[str, Sequence[int]], far_end: Callable[[int], str],
              keep: Callable[[int], bool] | None = None) -> dict[str, tuple[tuple[str, ...], array]]:
        """Parallel edges (several methods between the same two identities) collapsed to the one a
        path should show: the first unconditional edge, else the first edge. ``keep`` drops edges first."""
        steps = {}
        for node, numbers in grouped.items():
            chosen: dict[str, int] = {}
            for number in numbers:
                if keep is not None and not keep(number):
                    continue
                other = far_end(number)
                if other not in chosen or (self.conditional(chosen[other]) and not self.conditional(number)):
                    chosen[other] = number
            if chosen:
                steps[node] = (tuple(chosen), array("I", chosen.values()))
        return steps
