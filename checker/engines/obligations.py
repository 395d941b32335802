"""What a proof must establish, shared by k-induction, PDR and the certificate check.

A proof covers a set of properties *jointly*, together with the model's range checks (a
write outside a declared type, and the exactness conditions of the interval encoding of
sets): a proof that ignored them would be a proof about a transition relation that is not
the model's. So every step of every reachable path must keep the ranges, and every
state stays within the declared types (`Encoding.domain`) because of that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import z3

from ..encoding import Encoding, State
from ..lang.model import ModelInstance

PROVABLE = ("invariant", "action_invariant")


def unsupported_reason(model: ModelInstance, name: str) -> str | None:
    kind = model.properties[name].kind
    if kind in PROVABLE:
        return None
    return f"the proof engines prove invariants and action invariants; '{name}' is a {kind} property (use check)"


@dataclass
class Obligations:
    """The properties of one proof attempt, as formulas over given states."""

    enc: Encoding
    names: list[str]

    def __post_init__(self) -> None:
        kinds = {n: self.enc.model.properties[n].kind for n in self.names}
        self.state_props = [n for n in self.names if kinds[n] == "invariant"]
        self.step_props = [n for n in self.names if kinds[n] == "action_invariant"]

    def holds(self, name: str, x: State, x2: State | None = None) -> z3.BoolRef:
        """Property ``name`` holds, and evaluating it stays within every declared range (a
        property that reads outside one is a model error, so that must never happen either)."""
        reads = [z3.Not(v) for _, v in self.enc.prop_check_violations(name, x, x2)]
        return z3.And([self.enc.prop(name, x, x2)] + reads)

    def state_ok(self, x: State, names: list[str] | None = None) -> z3.BoolRef:
        return z3.And([self.holds(n, x) for n in (self.state_props if names is None else names)])

    def range_ok(self, x: State, o: z3.ArithRef) -> z3.BoolRef:
        return z3.And([z3.Not(self.enc.step_check(c, x, o)) for c in self.enc.step_checks])

    def step_ok(
        self, x: State, o: z3.ArithRef, x2: State, names: list[str] | None = None, ranges: z3.BoolRef | None = None
    ) -> z3.BoolRef:
        """The step's own obligations: action invariants and range checks (``ranges``: `range_ok`
        of the same ``x`` and ``o``, when the caller has it already)."""
        props = self.step_props if names is None else names
        return z3.And([self.holds(n, x, x2) for n in props] + [self.range_ok(x, o) if ranges is None else ranges])

    def broken_by(self, zmodel: z3.ModelRef, x: State, o: z3.ArithRef, x2: State) -> list[str]:
        """Which obligations a solver model breaks on the step ``x -o-> x2`` (``"ranges"`` for range checks)."""
        out = [n for n in self.state_props if z3.is_false(zmodel.eval(self.holds(n, x2), model_completion=True))]
        out += [n for n in self.step_props if z3.is_false(zmodel.eval(self.holds(n, x, x2), model_completion=True))]
        if z3.is_false(zmodel.eval(self.range_ok(x, o), model_completion=True)):
            out.append("ranges")
        return out


def new_solver(enc: Encoding) -> z3.Solver:
    """A solver suited to the encoding's logic (as `Unrolling` chooses for BMC)."""
    if enc.logic == "QF_LIA":
        solver = z3.SolverFor("QF_LIA")
        solver.set("arith.solver", 2)  # the simplex solver: faster on these unrollings
        return solver
    return z3.Solver()  # lambdas of unbounded array sets are outside QF_AUFLIA


_stop = threading.local()  # .event: the stop signal of the engine running in this thread, if any


@contextmanager
def stoppable(event: threading.Event) -> Iterator[None]:
    """Clocks made in this thread inside the block count as expired once ``event`` is set: how
    the portfolio stops an engine it runs in a thread of its own process (with z3 interrupted,
    `checker.engines.local`). Certificate re-checks in fresh contexts are interrupted too."""
    before = getattr(_stop, "event", None)
    _stop.event = event
    try:
        yield
    finally:
        _stop.event = before


def stop_signal() -> threading.Event | None:
    """This thread's stop signal (`stoppable`), if any."""
    return getattr(_stop, "event", None)


class Clock:
    """Wall-clock deadline plus the time spent inside z3 (what the benchmarks report).

    Solving time is kept both as wall time and as this process's CPU time (z3 runs in this
    process): on a shared machine the wall time also counts other processes' turns.
    """

    def __init__(self, timeout: float | None):
        self.started = time.monotonic()
        self.deadline = self.started + timeout if timeout else None
        self.stop = stop_signal()
        self.solver_seconds = 0.0
        self.solver_cpu_seconds = 0.0
        self.phases: dict[str, float] = {}  # seconds per named phase, for reports and benchmarks
        self.phases_cpu: dict[str, float] = {}  # the same phases in CPU seconds

    @staticmethod
    def mark() -> tuple[float, float]:
        """The start of a phase or a solver call: (wall, CPU)."""
        return time.monotonic(), time.process_time()

    def phase(self, name: str, started: tuple[float, float]) -> None:
        wall, cpu = started
        self.phases[name] = round(self.phases.get(name, 0.0) + time.monotonic() - wall, 4)
        self.phases_cpu[name] = round(self.phases_cpu.get(name, 0.0) + time.process_time() - cpu, 4)

    def solved(self, started: tuple[float, float]) -> None:
        """Count a solver call that began at ``started`` (from `mark`)."""
        self.solver_seconds += time.monotonic() - started[0]
        self.solver_cpu_seconds += time.process_time() - started[1]

    def remaining_ms(self) -> int | None:
        if self.stop is not None and self.stop.is_set():
            return 1
        if self.deadline is None:
            return None
        return max(1, int((self.deadline - time.monotonic()) * 1000))

    def expired(self) -> bool:
        if self.stop is not None and self.stop.is_set():
            return True
        return self.deadline is not None and time.monotonic() >= self.deadline

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def check(self, solver: z3.Solver, *assumptions: z3.BoolRef) -> z3.CheckSatResult:
        if self.expired():
            return z3.unknown
        ms = self.remaining_ms()
        if ms is not None:
            solver.set("timeout", ms)
        started = self.mark()
        try:
            return solver.check(*assumptions)
        finally:
            self.solved(started)
