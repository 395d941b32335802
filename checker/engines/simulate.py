"""Swarm simulation: many random walks, for bug hunting where exhaustive search cannot go.

Walk ``i`` (0-based) starts in the initial state and takes up to ``depth`` steps; at each
step it picks one enabled transition, uniformly or (``bias="rare"``) with weight
``1 / (1 + f)``, ``f`` the times that transition fired so far in the walk's *block* (walks
``256b .. 256b+255``, run together in lockstep). Every choice is a function of (seed,
walk, step) alone (a counter-based generator, `_uniform`), so the walks and their results
are the same whatever the number of workers or whether they run on Ray.

Findings: the first violation (or witness) of each property is the one with the fewest
steps, then the lowest walk number: also independent of how the walks were split. It is
replayed concretely, then shortened, soundly:

1. cycles are cut out (a state visited twice: the steps in between are dropped); the result
   is still a real path to the same violating state (or edge);
2. a breadth-first search from the initial state (the explicit engine, with a state budget)
   looks for the property; as a violation exists within the walk's length, it finds a
   *shortest* one if the budget suffices, and the result says so ("shortest: proved by
   breadth-first search"); otherwise it keeps the shortened walk and states the proved
   lower bound ("no violation within k steps").

A simulation that finds nothing proves nothing: those properties are UNKNOWN (exit 3),
"no violation in N walks of depth D (not exhaustive)", never "holds". Graph properties
(`recoverable`, `eventually`) are not checked by walks.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..encoding import Encoding
from ..errors import ModelError
from ..lang.declare import GRAPH_KINDS
from ..lang.model import ModelInstance
from ..lang.runtime import CONCRETE, evaluate, fire
from ..results import PropertyResult, Verdict
from .explicit.bounds import Exceeds
from .explicit.common import peak_rss
from .explicit.compile import Compiled, Untranslatable, _broadcast
from .explicit.rows import NextRows
from .shorten import shorten
from .state_hash import _GOLDEN, mix64

BLOCK = 256  # walks run in lockstep (and sharing `bias="rare"` counts)
SHORTEN_STATES = 200_000  # the breadth-first search's budget when shortening a finding
_STEP = np.uint64(0xD1B54A32D192ED03)


@dataclass(order=True)
class Hit:
    """A walk's first finding of a property: ``steps`` transitions (indices) from the initial state."""

    length: int
    walk: int
    prop: str = field(compare=False)
    steps: list[int] = field(compare=False)
    #: which of the model's initial states the walk starts from (`ModelInstance.inits`)
    start: int = field(compare=False, default=0)


def start_index(seed: int, walk: int | np.ndarray, count: int) -> Any:
    """The initial state walk ``walk`` starts from: a function of (seed, walk) only, as every
    choice of a walk is (0 when the model has one initial state: no draw at all)."""
    if count == 1:
        return 0 if isinstance(walk, int) else np.zeros(len(walk), dtype=np.intp)
    u = _uniform(seed, np.atleast_1d(np.asarray(walk)), -1)  # step -1: no step's numbers are reused
    picks = np.minimum((u * count).astype(np.intp), count - 1)
    return int(picks[0]) if isinstance(walk, int) else picks


