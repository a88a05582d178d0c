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


def test_bottom_up_levels_find_the_same_distances_by_valid_paths():
    import random

    rng = random.Random(5)
    for trial in range(60):
        nodes = [f"n{i}" for i in range(rng.randint(2, 60))]
        density = rng.choice([0.02, 0.1, 0.4])
        edges = [Edge(a, b, EdgeKind.ASSUME, "m", (), conditions=("k",) if rng.random() < 0.3 else ())
                 for a in nodes for b in nodes if a != b and rng.random() < density]
        store = EdgeStore(edges)
        forward = store.steps(store.by_source(), towards_targets=True)
        backward = store.steps(store.by_target(), towards_targets=False)
        starts = rng.sample(nodes, rng.randint(1, min(3, len(nodes))))
        hops = rng.randint(0, 6)
        top_down = shortest_paths(starts, hops, forward)
        both_ways = shortest_paths(starts, hops, forward, backward)
        assert {n: len(p) for n, p in both_ways.items()} == {n: len(p) for n, p in top_down.items()}
        for node, path in both_ways.items():
            walked = [store.edge(number) for number in path]
            assert (walked[0].source in starts if walked else node in starts) and (not walked or walked[-1].target == node)
            assert all(a.target == b.source for a, b in zip(walked, walked[1:]))
