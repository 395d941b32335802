"""BMC and the k-induction base case when z3 cannot rule out an out-of-range write or read.

Both engines assume, from each depth on, that the states so far are within their declared
ranges, but only after the range-error queries of that depth answered unsat (`_raise_range_error`).
When one answers unknown (a timeout, an incomplete theory) the run must stop there inconclusive,
with a reason that says so: never "holds" past that depth, exit 3. The unknown answer is forced
here by making the solver answer unknown to exactly those queries.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import z3

from checker.engines.bmc import Unrolling, run_bmc
from checker.engines.kind import run_kind
from checker.engines.pdr import run_pdr
from checker.results import Verdict
from tests.conftest import run_cli
from tests.models.counter import AtomicCounter, NonAtomicCounter

UNDECIDED = "an out-of-range write or read could not be ruled out"


@pytest.fixture
def range_queries_unknown(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """z3 answers unknown to every range-error query; yields the depths at which one was asked."""
    asked: list[int] = []
    query = Unrolling.query

    def undecided(self: Unrolling, goal: z3.BoolRef, deadline: float | None) -> z3.CheckSatResult:
        if sys._getframe(1).f_code.co_name == "_raise_range_error":  # bmc's function, kind_base's method
            asked.append(self.depth)
            return z3.unknown
        return query(self, goal, deadline)

    monkeypatch.setattr(Unrolling, "query", undecided)
    yield asked


def test_bmc_without_the_fault_decides_everything() -> None:
    """(The control: the same run with z3 answering decides, so the fault is what changes it.)"""
    results = run_bmc(AtomicCounter.build(procs=2), ["all_done", "no_lost_update", "value_never_decreases"], 6)
    assert [r.verdict for r in results] == [Verdict.WITNESSED, Verdict.HOLDS, Verdict.HOLDS]


def test_bmc_stops_inconclusive_where_a_range_error_is_not_ruled_out(range_queries_unknown: list[int]) -> None:
    results = run_bmc(AtomicCounter.build(procs=2), ["all_done", "no_lost_update", "value_never_decreases"], 6)
    assert range_queries_unknown == [2]  # the first depth where anything is reported (all_done)
    witnessed, *held = results
    assert witnessed.verdict is Verdict.WITNESSED  # a replayed trace stands
    for r in held:
        assert r.verdict is Verdict.UNKNOWN, (r.name, r.verdict)
        assert r.depth == 1 and f"{UNDECIDED} (z3: unknown) at depth 2" in r.reason, r.reason


def test_check_with_bmc_exits_inconclusive(tmp_path: Path, range_queries_unknown: list[int]) -> None:
    spec = tmp_path / "counter.toml"
    spec.write_text('model = "tests.models.counter:AtomicCounter"\n[check]\ndepth = 6\n')
    r = run_cli("check", str(spec), "--engine", "bmc", "--json")
    assert r.exit_code == 3, r.output
    assert range_queries_unknown
    assert '"verdict": "holds"' not in r.stdout and UNDECIDED in r.stdout


def test_the_k_induction_base_case_stops_inconclusive(range_queries_unknown: list[int]) -> None:
    # no_lost_update is violated at depth 4, where the base case first meets a goal; proved
    # properties stand (their proof was made, and re-checked, at a k whose base case was decided)
    violated, proved = run_kind(NonAtomicCounter.build(procs=2), ["no_lost_update", "value_never_decreases"])
    assert range_queries_unknown == [4]
    assert violated.verdict is Verdict.UNKNOWN and f"{UNDECIDED} (z3: unknown) in the base case" in violated.reason
    assert proved.verdict is Verdict.PROVED and proved.checked


def test_pdr_does_not_confirm_a_counterexample_past_an_undecided_range_check(range_queries_unknown: list[int]) -> None:
    # (violated, replayed, when z3 answers those queries)
    (r,) = run_pdr(NonAtomicCounter.build(procs=2), ["no_lost_update"])
    assert range_queries_unknown  # Spacer's counterexample is replayed by the base case's search
    assert r.verdict is Verdict.UNKNOWN, (r.verdict, r.reason)
    assert f"{UNDECIDED} (z3: unknown) while replaying Spacer's counterexample" in r.reason, r.reason
