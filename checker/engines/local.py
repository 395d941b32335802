"""One proof engine in a thread of the command's own process, beside the portfolio's children.

Spawning a process costs a fresh Python, its imports and the model rebuilt (0.3-0.5 s on a
quiet machine; seconds on a loaded one), which on the DNS fixes was as long as the proof
itself. So `prove`'s portfolio runs PDR here, on the model it already has, and only the
other engines in child processes. z3 releases the GIL while it solves, and the thread that
waits for the children does no z3 work while this one runs (one z3 context, one user).

Stopping it (every property decided elsewhere, or the deadline): its clocks count as expired
(`obligations.stoppable`), z3's context is interrupted until the thread ends (a call that
was running returns unknown or fails with "canceled", which is read as the stop), and a
thread still busy in Python code after a while gets the deadline's `Timeout` raised in it; one
blocked in a system call (model code that sleeps) is left behind after a few seconds.
A stopped engine's answers are discarded unless conclusive: a proof was re-checked and a
violation replayed before the stop could touch them.

z3's reference counts are not thread-safe, and Python's cyclic garbage collector runs in
whichever thread happens to allocate: a collection in the waiting thread could free z3 objects
(left over from the stages before) while the engine is inside z3. So pending garbage is
collected before the engine starts, and the cyclic collector is off while it runs (reference
counting still frees everything else; the engine's own cycles wait until it ends).
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

from ..deadline import Timeout, _set_async_exc
from ..results import PropertyResult
from . import phases
from .obligations import stoppable

_INTERRUPT_EVERY = 0.05  # seconds between z3 interrupts while the thread has not ended
_PYTHON_STOP_AFTER = 1.0  # seconds of interrupts before Timeout is raised in the thread itself
# seconds after which a thread that still has not ended is left behind: it is blocked in a
# system call (model code sleeping) where nothing can reach it; a daemon, it ends with the
# process, and its answers are never read
_GIVE_UP = 5.0


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
        self._gc_was_on = False

    def start(self) -> None:
        gc.collect()
        self._gc_was_on = gc.isenabled()
        gc.disable()
        self.thread.start()

    def _main(self) -> None:
        try:
            with stoppable(self.stopped), phases.listening(self._phase):
                self.results = self._run()
        except BaseException as exc:  # noqa: BLE001 - handed to the portfolio's thread (or dropped if stopped)
            if not self.stopped.is_set():
                self.error = exc
        finally:
            self._send(("done",))

    def _phase(self, text: str) -> None:
        self._send(("phase", text))

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._writer.send(message)
        except (OSError, ValueError):  # the portfolio has stopped listening
            pass

    def stop(self) -> None:
        """Stop the thread and wait for it to end (z3's context is usable again after)."""
        if not self.thread.is_alive():
            self._close()
            return
        self.stopped.set()
        import z3

        began = time.monotonic()
        raise_at = began + _PYTHON_STOP_AFTER
        while self.thread.is_alive() and time.monotonic() - began < _GIVE_UP:
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
        if self.thread.is_alive():
            self._close()
            return  # (not in z3, or the interrupts would have ended it: the context is left alone)
        # an interrupt that landed outside a check leaves the context cancelled: clear it
        try:
            z3.Solver().check()
        except Exception:  # noqa: BLE001, S110
            pass
        self._close()

    def _close(self) -> None:
        if self._gc_was_on:
            gc.enable()
            self._gc_was_on = False
        for conn in (self._writer, self.reader):
            try:
                conn.close()
            except OSError:
                pass
