"""One proof engine in a thread of the command's own process, beside the portfolio's children.

Spawning a process costs a fresh Python, its imports and the model rebuilt (0.3-0.5 s on a
quiet machine; seconds on a loaded one), which on the DNS fixes was as long as the proof
itself. So `prove`'s portfolio runs PDR here, on the model it already has, and only the
other engines in child processes. z3 releases the GIL while it solves, and the thread that
waits for the children does no z3 work while this one runs (one z3 context, one user).

Stopping it (every property decided elsewhere, or the deadline): its clocks count as expired
(`obligations.stoppable`), z3's context is interrupted until the thread ends (a call that
was running returns unknown or fails with "canceled", which is read as the stop), and a
thread still busy in Python code after a while gets the deadline's `Timeout` raised in it.
Only a thread blocked in a system call *outside z3* (model code that sleeps) is left behind
after a few seconds; one still inside z3 is waited for (interrupted all along), because a
thread left in z3 would go on using the one z3 context beside whatever this process does
next (the next spec of a gate, the next test, the pytest plugin's next check).
A stopped engine's answers are discarded unless conclusive: a proof was re-checked and a
violation replayed before the stop could touch them.

z3's reference counts are not thread-safe, and Python's cyclic garbage collector runs in
whichever thread happens to allocate: a collection in the waiting thread could free z3 objects
(left over from the stages before) while the engine is inside z3. So the cyclic collector is
off while it runs (reference counting still frees everything else; cycles, the engine's own
and those left over from before, wait until it ends, when no other thread is inside z3). No
collection is forced before the start: with the collector off none can run meanwhile, and a
full one scans every object of the process (0.02-0.03 s of CPU before each DNS proof). The
collector is held off by a count of running engines (`checker.deadline.hold_gc`), so that one engine ending
cannot turn it back on under another, and it is restored to what it was before the first one
started; it is released when the thread has really ended (by `stop`, or by a thread left
behind, as it ends), on every path: an error, a stop, a start that failed.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

from ..deadline import Timeout, _in_z3, _set_async_exc, hold_gc, release_gc
from ..results import PropertyResult
from . import phases
from .obligations import stoppable

_log = logging.getLogger(__name__)

_INTERRUPT_EVERY = 0.05  # seconds between z3 interrupts while the thread has not ended
_PYTHON_STOP_AFTER = 1.0  # seconds of interrupts before Timeout is raised in the thread itself
# seconds after which a thread that still has not ended is left behind: it is blocked in a
# system call (model code sleeping) where nothing can reach it; a daemon, it ends with the
# process, and its answers are never read
_GIVE_UP = 5.0
# ... unless it is inside z3, which the interrupts end: a call that ignores them for this long
# is left behind too (it ends with its own timeout; it is reported as a warning)
_GIVE_UP_IN_Z3 = 60.0


def _thread_in_z3(thread: threading.Thread, keep: list[object]) -> bool:
    """``keep``: dropped only once ``thread`` has ended (see `checker.deadline._in_z3`)."""
    return thread.ident is not None and _in_z3(thread.ident, keep)


class LocalEngine:
    """``run()`` in a daemon thread; ``reader`` gets ("phase", text) messages and then ("done",)."""

    def __init__(self, name: str, run: Callable[[], list[PropertyResult]]):
        self.name = name
        self._run = run
        self.results: list[PropertyResult] | None = None
        self.error: BaseException | None = None
        self.stopped = threading.Event()
        # a pipe like the children's, so that one `wait` watches all engines
        self.reader, self._writer = multiprocessing.Pipe(duplex=False)
        self.thread = threading.Thread(target=self._main, name=f"raceproof-{name}", daemon=True)
        self._lock = threading.Lock()  # orders the thread's end with `stop` giving up on it
        self._gc_held = False  # this engine holds the collector off (`checker.deadline.hold_gc`) until its thread ends
        self._ended = False  # the thread has run its last line that may touch z3
        self.left_behind = False  # `stop` gave up waiting: the thread releases the collector as it ends
        self._frames: list[object] = []  # read while stopping the thread: dropped once it has ended

    def start(self) -> None:
        with self._lock:
            hold_gc()
            self._gc_held = True
        try:
            self.thread.start()
        except BaseException:
            self._ended = True  # (never ran)
            self._release()
            raise

    def _release(self) -> None:
        """Release the collector once, whichever of `stop` and the ending thread comes last."""
        with self._lock:
            held, self._gc_held = self._gc_held, False
        if held:
            release_gc()

    def _main(self) -> None:
        try:
            with stoppable(self.stopped), phases.listening(self._phase):
                self.results = self._run()
        except BaseException as exc:  # noqa: BLE001 - handed to the portfolio's thread (or dropped if stopped)
            if not self.stopped.is_set():
                self.error = exc
        finally:
            self._send(("done",))
            with self._lock:
                self._ended = True
                alone = self.left_behind
            if alone:  # `stop` gave up on this thread: nobody else releases the collector
                self._release()

    def _phase(self, text: str) -> None:
        self._send(("phase", text))

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._writer.send(message)
        except (OSError, ValueError):  # the portfolio has stopped listening
            pass

    def stop(self, in_z3_patience: float = _GIVE_UP_IN_Z3) -> None:
        """Stop the thread and wait for it to end (z3's context is usable again after).
        ``in_z3_patience``: how long to keep interrupting a thread inside z3 (Spacer can ignore
        interrupts for a long time); short when the process is about to exit anyway (Ctrl-C)."""
        if not self.thread.is_alive():
            self._close()
            return
        self.stopped.set()
        import z3

        began = time.monotonic()
        raise_at = began + _PYTHON_STOP_AFTER
        while self.thread.is_alive():
            waited = time.monotonic() - began
            if waited >= in_z3_patience or (waited >= _GIVE_UP and not _thread_in_z3(self.thread, self._frames)):
                break
            try:
                z3.main_ctx().interrupt()
            except Exception:  # noqa: BLE001, S110 - nothing to interrupt
                pass
            if time.monotonic() >= raise_at and self.thread.ident is not None:
                # busy in Python (e.g. model code): stop there; again later if it landed where
                # it is ignored (a ``__del__``)
                _set_async_exc(self.thread.ident, Timeout)
                raise_at += _PYTHON_STOP_AFTER
            self.thread.join(_INTERRUPT_EVERY)
        in_z3 = self.thread.is_alive() and _thread_in_z3(self.thread, self._frames)
        if self.thread.is_alive():
            _log.warning(
                "the %s engine thread did not stop within %.0f s (%s); left behind",
                self.name,
                time.monotonic() - began,
                "inside z3" if in_z3 else "model code blocked in a system call",
            )
        if not in_z3:
            # an interrupt that landed outside a check leaves the context cancelled: clear it
            try:
                z3.Solver().check()
            except Exception:  # noqa: BLE001, S110
                pass
        self._close()

    def _close(self) -> None:
        with self._lock:
            self.left_behind = not self._ended and self.thread.is_alive()
            ended = not self.left_behind
        if ended:  # (else the thread, blocked with a Timeout pending, releases it as it ends)
            self._release()
            self._frames.clear()  # (past its last z3 call: see `checker.deadline._in_z3`)
        for conn in (self._writer, self.reader):
            try:
                conn.close()
            except OSError:
                pass
