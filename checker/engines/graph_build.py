"""The reachable state graph of a finite instance, with every edge labelled by its transition.

`recoverable` and `eventually` are properties of the whole graph, not of one trace, so the
graph is built first: breadth-first from the initial state, one node per distinct state,
one edge per enabled (state, transition) pair (two transitions reaching the same successor
are two edges; a transition that leaves the state unchanged is a self-loop). Transitions
are deterministic, so the labels on a node's out-edges are exactly the transitions enabled
there: that is what weak fairness needs.

No symmetry reduction: fairness is per instance (``enactor1.apply`` is not
``enactor2.apply``), and a cycle through canonical states need not close in the concrete
model, so the graph holds the concrete states and every path in it replays as it is.

Two backends, like the explicit engine: the compiled numpy steps (`explicit_compile`) step
a whole BFS level at once; models the numpy form cannot hold fall back to `runtime.fire`.
Node ids are assigned in BFS order, so a smaller id is never deeper. Where int64 would not
be exact (`explicit_bounds`), before or during the build, the graph is built with exact
Python integers, and ``StateGraph.note`` says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..encoding import Encoding
from ..lang.model import ModelInstance
from ..lang.runtime import CONCRETE, evaluate, fire
from .explicit.bounds import Exceeds
from .explicit.compile import Compiled, Untranslatable

State = tuple[Any, ...]

#: states stored before graph properties give up (inconclusive) when nothing else caps them
DEFAULT_GRAPH_STATES = 1_000_000


@dataclass
class StateGraph:
    """Nodes 0..n-1 (the first ones, with no BFS parent, are the initial states), edges
    ``src -> dst`` labelled ``via`` (a transition index), and the BFS tree
    (``parent``/``parent_via``) for shortest prefixes."""

    model: ModelInstance
    src: np.ndarray
    dst: np.ndarray
    via: np.ndarray
    parent: np.ndarray
    parent_via: np.ndarray
    depth: np.ndarray
    complete: bool  # every reachable state is in the graph
    stop: str | None  # why not, if not
    backend: str
    seconds: float
    _state: Callable[[int], State] = field(repr=False)
    _holds: Callable[[str], np.ndarray] = field(repr=False)
    note: str = ""  # why the numpy backend gave way to exact Python integers, if it did

    @property
    def nodes(self) -> int:
        return len(self.parent)

    @property
    def edges(self) -> int:
        return len(self.src)

    def state(self, node: int) -> State:
        """The concrete state of ``node``."""
        return self._state(node)

    def holds(self, prop: str) -> np.ndarray:
        """Per node, whether the state property ``prop`` holds there."""
        return self._holds(prop)

    def path_to(self, node: int) -> list[int]:
        """Transition indices of the shortest path from an initial state (`root_of`) to ``node``."""
        steps = []
        while self.parent_via[node] >= 0:
            steps.append(int(self.parent_via[node]))
            node = int(self.parent[node])
        steps.reverse()
        return steps

    def root_of(self, node: int) -> State:
        """The initial state `path_to` starts from."""
        while self.parent_via[node] >= 0:
            node = int(self.parent[node])
        return self.state(node)


class _Growth:
    """Edges and the BFS tree as they are found; node ids in discovery order."""

    def __init__(self, roots: int) -> None:
        """``roots``: the initial states, nodes 0..roots-1 (no parent, depth 0)."""
        self.src: list[np.ndarray] = []
        self.dst: list[np.ndarray] = []
        self.via: list[np.ndarray] = []
        self.parent = list(range(roots))
        self.parent_via = [-1] * roots
        self.depth = [0] * roots

    def finish(self) -> tuple[np.ndarray, ...]:
        def cat(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)

        return (
            cat(self.src),
            cat(self.dst),
            cat(self.via),
            np.array(self.parent, np.int32),
            np.array(self.parent_via, np.int32),
            np.array(self.depth, np.int32),
        )


def build_graph(
    model: ModelInstance,
    properties: list[str],
    max_states: int | None = None,
    deadline: float | None = None,
    backend: str = "auto",
) -> StateGraph:
    """The reachable state graph of ``model``, ready to evaluate the state ``properties``.

    Stops (``complete`` False) once it would store more than ``max_states`` states, or at
    ``deadline`` (a `time.monotonic` value)."""
    started = time.monotonic()
    enc = Encoding(model)
    for name in properties:  # run each property once: a model error surfaces here, located
        enc.prop(name, enc.x, enc.x_next)
        for start in model.inits:
            evaluate(model, CONCRETE, name, start)
    compiled, note = None, ""
    if backend != "python":
        try:
            compiled = Compiled(model, list(properties), enc)
        except Exceeds as err:
            note = err.note
        except Untranslatable:
            if backend == "numpy":
                raise
    if compiled is not None:
        try:
            return _NumpyBuild(compiled, max_states, deadline).run(started)
        except Exceeds as err:  # a value beyond the exact range: start again, exactly
            note = err.note
    graph = _TupleBuild(model, max_states, deadline).run(started)
    graph.note = note
    return graph


class _NumpyBuild:
    """BFS over compiled transitions; a state's key is the bytes of its column."""

    def __init__(self, compiled: Any, max_states: int | None, deadline: float | None):
        self.c = compiled
        self.max_states = max_states
        self.deadline = deadline

    def run(self, started: float) -> StateGraph:
        inits = self.c.model.inits
        c, g = self.c, _Growth(len(inits))
        for start in inits:
            c.check_state(start)
        frontier = c.vectors.matrix(list(inits))
        index: dict[bytes, int] = {key: i for i, key in enumerate(_keys(frontier))}
        levels = [frontier]
        base, level, stop = 0, 0, None
        while frontier.shape[1] and stop is None:
            level += 1
            fresh: list[np.ndarray] = []
            count = len(index)
            for step in c.steps:
                where, nxt = c.successors(step, frontier)
                if not where.size:
                    continue
                ids = np.empty(where.size, np.int64)
                for k, key in enumerate(_keys(nxt)):
                    node = index.get(key)
                    if node is None:
                        if self.max_states is not None and count >= self.max_states:
                            stop = f"more than {self.max_states:,} states (max_states)"
                            break
                        node = index[key] = count
                        count += 1
                        g.parent.append(base + int(where[k]))
                        g.parent_via.append(step.transition.index)
                        g.depth.append(level)
                        fresh.append(nxt[:, k : k + 1])
                    ids[k] = node
                if stop is not None:
                    break
                g.src.append(base + where)
                g.dst.append(ids)
                g.via.append(np.full(where.size, step.transition.index))
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    stop = "timeout"
                    break
            base += frontier.shape[1]
            frontier = np.concatenate(fresh, axis=1) if fresh else frontier[:, :0]
            if frontier.shape[1]:
                levels.append(frontier)
        matrix = np.concatenate(levels, axis=1)
        src, dst, via, parent, parent_via, depth = g.finish()
        n = len(parent)
        matrix = matrix[:, :n]
        decode = c.vectors.decode

        def holds(prop: str) -> np.ndarray:
            return np.asarray(c.holds(prop, matrix), dtype=bool).copy()

        return StateGraph(
            c.model, src, dst, via, parent, parent_via, depth, stop is None, stop, "numpy",
            time.monotonic() - started, lambda node: decode(matrix[:, node]), holds,
        )  # fmt: skip


