"""Worker processes on one machine: the partitioned search's `ProcessTransport`, and `map_forked`.

Workers are forked after the model is compiled, so they inherit it (compiled code does not
travel). Each answers the coordinator's commands on its own pipe. Successors go from worker
to worker directly, and not through pickling: the sender writes a batch's arrays into an
anonymous in-memory file (``memfd_create``) and passes its descriptor over the receiver's
inbox socket (``SCM_RIGHTS``); the receiver maps the file and reads the arrays in place.
So a batch is copied once (into the file) instead of four times (pickle, pipe, unpickle),
the sender holds no copy once it is written, and nothing is left behind if a process dies:
the file has no name and goes when its last descriptor and mapping do.

Workers die with this process: they are daemons (terminated at exit), they ask the kernel
for SIGKILL when their parent dies (``PR_SET_PDEATHSIG``, Linux) and they exit when their
command pipe closes.
"""

from __future__ import annotations

import array
import ctypes
import mmap
import multiprocessing
import os
import pickle
import signal
import socket
import tempfile
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from ..errors import InternalError
from ..lang.model import Instance
from .explicit.compile import Compiled
from .parallel import Transport
from .partition import Batch, LevelReport, Partition, run_delay

_PR_SET_PDEATHSIG = 1
#: a batch's header (its source, layout and array shapes) is far smaller than this
_HEADER_LIMIT = 1 << 16


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


