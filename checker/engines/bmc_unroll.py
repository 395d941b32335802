"""BMC's unrolling: states x_0..x_k and the oracles between them, on one incremental solver.

`run_bmc` (`checker.engines.bmc`) grows it one step at a time and asks its queries under
push/pop; k-induction's base case and BMC's coverage reuse it. The solver is z3's arithmetic
one, or for a bounded model and a caller that asserts each state's declared ranges before
extending from it, its SAT-based finite-domain one (`bmc_finite`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import z3

from ..encoding import Encoding, State
from ..errors import InternalError
from ..lang.model import Transition
from ..symmetry import SymmetryDecision, no_symmetry
from ..symmetry import decide as decide_symmetry
from ..trace import Trace, replay
from .bmc_finite import FiniteBounds, finite_bounds
from .bmc_reach import EnabledSteps
from .bmc_stats import DepthLog


@dataclass
class Unrolling:
    """States x_0..x_k and oracles o_0..o_{k-1} asserted on one solver."""

    enc: Encoding
    symmetry: bool = True
    #: the properties the run checks (their symmetry matters); None: all of the model's
    properties: list[str] | None = None
    #: step k a disjunction over only the transitions that can be enabled at depth k (`bmc_reach`)
    prune: bool = True
    #: bit-blast to SAT when every value is bounded (`bmc_finite`); only for callers that assert
    #: each state's declared ranges before extending from it (as `run_bmc` does after its range checks)
    finite: bool = False
    solver: z3.Solver = field(init=False)
    reach: EnabledSteps | None = field(init=False, default=None)
    #: which replicas may be reduced (`checker.symmetry`); reduced only where the check passed
    decision: SymmetryDecision = field(init=False)
    states: list[State] = field(default_factory=list)
    oracles: list[z3.ArithRef] = field(default_factory=list)
    _model: z3.ModelRef | None = None
    _goal: z3.BoolRef | None = None  # the goal of the last query (to ask fresh solvers again: `trace`)
    solver_seconds: float = 0.0  # time inside z3 check() so far; results record the running total
    #: per step k, the transitions its disjunction ranges over (None: all)
    within: list[frozenset[int] | None] = field(default_factory=list)
    stats: DepthLog = field(default_factory=DepthLog)
    #: the finite-domain bounds in use (None: the arithmetic solver)
    bounds: FiniteBounds | None = field(init=False, default=None)
    _asserted: list[z3.BoolRef] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.symmetry:
            self.decision = decide_symmetry(self.enc, self.properties)
        else:
            self.decision = no_symmetry(self.enc.model, "symmetry reduction turned off for this run")
        self.bounds = finite_bounds(self.enc, self._templates()) if self.finite else None
        self.solver = z3.SolverFor("QF_FD") if self.bounds is not None else self._arith_solver()
        self.reach = EnabledSteps(self.enc) if self.prune else None
        self.stats.start(0, None)
        x0 = self.enc.fresh_state("@0")
        self.states.append(x0)
        self.add(self.enc.init(x0))
        if self.bounds is not None:
            self.add(self.bounds.first(x0))

    def add(self, *formulas: z3.BoolRef) -> None:
        """Assert ``formulas`` for good (outside any query's scope)."""
        self.solver.add(*formulas)
        if self.bounds is not None:
            self._asserted += formulas

    def assertions(self) -> list[z3.BoolRef]:
        """The solver's assertions as they were asserted. The finite-domain solver reports its
        own rewriting of them (over bit-vectors), which another solver cannot take over: for it,
        those `add` recorded (outside any query's scope)."""
        return list(self._asserted) if self.bounds is not None else list(self.solver.assertions())

    def _templates(self) -> list[z3.ExprRef]:
        """What this unrolling's assertions and queries instantiate (the finite-domain solver
        is used only if all of it is in its fragment, `bmc_finite.in_fragment`): the step
        relation, its range checks, the symmetry breaking, and the properties to check."""
        enc = self.enc
        out: list[z3.ExprRef] = [enc.trans(enc.x, enc.oracle, enc.x_next)]
        out += [c.violated for c in enc.step_checks]
        if self.decision.groups:
            out.append(enc.symmetry_breaking(enc.x, enc.oracle, self.decision.groups))
        for name in self.properties or []:
            out.append(enc.prop(name, enc.x, enc.x_next))
            out += [v for _, v in enc.prop_check_violations(name, enc.x, enc.x_next)]
        return out

    def _arith_solver(self) -> z3.Solver:
        # Without arrays the whole unrolling is linear integer arithmetic; z3's solver for
        # that logic was 1.7x faster than the default one on the DNS model.
        # Lambdas (bulk deletes from unbounded sets) are outside QF_AUFLIA: let z3 choose.
        if self.enc.logic == "QF_LIA":
            solver = z3.SolverFor("QF_LIA")
            # The older simplex arithmetic solver answered the DNS unrollings' UNSAT queries
            # 2-3x faster than z3's default one (benchmarks/bench_bmc.py); with arrays and
            # lambdas it made z3 answer unknown, so it is set for pure arithmetic only.
            solver.set("arith.solver", 2)
            return solver
        return z3.Solver()

    def _leave_finite(self) -> None:
        """The finite-domain solver gave up (not a timeout): the same assertions, less the
        current query's scope, go to the arithmetic solver for the rest of the run."""
        self.solver.pop()
        solver = self._arith_solver()
        solver.add(self._asserted)
        self.solver, self.bounds = solver, None
        self.solver.push()

    @property
    def depth(self) -> int:
        return len(self.oracles)

    def extend(self) -> None:
        k = self.depth
        within = self.reach.at(k) if self.reach is not None else None
        self.stats.start(k + 1, len(within) if within is not None else len(self.enc.fired))
        o = z3.Int(f"oracle@{k}")
        x = self.enc.fresh_state(f"@{k + 1}")
        if self.bounds is not None:
            # the wider bounds of the next state follow from the declared ranges of this one
            # (`bmc_finite`): the caller asserted them already; said again, they are implied
            self.add(self.enc.domain(self.states[-1]), self.bounds.after_step(x, o))
        self.add(self.enc.trans(self.states[-1], o, x, within))
        self.within.append(within)
        if self.decision.groups:
            self.add(self.enc.symmetry_breaking(self.states[-1], o, self.decision.groups))
        self.oracles.append(o)
        self.states.append(x)

    def query(self, goal: z3.BoolRef, deadline: float | None) -> z3.CheckSatResult:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return z3.unknown
            self.solver.set("timeout", max(1, int(remaining * 1000)))
        self.solver.push()
        try:
            self.solver.add(goal)
            self._goal = goal
            started = time.monotonic()
            status = self.solver.check()
            if status == z3.unknown and self.bounds is not None and self._incomplete():
                self._leave_finite()
                self.solver.add(goal)
                if deadline is not None:
                    self.solver.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
                status = self.solver.check()
            self._model = self.solver.model() if status == z3.sat else None
            self.stats.record(self.solver, time.monotonic() - started)
            if status == z3.unknown and self._incomplete():
                status = self._retry(goal, deadline)
            self.solver_seconds += time.monotonic() - started
            return status
        finally:
            self.solver.pop()

    def _incomplete(self) -> bool:
        """z3 gave up (not a timeout): with lambdas over arrays its quantifier instantiation
        is incomplete, and whether it gives up depends on its heuristics' state."""
        reason = self.solver.reason_unknown()
        return "timeout" not in reason and "cancel" not in reason

    def _retry(self, goal: z3.BoolRef, deadline: float | None) -> z3.CheckSatResult:
        """The same query on fresh solvers with other random seeds: one of them usually decides it
        (the order-dependent 'incomplete quantifiers' seen when specs run one after another)."""
        status = z3.unknown
        for seed in (1, 2, 3):
            fresh = z3.Solver()
            fresh.set("random_seed", seed)
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                fresh.set("timeout", max(1, int(remaining * 1000)))
            fresh.add(self.assertions())
            fresh.add(goal)
            status = fresh.check()
            if status != z3.unknown:
                self._model = fresh.model() if status == z3.sat else None
                break
        return status

    def trace(self, upto: int, prop: str | None, kind: str) -> Trace:
        """Decode the last satisfying assignment (of a query at depth ``upto``) into a replayed trace."""
        zmodel = self._model
        if zmodel is None:  # pragma: no cover - only called after sat
            raise InternalError("no model to decode")
        found = self._replayed(zmodel, upto)
        if isinstance(found, str):
            # With lambdas (bulk deletes from unbounded sets) z3 has answered sat with a model
            # whose set members the concrete replay contradicts, depending on its heuristics'
            # state (seen in the cross-check after other queries in the same process): the same
            # query on fresh solvers with other seeds; a trace is still only one that replays.
            for seed in (1, 2, 3):
                fresh = z3.Solver()
                fresh.set("random_seed", seed)
                fresh.set("timeout", RETRY_MS)
                fresh.add(self.assertions())
                if self._goal is not None:
                    fresh.add(self._goal)
                if fresh.check() == z3.sat:
                    again = self._replayed(fresh.model(), upto)
                    if not isinstance(again, str):
                        found = again
                        break
            else:
                raise InternalError(f"solver and concrete replay disagree {found}")
        transitions, states = found
        trace = Trace(self.enc.model, states, transitions, prop, kind)
        trace.confirm()
        return trace

    def _replayed(self, zmodel: z3.ModelRef, upto: int) -> tuple[list[Transition], list[tuple[Any, ...]]] | str:
        """The model's steps and their concrete replay, or where the two disagree."""
        transitions = [self.enc.decode_oracle(zmodel, o) for o in self.oracles[:upto]]
        try:
            states = replay(self.enc.model, transitions, self.enc.initial_of(zmodel, self.states[0]))
        except InternalError as exc:  # a step the model takes is disabled in the concrete one
            return f"({exc})"
        for k, (sym, concrete) in enumerate(zip(self.states, states, strict=False)):
            bad = self.enc.agrees(zmodel, sym, concrete)
            if bad:
                return f"at step {k} on {', '.join(bad)}"
        return transitions, states


#: each fresh solver's limit when a model does not replay concretely (`Unrolling.trace`)
RETRY_MS = 10_000
