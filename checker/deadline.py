"""Deadlines that hold whatever the model code does.

The engines check their clocks cooperatively (between BFS levels, between BMC depths, in
z3's own ``timeout``), which keeps every answer found so far. That is not enough: model code
can loop for ever, unrolling a deep BMC can take minutes between two clock checks, and some
z3 calls ignore their ``timeout``. So `run_within` also starts a watchdog thread; shortly after
the deadline (``grace``, to give the cooperative checks the first chance) it

* raises `Timeout` in the thread that set the deadline, at its next Python instruction
  (``PyThreadState_SetAsyncExc``; an endless ``while True: pass`` in an action stops too),
* and, if that thread is still inside one z3 call a moment later, interrupts z3 (z3 runs
  through ctypes with the GIL released, so a thread can do it): the call returns and the
  `Timeout` is raised; a main thread blocked in a system call (``time.sleep``, a read) gets
  SIGUSR2, whose handler raises it. (Interrupting at once could fail a z3 call other than a check with
  "canceled", outside the engines' control; `is_timeout` still reads that as the timeout.)

and repeats that every ``grace`` seconds until the block is left. `Timeout` derives from
BaseException so that no ``except Exception`` in model code or in raceproof swallows it.
Engines that can keep partial results catch it around their search; `timeout_reason`
words the "what was running" part of the message.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import model_location_from_traceback

T = TypeVar("T")
GRACE = 0.4  # seconds after the deadline before the hard stop (and between repeats)
# the hard stop's signal, for a main thread blocked in a system call (handler `_on_signal`)
_SIGNAL = signal.SIGUSR2
_STUCK = 0.15  # seconds after the hard stop before z3 is interrupted, if the thread is still in it


class Timeout(BaseException):  # noqa: N818 - the name users see in the verdict
    """The deadline passed; raised asynchronously into the thread that set it."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.deadline = current()  # instantiated in the receiving thread, as it is raised there
        if self.deadline is not None:
            self.deadline.delivered = True


@dataclass
class Deadline:
    """A point in `time.monotonic` time (``at`` None: no limit) and what is being done."""

    seconds: float | None
    at: float | None
    doing: str = "starting"
    fired: bool = False  # the hard stop has been sent at least once
    delivered: bool = False  # ... and raised in the thread (it was not stuck in C code)
    signal: bool = False  # `_on_signal` is installed (main thread only)
    z3_interrupted: bool = False  # z3's context was interrupted (and must be reset after)
    frames: list[object] = field(default_factory=list, repr=False)  # read by the watchdog (`_in_z3`)
    _active: bool = field(default=True, repr=False)

    def left(self) -> float | None:
        """Seconds left (never 0, which the engines read as "no limit"), or None: no limit."""
        if self.at is None:
            return None
        return max(self.at - time.monotonic(), 0.001)

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def describe(self) -> str:
        return f"timeout after {self.seconds:g} s" if self.seconds is not None else "stopped"


_lock = threading.Lock()
_current: dict[int, Deadline] = {}  # thread id -> the outermost deadline of that thread


def current() -> Deadline | None:
    return _current.get(threading.get_ident())


def doing(what: str) -> None:
    """Note what the current thread is doing now (named in a timeout's reason)."""
    d = current()
    if d is not None:
        d.doing = what


def limit_of(seconds: float | None) -> float | None:
    """A timeout as given (spec or option): None, 0 and inf mean no limit."""
    if seconds is None or not seconds > 0 or math.isinf(seconds):  # `not >`: NaN too
        return None
    return float(seconds)


def run_within(seconds: float | None, fn: Callable[..., T], *args: Any, grace: float = GRACE) -> T:
    """``fn(deadline, *args)`` with a deadline ``seconds`` from now for the calling thread (None:
    no limit); `Timeout` propagates to the caller, who catches it (see `is_timeout`).

    Nested calls in the same thread share the outer deadline (or take an earlier one
    cooperatively, without a second watchdog). A function rather than a ``with`` block: the
    clean-up below starts in this frame as ``fn`` returns, with no Python code in between where
    a last Timeout could land and skip it (as it could inside a context manager's ``__exit__``).
    """
    seconds = limit_of(seconds)
    tid = threading.get_ident()
    outer = _current.get(tid)
    if outer is not None:
        if seconds is not None and (outer.at is None or time.monotonic() + seconds < outer.at):
            # an inner, earlier limit: cooperative only (the outer watchdog still backs it up)
            return fn(Deadline(seconds, time.monotonic() + seconds, outer.doing), *args)
        return fn(outer, *args)
    d = Deadline(seconds, None if seconds is None else time.monotonic() + seconds)
    stop = threading.Event()
    watchdog = None
    previous: Any = None
    try:  # from here on: a loaded machine can delay this thread past the deadline at any point
        _current[tid] = d
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(_SIGNAL, _on_signal)
            d.signal = True
        if d.at is not None:
            watchdog = threading.Thread(
                target=_watch, args=(d, tid, stop, grace), name="raceproof-deadline", daemon=True
            )
            watchdog.start()
        return fn(d, *args)
    except Exception as exc:
        is_timeout(exc)  # a z3 call failed by the interrupt is marked as the deadline's, for the caller
        raise
    finally:
        while True:  # a Timeout raised inside the clean-up itself must not leave it half done
            try:
                _close(d, tid, stop, watchdog, previous)
                break
            except Timeout:
                continue


