"""One partition of a partitioned breadth-first search: the states whose hash it owns.

The parallel (`parallel`) and distributed (`ray_search`) searches split the visited set
across workers by a hash of each state's *values* (`owner_of`): every worker stores the
states it owns, expands them one BFS level at a time, and sends each successor to its
owner. The levels stay synchronized (a coordinator drives them), so breadth-first order
is kept: every state is stored at its BFS depth, and a property first found at level d
has no counterexample shorter than d.

A state's global id is ``local id * partitions + partition``; parents are stored as global
ids, so a trace is rebuilt by asking each owner in turn for a state's parent (`parent_of`).
Everything here is transport-free: the same `Partition` runs in a forked process or in a
Ray actor. The level's work reuses `MatrixSearch` (expansion, canonical keys, property
checks); what differs is where the successors go and how findings are reported (as
`Finding`s, global ids, rebuilt into traces by the coordinator).

The hash must not depend on the key layout (each partition widens its own layout when an
unbounded column grows), so it is computed from the column values (`state_hash`): a
linear combination, so that a successor's hash is its parent's plus the change of the few
columns a step writes, then mixed. With symmetry on, it is the hash of the canonical form,
computed where that form is built.
"""

from __future__ import annotations

import ctypes
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InternalError
from ..lang.model import Instance
from ..state_store import KeyLayout, VisitedStore
from .explicit.common import Search, current_rss, peak_rss
from .explicit.compile import Compiled
from .explicit.matrix import CHUNK, MatrixSearch, _Move, _repack
from .explicit.rows import PackedRows
from .state_hash import _multipliers, linear_hash, owner_of

#: global ids are stored in the int32 parent arrays of `VisitedStore`
ID_LIMIT = 2**31


def shared_rss() -> int:
    """Bytes of shared memory this process has resident (``RssShmem``; 0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssShmem:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        pass
    return 0


def run_delay() -> float:
    """Seconds this process has spent runnable but waiting for a core (Linux ``schedstat``; 0 elsewhere):
    what a busy machine costs a search, apart from its own waits."""
    try:
        with open("/proc/self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux, or no schedstats
        return 0.0


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """With ``RACEPROOF_TRIM_EACH_LEVEL=1``, give the pages malloc holds free back to the system
    once a level (glibc's ``malloc_trim``; nothing elsewhere). A level's many mid-sized arrays
    leave 14-18 MB free inside a worker's heap, which glibc keeps and reuses: resident at the
    peak, a fixed cost per process (it does not grow with the states). Given back each level, the
    next level faults it in again: at 4.3M states, 2 workers' peak 299 -> 272 MB for ~20% more
    CPU, so it is not the default."""
    if _TRIM is not None and os.environ.get("RACEPROOF_TRIM_EACH_LEVEL") == "1":
        _TRIM(0)


@dataclass
class Finding:
    """A property's first counterexample or witness in one partition: state ``gid`` (a
    global id), then, for an action invariant, the step ``last`` out of it."""

    prop: str
    gid: int
    last: int | None


@dataclass
class Batch:
    """Successors bound for one partition: keys packed with the sender's layout (``lo``,
    ``width``), their parents' global ids and the transitions that made them."""

    keys: np.ndarray
    parents: np.ndarray  # int32 global ids (every stored id fits: see `commit`)
    via: np.ndarray  # int32 transition indices
    hashes: np.ndarray  # uint64 `linear_hash` of each state (kept for the frontier: no re-hashing)
    lo: tuple[int, ...]
    width: tuple[int, ...]


@dataclass
class LevelReport:
    """What a partition tells the coordinator after a step of the level."""

    states: int = 0  # stored in this partition
    new: int = 0  # stored at this level
    frontier: int = 0
    findings: list[Finding] = field(default_factory=list)
    fired_by: dict[int, int] = field(default_factory=dict)
    stop: str | None = None
    nbytes: int = 0
    repacks: int = 0
    peak_rss: int = 0  # bytes (ru_maxrss of this process)
    start_rss: int = 0  # bytes resident when the partition was made (a forked worker shares its parent's pages)
    shared_rss: int = 0  # bytes of shared memory resident now (Ray's object store: also in its peer's RSS)
    cpu_seconds: float = 0.0  # CPU time of this process since the partition was made
    pid: int = field(default_factory=os.getpid)  # the process (a Ray actor's is not this process's child)
    # wall seconds this worker spent blocked on its coordinator's next command or its peers' batches
    # (the level barriers), and waiting runnable for a core (``run_delay``: other processes on its cores)
    waited: float = 0.0
    run_delay: float = 0.0


