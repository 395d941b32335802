"""Per-size budgets of the for-all ladder in CPU time (`checker.param.budget`): the policy with
a fake clock, the watchdog that ends a z3 call when its budget is spent, a size retried with a
larger budget instead of growing the instance, proofs that stay proved while other processes
load the CPU, and verdicts that no budget changes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import z3

from checker.engines.obligations import Clock
from checker.param import budget, infer
from checker.param.budget import CpuClock, Policy, SizeBudget
from checker.param.run import prove_for_all
from models.dns import Dns
from tests.conftest import run_cli
from tests.models import param_systems as ps

DNS_PROPS = ["endpoint_never_empty", "plan_never_regresses"]
REPO = Path(__file__).resolve().parent.parent


class FakeCpu:
    """A CPU clock the test advances."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeDeadline(Clock):
    """A hard deadline with a settable amount of wall time left."""

    def __init__(self, left: float | None) -> None:
        super().__init__(None)
        self.left = left

    def remaining_ms(self) -> int | None:
        return None if self.left is None else max(1, int(self.left * 1000))

    def expired(self) -> bool:
        return self.left is not None and self.left <= 0


def test_policy_first_budget_is_a_share_of_the_time_left_with_a_floor() -> None:
    policy = Policy(share=0.25, floor=15.0, growth=2.0, retries=2)
    assert policy.first(None) is None  # no limit: no budget
    assert policy.first(300.0) == 75.0
    assert policy.first(40.0) == 15.0  # the floor ...
    assert policy.first(10.0) == 10.0  # ... never more than what is left


def test_policy_retries_larger_while_there_is_room() -> None:
    policy = Policy(share=0.25, floor=15.0, growth=2.0, retries=2)
    assert policy.again(15.0, 1, 100.0) == 30.0
    assert policy.again(30.0, 2, 50.0) == 50.0  # capped by what is left
    assert policy.again(30.0, 3, 500.0) is None  # retries used up
    assert policy.again(30.0, 1, 30.0) is None  # no room for more than what was spent
    assert policy.again(30.0, 1, None) is None  # no limit: budgets never run out


def test_a_spent_budget_is_retried_before_the_instance_grows() -> None:
    cpu, deadline = FakeCpu(), FakeDeadline(100.0)
    size = SizeBudget(Policy(share=0.25, floor=15.0, growth=2.0, retries=3), deadline, "enactors=2", cpu)
    assert size.budget == 25.0
    tried = size.clock()
    assert not tried.expired() and tried.left() == 25.0
    cpu.now += 25.0  # the run used its budget
    deadline.left = 80.0  # wall time passes slower or faster than CPU time: only the deadline's counts
    assert tried.spent() and tried.expired() and tried.remaining_ms() == 1
    assert size.retry(tried) and size.budget == 50.0
    assert size.notes == ["enactors=2: budget spent (25.0 s CPU), retried with 50.0 s"]
    tried = size.clock()
    cpu.now += 50.0
    deadline.left = 45.0  # the second budget spent too, and less time left than it
    assert not size.retry(tried)
    assert size.notes == [
        "enactors=2: budget spent (25.0 s CPU), retried with 50.0 s, then too little time left to retry"
    ]


def test_an_answer_without_spending_the_budget_is_not_retried() -> None:
    cpu, deadline = FakeCpu(), FakeDeadline(100.0)
    size = SizeBudget(Policy(floor=15.0, share=0.0), deadline, "workers=1", cpu)
    tried = size.clock()
    cpu.now += 3.0  # Spacer answered unknown on its own: trying again would only repeat it
    assert not size.retry(tried) and size.notes == []
    deadline.left = 0.0  # the user's hard limit: no retry however the budget stands
    tried = size.clock()
    cpu.now += 15.0
    assert not size.retry(tried) and size.notes == []


def test_no_time_limit_means_no_budget() -> None:
    size = SizeBudget(Policy(), FakeDeadline(None), "workers=1", FakeCpu())
    tried = size.clock()
    assert size.budget is None and tried.left() is None and not tried.expired()
    assert not size.retry(tried)


def test_a_sub_search_budget_bounds_the_sizes_inside_it() -> None:
    cpu, deadline = FakeCpu(), FakeDeadline(100.0)
    outer = CpuClock(deadline, 40.0, cpu)  # e.g. the search on the model with its bounds lifted
    size = SizeBudget(Policy(share=0.25, floor=15.0), outer, "workers=1", cpu)
    assert size.budget == 15.0  # the floor: a quarter of the 40 s of the outer budget is less
    tried = size.clock()
    cpu.now += 15.0
    assert size.retry(tried) and size.budget == 25.0  # only what the outer budget has left
    tried = size.clock()
    cpu.now += 25.0
    assert outer.spent() and tried.expired() and not size.retry(tried)
    # a budget spent with less left than it: no retry, which would only repeat the run
    size = SizeBudget(Policy(share=0.25, floor=15.0), CpuClock(deadline, 20.0, cpu), "workers=2", cpu)
    tried = size.clock()
    cpu.now += 15.0
    assert not size.retry(tried)
    assert size.notes == ["workers=2: budget spent (15.0 s CPU), too little time left to retry"]


