"""A shortest weakly fair cycle inside one strongly connected component of the state graph.

A closed walk ``n0 -t0-> n1 -t1-> ... -> n0`` is *fair* when every fair transition f is
disabled in one of its states or fires on one of its edges (weak fairness, per transition:
see `checker.engines.graph`). Each fair transition that is enabled somewhere in the
component is a *requirement*, a bit; a state sets the bits of the fair transitions disabled
there, an edge the bit of its own transition. A walk is fair when its bits cover them all.

The shortest fair closed walk is a breadth-first search over (state, bits met so far), from
each start state back to itself with every bit set. Every fair cycle passes through a
witness of each requirement (a state where it is disabled, or the source of an edge that
fires it), so the starts are the witnesses of the requirement with the fewest; with no
requirement, every state. Starts are tried in order of their BFS depth, and a search stops at
the length of the best cycle so far, so a tie goes to the cycle found first. The result
passes a state twice only when that is shorter than every fair cycle that does not (two
fair transitions each enabled throughout and firing on different loops through a hub); it
is never two laps of one cycle, since one lap meets the same requirements in fewer steps.

The search is exact within `SEARCH_BUDGET` edge relaxations. Beyond it (large components
with many fair transitions) the cycle is built through a witness of each requirement and
then shortened: a sub-walk between two visits of the same state is cut out whenever what
is left is still fair and non-empty, and a sub-walk that is itself fair replaces the whole.
Such a cycle never repeats a lap, but it need not be the shortest; ``exact`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Key = tuple[int, int]  # (state, requirement bits met so far)
Walk = tuple[list[int], list[int]]  # (states, transitions)

#: edge relaxations of the exact search (over all starts) before falling back to shortening
SEARCH_BUDGET = 2_000_000


@dataclass
class FairCycle:
    nodes: list[int]  # n0 .. n(L-1); the walk returns to n0
    steps: list[int]  # steps[i]: the transition from nodes[i] to nodes[(i + 1) % L]
    exact: bool  # a shortest fair cycle of the component (else: shortened, lap-free)


class _Component:
    """The edges of one component, and each state's and edge's requirement bits."""

    def __init__(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        via: np.ndarray,
        nodes: np.ndarray,
        fair: list[int],
        enabled_at: dict[int, np.ndarray],
    ):
        required = [f for f in fair if enabled_at[f][nodes].any()]  # disabled throughout: met by any cycle
        self.full = (1 << len(required)) - 1
        bit = {f: 1 << r for r, f in enumerate(required)}
        self.bit = bit
        self.node_bits: dict[int, int] = {}
        for u in nodes.tolist():
            self.node_bits[u] = sum(b for f, b in bit.items() if not enabled_at[f][u])
        self.adj: dict[int, list[tuple[int, int, int]]] = {u: [] for u in self.node_bits}
        for u, v, t in zip(src.tolist(), dst.tolist(), via.tolist(), strict=True):
            self.adj[u].append((v, t, bit.get(t, 0)))
        self.witnesses: list[set[int]] = []
        for f, b in bit.items():
            here = {u for u, m in self.node_bits.items() if m & b}
            here |= {u for u, out in self.adj.items() if any(t == f for _, t, _ in out)}
            self.witnesses.append(here)

    def bits(self, nodes: list[int], steps: list[int]) -> int:
        """The requirement bits a closed walk meets."""
        out = 0
        for u in nodes:
            out |= self.node_bits[u]
        for t in steps:
            out |= self.bit.get(t, 0)
        return out


def shortest_fair_cycle(
    src: np.ndarray,
    dst: np.ndarray,
    via: np.ndarray,
    nodes: np.ndarray,
    depth: np.ndarray,
    fair: list[int],
    enabled_at: dict[int, np.ndarray],
    fallback: tuple[int, list[int]],
    budget: int = SEARCH_BUDGET,
) -> FairCycle:
    """A shortest fair cycle of the component ``nodes`` (its internal edges ``src/dst/via``).

    ``fallback`` is a fair closed walk (start state, transitions) through the component, used
    (shortened) if the exact search runs out of ``budget``.
    """
    comp = _Component(src, dst, via, nodes, fair, enabled_at)
    if comp.witnesses:
        starts = sorted(min(comp.witnesses, key=len), key=lambda u: (int(depth[u]), u))
    else:
        starts = sorted(comp.node_bits, key=lambda u: (int(depth[u]), u))
    best: FairCycle | None = None
    spent = 0
    for s in starts:
        found, used = _search(comp, s, len(best.steps) if best else None, budget - spent)
        spent += used
        if found is not None:
            best = FairCycle(found[0], found[1], True)
        if spent >= budget:
            break
    else:
        assert best is not None, "a fair component has a fair cycle"
        return best
    start, steps = fallback
    shortened = _shorten(comp, _walk_nodes(comp, start, steps), steps)
    if best is None or len(shortened.steps) < len(best.steps):
        return shortened
    return FairCycle(best.nodes, best.steps, False)


def _search(comp: _Component, s: int, shorter_than: int | None, budget: int) -> tuple[Walk | None, int]:
    """BFS over (state, bits) from ``s`` back to ``s`` with every bit: the walk and the relaxations used."""
    first = (s, comp.node_bits[s])
    back: dict[Key, tuple[Key, int]] = {}
    seen = {first}
    frontier = [first]
    level, used = 0, 0
    while frontier and (shorter_than is None or level + 1 < shorter_than):
        level += 1
        nxt = []
        for key in frontier:
            u, m = key
            for v, t, b in comp.adj[u]:
                used += 1
                m2 = m | b | comp.node_bits[v]
                if v == s and m2 == comp.full:
                    return _unwind(back, key, first, t, s), used
                k2 = (v, m2)
                if k2 not in seen:
                    seen.add(k2)
                    back[k2] = (key, t)
                    nxt.append(k2)
            if used >= budget:
                return None, used
        frontier = nxt
    return None, used


def _unwind(back: dict[Key, tuple[Key, int]], last: Key, first: Key, t: int, s: int) -> Walk:
    nodes, steps = [], [t]
    key = last
    while key != first:
        nodes.append(key[0])
        key, step = back[key]
        steps.append(step)
    nodes.append(s)
    nodes.reverse()
    steps.reverse()
    return nodes, steps


def _walk_nodes(comp: _Component, start: int, steps: list[int]) -> list[int]:
    """The states a walk from ``start`` passes (transitions are deterministic: one successor each)."""
    nodes, here = [], start
    for t in steps:
        nodes.append(here)
        here = next(v for v, tt, _ in comp.adj[here] if tt == t)
    return nodes


def _shorten(comp: _Component, nodes: list[int], steps: list[int]) -> FairCycle:
    """Cut sub-walks between two visits of one state while the rest stays fair (see the module docstring)."""
    while True:
        cut = _one_cut(comp, nodes, steps)
        if cut is None:
            return FairCycle(nodes, steps, False)
        nodes, steps = cut


def _one_cut(comp: _Component, nodes: list[int], steps: list[int]) -> Walk | None:
    """A shorter fair closed walk made by one cut at a state visited twice, or None."""
    where: dict[int, list[int]] = {}
    for at, u in enumerate(nodes):
        where.setdefault(u, []).append(at)
    for visits in where.values():
        for a, i in enumerate(visits):
            for j in visits[a + 1 :]:
                for cand in ((nodes[i:j], steps[i:j]), (nodes[:i] + nodes[j:], steps[:i] + steps[j:])):
                    if cand[1] and comp.bits(*cand) == comp.full:
                        return cand
    return None
