"""Parallel explicit search on one machine: partitions (`partition`) in worker processes.

The coordinator (this process) drives the levels; a *transport* runs the partitions'
work: `processes.ProcessTransport` (forked worker processes) or `ray_search`'s (Ray
actors). One level is three rounds:

1. every partition expands its frontier and groups the successors by owner;
2. each batch goes to its owner, which counts the successors it has not stored
   (``receive``), so that a ``max_states`` cap can be split (in partition order) before
   anything is stored;
3. every partition stores its new states and checks the properties on them (``commit``).

The results match one process: the same states at the same depths (so the same exact
counts, with or without symmetry: a canonical form is a function of the state alone), a
property is found at the same level (so a counterexample of the same, shortest, length),
and the search stops after the same levels. The trace may be another shortest one: among
the partitions that found a property at a level, the lowest-numbered one's first state
wins, so it is deterministic for a given number of partitions. Only a ``max_states`` cut
differs in *which* states of the last, partial level are kept (the count is the same).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

import numpy as np

from ..lang.model import Instance
from ..state_store import KeyLayout
from .explicit.bounds import Exceeds
from .explicit.common import Search, peak_rss
from .explicit.compile import Compiled
from .explicit.matrix import MatrixSearch
from .partition import Finding, LevelReport
from .scaling import available_cores  # noqa: F401  (here too: `raceproof simulate` asks this module)


class Transport(ABC):
    """Runs the partitions' methods, one call per partition per round."""

    count: int

    @abstractmethod
    def start(self) -> list[LevelReport]: ...

    @abstractmethod
    def expand(self, pending: list[str]) -> tuple[list[LevelReport], list[int]]:
        """Expand every frontier and deliver the batches: (expand reports, fresh counts)."""

    @abstractmethod
    def commit(self, quotas: list[int | None]) -> list[LevelReport]: ...

    def level(self, pending: list[str]) -> tuple[list[LevelReport], list[LevelReport]]:
        """A whole level with no ``max_states`` cap: expand, deliver and commit everything
        (expand reports, commit reports). A transport may do it in one round per partition."""
        expanded, _ = self.expand(pending)
        return expanded, self.commit([None] * self.count)

    @abstractmethod
    def parent_of(self, gid: int) -> tuple[int, int]: ...

    @abstractmethod
    def close(self) -> None: ...

    #: whether each page of shared memory the workers hold is resident in two of them (a sender's
    #: and a receiver's), so that the sum of their RSS counts it twice
    shared_counted_twice = False

    @property
    def label(self) -> str:
        return f"{self.count} worker processes"


class Coordinator:
    """Drives a partitioned search level by level and fills ``search`` as one process would."""

    def __init__(self, compiled: Compiled, search: Search, groups: list[list[Instance]], transport: Transport):
        self.c, self.s, self.t = compiled, search, transport
        # traces are rebuilt here, the way `MatrixSearch` rebuilds them, over the partitions' parents
        self.ms = _TraceBuilder(compiled, search, groups)
        self.ms.store = self  # type: ignore[assignment]  (only `path` and `root_init` are used)
        self.worker_rss: list[int] = [0] * transport.count
        self.worker_start_rss: list[int] = [0] * transport.count
        self.worker_shared: list[int] = [0] * transport.count
        self.worker_cpu: list[float] = [0.0] * transport.count
        self.worker_pids: list[int] = [0] * transport.count
        self.worker_waited: list[float] = [0.0] * transport.count
        self.worker_run_delay: list[float] = [0.0] * transport.count

    def run(self) -> None:
        s, t = self.s, self.t
        reports = t.start()
        self._absorb_states(reports, first=True)
        frontier = sum(r.frontier for r in reports)
        while s.going and frontier and not s.timed_out():
            s.report(frontier)
            if s.max_states is None:
                # no cap to split: each worker stores what it receives without waiting for this
                # process (one barrier a level fewer); the reports are read in the same order
                expanded, committed = t.level(list(s.pending))
                fresh: list[int] = []
            else:
                (expanded, fresh), committed = t.expand(list(s.pending)), []
            for r in expanded:
                for k, v in r.fired_by.items():
                    s.count(k, v)
            self._findings(expanded)
            stops = [r.stop for r in expanded if r.stop]
            if stops:
                s.stop = stops[0]
                break
            left = s.limit_left()
            cut = left is not None and sum(fresh) > left
            quotas: list[int | None] = [None] * t.count
            if cut:
                assert left is not None
                for p, f in enumerate(fresh):
                    quotas[p] = min(f, left)
                    left -= quotas[p]  # type: ignore[operator]
            reports = committed or t.commit(quotas)
            self._absorb_states(reports)
            frontier = sum(r.frontier for r in reports)
            if cut:
                s.stop = f"max_states ({s.max_states}) reached"
                break
        s.exhaustive = s.stop is None and frontier == 0
        s.backend = "numpy"
        s.symmetry = self.ms.canon.active

    def _absorb_states(self, reports: list[LevelReport], first: bool = False) -> None:
        s = self.s
        s.states = sum(r.states for r in reports)
        if not first and sum(r.new for r in reports):
            s.depth += 1
        s.bytes_per_state = sum(r.nbytes for r in reports) / max(s.states, 1)
        s.repacks = max(r.repacks for r in reports)
        self.worker_rss = [max(a, r.peak_rss) for a, r in zip(self.worker_rss, reports, strict=True)]
        self.worker_start_rss = [r.start_rss for r in reports]
        self.worker_shared = [max(a, r.shared_rss) for a, r in zip(self.worker_shared, reports, strict=True)]
        self.worker_cpu = [r.cpu_seconds for r in reports]
        self.worker_pids = [r.pid for r in reports]
        self.worker_waited = [r.waited for r in reports]
        self.worker_run_delay = [r.run_delay for r in reports]
        self._findings(reports)

    def _findings(self, reports: list[LevelReport]) -> None:
        """The lowest partition's finding of each property still open (deterministic)."""
        for r in reports:
            for f in r.findings:
                if f.prop in self.s.pending:
                    self.s.record(f.prop, self._trace(f))

    def _trace(self, f: Finding):
        kind = "witness" if self.c.model.properties[f.prop].kind == "reachable" else "violation"
        return self.ms._trace(f.gid, f.last, f.prop, kind)

    def root_init(self, gid: int) -> int:
        """Which initial state `path` starts from (a root's parent is ``-1 - k``: `VisitedStore.root_init`)."""
        while True:
            parent, _ = self.t.parent_of(gid)
            if parent < 0:
                return -1 - parent
            gid = parent

    def path(self, gid: int) -> list[int]:
        """The transitions from an initial state to state ``gid``, across partitions."""
        out = []
        while True:
            parent, via = self.t.parent_of(gid)
            if parent < 0:
                return out[::-1]
            out.append(via)
            gid = parent


