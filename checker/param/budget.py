"""Per-size budgets of the instance ladder, charged in CPU time (`checker.param.infer`).

The ladder runs PDR (z3's Spacer) on instances of growing size. Each run gets a budget so
that one size that does not converge cannot use all of the user's time. A budget in
wall-clock seconds is a budget of how busy the machine is: at a load of 5 on 2 cores a proof
that needs 1.5 s of CPU takes 5 s or more, and ran out of its share. So a budget here is CPU
time of the thread doing the work: z3 runs in the calling thread (through ctypes), and that
thread's CPU clock advances with z3's work and with nothing else (measured: the thread's and
the process's CPU time agree to a few milliseconds over a Spacer run). The user's time limit
(``--timeout``) stays a wall-clock deadline, the hard limit above every budget.

A budget that runs out while there is still time before the deadline means "slow", not
"wrong": the same size is tried again with a larger budget (`Policy.again`). Growing the
instance is for lemmas that do not generalize. Budgets only ever decide *when to stop
searching*; no verdict depends on them (a spent budget is an unknown answer).

z3's own ``timeout`` is wall-clock, so a CPU budget is enforced by a watchdog thread
(`CpuClock.watch`) that reads the worker thread's CPU clock and interrupts z3 when the budget
is spent. It interrupts only while the thread is inside a check or a Spacer query (which
answer "unknown"/"canceled" to it), never inside another z3 call, which would fail.

The watchdog learns that from `_INSIDE`, which the worker writes as it enters and leaves those
calls (`_announce_checks`), not by reading the worker's frames: a frame the watchdog held
past its return kept its caller's locals (solvers, terms) alive, and dropping it freed them in
the watchdog's thread -- a z3 ``dec_ref`` on the main context while the worker was inside z3,
which corrupted the context (seen: "invalid argument" from a numeral, a segfault in a check,
``Z3_del_context`` spinning at exit). For the same reason the watchdog's loop allocates nothing
the garbage collector tracks: a collection it set off would run z3 finalizers in its thread.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import z3

from ..engines.obligations import Clock

T = TypeVar("T")
POLL = 0.02  # seconds between two looks of the watchdog at the worker's CPU clock
# the innermost z3 functions that an interrupt ends with an answer ("unknown", or Spacer's
# "canceled" exception, which `checker.engines.pdr._spacer` reads as a timeout)
_INTERRUPTIBLE = ("Z3_solver_check", "Z3_solver_check_assumptions", "Z3_fixedpoint_query")
# thread id -> the serial number of the interruptible call it is inside (written by that thread)
_INSIDE: dict[int, int] = {}
_SERIALS = itertools.count(1)
_announced = threading.Lock()


def _announcing(real: Callable[..., T]) -> Callable[..., T]:
    def call(*args: object) -> T:
        tid = threading.get_ident()
        _INSIDE[tid] = next(_SERIALS)
        try:
            return real(*args)
        finally:
            _INSIDE.pop(tid, None)

    call.__wrapped__ = real  # type: ignore[attr-defined]
    return call


def _announce_checks() -> None:
    """Wrap the z3 functions in `_INTERRUPTIBLE` where z3's Python API calls them (the module
    globals of ``z3.z3``: `Solver.check`, `Fixedpoint.query`), once per process. The wrapper
    only records the call in `_INSIDE`; what the call does and returns is unchanged."""
    with _announced:
        for name in _INTERRUPTIBLE:
            real = getattr(z3.z3, name, None)
            if real is not None and not hasattr(real, "__wrapped__"):
                setattr(z3.z3, name, _announcing(real))


@dataclass(frozen=True)
class Policy:
    """How much CPU time one size gets, and when a size whose budget ran out is tried again."""

    share: float = 0.25  # of the time left: a size's first budget, ...
    floor: float = 15.0  # ... at least this many CPU seconds (never more than the time left)
    growth: float = 2.0  # a retry's budget, times the budget that ran out
    retries: int = 3  # at most, per size

    def first(self, left: float | None) -> float | None:
        """The first budget of a size, with ``left`` seconds left (None: no limit, no budget)."""
        if left is None:
            return None
        return min(left, max(self.floor, self.share * left))

    def again(self, spent: float, tries: int, left: float | None) -> float | None:
        """The budget of the next try at a size whose ``tries``-th budget, ``spent`` CPU seconds,
        ran out with ``left`` seconds left; None: do not retry (grow the instance, or stop).
        A retry needs room for more than what was spent: else it would only repeat the run."""
        if tries > self.retries or left is None or left <= spent:
            return None
        return min(self.growth * spent, left)


def thread_cpu_clock() -> Callable[[], float]:
    """This thread's CPU clock, readable from any thread (the watchdog reads it from its own).
    Where the platform has no per-thread clock: the process's CPU time."""
    try:
        clock_id = time.pthread_getcpuclockid(threading.get_ident())
        time.clock_gettime(clock_id)
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return time.process_time
    return lambda: time.clock_gettime(clock_id)