def _close(d: Deadline, tid: int, stop: threading.Event, watchdog: threading.Thread | None, previous: Any) -> None:
    with _lock:
        d._active = False
        if d.fired:  # a Timeout sent but not yet delivered must not hit the caller's next line
            _set_async_exc(tid, None)
    stop.set()
    if watchdog is not None:
        watchdog.join()
    if d.signal:
        signal.signal(_SIGNAL, previous if previous is not None else signal.SIG_DFL)
        d.signal = False
    if d.z3_interrupted:
        _reset_z3()
    d.frames.clear()  # (in thread ``tid``, the watchdog ended: see `_in_z3`)
    _current.pop(tid, None)


def _in_z3(tid: int, keep: list[object]) -> bool:
    """Whether thread ``tid`` is inside a call into z3's C library (its Python wrappers).

    The frames read are appended to ``keep``, which the caller drops only once thread ``tid``
    can no longer be inside z3 (it ended, or it is the thread dropping them): a frame that
    returns while held here keeps its locals, and the last reference dropped in this thread
    would free z3 objects (a ``dec_ref`` on the main context) while ``tid`` is inside z3,
    which corrupts the context (`checker.param.budget` had that crash)."""
    frames = sys._current_frames()
    keep.append(frames)
    frame = frames.get(tid)
    return frame is not None and f"{os.sep}z3{os.sep}" in frame.f_code.co_filename


def _reset_z3() -> None:
    """An interrupt that did not land in a check leaves z3's context cancelled: the next
    ``push`` would fail with "canceled". A trivial check clears it (for the next run in this
    process: `check` of several specs, the gate, tests)."""
    z3 = sys.modules.get("z3")
    if z3 is not None:
        with contextlib.suppress(Exception):
            z3.Solver().check()


def _on_signal(signum: int, frame: Any) -> None:
    """The watchdog's signal: the thread was blocked in a system call (e.g. ``time.sleep`` in
    model code), which a pending asynchronous exception does not end; this does."""
    d = current()
    if d is not None and d._active and d.fired and not d.delivered:
        _set_async_exc(threading.get_ident(), None)  # raised here instead: not twice
        raise Timeout


_gc_lock = threading.Lock()
_gc_holds = 0  # threads holding the collector off (`hold_gc`)
_gc_restore = False  # whether it was on before the first hold


def hold_gc() -> None:
    """Hold the garbage collector off until the matching `release_gc` (holds nest, from any
    thread). A collection runs in whichever thread allocates and finalizes the z3 objects it
    frees there; while another thread is inside z3 that corrupts the main context, which is
    not thread-safe. So a thread that runs beside one inside z3 holds it off: a local engine
    for its whole run (`checker.engines.local`), a watchdog while it acts."""
    global _gc_holds, _gc_restore
    with _gc_lock:
        if _gc_holds == 0:
            _gc_restore = gc.isenabled()
            gc.disable()
        _gc_holds += 1


def release_gc() -> None:
    global _gc_holds
    with _gc_lock:
        _gc_holds -= 1
        if _gc_holds == 0 and _gc_restore:
            gc.enable()


def _watch(d: Deadline, tid: int, stop: threading.Event, grace: float) -> None:
    assert d.at is not None
    wait = d.at + grace - time.monotonic()
    while not stop.wait(max(wait, 0.0)):
        hold_gc()  # (while it acts, beside a thread perhaps inside z3: see `hold_gc`)
        try:
            if not _fire(d, tid, stop):
                return
        finally:
            release_gc()
        wait = grace


def _fire(d: Deadline, tid: int, stop: threading.Event) -> bool:
    """The hard stop, once: a Timeout raised in thread ``tid``, then, if it is still stuck, z3
    interrupted or the system call ended. False: nothing left to watch."""
    with _lock:
        if not d._active:
            return False
        d.fired, d.delivered = True, False
        _set_async_exc(tid, Timeout)
    if stop.wait(_STUCK):
        return False
    with _lock:
        z3 = sys.modules.get("z3")
        if d._active and not d.delivered:
            if z3 is not None and _in_z3(tid, d.frames):  # stuck in z3: it returns `unknown` at once
                with contextlib.suppress(Exception):
                    z3.main_ctx().interrupt()
                    d.z3_interrupted = True
            if d.signal:  # stuck in a system call: interrupted, the handler raises
                with contextlib.suppress(Exception):
                    signal.pthread_kill(tid, _SIGNAL)
    return True


def is_timeout(exc: BaseException) -> bool:
    """``exc`` is the deadline's: a `Timeout`, or a z3 call that its interrupt made fail."""
    if isinstance(exc, Timeout) or getattr(exc, "deadline", None) is not None:
        return True
    d = current()
    if d is not None and d.fired and type(exc).__name__ == "Z3Exception" and "cancel" in str(exc):
        exc.deadline = d  # type: ignore[attr-defined]
        return True
    return False


def _set_async_exc(tid: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(exc) if exc else None)


def timeout_reason(d: Deadline | None, exc: BaseException | None = None) -> str:
    """``timeout after N s while <doing> (model code at FILE:LINE)``: what was running when it hit."""
    head = d.describe() if d is not None else "timeout"
    what = f" while {d.doing}" if d is not None and d.doing else ""
    where = ""
    if exc is not None:
        file, line = model_location_from_traceback(exc.__traceback__)
        if file is not None:
            from .errors import _relative

            where = f" (model code at {_relative(file)}:{line})"
    return head + what + where
