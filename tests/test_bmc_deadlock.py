"""BMC on behaviours that stop before the bound (deadlocks): verdicts, coverage and the
k-induction base case must cover every behaviour of *up to* N steps, not only those of exactly N.

`tests.models.deadend.DeadEnd` has a branch, open only in the initial state, that ends in a
dead end after ``ruin_at`` steps while the other behaviours go on to 2 * workers steps. Its
known answers (the model's docstring) and the explicit engine's are the references.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from checker.encoding import Encoding
from checker.engines.bmc import run_bmc
from checker.engines.bmc_coverage import bmc_coverage
from checker.engines.explicit import run_explicit
from checker.engines.kind import run_kind
from checker.results import PropertyResult, Verdict
from tests.conftest import run_cli
from tests.models.deadend import DeadEnd

WriteSpec = Callable[..., Path]
PROPS = ["not_ruined", "ruined", "no_ruin_step", "steps_bounded"]
#: (workers, ruin_at): the dead end shorter than the long behaviours, as long, longer, and an
#: action (ruin) that never fires
SHAPES = [(2, 3), (3, 2), (1, 4), (2, 1)]


def longest(workers: int, ruin_at: int) -> int:
    return max(2 * workers, ruin_at)


def fires_within(bound: int, ruin_at: int) -> set[str]:
    """The actions some behaviour of at most ``bound`` steps fires (from the model's docstring)."""
    out = {"worker.advance", "worker.crash"} if bound >= 1 else set()
    if bound >= 2 and ruin_at >= 2:
        out.add("worker.ruin")
    return out


def expect_bmc(reference: PropertyResult, bound: int, end: int) -> tuple[Verdict, int]:
    """What BMC to ``bound`` must answer, given the explicit engine's complete answer."""
    if reference.verdict in (Verdict.VIOLATED, Verdict.WITNESSED):
        assert reference.depth is not None
        if reference.depth <= bound:
            return reference.verdict, reference.depth
    # complete only once BMC saw that no behaviour is longer (one step past the longest)
    complete = bound > end
    if reference.kind == "reachable":
        return (Verdict.UNREACHABLE if complete else Verdict.UNKNOWN), min(bound, end)
    return (Verdict.HOLDS if complete else Verdict.HOLDS_TO_DEPTH), min(bound, end)


@pytest.mark.parametrize("symmetry", [True, False], ids=["sym", "nosym"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"w{w}r{r}" for w, r in SHAPES])
def test_bmc_verdicts_match_the_explicit_engine_at_every_bound(shape: tuple[int, int], symmetry: bool) -> None:
    workers, ruin_at = shape
    model = DeadEnd.build(workers=workers, ruin_at=ruin_at)
    reference = {r.name: r for r in run_explicit(model, PROPS, symmetry=symmetry)}
    assert reference["not_ruined"].verdict is Verdict.VIOLATED and reference["not_ruined"].depth == ruin_at
    assert reference["ruined"].verdict is Verdict.WITNESSED and reference["ruined"].depth == ruin_at
    end = longest(workers, ruin_at)
    for bound in range(end + 3):
        for r in run_bmc(model, PROPS, bound, symmetry=symmetry):
            verdict, depth = expect_bmc(reference[r.name], bound, end)
            assert (r.verdict, r.depth) == (verdict, depth), (bound, r.name, r.reason)
            if r.trace is not None:
                assert len(r.trace) == depth  # a shortest counterexample (or witness), replayed


@pytest.mark.parametrize("symmetry", [True, False], ids=["sym", "nosym"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"w{w}r{r}" for w, r in SHAPES])
def test_bmc_coverage_counts_behaviours_that_stop_before_the_bound(shape: tuple[int, int], symmetry: bool) -> None:
    """``crash`` (and ``ruin``) fire only on the crashed branch, which stops early: fired at
    every bound that branch reaches, whether or not the check itself stopped early."""
    workers, ruin_at = shape
    model = DeadEnd.build(workers=workers, ruin_at=ruin_at)
    end = longest(workers, ruin_at)
    for bound in range(1, end + 2):
        expected = fires_within(bound, ruin_at)
        # steps_bounded holds: the check runs to the bound. ruined is witnessed early: coverage
        # goes on past the check's depth
        for prop in ("steps_bounded", "ruined"):
            cov = run_bmc(model, [prop], bound, symmetry=symmetry, coverage=True)[0].extra["coverage"]
            assert set(cov["fired"]) == expected, (bound, prop, cov)
            assert set(cov["never"]) == {"worker.advance", "worker.crash", "worker.ruin"} - expected, (bound, prop)
            assert cov["undetermined"] == []
        if bound > end:  # (at the longest length itself it does not know that nothing is longer)
            assert cov["scope"] == f"every behaviour: all end within {end} steps" or not cov["never"]
        # without the check's unrolling (prove's coverage)
        alone = bmc_coverage(Encoding(model), bound, None, symmetry)
        assert (
            set(alone["fired"]) == expected
            and set(alone["never"])
            == {
                "worker.advance",
                "worker.crash",
                "worker.ruin",
            }
            - expected
        ), (bound, alone)


def test_bmc_coverage_scope_says_every_behaviour_ends_only_when_it_does() -> None:
    model = DeadEnd.build(workers=2, ruin_at=1)  # ruin never fires; the long behaviours take 4 steps
    for bound, scope in [(4, "within 4 steps"), (5, "every behaviour: all end within 4 steps")]:
        cov = run_bmc(model, ["steps_bounded"], bound, coverage=True)[0].extra["coverage"]
        assert cov["never"] == ["worker.ruin"] and cov["scope"] == scope
        alone = bmc_coverage(Encoding(model), bound + 2, None)
        assert alone["never"] == ["worker.ruin"] and alone["scope"] == "every behaviour: all end within 4 steps"


@pytest.mark.parametrize("symmetry", [True, False], ids=["sym", "nosym"])
@pytest.mark.parametrize("shape", [(2, 3), (1, 4)], ids=["w2r3", "w1r4"])
def test_kind_base_case_finds_violations_on_the_dead_end(shape: tuple[int, int], symmetry: bool) -> None:
    workers, ruin_at = shape
    model = DeadEnd.build(workers=workers, ruin_at=ruin_at)
    names = ["not_ruined", "no_ruin_step"]
    got = {r.name: r for r in run_kind(model, names, max_k=6, timeout=60, symmetry=symmetry)}
    assert got["not_ruined"].verdict is Verdict.VIOLATED and got["not_ruined"].depth == ruin_at
    assert got["no_ruin_step"].verdict is Verdict.VIOLATED and got["no_ruin_step"].depth == 2


TWOPHASE_TIMEOUT = """\
model = "models.twophase.model:TwoPhase"
[params]
rms = 3
variant = "timeout"
[check]
depth = 10
"""


def test_twophase_choose_to_abort_fires_within_the_bound(write_spec: WriteSpec) -> None:
    """The reported case: rm.choose_to_abort is enabled initially, but every behaviour with it
    ends within 10 steps (only the all-commit ones are 10 long): it fired, and --strict passes."""
    path = str(write_spec(TWOPHASE_TIMEOUT))
    for command in (
        ["check", "--strict", path, "--engine", "bmc", "--depth", "10", "--no-symmetry", "--property", "consistent"],
        ["prove", path, "--engine", "kind", "--property", "consistent"],
    ):
        got = run_cli(*command)
        assert "never fired" not in got.stdout, got.output
        assert "every action fired" in got.stdout and "rm.choose_to_abort" in got.stdout, got.output
        assert got.exit_code in (0, 3), got.output  # holds to depth 10 (inconclusive) / proved


def test_bmc_coverage_without_time_left_decides_nothing() -> None:
    """The check's hard stop leaves coverage no time: every action is undecided, none "never fired"."""
    cov = bmc_coverage(Encoding(DeadEnd.build()), 5, time.monotonic())
    assert cov["never"] == [] and cov["fired"] == {}
    assert set(cov["undetermined"]) == {"worker.advance", "worker.crash", "worker.ruin"}
    assert cov["scope"].startswith("timeout before deciding")