class _PartitionSearch(MatrixSearch):
    """`MatrixSearch` whose findings are global ids (the trace is rebuilt by the coordinator)."""

    part: Partition
    hashes: list[np.ndarray]

    def _canonical_made(self, C: np.ndarray) -> None:
        self.hashes.append(linear_hash(C, self.part.mult, C.shape[1]))

    def _trace(self, state_id: int, last: int | None, prop: str, kind: str):  # type: ignore[override]
        return Finding(prop, self.part.gid(state_id), last)


class Partition:
    """The states of partition ``index`` of ``count``, searched level by level."""

    def __init__(
        self,
        compiled: Compiled,
        properties: list[str],
        groups: list[list[Instance]],
        index: int,
        count: int,
        deadline: float | None = None,
        count_fresh: bool = False,
    ):
        """``count_fresh``: `receive` counts the new states (for a ``max_states`` cap)."""
        self.index, self.count = index, count
        self.start_rss = current_rss()
        self.start_cpu = time.process_time()
        self.start_delay = run_delay()
        self.search = Search(compiled.model, list(properties), None, deadline, None)
        self.ms = _PartitionSearch(compiled, self.search, groups)
        self.ms.part = self
        # frontier states expanded at a time: a fixed transient paid by every worker, so halved
        # where it is largest (the symmetric expansion's successor matrices; ~+5% CPU there)
        self.chunk = CHUNK // 2 if self.ms.canon.active else CHUNK
        self.c = compiled
        S0 = compiled.vectors.matrix(list(compiled.model.inits))
        self.mult = _multipliers(len(compiled.vectors.columns))
        self.count_fresh = count_fresh
        bounds = [(col.lo, col.hi) for col in compiled.vectors.columns]
        self.store = self.ms.store = VisitedStore(KeyLayout.for_columns(bounds, S0), len(compiled.model.transitions))
        self.frontier = self.store.layout.pack(S0)[:0]
        self.frontier_hash = np.zeros(0, dtype=np.uint64)  # the frontier's `linear_hash`es, in its order
        self.base = 0
        self._staged: tuple[np.ndarray, ...] | None = None

    def gid(self, local: int) -> int:
        return local * self.count + self.index

    # -- level 0
    def start(self) -> LevelReport:
        """Store the initial states this partition owns (a root's parent is ``-1 - k`` for
        initial state k: `VisitedStore.root_init`), and check them."""
        c, store = self.c, self.store
        inits = c.model.inits
        for st in inits:
            c.check_state(st)
        S0 = c.vectors.matrix(list(inits))
        self.ms._canon(S0)
        h = linear_hash(S0, self.mult, S0.shape[1])
        mine = np.flatnonzero(owner_of(h, self.count) == self.index)
        if mine.size:
            keys = store.layout.pack(S0[:, mine])
            chosen, _ = store.add(keys, (-1 - mine).astype(np.int32), np.full(mine.size, -1, np.int32))
            S0 = S0[:, mine[chosen]]
            self.frontier, self.frontier_hash = keys[chosen], h[mine[chosen]]
            self.ms._check_states(S0, 0)
        return self._report(new=store.count)

    # -- a level: expand, exchange, store
    def expand(self, pending: list[str]) -> tuple[list[Batch], LevelReport]:
        """Every successor of this partition's frontier, grouped by owner (one `Batch` per
        partition, each in expansion order); action invariants are checked on the edges."""
        s, store, ms = self.search, self.store, self.ms
        s.pending = [p for p in pending if p in s.properties]
        s.fired_by, s.stop = {}, None
        # per destination partition: pieces of (keys, parents, via, hashes), a chunk's worth each,
        # so that the level's successors are held about once (plus one chunk), not twice
        out: list[list[list[np.ndarray]]] = [[[], [], [], []] for _ in range(self.count)]
        frontier, chunk_size = self.frontier, self.chunk
        for start in range(0, frontier.shape[0], chunk_size):
            layout = store.layout
            rows = PackedRows(frontier[start : start + chunk_size], layout)
            moves = ms._expand(rows, self.base + start)
            if s.stop is not None:
                break
            if not moves:
                continue
            if ms.canon.active:
                level_keys, level_hashes = self._canonical(moves)
            else:
                new: dict[int, list[np.ndarray]] = {}
                for move in moves:
                    for j, v in zip(move.step.changed, move.values, strict=True):
                        new.setdefault(j, []).append(v)
                store.widen(layout.outside(new))
                level_hashes = self._derived_hashes(self.frontier_hash[start : start + chunk_size], moves)
            if store.layout is not layout:
                frontier = _repack(frontier, layout, store.layout)
                for pieces in out:
                    pieces[0] = [_repack(k, layout, store.layout) for k in pieces[0]]
            if not ms.canon.active:
                chunk = frontier[start : start + chunk_size]
                level_keys = [store.layout.derive(chunk[m.where], m.step.changed, m.values) for m in moves]
            parts = (
                np.concatenate(level_keys),
                np.concatenate([(m.ids.astype(np.int64) * self.count + self.index).astype(np.int32) for m in moves]),
                np.concatenate([np.full(m.where.size, m.step.transition.index, store.via.dtype) for m in moves]),
                np.concatenate(level_hashes),
            )
            del level_keys, level_hashes, moves
            to = self._destinations(parts[0], parts[3])
            for q in range(self.count):
                pick = np.flatnonzero(to == q)
                for i, part in enumerate(parts):
                    out[q][i].append(part[pick])
            del parts, to
        self.frontier = frontier
        findings = [f for f in s.found.values() if isinstance(f, Finding)]
        s.found.clear()
        report = self._report(findings=findings)
        report.fired_by = dict(s.fired_by)
        report.stop = s.stop
        if s.stop is not None or not any(out[q][0] for q in range(self.count)):
            return [self._batch(*self._nothing())] * self.count, report
        batches = []
        for q in range(self.count):
            pieces, out[q] = out[q], []  # type: ignore[call-overload]
            if not pieces[0]:
                batches.append(self._batch(*self._nothing()))
                continue
            batches.append(self._batch(*(np.concatenate(p) for p in pieces)))
            del pieces
        return batches, report

    def _destinations(self, keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Where each of a chunk's successors goes: its owner, for the first occurrence of each
        key (the one its owner's `add` would keep), else ``count``: a repeat goes nowhere, and
        neither does a state this partition owns and has stored."""
        from ..state_store import _seen, unique_first

        uniq, first = unique_first(keys)
        owner = owner_of(hashes[first], self.count)  # each state's hash is mixed once
        to = np.full(keys.shape[0], self.count, dtype=owner.dtype)
        mine = np.flatnonzero(owner == self.index)
        if mine.size:  # uniq[mine] is sorted, as `_seen` wants
            store = self.store
            known = _seen(store.bulk, uniq[mine])[1]
            if len(store.recent):
                known |= _seen(store.recent, uniq[mine])[1]
            owner[mine[known]] = self.count
        to[first] = owner
        return to

    def _derived_hashes(self, parent_hash: np.ndarray, moves: list[_Move]) -> list[np.ndarray]:
        """`linear_hash` of the moves' successors: the parents' plus the change of each
        column a step writes."""
        mult = self.mult
        out = []
        with np.errstate(over="ignore"):
            for m in moves:
                h = parent_hash[m.where]
                for j, v in zip(m.step.changed, m.values, strict=True):
                    diff = np.subtract(v, m.sub[j], dtype=np.int64).view(np.uint64)
                    h += diff * mult[j]
                out.append(h)
        return out

    def _canonical(self, moves: list[_Move]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """`MatrixSearch._canonical_keys`, and the `linear_hash` of those canonical states."""
        self.ms.hashes = []
        keys = self.ms._canonical_keys(moves)
        hashes, self.ms.hashes = self.ms.hashes, []
        return keys, hashes

    def receive(self, batches: list[Batch | None]) -> int:
        """Take the successors sent here (from partitions 0, 1, ... in order: deterministic),
        and count those never stored before (nothing is stored yet: see `commit`)."""
        store = self.store
        keys, parents, via, hashes = [], [], [], []
        for i, b in enumerate(batches):
            batches[i] = None  # held by the lists below from here on, not twice
            if b is None or b.keys.shape[0] == 0:
                continue
            k = b.keys
            if b.lo != tuple(store.layout.lo) or b.width != tuple(store.layout.width):
                theirs = KeyLayout(list(b.lo), list(b.width), list(store.layout.fixed))
                S = theirs.unpack(k)
                layout = store.layout
                store.ensure_covers(S)
                if store.layout is not layout:
                    self.frontier = _repack(self.frontier, layout, store.layout)
                    keys = [_repack(x, layout, store.layout) for x in keys]
                k = store.layout.pack(S)
            # only what is new here is kept (`VisitedStore.novel`, first occurrence first); this
            # partition's own successors were filtered against the store already (`_destinations`),
            # and the repeats among them `add` drops
            k, p, v, h = (
                (k, b.parents, b.via, b.hashes) if i == self.index else store.novel(k, b.parents, b.via, b.hashes)
            )
            del b
            keys.append(k)
            parents.append(p)
            via.append(v)
            hashes.append(h)
        if not keys:
            self._staged = self._nothing()
            return 0
        self._staged = tuple(np.concatenate(x) for x in (keys, parents, via, hashes))
        level = self._staged[0]
        del keys, parents, via, hashes
        return self._fresh(level) if self.count_fresh else 0

    def commit(self, quota: int | None) -> LevelReport:
        """Store the staged successors not seen before (at most ``quota`` of them, the
        smallest keys first) and check the properties on them."""
        assert self._staged is not None
        level, parents, via, hashes = self._staged
        self._staged = None
        store, s = self.store, self.search
        s.fired_by = {}
        self.base = store.count
        # every staged key was checked against the store when it was staged (this partition's
        # own in `_destinations`, the others' by `novel`) and nothing was stored since: none is
        # stored, so `add` only drops the repeats (several senders may reach one state)
        chosen, _ = store.add(level, parents, via, quota, none_stored=True)
        self.frontier, self.frontier_hash = level[chosen], hashes[chosen]
        if (store.count - 1) * self.count + self.index >= ID_LIMIT:
            raise InternalError(f"more than {ID_LIMIT} states: the state ids do not fit")
        for start in range(0, self.frontier.shape[0], CHUNK):
            self.ms._check_states(PackedRows(self.frontier[start : start + CHUNK], store.layout), self.base + start)
        findings = [f for f in s.found.values() if isinstance(f, Finding)]
        s.found.clear()
        release_free_memory()
        return self._report(new=int(chosen.size), findings=findings)

    def parent_of(self, gid: int) -> tuple[int, int]:
        """(parent's global id, transition index) of a state this partition owns; (-1, -1) for the root."""
        local = gid // self.count
        parent = int(self.store.parent[local])
        return parent, int(self.store.via[local]) if parent >= 0 else -1

    def set_pending(self, pending: list[str]) -> None:
        self.search.pending = [p for p in pending if p in self.search.properties]

    # -- helpers
    def _fresh(self, level: np.ndarray) -> int:
        """How many distinct keys of ``level`` are not stored yet: all of them (each was checked
        against the store as it was staged: `commit`)."""
        return int(np.unique(level).size)

    def _batch(self, keys: np.ndarray, parents: np.ndarray, via: np.ndarray, hashes: np.ndarray) -> Batch:
        layout = self.store.layout
        return Batch(keys, parents, via, hashes, tuple(layout.lo), tuple(layout.width))

    def _nothing(self) -> tuple[np.ndarray, ...]:
        return self._empty_keys(), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.uint64)

    def _empty_keys(self) -> np.ndarray:
        return self.store.layout.pack(np.zeros((len(self.store.layout.lo), 0), dtype=np.int64))

    def _report(self, new: int = 0, findings: list[Finding] | None = None) -> LevelReport:
        store = self.store
        return LevelReport(
            states=store.count,
            new=new,
            frontier=int(self.frontier.shape[0]),
            findings=findings or [],
            nbytes=store.nbytes,
            repacks=store.repacks,
            peak_rss=peak_rss(),
            start_rss=self.start_rss,
            shared_rss=shared_rss(),
            cpu_seconds=time.process_time() - self.start_cpu,
        )
