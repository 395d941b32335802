"""The cycle of an `eventually` lasso is a shortest weakly fair cycle (`checker.engines.fair_cycle`):
never two laps of a shorter one, longer than the shortest cycle only where fairness needs it."""

from __future__ import annotations

import numpy as np

from checker.engines.fair_cycle import shortest_fair_cycle
from checker.run import check_spec
from checker.spec import load_spec
from tests.conftest import REPO


def component(edges: list[tuple[int, int, int]], fair_everywhere: list[int], n: int):
    """Arrays of a component with ``n`` states and edges ``(src, dst, transition)``; the fair
    transitions given are enabled in every state."""
    src, dst, via = (np.array(col, dtype=np.int64) for col in zip(*edges, strict=True))
    enabled = {f: np.ones(n, dtype=bool) for f in fair_everywhere}
    return src, dst, via, np.arange(n), np.zeros(n, dtype=np.int64), enabled


def closes(edges: list[tuple[int, int, int]], nodes: list[int], steps: list[int]) -> bool:
    succ = {(u, t): v for u, v, t in edges}
    return all(succ[(u, t)] == nodes[(i + 1) % len(nodes)] for i, (u, t) in enumerate(zip(nodes, steps, strict=True)))


RING = [(0, 1, 0), (1, 2, 1), (2, 3, 2), (3, 4, 3), (4, 0, 4)]


def test_two_laps_become_one() -> None:
    src, dst, via, nodes, depth, enabled = component(RING, [2], 5)
    two_laps = (0, [0, 1, 2, 3, 4] * 2)
    found = shortest_fair_cycle(src, dst, via, nodes, depth, [2], enabled, two_laps)
    assert found.exact and sorted(found.steps) == [0, 1, 2, 3, 4] and closes(RING, found.nodes, found.steps)
    # without any search budget the given walk is shortened: the second lap goes
    found = shortest_fair_cycle(src, dst, via, nodes, depth, [2], enabled, two_laps, budget=0)
    assert not found.exact and found.steps == [0, 1, 2, 3, 4] and closes(RING, found.nodes, found.steps)


def test_a_shorter_unfair_cycle_is_not_taken() -> None:
    # 0 <-> 1 is the shortest cycle, but the fair transition 3 (enabled everywhere) fires only on 0 -> 2 -> 3 -> 0
    edges = [(0, 1, 0), (1, 0, 1), (0, 2, 2), (2, 3, 3), (3, 0, 4)]
    src, dst, via, nodes, depth, enabled = component(edges, [3], 4)
    found = shortest_fair_cycle(src, dst, via, nodes, depth, [3], enabled, (0, [0, 1, 2, 3, 4]))
    assert found.exact and sorted(found.steps) == [2, 3, 4] and closes(edges, found.nodes, found.steps)
    # and when 3 is disabled in state 1, the 2-step cycle is fair
    enabled[3][1] = False
    found = shortest_fair_cycle(src, dst, via, nodes, depth, [3], enabled, (0, [0, 1, 2, 3, 4]))
    assert found.exact and sorted(found.steps) == [0, 1]


def test_a_figure_eight_passes_its_hub_twice_when_fairness_needs_both_loops() -> None:
    # fair 1 fires only on the loop 0 -> 1 -> 0, fair 3 only on 0 -> 2 -> 0; both enabled everywhere
    edges = [(0, 1, 0), (1, 0, 1), (0, 2, 2), (2, 0, 3)]
    src, dst, via, nodes, depth, enabled = component(edges, [1, 3], 3)
    found = shortest_fair_cycle(src, dst, via, nodes, depth, [1, 3], enabled, (0, [0, 1, 2, 3, 0, 1]))
    assert found.exact and len(found.steps) == 4 and closes(edges, found.nodes, found.steps)
    assert {1, 3} <= set(found.steps) and found.nodes.count(0) == 2
    # the shortening fallback keeps both loops too (cutting either would be unfair)
    found = shortest_fair_cycle(src, dst, via, nodes, depth, [1, 3], enabled, (0, [0, 1, 2, 3, 0, 1]), budget=0)
    assert len(found.steps) == 4 and {1, 3} <= set(found.steps)


def test_dwfm_lasso_cycle_is_one_lap() -> None:
    """It was 10 steps: two laps of a 5-step cycle (state 14 equalled state 9)."""
    sr = check_spec(load_spec(REPO / "specs" / "dwfm_collapse.toml"), properties=["leases_recovered"])
    (r,) = sr.results
    trace = r.trace
    assert trace is not None and trace.kind == "lasso" and trace.loop == 9
    cycle = trace.states[trace.loop : -1]
    assert len(cycle) == 5 and len(set(cycle)) == 5  # no state twice: one lap
    assert trace.notes["shortest_cycle"] is True
    assert [t.label for t in trace.transitions[trace.loop :]] == ["request", "take", "tick", "tick", "finish"]
