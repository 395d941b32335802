"""Breadth-first search with `runtime.fire`, one state at a time: the fallback for models the
numpy form cannot hold (unbounded sets). Slow, and one Python tuple per stored state, but
it runs anything the concrete interpretation runs.
"""

from __future__ import annotations

import sys
from array import array
from typing import Any

from ...lang.model import Instance
from ...lang.runtime import CONCRETE, evaluate, fire
from .common import Search, State, concrete_trace
from .symmetry import TupleCanon


class TupleSearch:
    def __init__(self, search: Search, groups: list[list[Instance]]):
        """``groups``: interchangeable replicas (`checker.symmetry.decide`), [] for no reduction."""
        self.s = search
        self.model = search.model
        self.canon = TupleCanon(groups, search.model)
        search.backend = "python"
        search.symmetry = self.canon.active

    def run(self) -> None:
        s, model = self.s, self.model
        # every initial state is a root at depth 0 (one per symmetry class)
        roots = list(dict.fromkeys(self.canon(st) for st in model.inits))
        self.index: dict[State, int] = {root: i for i, root in enumerate(roots)}
        self.states: list[State] = roots
        self.parent, self.via = array("i", range(len(roots))), array("i", [-1] * len(roots))
        s.states = len(roots)
        for i in range(len(roots)):
            self._check_state(i)
        frontier = list(range(len(roots)))
        while s.going and frontier and s.stop is None:
            s.report(len(frontier))
            nxt_frontier: list[int] = []
            for k, sid in enumerate(frontier):
                if k % 256 == 0:
                    if s.timed_out():
                        break
                    s.tick(k, len(frontier))
                self._expand(sid, nxt_frontier)
                if s.stop is not None:
                    break
            s.level_done(len(frontier))
            if nxt_frontier:
                s.depth += 1
            frontier = nxt_frontier
        s.exhaustive = s.stop is None and not frontier
        s.bytes_per_state = self._bytes() / len(self.states)

    def _expand(self, sid: int, out: list[int]) -> None:
        s, model, state = self.s, self.model, self.states[sid]
        for t in model.transitions:
            nxt = fire(model, t, state)
            if nxt is None:
                continue
            s.count(t.index, 1)
            for name in s.of_kind("action_invariant"):
                if not evaluate(model, CONCRETE, name, state, nxt):
                    s.record(name, self._trace(sid, t.index, name, "violation"))
            rep = self.canon(nxt)
            if rep in self.index:
                continue
            if s.max_states is not None and len(self.states) >= s.max_states:
                s.stop = f"max_states ({s.max_states}) reached"
                return
            new = len(self.states)
            self.index[rep] = new
            self.states.append(rep)
            self.parent.append(sid)
            self.via.append(t.index)
            s.states = len(self.states)
            out.append(new)
            self._check_state(new)

    def _check_state(self, sid: int) -> None:
        for name in self.s.of_kind("invariant", "reachable"):
            reachable = self.model.properties[name].kind == "reachable"
            if bool(evaluate(self.model, CONCRETE, name, self.states[sid])) == reachable:
                self.s.record(name, self._trace(sid, None, name, "witness" if reachable else "violation"))

    def _trace(self, sid: int, last: int | None, prop: str, kind: str):
        ids, hints = [sid], []
        while self.via[ids[-1]] >= 0:
            hints.append(self.via[ids[-1]])
            ids.append(self.parent[ids[-1]])
        ids.reverse()
        hints.reverse()
        targets = [self.states[i] for i in ids]
        if last is not None:
            hints.append(last)
            targets.append(self.canon(fire(self.model, self.model.transitions[last], self.states[sid])))  # type: ignore[arg-type]
        return concrete_trace(self.model, hints, targets, self.canon, prop, kind)

    def _bytes(self) -> int:
        """Rough bytes held for the stored states: the dict, the tuples, their set values."""
        sample = self.states[:: max(1, len(self.states) // 200)]
        per_state = sum(_deep_size(st) for st in sample) / len(sample)
        return int(sys.getsizeof(self.index) + sys.getsizeof(self.states) + per_state * len(self.states)) + (
            self.parent.itemsize * 2 * len(self.parent)
        )


def _deep_size(state: tuple[Any, ...]) -> int:
    """A tuple and its frozensets (ints, bools and enum names are shared objects, mostly)."""
    return sys.getsizeof(state) + sum(sys.getsizeof(v) for v in state if isinstance(v, frozenset))