class _TraceBuilder(MatrixSearch):
    """`MatrixSearch`'s trace rebuilding without a store of its own: the canonical sort
    needs a key layout holding the values, made for each state it sorts."""

    def _canon(self, S: np.ndarray) -> None:
        if self.canon.active:
            layout = KeyLayout.for_columns([(col.lo, col.hi) for col in self.vec.columns], S)
            self.canon(S, layout.lo, layout.width)


def search_partitioned(
    compiled: Compiled,
    search: Search,
    groups: list[list[Instance]],
    workers: int = 2,
    ray: str | None = None,
) -> Search:
    """Run ``search`` partitioned over ``workers`` processes (or Ray actors at ``ray``:
    "auto" or a cluster address). The results carry the worker count and the peak RSS of
    every process. A value beyond the numpy backend's exact range restarts the search in
    one process with exact Python integers, as `search_exactly` does."""
    from .explicit.matrix import search_exactly

    started = time.monotonic()
    if ray is not None:
        from .ray_search import RayTransport

        transport: Transport = RayTransport(compiled, search, groups, workers, ray)
    else:
        from .processes import ProcessTransport

        capped = search.max_states is not None
        transport = ProcessTransport(compiled, search.properties, groups, workers, search.deadline, capped)
    coordinator = Coordinator(compiled, search, groups, transport)
    try:
        coordinator.run()
    except Exceeds as err:
        exceeded = err.note
    else:
        exceeded = None
    finally:
        transport.close()
    if exceeded is not None:
        return search_exactly(None, search.restart(exceeded), groups)
    search.scale_out = {
        "workers": transport.count,
        "transport": "ray" if ray is not None else "processes",
        "worker_peak_rss_bytes": coordinator.worker_rss,
        "coordinator_peak_rss_bytes": peak_rss(),
        "worker_shared_rss_bytes": coordinator.worker_shared,
        # each worker's (or actor's) CPU from its partition's start to its last commit
        "worker_cpu_seconds": [round(c, 3) for c in coordinator.worker_cpu],
        "worker_pids": coordinator.worker_pids,
        # each worker's wall seconds blocked at the level barriers (its coordinator's next command, its
        # peers' batches), and waiting runnable for a core while other processes ran (Linux; 0 elsewhere):
        # wall = CPU + waited + run queue (roughly); a large run queue means the machine was busy
        "worker_wait_seconds": [round(w, 3) for w in coordinator.worker_waited],
        "worker_runqueue_seconds": [round(w, 3) for w in coordinator.worker_run_delay],
        # each worker's peak above its RSS at its start (a forked worker's start counts the pages it
        # shares with this process), less what is counted twice: `transport.shared_counted_twice`
        "worker_rss_growth_bytes": max(
            0,
            sum(max(0, p - s) for p, s in zip(coordinator.worker_rss, coordinator.worker_start_rss, strict=True))
            - (sum(coordinator.worker_shared) // 2 if transport.shared_counted_twice else 0),
        ),
        "setup_and_search_seconds": round(time.monotonic() - started, 4),
    }
    return search