def _keys(S: np.ndarray) -> list[bytes]:
    rows = np.ascontiguousarray(S.T)
    width = rows.shape[1] * rows.itemsize
    raw = rows.tobytes()
    return [raw[i * width : (i + 1) * width] for i in range(rows.shape[0])]


class _TupleBuild:
    """BFS with `runtime.fire`, one state at a time (models with unbounded sets)."""

    def __init__(self, model: ModelInstance, max_states: int | None, deadline: float | None):
        self.model = model
        self.max_states = max_states
        self.deadline = deadline

    def run(self, started: float) -> StateGraph:
        model, g = self.model, _Growth(len(self.model.inits))
        states: list[State] = list(model.inits)
        index: dict[State, int] = {s: i for i, s in enumerate(states)}
        src: list[int] = []
        dst: list[int] = []
        via: list[int] = []
        stop, head = None, 0
        while head < len(states) and stop is None:
            if head % 256 == 0 and self.deadline is not None and time.monotonic() >= self.deadline:
                stop = "timeout"
                break
            state = states[head]
            for t in model.transitions:
                nxt = fire(model, t, state)
                if nxt is None:
                    continue
                node = index.get(nxt)
                if node is None:
                    if self.max_states is not None and len(states) >= self.max_states:
                        stop = f"more than {self.max_states:,} states (max_states)"
                        break
                    node = index[nxt] = len(states)
                    states.append(nxt)
                    g.parent.append(head)
                    g.parent_via.append(t.index)
                    g.depth.append(g.depth[head] + 1)
                src.append(head)
                dst.append(node)
                via.append(t.index)
            head += 1
        g.src, g.dst, g.via = [np.array(src, np.int32)], [np.array(dst, np.int32)], [np.array(via, np.int32)]
        e_src, e_dst, e_via, parent, parent_via, depth = g.finish()
        cache: dict[str, np.ndarray] = {}

        def holds(prop: str) -> np.ndarray:
            if prop not in cache:
                cache[prop] = np.array([bool(evaluate(model, CONCRETE, prop, s)) for s in states], dtype=bool)
            return cache[prop]

        return StateGraph(
            model, e_src, e_dst, e_via, parent, parent_via, depth, stop is None, stop, "python",
            time.monotonic() - started, lambda node: states[node], holds,
        )  # fmt: skip
