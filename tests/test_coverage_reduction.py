"""BMC coverage's scope "every behaviour: all end within N steps" never rests on symmetry
breaking alone: where the unrolling was reduced, the claim is re-checked without the reduction
(as a complete verdict is). A wrong reduction is forced here on a model whose replicas are not
interchangeable, so that the reduced unrolling ends sooner than the real behaviours do."""

from __future__ import annotations

import pytest

from checker import Int, Model, Process, action, all_of, invariant, reachable, require
from checker.encoding import Encoding
from checker.engines import bmc_unroll as bmc  # where the unrolling decides on symmetry
from checker.engines.bmc import run_bmc
from checker.engines.bmc_coverage import bmc_coverage
from checker.results import Verdict
from checker.symmetry import SymmetryDecision, replica_groups


class Walker(Process):
    pos = Int(init=0, min=0, max=2)

    @action
    def walk(self, sys):
        # walker2 walks two steps, walker1 one: not interchangeable
        require(self.pos < (2 if self.name == "walker2" else 1))
        self.pos = self.pos + 1

    @action
    def leap(self, sys):
        require(self.pos == 5)  # never
        self.pos = 0


class Walkers(Model):
    """Every behaviour ends within 3 steps (walker1 once, walker2 twice). Breaking the symmetry
    (of two replicas in the same local state only the lower moves) wrongly here would stop
    walker2 at pos 1 beside walker1: the reduced behaviours all end within 2 steps."""

    walker = Walker(count=2)

    @invariant
    def in_range(sys):
        return all_of(w.pos <= 2 for w in sys.walker)

    @reachable
    def first_walked(sys):
        return sys.walker[0].pos == 1


@pytest.fixture
def wrong_symmetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reduce the walkers whatever `checker.symmetry` says (it rightly refuses them)."""
    monkeypatch.setattr(
        bmc, "decide_symmetry", lambda enc, _props=None: SymmetryDecision(list(replica_groups(enc.model).values()))
    )


def scope_of(model: Walkers, props: list[str], bound: int) -> dict:
    return run_bmc(model, props, bound, coverage=True)[0].extra["coverage"]


def test_without_a_reduction_every_behaviour_ends_within_three_steps() -> None:
    model = Walkers.build()
    assert scope_of(model, ["in_range"], 6)["scope"] == "every behaviour: all end within 3 steps"
    assert bmc_coverage(Encoding(model), 6, None, symmetry=True)["scope"] == "every behaviour: all end within 3 steps"


def test_a_reduced_end_is_not_worded_as_every_behaviour(wrong_symmetry: None) -> None:
    model = Walkers.build()
    # the verdict was already re-checked: bounded, at the depth the reduced unrolling reached
    (r,) = run_bmc(model, ["in_range"], 6, coverage=True)
    assert r.verdict is Verdict.HOLDS_TO_DEPTH
    assert not r.extra["coverage"]["scope"].startswith("every behaviour")
    # no property left open (witnessed at depth 1): the check's end is re-checked for coverage alone
    cov = scope_of(model, ["first_walked"], 6)
    assert not cov["scope"].startswith("every behaviour"), cov
    # coverage on its own unrolling (prove's): ended when reduced, re-checked without the reduction
    alone = bmc_coverage(Encoding(model), 6, None, symmetry=True)
    assert alone["never"] == ["walker.leap"] and alone["scope"] == "within 2 steps", alone