def _uniform(seed: int, walks: np.ndarray, step: int) -> np.ndarray:
    """Numbers in [0, 1), one per walk, a function of (seed, walk, step) only."""
    with np.errstate(over="ignore"):
        s = mix64(np.array([seed & (2**64 - 1)], dtype=np.uint64) ^ _GOLDEN)
        h = mix64(walks.astype(np.uint64) * _GOLDEN + s)
        h = mix64(h ^ (np.uint64(step + 1) * _STEP))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _choose(enabled: np.ndarray, weights: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per walk (column), the row of ``enabled`` picked with probability proportional to
    ``weights``, and whether any row is enabled at all."""
    w = np.where(enabled, weights, 0.0)
    cum = np.cumsum(w, axis=0)
    total = cum[-1]
    alive = total > 0
    target = u * total
    pick = np.argmax(cum > target[None, :], axis=0)
    return pick, alive


class Walker:
    """Runs blocks of walks over a compiled model (numpy), or one walk at a time with
    `runtime.fire` where the model has no numpy form or leaves its exact range."""

    def __init__(self, model: ModelInstance, properties: list[str], bias: str = "uniform"):
        self.model, self.properties, self.bias = model, properties, bias
        self.compiled: Compiled | None = None
        self.note = ""
        enc = Encoding(model)
        for name in properties:
            enc.prop(name, enc.x, enc.x_next)
        try:
            self.compiled = Compiled(model, properties, enc)
        except Exceeds as err:
            self.note = err.note
        except Untranslatable:
            self.note = "walks run with the concrete interpreter (the model has no numpy form)"

    def block(self, first: int, count: int, seed: int, depth: int, limit: dict[str, int]) -> list[Hit]:
        """Walks ``first .. first+count-1``: the first finding of each property, searched up
        to ``depth`` steps, and up to ``limit[p]`` steps for a property ``p`` already found
        elsewhere (a later walk only matters if it is shorter)."""
        if self.compiled is not None:
            try:
                return self._numpy_block(first, count, seed, depth, limit)
            except Exceeds as err:
                self.compiled, self.note = None, err.note
        return self._python_block(first, count, seed, depth, limit)

    # -- numpy: a block of walks in lockstep
    def _numpy_block(self, first: int, count: int, seed: int, depth: int, limit: dict[str, int]) -> list[Hit]:
        c = self.compiled
        assert c is not None
        model = self.model
        walks = np.arange(first, first + count)
        self._seed = seed
        starts = [model.inits[int(i)] for i in start_index(seed, walks, len(model.inits))]
        for st in set(starts):  # a start beyond the compiled code's exact range: the Python walks
            c.check_state(st)
        S = c.vectors.matrix(starts)
        steps = c.steps
        chosen = np.full((depth, count), -1, dtype=np.int32)
        fired = np.zeros(len(steps), dtype=np.float64)
        alive = np.ones(count, dtype=bool)
        found: dict[str, Hit] = {}
        self._state_hits(S, walks, 0, chosen, found, limit)
        for k in range(depth):
            open_props = [p for p in self.properties if p not in found and k < limit.get(p, depth)]
            if not open_props or not alive.any():
                break
            enabled = np.stack([_broadcast(st.guard(S), count) for st in steps]) & alive[None, :]
            weights = (1.0 / (1.0 + fired))[:, None] if self.bias == "rare" else np.ones((len(steps), 1))
            pick, alive = _choose(enabled, weights, _uniform(seed, walks, k))
            pick = np.where(alive, pick, -1)
            before = set(found)  # a property found at this step: the lowest walk among all its steps' violators
            for i, st in enumerate(steps):
                where = np.flatnonzero(pick == i)
                if not where.size:
                    continue
                chosen[k, where] = st.transition.index
                fired[i] += where.size
                sub = S[:, where]
                if st.bad is not None:
                    bad = _broadcast(st.bad(sub), where.size)
                    if bad.any():
                        c._raise_step_error(st.transition, sub[:, int(np.argmax(bad))])
                values = [np.asarray(v, dtype=np.int64) for v in st.delta(sub)]
                if st.watch:
                    c.check_values(st, values)
                for name in self.properties:
                    if model.properties[name].kind != "action_invariant" or name in before:
                        continue
                    if k >= limit.get(name, depth):
                        continue
                    bad_edges = np.flatnonzero(~c.holds(name, sub, NextRows(_Matrix(sub), st.changed, values)))
                    if bad_edges.size:
                        w = int(where[bad_edges[0]])
                        self._note(found, name, k + 1, w, walks, chosen)
                for j, v in zip(st.changed, values, strict=True):
                    S[j, where] = v
            self._state_hits(S, walks, k + 1, chosen, found, limit, alive)
        return list(found.values())

    def _note(
        self, found: dict[str, Hit], name: str, length: int, w: int, walks: np.ndarray, chosen: np.ndarray
    ) -> None:
        walk = int(walks[w])
        start = start_index(self._seed, walk, len(self.model.inits))
        hit = Hit(length, walk, name, [int(t) for t in chosen[:length, w]], start)
        if name not in found or hit < found[name]:
            found[name] = hit

    def _state_hits(
        self,
        S: np.ndarray,
        walks: np.ndarray,
        k: int,
        chosen: np.ndarray,
        found: dict[str, Hit],
        limit: dict[str, int],
        moved: np.ndarray | None = None,
    ) -> None:
        c = self.compiled
        assert c is not None
        for name in self.properties:
            kind = self.model.properties[name].kind
            if kind not in ("invariant", "reachable") or name in found or k > limit.get(name, k):
                continue
            holds = c.holds(name, S)
            hit = holds if kind == "reachable" else ~holds
            if moved is not None:
                hit = hit & moved  # a walk that is stuck stays where it was: found at its last step already
            where = np.flatnonzero(hit)
            if where.size:
                self._note(found, name, k, int(where[0]), walks, chosen)

    # -- python: one walk at a time, the same choices
    def _python_block(self, first: int, count: int, seed: int, depth: int, limit: dict[str, int]) -> list[Hit]:
        model = self.model
        transitions = model.transitions
        fired = np.zeros(len(transitions), dtype=np.float64)
        found: dict[str, Hit] = {}
        paths: list[list[int]] = [[] for _ in range(count)]
        self._seed = seed
        states = [model.inits[int(i)] for i in start_index(seed, np.arange(first, first + count), len(model.inits))]
        alive = [True] * count
        for w in range(count):
            self._python_state(states[w], first + w, [], found, 0, limit)
        for k in range(depth):
            if all(p in found or k >= limit.get(p, depth) for p in self.properties) or not any(alive):
                break
            u = _uniform(seed, np.arange(first, first + count), k)
            weights = 1.0 / (1.0 + fired) if self.bias == "rare" else np.ones(len(transitions))
            moves: list[tuple[int, int, Any, Any]] = []
            for w in range(count):
                if not alive[w]:
                    continue
                succ = [fire(model, t, states[w]) for t in transitions]
                enabled = np.array([s is not None for s in succ])
                pick, ok = _choose(enabled[:, None], weights[:, None], u[w : w + 1])
                if not ok[0]:
                    alive[w] = False
                    continue
                i = int(pick[0])
                moves.append((w, i, states[w], succ[i]))
            for w, i, old, new in moves:
                fired[i] += 1
                paths[w].append(transitions[i].index)
                states[w] = new
                for name in self.properties:
                    if self.model.properties[name].kind == "action_invariant" and name not in found:
                        if k < limit.get(name, depth) and not evaluate(model, CONCRETE, name, old, new):
                            start = start_index(seed, first + w, len(model.inits))
                            found[name] = Hit(k + 1, first + w, name, list(paths[w]), start)
            for w, _, _, new in moves:
                self._python_state(new, first + w, paths[w], found, k + 1, limit)
        return list(found.values())

    def _python_state(self, state: Any, walk: int, path: list[int], found: dict[str, Hit], k: int, limit: dict) -> None:
        for name in self.properties:
            kind = self.model.properties[name].kind
            if kind not in ("invariant", "reachable") or name in found or k > limit.get(name, k):
                continue
            if bool(evaluate(self.model, CONCRETE, name, state)) == (kind == "reachable"):
                found[name] = Hit(k, walk, name, list(path), start_index(self._seed, walk, len(self.model.inits)))


class _Matrix:
    """A plain matrix as the row view `NextRows` expects."""

    def __init__(self, S: np.ndarray):
        self.S, self.shape = S, S.shape

    def __getitem__(self, j: Any) -> np.ndarray:
        return self.S[j]


def merge(hits: list[Hit]) -> dict[str, Hit]:
    """Per property, the finding with the fewest steps, then the lowest walk."""
    best: dict[str, Hit] = {}
    for h in hits:
        if h.prop not in best or h < best[h.prop]:
            best[h.prop] = h
    return best


@dataclass
class Simulation:
    """What `simulate` ran: for the results' ``extra``."""

    walks: int
    depth: int
    seed: int
    bias: str
    workers: int = 1
    transport: str = "process"
    note: str = ""
    worker_rss: list[int] = field(default_factory=list)


def run_blocks(
    model: ModelInstance, properties: list[str], walks: int, depth: int, seed: int, bias: str, blocks: list[int]
) -> tuple[list[Hit], str, int]:
    """Run the given blocks in this process, in order, each limited by what the earlier
    ones found (see `Walker.block`). Returns (hits, backend note, peak RSS)."""
    walker = Walker(model, properties, bias)
    found: dict[str, Hit] = {}
    for b in blocks:
        first = b * BLOCK
        count = min(BLOCK, walks - first)
        limit = {p: h.length - 1 for p, h in found.items()}  # later walks count only if shorter
        found = merge(list(found.values()) + walker.block(first, count, seed, depth, limit))
    return list(found.values()), walker.note, peak_rss()


def simulate(
    model: ModelInstance,
    properties: list[str],
    walks: int,
    depth: int,
    seed: int,
    bias: str = "uniform",
    workers: int = 1,
    ray: str | None = None,
    shorten_states: int = SHORTEN_STATES,
    timeout: float | None = None,
) -> tuple[list[PropertyResult], Simulation]:
    """Random walks over ``model`` looking for violations (and witnesses) of ``properties``."""
    if bias not in ("uniform", "rare"):
        raise ValueError(f"bias must be uniform or rare, not {bias!r}")
    for name in properties:
        if name not in model.properties:
            known = ", ".join(model.properties) or "none"
            raise ModelError(f"the model has no property '{name}' (it has: {known})")
    started = time.monotonic()
    walked = [n for n in properties if model.properties[n].kind not in GRAPH_KINDS]
    blocks = list(range((walks + BLOCK - 1) // BLOCK))
    sim = Simulation(walks, depth, seed, bias, workers=1)
    if walked and blocks:
        if ray is not None:
            from .ray_search import ray_blocks

            hits, notes, rss = ray_blocks(model, walked, walks, depth, seed, bias, blocks, max(workers, 1), ray)
            sim.transport, sim.workers = "ray", max(workers, 1)
        elif workers > 1 and len(blocks) > 1 and "fork" in multiprocessing.get_all_start_methods():
            from .processes import map_forked

            parts = [blocks[i::workers] for i in range(min(workers, len(blocks)))]
            out = map_forked(run_blocks, [(model, walked, walks, depth, seed, bias, p) for p in parts])
            hits = [h for found, _, _ in out for h in found]
            notes, rss = [n for _, n, _ in out], [r for _, _, r in out]
            sim.workers = len(parts)
        else:
            found, note, _ = run_blocks(model, walked, walks, depth, seed, bias, blocks)
            hits, notes, rss = found, [note], []
        sim.note = next((n for n in notes if n), "")
        sim.worker_rss = rss
    else:
        hits = []
    best = merge(hits)
    deadline = started + timeout if timeout else None
    results = []
    for name in properties:
        results.append(_result(model, name, best.get(name), sim, shorten_states, deadline))
    for r in results:
        r.seconds = time.monotonic() - started
    return results, sim


def _result(
    model: ModelInstance, name: str, hit: Hit | None, sim: Simulation, budget: int, deadline: float | None
) -> PropertyResult:
    kind = model.properties[name].kind
    extra: dict[str, Any] = {
        "walks": sim.walks,
        "walk_depth": sim.depth,
        "seed": sim.seed,
        "bias": sim.bias,
        "workers": sim.workers,
        "transport": sim.transport,
        "peak_rss_bytes": peak_rss() + sum(sim.worker_rss),
    }
    if sim.note:
        extra["backend_note"] = sim.note
    r = PropertyResult(name, kind, Verdict.UNKNOWN, "simulate", extra=extra)
    if kind in GRAPH_KINDS:
        r.reason = f"not checked: random walks cannot decide a {kind} property (use check)"
        return r
    if hit is None:
        what = "witness" if kind == "reachable" else "violation"
        r.reason = f"no {what} found in {sim.walks:,} walks of depth {sim.depth} (seed {sim.seed}; not exhaustive)"
        r.depth = sim.depth
        return r
    trace, how = shorten(model, name, hit, budget, deadline)
    r.verdict = Verdict.WITNESSED if kind == "reachable" else Verdict.VIOLATED
    r.trace, r.depth, r.checked = trace, len(trace), True
    r.reason = f"found by walk {hit.walk} after {hit.length} steps; {how}"
    extra.update(found_by_walk=hit.walk, walk_length=hit.length, shortest=how.startswith("shortest"))
    return r
