"""BMC keeps a trace only if it replays concretely: when the solver's model contradicts the
replay (z3 has answered so with lambdas over unbounded sets, depending on its heuristics'
state: the cross-check's BMC coverage hit it), the same query goes to fresh solvers, and a
model that replays is used; no trace is ever taken from the solver's word alone."""

from __future__ import annotations

import pytest
import z3

from checker.encoding import Encoding
from checker.engines.bmc import Unrolling
from checker.errors import InternalError
from tests.models.counter import AtomicCounter


def _unrolled(depth: int) -> tuple[Unrolling, z3.BoolRef]:
    enc = Encoding(AtomicCounter.build(procs=2))
    u = Unrolling(enc, symmetry=False, prune=False)
    while u.depth < depth:
        u.extend()
    return u, u.states[-1][_value(u)] == depth


def test_a_model_that_does_not_replay_is_asked_for_again() -> None:
    u, goal = _unrolled(2)
    assert u.query(goal, None) == z3.sat
    wrong = z3.Solver()
    wrong.add(goal)  # the last state only: its steps are disabled in the concrete model
    assert wrong.check() == z3.sat
    u._model = wrong.model()
    assert isinstance(u._replayed(u._model, 2), str)  # this model's trace does not replay
    trace = u.trace(2, None, "witness")
    assert len(trace) == 2 and trace.states[-1][_value(u)] == 2


def test_without_a_model_that_replays_it_says_so() -> None:
    u, goal = _unrolled(2)
    assert u.query(goal, None) == z3.sat
    wrong = z3.Solver()
    wrong.add(goal)
    assert wrong.check() == z3.sat
    u._model = wrong.model()
    u._goal = z3.BoolVal(False)  # the fresh solvers find no model at all
    u.solver.add(z3.BoolVal(False))
    with pytest.raises(InternalError, match="solver and concrete replay disagree"):
        u.trace(2, None, "witness")


def _value(u: Unrolling) -> int:
    """The shared counter's slot."""
    return next(i for i, s in enumerate(u.enc.model.slots) if s.name == "value")