class CpuClock(Clock):
    """A clock for one budgeted run: the parent's deadline (the user's hard limit, wall time)
    and, with ``budget``, at most that many CPU seconds of the thread that created it."""

    def __init__(self, parent: Clock, budget: float | None, cpu: Callable[[], float] | None = None):
        super().__init__(None)
        self.parent = parent
        self.deadline = parent.deadline
        self.stop = parent.stop
        self.budget = budget
        self.cpu = cpu or thread_cpu_clock()
        self.cpu_started = self.cpu()
        self._tid = threading.get_ident()
        self._watching = 0
        self.interrupted = False  # the watchdog interrupted z3 at least once

    def cpu_spent(self) -> float:
        return self.cpu() - self.cpu_started

    def spent(self) -> bool:
        """This budget, or a budget of a parent, is used up."""
        if self.budget is not None and self.cpu_spent() >= self.budget:
            return True
        return isinstance(self.parent, CpuClock) and self.parent.spent()

    def left(self) -> float | None:
        """Seconds left: to the deadline, and CPU seconds of this budget and its parents'."""
        ms = self.parent.remaining_ms() if not isinstance(self.parent, CpuClock) else None
        candidates = [] if ms is None else [ms / 1000]
        if isinstance(self.parent, CpuClock) and (up := self.parent.left()) is not None:
            candidates.append(up)
        if self.budget is not None:
            candidates.append(max(self.budget - self.cpu_spent(), 0.0))
        return min(candidates) if candidates else None

    def expired(self) -> bool:
        return self.parent.expired() or self.spent()

    def remaining_ms(self) -> int | None:
        # z3's own timeouts are wall-clock: the hard limit; the watchdog enforces the budget
        return 1 if self.spent() else self.parent.remaining_ms()

    def solved(self, started: tuple[float, float]) -> None:
        super().solved(started)
        self.parent.solved(started)

    def check(self, solver: z3.Solver, *assumptions: z3.BoolRef) -> z3.CheckSatResult:
        with self.watch():
            try:
                return super().check(solver, *assumptions)
            finally:
                if self.spent():  # perhaps interrupted: the caller's next push must not fail
                    clear_interrupt()

    @contextlib.contextmanager
    def watch(self) -> Iterator[None]:
        """While inside: z3 is interrupted once the budget is spent (re-entrant)."""
        if self._watching or (self.budget is None and not isinstance(self.parent, CpuClock)):
            yield
            return
        _announce_checks()
        self._watching += 1
        done = threading.Event()
        dog = threading.Thread(target=self._watchdog, args=(done,), daemon=True, name="cpu-budget")
        dog.start()
        try:
            yield
        finally:
            done.set()
            dog.join()
            self._watching -= 1

    def _watchdog(self, done: threading.Event) -> None:
        # (no frames, no new containers here: see the module's text)
        seen = None  # the serial of the check the thread was in at the last look
        while not done.wait(POLL):
            if not self.spent():
                continue
            serial = _INSIDE.get(self._tid)
            # the same check at two looks: a long one. A short one ends by itself (and the engine
            # sees the budget spent after it); interrupting it could land just after it returned
            if serial is not None and serial == seen:
                _interrupt_main_context()
                self.interrupted = True
            seen = serial


