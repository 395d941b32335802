"""Level-synchronous breadth-first search over compiled transitions (numpy columns).

Each level's frontier is a run of packed keys, stepped a chunk at a time: every compiled
transition steps the whole chunk at once, reading the rows it needs (`explicit_rows`).
Without symmetry a successor's key is its parent's with the updated fields replaced
(`KeyLayout.derive`); with symmetry the successors are built as a matrix, canonicalized
and packed. The keys are merged into the sorted `VisitedStore`. Properties are checked
per level: invariants and `reachable` on the states first found at that depth, action
invariants on every edge expanded from the previous depth, so the first finding of each
property is a shortest one.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...lang.model import Instance
from ...state_store import KeyLayout, VisitedStore, repack_keys
from .bounds import Exceeds
from .common import Search, State, concrete_trace
from .compile import Compiled, CompiledStep, _broadcast
from .rows import NextRows, PackedRows, SubRows
from .symmetry import MatrixCanon
from .tuples import TupleSearch

CHUNK = 1 << 14  # frontier states stepped at a time: fewer numpy calls per state; the rows are lazy


def _repack(keys: np.ndarray, old: KeyLayout, new: KeyLayout) -> np.ndarray:
    """Keys packed with ``old`` re-packed with ``new``, a chunk at a time (in place where they can be)."""
    return repack_keys(keys, old, new)


def _row(value: Any) -> np.ndarray:
    """An updated row as int64s: an array, or 0-d where the update folded to a constant."""
    if isinstance(value, np.ndarray) and value.dtype == np.int64:
        return value
    return np.asarray(value, dtype=np.int64)


@dataclass
class _Move:
    """One step from the states at positions ``where`` of a frontier chunk (ids ``ids``)."""

    step: CompiledStep
    where: np.ndarray
    ids: np.ndarray
    sub: SubRows
    values: list[np.ndarray]  # the new values of ``step.changed``, one array (or 0-d constant) per row


def search_exactly(compiled: Compiled | None, search: Search, groups: list[list[Instance]], note: str = "") -> Search:
    """Run ``search`` with the numpy backend where ``compiled`` exists and stays exact, else
    with exact Python integers (``note`` says why: `Exceeds.note`). Returns the search that
    ran: a fresh one when the numpy search met a value beyond its exact range midway."""
    if compiled is not None:
        try:
            MatrixSearch(compiled, search, groups).run()
            return search
        except Exceeds as err:
            search = search.restart(err.note)
    elif note:
        search.note = note
    TupleSearch(search, groups).run()
    return search


class MatrixSearch:
    def __init__(self, compiled: Compiled, search: Search, groups: list[list[Instance]]):
        """``groups``: interchangeable replicas (`checker.symmetry.decide`), [] for no reduction."""
        self.c = compiled
        self.s = search
        self.vec = compiled.vectors
        self.canon = MatrixCanon(groups, self.vec.slot_columns, self.vec)
        self.by_index = {step.transition.index: step for step in compiled.steps}
        search.backend = "numpy"
        search.symmetry = self.canon.active

    def run(self) -> None:
        s = self.s
        inits = self.c.model.inits
        for st in inits:
            self.c.check_state(st)
        S0 = self.vec.matrix(list(inits))
        bounds = [(col.lo, col.hi) for col in self.vec.columns]
        store = self.store = VisitedStore(KeyLayout.for_columns(bounds, S0), len(self.c.model.transitions))
        self._canon(S0)
        # every initial state is a root (no incoming transition, parent -1-k for ``model.inits[k]``)
        # at depth 0; of equal canonical forms the first
        n0 = S0.shape[1]
        roots = -1 - np.arange(n0, dtype=np.int32)
        chosen, _ = store.add(store.layout.pack(S0), roots, np.full(n0, -1, np.int32))
        S0 = S0[:, chosen]
        s.states = store.count
        self._check_states(S0, 0)
        # The frontier and each level's successors are kept packed (8 bytes per key word, not 8
        # per flat column) and unpacked one chunk at a time: the peak is then the store, the
        # packed successors and one chunk's matrices, not the whole level's matrices.
        frontier, base = store.layout.pack(S0), 0
        while s.going and frontier.shape[0] and not s.timed_out():
            s.report(frontier.shape[0])
            keys, parents, via = [], [], []
            for start in range(0, frontier.shape[0], CHUNK):
                layout = store.layout
                moves = self._expand(PackedRows(frontier[start : start + CHUNK], layout), base + start)
                if s.stop is not None:
                    break
                if not moves:
                    continue
                if self.canon.active:
                    level_keys = self._canonical_keys(moves)
                else:
                    # successors' new values must fit the layout before their keys are derived
                    new: dict[int, list[np.ndarray]] = {}
                    for move in moves:
                        for j, v in zip(move.step.changed, move.values, strict=True):
                            new.setdefault(j, []).append(v)
                    store.widen(layout.outside(new))
                if store.layout is not layout:  # widened: what is packed so far must follow
                    frontier = _repack(frontier, layout, store.layout)
                    keys = [_repack(k, layout, store.layout) for k in keys]
                if not self.canon.active:
                    chunk = frontier[start : start + CHUNK]
                    level_keys = [store.layout.derive(chunk[m.where], m.step.changed, m.values) for m in moves]
                # only this chunk's successors that are new (to the store and to the chunk) are
                # kept: the level's successors, mostly duplicates, are never held all at once
                fresh = store.novel(
                    np.concatenate(level_keys),
                    np.concatenate([m.ids for m in moves]),
                    np.concatenate([np.full(m.where.size, m.step.transition.index, store.via.dtype) for m in moves]),
                    key_order=True,  # sorted: a level of one chunk is then stored without sorting it again
                )
                del moves, level_keys
                keys.append(fresh[0])
                parents.append(fresh[1])
                via.append(fresh[2])
                del fresh
                s.tick(min(start + CHUNK, frontier.shape[0]), frontier.shape[0])
            if s.stop is not None:
                break
            if not keys:  # every frontier state is a deadlock: nothing more to explore
                frontier = frontier[:0]
                break
            s.level_done(frontier.shape[0])
            base = store.count
            # every chunk's keys went through `novel` and nothing was stored since: none is stored,
            # and one chunk's are distinct as well
            one_chunk = len(keys) == 1
            level = keys[0] if one_chunk else np.concatenate(keys)
            del keys
            parents_, via_ = (parents[0], via[0]) if one_chunk else (np.concatenate(parents), np.concatenate(via))
            chosen, cut = store.add(
                level, parents_, via_, s.limit_left(), none_stored=True, distinct=one_chunk, ordered=one_chunk
            )
            frontier = level[chosen]  # new ids base, base + 1, ... in this order
            del level
            s.states = store.count
            if chosen.size:
                s.depth += 1
            for start in range(0, frontier.shape[0], CHUNK):
                self._check_states(PackedRows(frontier[start : start + CHUNK], store.layout), base + start)
            if cut:
                s.stop = f"max_states ({s.max_states}) reached"
                break
        s.exhaustive = s.stop is None and frontier.shape[0] == 0
        s.bytes_per_state = store.nbytes / max(store.count, 1)
        s.repacks = store.repacks

    def _canonical_keys(self, moves: list[_Move]) -> list[np.ndarray]:
        """Keys of the canonical forms of the moves' successors (the store's layout widened to
        hold them), built for a few moves at a time: the successor matrix of a whole chunk
        (every column, every successor) was the largest transient of a symmetric search."""
        out: list[np.ndarray] = []
        group: list[_Move] = []
        for i, move in enumerate(moves):
            group.append(move)
            if i + 1 < len(moves) and sum(m.where.size for m in group) + moves[i + 1].where.size <= CHUNK // 4:
                continue
            layout = self.store.layout
            keys = self._canonical_group(group)
            if self.store.layout is not layout:  # widened: the keys packed so far must follow
                out = [_repack(k, layout, self.store.layout) for k in out]
            out.append(keys)
            group = []
        return out

    def _canonical_group(self, moves: list[_Move]) -> np.ndarray:
        m = len(self.vec.columns)
        C = np.empty((m, sum(move.where.size for move in moves)), dtype=np.int64)
        at = 0
        for move in moves:
            nxt = NextRows(move.sub, move.step.changed, move.values)
            for j in range(m):
                C[j, at : at + move.where.size] = nxt[j]
            at += move.where.size
        store = self.store
        store.ensure_covers(C)  # the canonical sort reads the layout's fields
        self._canon(C)
        # again: sorting moves values between replicas' columns, whose fields widen
        # separately, and a value outside its field would corrupt the packed key
        store.ensure_covers(C)
        self._canonical_made(C)
        return store.layout.pack(C)

    def _canonical_made(self, C: np.ndarray) -> None:
        """Called with each group's canonical successors (a partition hashes them for their owners)."""

    def _canon(self, S: np.ndarray) -> None:
        if self.canon.active:
            self.canon(S, self.store.layout.lo, self.store.layout.width)

    def _expand(self, frontier: PackedRows, base: int) -> list[_Move]:
        """Every enabled step from the frontier; checks action invariants on the edges."""
        moves = []
        n = frontier.shape[1]
        for step in self.c.steps:
            where = np.flatnonzero(_broadcast(step.guard(frontier), n))
            if not where.size:
                continue
            sub = SubRows(frontier, where)
            if step.checked_delta is not None:  # range checks and updates in one call (shared subterms)
                bad, raw = step.checked_delta(sub)
                if bad is not False:
                    bad = _broadcast(bad, where.size)
                    if bad.any():
                        self.c._raise_step_error(step.transition, sub[:, int(np.argmax(bad))])
            else:
                if step.bad is not None:
                    bad = _broadcast(step.bad(sub), where.size)
                    if bad.any():
                        self.c._raise_step_error(step.transition, sub[:, int(np.argmax(bad))])
                raw = step.delta(sub)
            values = [_row(v) for v in raw]
            if step.watch:  # before anything reads them: values beyond the exact range end the numpy search
                self.c.check_values(step, values)
            self.s.count(step.transition.index, where.size)
            ids = (base + where).astype(np.int32)
            for name in self.s.of_kind("action_invariant"):
                bad = np.flatnonzero(~self.c.holds(name, sub, NextRows(sub, step.changed, values)))
                if bad.size:
                    self.s.record(name, self._trace(int(ids[bad[0]]), step.transition.index, name, "violation"))
            moves.append(_Move(step, where, ids, sub, values))
            if self.s.timed_out():
                break
        return moves

    def _check_states(self, S: np.ndarray, base: int) -> None:
        for name in self.s.of_kind("invariant", "reachable"):
            holds = self.c.holds(name, S)
            hits = np.flatnonzero(holds if self.c.model.properties[name].kind == "reachable" else ~holds)
            if hits.size:
                kind = "witness" if self.c.model.properties[name].kind == "reachable" else "violation"
                self.s.record(name, self._trace(base + int(hits[0]), None, name, kind))

    # -- traces
    def _trace(self, state_id: int, last: int | None, prop: str, kind: str):
        """The trace to ``state_id`` (then one more step ``last``, for an action invariant)."""
        hints = self.store.path(state_id) + ([last] if last is not None else [])
        rep = self._vector_canon(self.c.model.inits[self.store.root_init(state_id)])
        targets: list[Hashable] = [rep]
        for t in hints:  # the representatives, recomputed the way the search made them
            where, nxt = self.c.successors(self.by_index[t], np.array(rep, dtype=np.int64).reshape(-1, 1))
            assert where.size == 1
            rep = self._canon_column(nxt)
            targets.append(rep)
        return concrete_trace(self.c.model, hints, targets, self._vector_canon, prop, kind)

    def _vector_canon(self, state: State) -> tuple[int, ...]:
        return self._canon_column(self.vec.matrix([state]))

    def _canon_column(self, S: np.ndarray) -> tuple[int, ...]:
        S = S.copy()
        self._canon(S)
        return tuple(int(v) for v in S[:, 0])
