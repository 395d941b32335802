"""The base case of k-induction: BMC from the initial states, one depth at a time.

A violation found here is real: it is replayed from the initial state and reported like any
BMC violation; a reachable range error is raised as the model error it is. PDR and the
parameterized proof use the same search to confirm their counterexamples (`Base.search`).
"""

from __future__ import annotations

from typing import Any

import z3

from ..encoding import Encoding
from ..errors import ModelError
from ..lang.runtime import CONCRETE, evaluate
from ..trace import Trace, replay
from .bmc_unroll import Unrolling
from .obligations import Clock


class Base:
    """The base case: BMC from the initial states, one depth at a time."""

    def __init__(self, enc: Encoding, symmetry: bool = True, properties: list[str] | None = None):
        self.enc = enc
        # symmetry only where `checker.symmetry` shows swapping replicas changes none of
        # ``properties`` (None: none of the model's)
        self.u = Unrolling(enc, symmetry, properties)
        self.checked = -1  # the deepest depth whose states have been checked
        # z3's reason when a range error could not be ruled out (the search then stopped undecided)
        self.range_undecided = ""

    def advance(self, names: list[str], depth: int, clock: Clock) -> dict[str, tuple[int, Trace]] | None:
        """Check every depth up to ``depth``: {property: (depth, replayed trace)}; None on timeout."""
        found: dict[str, tuple[int, Trace]] = {}
        while self.checked < depth:
            if self.checked >= 0:
                self.u.extend()
            before = self.u.solver_seconds
            got = self._check([n for n in names if n not in found], clock)
            clock.solver_seconds += self.u.solver_seconds - before
            if got is None:
                return None
            found.update(got)
            self.checked += 1
        return found

    def why_undecided(self, clock: Clock) -> str:
        """Why `advance` or `search` answered None: the time ran out, or z3 gave no answer."""
        if clock.expired():
            return "timeout"
        if self.range_undecided:
            return f"an out-of-range write or read could not be ruled out (z3: {self.range_undecided})"
        return self.u.solver.reason_unknown() or "solver gave up"

    def search(self, names: list[str], depth: int, clock: Clock) -> dict[str, tuple[int, Trace]] | None:
        """Every violation of ``names`` up to ``depth``; then, while some name has none, on up to
        about twice as deep: BMC finds shallow violations much faster than Spacer does."""
        found = self.advance(names, depth, clock)
        limit = 2 * depth + 4
        while found is not None and len(found) < len(names) and self.checked < limit:
            more = self.advance([n for n in names if n not in found], self.checked + 1, clock)
            if more is None:  # timeout: what was found still stands
                return found or None
            found.update(more)
        return found

    def _check(self, names: list[str], clock: Clock) -> dict[str, tuple[int, Trace]] | None:
        enc, u = self.enc, self.u
        goals = {n: g for n in names if (g := self._goal(n)) is not None}
        checks = self._range_errors(names)
        found: dict[str, tuple[int, Trace]] = {}
        if goals or checks:
            status = u.query(z3.Or(list(goals.values()) + [v for _, v in checks]), clock.deadline)
            if status == z3.unknown:
                return None
            if status == z3.sat:
                if not self._raise_range_error(checks, clock):
                    self.range_undecided = u.solver.reason_unknown() or "unknown"
                    return None  # a range error not ruled out: never assume the states in range
                for name, goal in goals.items():
                    answer = u.query(goal, clock.deadline)
                    if answer == z3.unknown:
                        return None
                    if answer == z3.sat:
                        found[name] = (u.depth, u.trace(u.depth, name, "violation"))
        u.solver.add(enc.domain(u.states[-1]))  # every write so far kept its range
        return found

    def _goal(self, name: str) -> z3.BoolRef | None:
        """A violation of ``name`` at the newest state (or step)."""
        u = self.u
        if self.enc.model.properties[name].kind == "action_invariant":
            return z3.Not(self.enc.prop(name, u.states[-2], u.states[-1])) if u.depth else None
        return z3.Not(self.enc.prop(name, u.states[-1]))

    def _range_errors(self, names: list[str]) -> list[tuple[Any, z3.BoolRef]]:
        """(what, violation) for every range check at the newest step: of the step's writes
        (what is a `StepCheck`) and of the properties' reads (what is a property name)."""
        enc, u = self.enc, self.u
        out: list[tuple[Any, z3.BoolRef]] = []
        for n in names:
            if enc.model.properties[n].kind == "action_invariant":
                if u.depth:
                    out += [(n, v) for _, v in enc.prop_check_violations(n, u.states[-2], u.states[-1])]
            else:
                out += [(n, v) for _, v in enc.prop_check_violations(n, u.states[-1])]
        if u.depth:
            out += [(c, enc.step_check(c, u.states[-2], u.oracles[-1])) for c in enc.step_checks]
        return out

    def _raise_range_error(self, checks: list[tuple[Any, z3.BoolRef]], clock: Clock) -> bool:
        """A reachable range error is a model error: replaying it concretely raises it at the
        model's line (or, for the interval encoding's own checks, it is raised here). Returns
        True when there is none, False when the solver could not rule one out."""
        enc, u = self.enc, self.u
        for what, violated in checks:
            answer = u.query(violated, clock.deadline)
            if answer == z3.unknown:
                return False
            if answer != z3.sat:
                continue
            assert u._model is not None
            steps = [enc.decode_oracle(u._model, o) for o in u.oracles]
            states = replay(enc.model, steps, enc.initial_of(u._model, u.states[0]))
            if isinstance(what, str):
                kind = enc.model.properties[what].kind
                evaluate(enc.model, CONCRETE, what, *(states[-2:] if kind == "action_invariant" else states[-1:]))
                raise ModelError(f"property '{what}': a read outside its range")
            raise ModelError(f"action {what.transition}: {what.check.message}", what.check.file, what.check.line)
        return True