def _interrupt_main_context() -> None:
    """``z3.main_ctx().interrupt()``: a ctypes call on objects that exist already (nothing for the
    collector to count; the collector is the process's, and an engine thread may hold it off)."""
    with contextlib.suppress(Exception):
        z3.main_ctx().interrupt()


def clear_interrupt() -> None:
    """An interrupt leaves z3's context cancelled until the next check begins: a ``push`` or a
    ``pop`` in between fails with "canceled". A trivial check clears it."""
    with contextlib.suppress(z3.Z3Exception):
        z3.Solver().check()


def within(clock: CpuClock, work: Callable[[], T]) -> T | None:
    """``work()`` with ``clock``'s budget enforced; None if it failed after the budget's watchdog
    interrupted z3: the interrupt may land just after the check it was meant for returned, and
    then fails the next z3 call ("canceled", "model is not available"; an engine may wrap that
    in an error of its own). The budget was spent either way, and the caller reads None as no
    answer: an error read so can only cost a verdict, never make one."""
    try:
        with clock.watch():
            return work()
    except Exception:  # a z3 error, or an error made of one
        if clock.interrupted:
            return None
        raise
    finally:
        if clock.interrupted:
            clear_interrupt()


@dataclass
class SizeBudget:
    """The tries at one size of the ladder: the budget of each, and what happened (`notes`)."""

    policy: Policy
    parent: Clock
    at: str  # the size, for the notes: "enactors=2, endpoints=2"
    cpu: Callable[[], float] | None = None
    tries: int = 0
    budget: float | None = None

    def __post_init__(self) -> None:
        self.budget = self.policy.first(_left(self.parent))
        self.spent: list[float] = []  # the budgets that ran out, in order
        self.gave_up = ""  # why the last budget that ran out was not retried

    def clock(self) -> CpuClock:
        """A clock for the next try (and one for its BMC fallback: each gets the budget)."""
        self.tries = max(self.tries, 1)
        return CpuClock(self.parent, self.budget, self.cpu)

    def retry(self, used: CpuClock) -> bool:
        """After a try that gave no answer: whether to try this size again (with a larger budget)."""
        if self.budget is None or used.cpu_spent() < self.budget:
            return False  # no answer for another reason (Spacer's own "unknown"): trying again repeats it
        if self.parent.expired():  # the deadline, or the budget of the search this size is part of
            return False
        self.spent.append(self.budget)
        bigger = self.policy.again(self.budget, self.tries, _left(self.parent))
        if bigger is None:
            self.gave_up = "no retries left" if self.tries > self.policy.retries else "too little time left to retry"
            return False
        self.budget, self.tries = bigger, self.tries + 1
        return True

    @property
    def notes(self) -> list[str]:
        """What happened, for the output: "size 2: budget spent (1.0 s CPU), retried with 2.0 s"."""
        if not self.spent:
            return []
        retried = [seconds(b) for b in self.spent[1:]]
        if not self.gave_up:
            retried.append(seconds(self.budget or 0.0))
        text = f"{self.at}: budget spent ({seconds(self.spent[0])} CPU)"
        if retried:
            text += f", retried with {', '.join(retried)}"
        if self.gave_up:
            text += f"{', then' if retried else ','} {self.gave_up}"
        return [text]


def seconds(value: float) -> str:
    """``value`` seconds for the output: one decimal, or two significant digits below 1 s."""
    return f"{value:.1f} s" if value >= 0.95 else f"{value:.2g} s"


def _left(clock: Clock) -> float | None:
    if isinstance(clock, CpuClock):
        return clock.left()
    ms = clock.remaining_ms()
    return None if ms is None else ms / 1000


def sub_budget(parent: Clock, share: float) -> CpuClock:
    """A clock for a sub-search that may use ``share`` of the time left, in CPU seconds."""
    left = _left(parent)
    return CpuClock(parent, None if left is None else share * left)
