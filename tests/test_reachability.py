"""Graph walks: shortest paths through cycles, and closures per strongly connected component."""

from __future__ import annotations

from ciem.model import Edge, EdgeKind
from ciem.edges import EdgeStore
from ciem.reachability import bit_positions, closures, shortest_paths, strongly_connected_components

GRAPH = {"a": ["b"], "b": ["c"], "c": ["b", "d"], "d": [], "e": ["a"], "lone": []}


def successors(node):
    return GRAPH[node]


def test_components_come_out_sinks_first_with_cycles_grouped():
    components = [sorted(c) for c in strongly_connected_components(GRAPH, successors)]
    assert ["b", "c"] in components
    order = {node: i for i, component in enumerate(components) for node in component}
    assert order["d"] < order["b"] < order["a"] < order["e"]


def test_closures_cover_any_number_of_hops_and_cycles():
    bits = bit_positions(GRAPH)
    reach = closures(list(GRAPH), successors, bits)
    members = {node: {k for k, bit in bits.items() if reach[node] & bit} for node in GRAPH}
    assert members["e"] == {"e", "a", "b", "c", "d"}
    assert members["c"] == {"b", "c", "d"}  # the cycle b <-> c reaches d
    assert members["lone"] == {"lone"}


def test_deep_chains_do_not_hit_the_recursion_limit():
    chain = {f"n{i}": [f"n{i + 1}"] for i in range(5000)}
    chain["n5000"] = []
    reach = closures(list(chain), chain.__getitem__, {"n5000": 1})
    assert reach["n0"] == 1


def test_parallel_edges_collapse_to_the_unconditional_one_on_shortest_paths():
    conditional = Edge("a", "b", EdgeKind.ESCALATE, "first-method", (), conditions=("aws:SourceIp",))
    sure = Edge("a", "b", EdgeKind.ESCALATE, "second-method", ())
    onward = Edge("b", "c", EdgeKind.ASSUME, "assume", ())
    store = EdgeStore([conditional, sure, onward])
    assert [store.edge(n) for n in range(len(store))] == [conditional, sure, onward]
    steps = store.steps(store.by_source(), towards_targets=True)
    assert steps["a"][0] == ("b",) and list(steps["a"][1]) == [1]
    assert shortest_paths(("a",), 5, steps) == {"a": (), "b": (1,), "c": (1, 2)}
    assert "c" not in shortest_paths(("a",), 1, steps)
    backwards = store.steps(store.by_target(), False, lambda n: store.kind(n) == EdgeKind.ASSUME)
    assert list(backwards) == ["c"] and backwards["c"][0] == ("b",)