# ---------------------------------------------------------------------------- batches between workers
def send_batch(inbox: socket.socket, source: int, batch: Batch | None) -> None:
    """Send ``batch`` (None: the sender failed) to the worker reading ``inbox``: its arrays
    written into a fresh memfd whose descriptor travels with a small header."""
    if batch is None:
        inbox.sendmsg([pickle.dumps((source, None))])
        return
    arrays = [batch.keys, batch.parents, batch.via, batch.hashes]
    header = (source, (batch.lo, batch.width, [(a.dtype, a.shape[0]) for a in arrays]))
    total = sum(a.nbytes for a in arrays)
    if total == 0:
        inbox.sendmsg([pickle.dumps(header)])
        return
    fd = _anonymous_file()
    try:
        at = 0
        for a in arrays:
            view = memoryview(np.ascontiguousarray(a).view(np.uint8))
            while view.nbytes:
                wrote = os.pwrite(fd, view, at)
                at += wrote
                view = view[wrote:]
        inbox.sendmsg([pickle.dumps(header)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    finally:
        os.close(fd)


def _anonymous_file() -> int:
    """A descriptor of a file with no name: a memfd on Linux, else a temporary file unlinked
    at once (macOS has no memfd)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("raceproof-batch", os.MFD_CLOEXEC)
    fd, path = tempfile.mkstemp(prefix="raceproof-batch-")
    os.unlink(path)
    return fd


def inbox_pair() -> tuple[socket.socket, socket.socket]:
    """A worker's inbox: (its reading end, the end its peers write to). Datagrams keep each
    header whole: SOCK_SEQPACKET where there is one (Linux), else SOCK_DGRAM."""
    kind = getattr(socket, "SOCK_SEQPACKET", socket.SOCK_DGRAM)
    try:
        return socket.socketpair(socket.AF_UNIX, kind)
    except OSError:  # pragma: no cover - a platform without Unix seqpacket sockets
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)


def receive_batch(inbox: socket.socket) -> tuple[int, Batch | None]:
    """The next (source, batch) sent to ``inbox``: the arrays are read-only views of the
    mapped file, which is unmapped (and freed) when the last of them goes."""
    data, ancillary, _, _ = inbox.recvmsg(_HEADER_LIMIT, socket.CMSG_SPACE(array.array("i").itemsize))
    source, shape = pickle.loads(data)
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    if shape is None:
        for fd in fds:
            os.close(fd)
        return source, None
    lo, width, layout = shape
    total = sum(np.dtype(dtype).itemsize * n for dtype, n in layout)
    if total == 0:
        arrays = [np.zeros(n, dtype=dtype) for dtype, n in layout]
    else:
        if len(fds) != 1:
            raise InternalError("a successor batch arrived without its memory")
        try:
            # every page is read: mapping them all at once spares a page fault for each
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            mapped = mmap.mmap(fds[0], total, flags=flags, prot=mmap.PROT_READ)
        finally:
            os.close(fds[0])
        arrays, at = [], 0
        for dtype, n in layout:
            arrays.append(np.frombuffer(mapped, dtype=dtype, count=n, offset=at))
            at += np.dtype(dtype).itemsize * n
        del mapped  # the arrays hold the mapping
    keys, parents, via, hashes = arrays
    return source, Batch(keys, parents, via, hashes, lo, width)


class _Waits:
    """Wall seconds a worker spent blocked (its coordinator's commands, its peers' batches)."""

    blocked = 0.0


def _exchange(part: Partition, inboxes: list[socket.socket], pending: list[str]) -> tuple[LevelReport, int]:
    """Expand, send each other partition its successors directly, take this partition's
    from every other, and count the new ones. A failed expansion still sends (a None), so
    no peer waits forever."""
    me, count = part.index, part.count
    failure: BaseException | None = None
    try:
        batches, report = part.expand(pending)
    except BaseException as exc:  # noqa: BLE001 - re-raised once the peers are served
        batches, failure = [None] * count, exc  # type: ignore[list-item]
    got: dict[int, Batch | None] = {me: batches[me]}
    for q in range(count):
        if q != me:
            batch, batches[q] = batches[q], None  # type: ignore[call-overload]
            send_batch(inboxes[q], me, batch)
            del batch  # memory: what went out is not held while what came in is stored
    del batches
    waiting = time.monotonic()
    while len(got) < count:
        source, got[source] = receive_batch(inboxes[me])
    _Waits.blocked += time.monotonic() - waiting
    if failure is not None:
        raise failure
    arrived = [got.pop(p) for p in range(count)]  # `receive` lets go of each batch as it takes it
    return report, part.receive(arrived)


# ---------------------------------------------------------------------------- the workers
def _serve(conn: Connection, others: list[Connection], inboxes: list[socket.socket], parent: int, args: Any) -> None:
    """A worker process: build the partition, then answer commands until told to stop."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    for other in others:  # the coordinator's ends: only the coordinator may hold them open
        other.close()
    part = Partition(*args)
    while True:
        waiting = time.monotonic()
        try:
            command, payload = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        _Waits.blocked += time.monotonic() - waiting
        try:
            if command == "stop":
                conn.send(("ok", None))
                return
            if command == "exchange":
                result: Any = _exchange(part, inboxes, payload)
            elif command == "level":  # with no cap: store at once (`Transport.level`)
                expanded, _ = _exchange(part, inboxes, payload)
                result = expanded, part.commit(None)
            else:
                result = getattr(part, command)(*payload)
            report = result[-1] if isinstance(result, tuple) else result
            if isinstance(report, LevelReport):
                report.waited, report.run_delay = _Waits.blocked, run_delay() - part.start_delay
            conn.send(("ok", result))
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the coordinator
            conn.send(("error", _portable(exc)))


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an `InternalError` with its text."""
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
        # one inbox per worker for its successors: a datagram socket keeps each header whole
        inboxes = [inbox_pair() for _ in range(count)]
        self.procs = []
        try:
            for i, (_, theirs) in enumerate(ends):
                args = (compiled, properties, groups, i, count, deadline, count_fresh)
                box = [pair[0] if q == i else pair[1] for q, pair in enumerate(inboxes)]
                p = ctx.Process(target=_serve, args=(theirs, self.conns, box, os.getpid(), args), daemon=True)
                p.start()
                self.procs.append(p)
        finally:
            for _, theirs in ends:
                theirs.close()
            for pair in inboxes:  # only the workers use them
                for end in pair:
                    end.close()

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

    def level(self, pending: list[str]) -> tuple[list[LevelReport], list[LevelReport]]:
        out = self._all("level", [pending] * self.count)
        return [expanded for expanded, _ in out], [committed for _, committed in out]

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


# ---------------------------------------------------------------------------- independent tasks
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
