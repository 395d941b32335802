"""Parallel explicit search on one machine: partitions (`partition`) in worker processes.

The coordinator (this process) drives the levels; a *transport* runs the partitions'
work: `ProcessTransport` here (forked worker processes, one pipe each), `ray_search`'s
over Ray actors. One level is three rounds:

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

Workers die with this process: they are daemons (terminated at exit), they ask the
kernel for SIGKILL when their parent dies (``PR_SET_PDEATHSIG``, Linux) and they exit
when their command pipe closes.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import time
from abc import ABC, abstractmethod
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from ..errors import InternalError
from ..lang.model import Instance
from ..state_store import KeyLayout
from .explicit.bounds import Exceeds
from .explicit.common import Search, peak_rss
from .explicit.compile import Compiled
from .explicit.matrix import MatrixSearch
from .partition import Batch, Finding, LevelReport, Partition
from .scaling import available_cores  # noqa: F401  (here too: `raceproof simulate` asks this module)

_PR_SET_PDEATHSIG = 1


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

    @abstractmethod
    def parent_of(self, gid: int) -> tuple[int, int]: ...

    @abstractmethod
    def close(self) -> None: ...

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

    def run(self) -> None:
        s, t = self.s, self.t
        reports = t.start()
        self._absorb_states(reports, first=True)
        frontier = sum(r.frontier for r in reports)
        while s.going and frontier and not s.timed_out():
            s.report(frontier)
            expanded, fresh = t.expand(list(s.pending))
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
            reports = t.commit(quotas)
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


# ---------------------------------------------------------------------------- worker processes
def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; elsewhere the
    closed pipe ends it at its next command)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _serve(conn: Connection, others: list[Connection], inboxes: list[Any], parent: int, args: tuple[Any, ...]) -> None:
    """A worker process: build the partition, then answer commands until told to stop."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    for other in others:  # the coordinator's ends: only the coordinator may hold them open
        other.close()
    part = Partition(*args)
    while True:
        try:
            command, payload = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:
            if command == "stop":
                conn.send(("ok", None))
                return
            if command == "exchange":
                result: Any = _exchange(part, inboxes, payload)
            else:
                result = getattr(part, command)(*payload)
            conn.send(("ok", result))
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the coordinator
            conn.send(("error", _portable(exc)))


def _exchange(part: Partition, inboxes: list[Any], pending: list[str]) -> tuple[LevelReport, int]:
    """Expand, send each other partition its successors directly (their inbox queues, whose
    feeder threads never block this one), take this partition's from every other, and
    count the new ones. A failed expansion still sends (nothing), so no peer waits forever."""
    me, count = part.index, part.count
    failure: BaseException | None = None
    try:
        batches, report = part.expand(pending)
    except BaseException as exc:  # noqa: BLE001 - re-raised once the peers are served
        batches, failure = [None] * count, exc  # type: ignore[list-item]
    got: dict[int, Batch | None] = {me: batches[me]}
    for q in range(count):
        if q != me:
            inboxes[q].put((me, batches[q]))
            batches[q] = None  # type: ignore[call-overload]  (the queue's feeder holds it until sent, then lets go)
    del batches  # memory: what went out is not held while what came in is stored
    while len(got) < count:
        source, batch = inboxes[me].get()
        got[source] = batch
    if failure is not None:
        raise failure
    arrived = [got.pop(p) for p in range(count)]  # `receive` lets go of each batch as it takes it
    return report, part.receive(arrived)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an `InternalError` with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return InternalError(f"worker: {type(exc).__name__}: {exc}")


class ProcessTransport(Transport):
    """Partitions in forked worker processes (the compiled model is inherited, not sent)."""

    def __init__(
        self,
        compiled: Compiled,
        properties: list[str],
        groups: list[list[Instance]],
        count: int,
        deadline: float | None,
        count_fresh: bool = False,
    ):
        self.count = count
        ctx = multiprocessing.get_context("fork")
        ends = [ctx.Pipe() for _ in range(count)]
        self.conns = [mine for mine, _ in ends]
        inboxes = [ctx.Queue() for _ in range(count)]  # successors, worker to worker
        self.procs = []
        for i, (_, theirs) in enumerate(ends):
            args = (compiled, properties, groups, i, count, deadline, count_fresh)
            p = ctx.Process(target=_serve, args=(theirs, self.conns, inboxes, os.getpid(), args), daemon=True)
            p.start()
            self.procs.append(p)
        for _, theirs in ends:
            theirs.close()

    def _all(self, command: str, payloads: list[Any]) -> list[Any]:
        for conn, payload in zip(self.conns, payloads, strict=True):
            conn.send((command, payload))
        return [self._answer(conn) for conn in self.conns]

    def _answer(self, conn: Connection) -> Any:
        try:
            while not conn.poll(0.5):  # a dead worker would leave its peers waiting for its successors
                if not all(p.is_alive() for p in self.procs):
                    raise InternalError("a search worker process died")
            status, value = conn.recv()
        except (EOFError, OSError) as exc:
            raise InternalError("a search worker process died") from exc
        if status == "error":
            raise value
        return value

    def start(self) -> list[LevelReport]:
        return self._all("start", [()] * self.count)

    def expand(self, pending: list[str]) -> tuple[list[LevelReport], list[int]]:
        out = self._all("exchange", [pending] * self.count)
        return [report for report, _ in out], [fresh for _, fresh in out]

    def commit(self, quotas: list[int | None]) -> list[LevelReport]:
        return self._all("commit", [(q,) for q in quotas])

    def parent_of(self, gid: int) -> tuple[int, int]:
        conn = self.conns[gid % self.count]
        conn.send(("parent_of", (gid,)))
        return self._answer(conn)

    def close(self) -> None:
        for conn, proc in zip(self.conns, self.procs, strict=True):
            try:
                if proc.is_alive():
                    conn.send(("stop", None))
            except OSError:
                pass
        deadline = time.monotonic() + 2
        for proc in self.procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()
        for conn in self.conns:
            conn.close()


def _run_task(conn: Connection, others: list[Connection], parent: int, fn: Any, args: tuple[Any, ...]) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in others:
        other.close()
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
        conn.send(("error", _portable(exc)))


def map_forked(fn: Any, tasks: list[tuple[Any, ...]]) -> list[Any]:
    """``[fn(*t) for t in tasks]``, each task in its own forked worker process (which dies
    with this one, like the search's workers), in the order of ``tasks``."""
    ctx = multiprocessing.get_context("fork")
    ends = [ctx.Pipe() for _ in tasks]
    mine = [a for a, _ in ends]
    procs = []
    try:
        for (_, theirs), task in zip(ends, tasks, strict=True):
            p = ctx.Process(target=_run_task, args=(theirs, mine, os.getpid(), fn, task), daemon=True)
            p.start()
            procs.append(p)
        for _, theirs in ends:
            theirs.close()
        out = []
        for conn in mine:
            try:
                status, value = conn.recv()
            except (EOFError, OSError) as exc:
                raise InternalError("a worker process died") from exc
            if status == "error":
                raise value
            out.append(value)
        return out
    finally:
        for p in procs:
            p.join(1)
            if p.is_alive():
                p.kill()
                p.join()
        for conn in mine:
            conn.close()


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
        # each worker's peak above its RSS at its start (for a forked worker, mostly pages shared with this process)
        "worker_rss_growth_bytes": sum(
            max(0, p - s) for p, s in zip(coordinator.worker_rss, coordinator.worker_start_rss, strict=True)
        ),
        "setup_and_search_seconds": round(time.monotonic() - started, 4),
    }
    return search
