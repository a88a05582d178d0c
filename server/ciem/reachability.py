"""Graph walks over identity edges: shortest explaining paths and transitive closures.

Edges form a directed graph with cycles (roles that can assume each other). Shortest paths come from
breadth-first search, so cycles end and the first path found is a shortest one. Closures (everything
reachable through any number of hops) are computed once per strongly connected component, in
reverse topological order, as bitsets: every member of a cycle reaches the same things.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Hashable, Iterable, Mapping, Sequence

from ciem.edges import Steps

NO_STEPS: tuple[tuple[str, ...], tuple[int, ...]] = ((), ())


def shortest_paths(starts: Iterable[str], max_hops: int, steps: Steps) -> dict[str, tuple[int, ...]]:
    """Every node within ``max_hops`` of any start, with a shortest path (edge numbers) from its
    nearest start.

    Paths are in walking order: over outgoing steps they run start -> node; over incoming steps
    they run node -> start once reversed by the caller.
    """
    paths: dict[str, tuple[int, ...]] = {}
    queue: deque[str] = deque()
    for start in starts:
        if start not in paths:
            paths[start] = ()
            queue.append(start)
    while queue:
        node = queue.popleft()
        path = paths[node]
        if len(path) >= max_hops:
            continue
        neighbours, edges = steps.get(node, NO_STEPS)
        # Most neighbours are usually found already: test them all at once, in C, before walking.
        if len(neighbours) > 8 and not set(neighbours).difference(paths):
            continue
        for nxt, edge in zip(neighbours, edges):
            if nxt not in paths:
                paths[nxt] = path + (edge,)
                queue.append(nxt)
    return paths


def strongly_connected_components(nodes: Iterable[str], successors: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm without recursion. Components come out in reverse topological order:
    every component is emitted after all components it can reach."""
    index_of: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index_of:
            continue
        work = [(root, iter(successors(root)))]
        index_of[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index_of:
                    index_of[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors(child))))
                    advanced = True
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def closures(
    nodes: Sequence[str], successors: Callable[[str], Iterable[str]], own: Mapping[str, int]
) -> dict[str, int]:
    """For every node, the union (bitwise or) of ``own`` over all nodes it can reach, itself included."""
    component_of: dict[str, int] = {}
    totals: list[int] = []
    for number, component in enumerate(strongly_connected_components(nodes, successors)):
        total = 0
        for member in component:
            component_of[member] = number
            total |= own.get(member, 0)
        for member in component:
            for child in successors(member):
                child_component = component_of[child]
                if child_component != number:
                    total |= totals[child_component]
        totals.append(total)
    return {node: totals[component_of[node]] for node in nodes}


def bit_positions(keys: Iterable[Hashable]) -> dict[Hashable, int]:
    """A stable bit for each key, for closures over sets of keys."""
    return {key: 1 << position for position, key in enumerate(keys)}