def _pigeonhole(n: int) -> z3.Solver:
    s = z3.Solver()
    p = [[z3.Bool(f"php{i}_{j}") for j in range(n)] for i in range(n + 1)]
    for i in range(n + 1):
        s.add(z3.Or(p[i]))
    for j in range(n):
        for i in range(n + 1):
            for k in range(i + 1, n + 1):
                s.add(z3.Not(z3.And(p[i][j], p[k][j])))
    return s


def test_the_watchdog_ends_a_z3_check_whose_budget_is_spent() -> None:
    clock = CpuClock(Clock(600), 0.3)  # the wall deadline is far: only the CPU budget can stop it
    started = time.monotonic()
    assert clock.check(_pigeonhole(12)) == z3.unknown  # minutes of CPU without the budget
    assert clock.interrupted and clock.cpu_spent() >= 0.3
    assert time.monotonic() - started < 60  # stopped, not run to the wall deadline
    x = z3.Int("x")  # the interrupt does not leave z3's context cancelled
    after = z3.Solver()
    after.add(x > 1, x < 3)
    assert after.check() == z3.sat and z3.simplify(x + 0).eq(x)


def test_a_size_whose_budget_runs_out_is_retried_and_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    # 5 ms of CPU: no Spacer run finishes in it, so every size starts by running out
    monkeypatch.setattr(infer, "POLICY", Policy(share=0.0, floor=0.005, growth=2.0, retries=12))
    out = prove_for_all(Dns.build(variant="version_cas"), "enactors", DNS_PROPS, 300, "endpoints")
    assert out.proved, out.why
    assert "generalized from enactors=1, endpoints=2 (the cutoff)" in out.why  # retried, not grown
    assert "enactors=1, endpoints=2: budget spent (0.005 s CPU), retried with 0.01 s, 0.02 s" in out.why, out.why


@pytest.mark.parametrize(
    "policy", [Policy(share=0.0, floor=0.005, retries=12), Policy(share=0.0, floor=0.005, retries=0)]
)
def test_budgets_never_change_a_violation_into_a_proof(policy: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infer, "POLICY", policy)
    out = prove_for_all(ps.RacyLock.build(), "workers", ["inside_at_most_one"], 60)
    assert not out.proved, out.why
    if policy.retries:  # enough budget in the end: the violation itself is found, at the smallest size
        assert out.violated_at == 2 and "violated with workers=2" in out.why, out.why


@contextmanager
def cpu_hogs(n: int) -> Iterator[None]:
    """``n`` processes that each keep a core busy (the machine as loaded as a shared CI runner)."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait(10)


def test_a_proof_for_all_stays_proved_on_a_loaded_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # a budget of 1 s of CPU per size and no retry: version_cas needs about a fifth of that at
    # the cutoff; in wall time, with three processes competing for the cores, it may need more
    monkeypatch.setattr(infer, "POLICY", Policy(share=0.0, floor=1.0, retries=0))
    with cpu_hogs(3):
        out = prove_for_all(Dns.build(variant="version_cas"), "enactors", DNS_PROPS, 300, "endpoints")
    assert out.proved, out.why
    assert "budget spent" not in out.why, out.why


@pytest.mark.slow
def test_fencing_token_for_all_is_proved_on_a_loaded_machine() -> None:
    with cpu_hogs(3):
        res = run_cli("prove", str(REPO / "specs" / "dns_fencing_token.toml"), "--for-all", "enactors,endpoints")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "proved for all enactors ≥ 1 and endpoints ≥ 1" in res.stdout, res.stdout


def test_the_watchdog_ends_a_spacer_query_and_reads_no_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    # the watchdog must not hold the worker's frames (it freed z3 objects in its own thread while
    # the worker was inside z3): without `sys._current_frames` it still stops a Spacer query
    monkeypatch.setattr(sys, "_current_frames", lambda: pytest.fail("the watchdog read the worker's frames"))
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    n = z3.Int("n")
    reach = z3.Function("reach", z3.IntSort(), z3.BoolSort())
    fp.register_relation(reach)
    fp.declare_var(n)
    fp.rule(reach(0))
    fp.rule(reach(n + 1), [reach(n), n < 10**6])  # a counterexample of a million steps: minutes
    fp.set(timeout=30_000)  # (wall-clock: a watchdog that does not interrupt fails the test, not hangs it)
    clock = CpuClock(Clock(600), 0.3)
    started = time.monotonic()
    with clock.watch():
        try:
            fp.query(z3.And(reach(n), n == 10**6))
        except z3.Z3Exception as exc:
            assert "canceled" in str(exc)
    assert clock.interrupted and clock.cpu_spent() >= 0.3
    assert time.monotonic() - started < 60
    assert not budget._INSIDE  # every announced call left it
    assert z3.Solver().check() == z3.sat  # and z3's context is usable
