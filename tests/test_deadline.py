"""Timeouts hold within about a second in check, prove and gate, whatever the model code does
(`checker.deadline`): an action that loops for ever in Python, a BMC bound far beyond the time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from checker.deadline import Deadline, Timeout, current, is_timeout, run_within
from tests.conftest import run_cli

SLACK = 2.0  # "within about 1 s" of the timeout, plus room for a loaded 2-core machine


def spec(tmp_path: Path, cls: str, extra: str = "", name: str = "spec") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'model = "tests.models.spin:{cls}"\n[check]\ndepth = 5\n{extra}')
    return path


def timed(*args: str):
    started = time.monotonic()
    result = run_cli(*args)
    return result, time.monotonic() - started


# ---------------------------------------------------------------------------- the mechanism
def spin(_: Deadline, until: float | None = None) -> None:
    while until is None or time.monotonic() < until:
        pass


def test_an_endless_python_loop_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(Timeout):
        run_within(0.5, spin)
    assert time.monotonic() - started < 0.5 + SLACK


def test_no_timeout_escapes_after_the_call() -> None:
    run_within(0.2, spin, time.monotonic() + 0.1, grace=0.05)
    time.sleep(0.5)  # past the deadline and the hard stop: nothing may be raised here
    assert run_within(None, lambda d: d.left()) is None


def test_a_hard_stop_at_the_end_of_the_call_leaves_nothing_behind() -> None:
    """Deadlines that expire just as their function ends: a Timeout is either raised inside (and
    caught by the caller) or not at all; the thread is left with no deadline."""
    for n in range(40):
        try:
            run_within(0.01, spin, time.monotonic() + 0.005 + n * 0.0005, grace=0.001)
        except Timeout:
            pass
        assert current() is None
    time.sleep(0.2)  # a stray Timeout would be raised here


def test_nested_deadlines_share_the_outer_watchdog() -> None:
    def outer(d: Deadline) -> None:
        assert run_within(60.0, lambda inner: inner) is d

    run_within(5.0, outer)
    assert current() is None
    assert not [t for t in threading.enumerate() if t.name == "raceproof-deadline"]  # the watchdogs were joined


# ---------------------------------------------------------------------------- check
@pytest.mark.parametrize("engine", ["bmc", "explicit"])
def test_check_stops_model_code_that_loops_for_ever(tmp_path: Path, engine: str) -> None:
    r, seconds = timed("check", str(spec(tmp_path, "Spin")), "--timeout", "1", "--engine", engine)
    assert r.exit_code == 3, r.output
    assert seconds < 1 + SLACK, seconds
    assert "timeout after 1 s" in r.stdout
    assert "spin.py:" in r.stdout  # names the model code that was running


def test_check_deep_bmc_stops_at_the_timeout(tmp_path: Path) -> None:
    r, seconds = timed("check", str(spec(tmp_path, "Endless")), "--depth", "20000", "--timeout", "3")
    assert r.exit_code == 3, r.output
    assert seconds < 3 + SLACK, seconds
    assert "timeout" in r.stdout


@pytest.mark.parametrize("engine", ["bmc", pytest.param("explicit", marks=pytest.mark.slow)])
def test_a_violation_found_before_the_timeout_is_kept(tmp_path: Path, engine: str) -> None:
    path = spec(tmp_path, "EndlessViolated")
    r, seconds = timed("check", str(path), "--depth", "20000", "--timeout", "3", "--engine", engine, "--json")
    assert r.exit_code == 1, r.output  # a violation stays a violation
    assert seconds < 3 + SLACK, seconds
    assert '"verdict": "violated"' in r.stdout


def test_spec_timeout_is_honoured(tmp_path: Path) -> None:
    r, seconds = timed("check", str(spec(tmp_path, "Spin", "timeout = 1\n")))
    assert r.exit_code == 3, r.output
    assert seconds < 1 + SLACK, seconds


# ---------------------------------------------------------------------------- prove and gate
def test_prove_stops_model_code_that_loops_for_ever(tmp_path: Path) -> None:
    r, seconds = timed("prove", str(spec(tmp_path, "Spin")), "--timeout", "3")
    assert r.exit_code == 3, r.output
    assert seconds < 3 + SLACK, seconds
    assert "timeout" in r.stdout


def test_gate_timeout_holds(tmp_path: Path) -> None:
    path = spec(tmp_path, "Spin")
    args = ("gate", str(path), "--timeout", "1", "--no-cache", "--artifacts", str(tmp_path / "out"))
    r, seconds = timed(*args)
    assert r.exit_code == 3, r.output
    assert seconds < 1 + SLACK, seconds


@pytest.mark.slow
def test_gate_jobs_timeout_holds(tmp_path: Path) -> None:
    paths = [str(spec(tmp_path, "Spin", name=f"s{n}")) for n in range(2)]
    args = ("gate", *paths, "--jobs", "2", "--timeout", "2", "--no-cache", "--artifacts", str(tmp_path / "out"))
    r, seconds = timed(*args)
    assert r.exit_code == 3, r.output
    # two worker processes start Python and import z3 first: more room than in-process
    assert seconds < 2 + SLACK + 6, seconds


def test_a_blocking_call_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(Timeout):
        run_within(0.5, lambda _: time.sleep(60))
    assert time.monotonic() - started < 0.5 + SLACK


def test_a_long_z3_check_is_interrupted_and_z3_stays_usable() -> None:
    import z3

    def pigeons(_: Deadline) -> None:  # 12 pigeons, 11 holes: far more than a second for z3
        s = z3.Solver()
        x = [[z3.Bool(f"p{i}_{j}") for j in range(11)] for i in range(12)]
        for row in x:
            s.add(z3.Or(row))
        for j in range(11):
            for i in range(12):
                for k in range(i + 1, 12):
                    s.add(z3.Or(z3.Not(x[i][j]), z3.Not(x[k][j])))
        s.check()

    started = time.monotonic()
    with pytest.raises(Timeout):
        run_within(0.5, pigeons)
    assert time.monotonic() - started < 0.5 + SLACK
    s = z3.Solver()
    s.push()  # not "push canceled": the interrupt left nothing behind
    s.add(z3.Int("a") > 1)
    assert s.check() == z3.sat


def test_a_z3_call_failed_by_the_interrupt_reads_as_the_timeout() -> None:
    import z3

    class Canceled(Exception):
        pass

    Canceled.__name__ = "Z3Exception"

    def failing(d: Deadline) -> None:
        try:
            time.sleep(60)
        except Timeout:  # swallowed, as if the z3 call had been interrupted instead
            pass
        raise Canceled("b'push canceled'")  # what z3 raises when interrupted outside a check

    with pytest.raises(Exception) as info:
        run_within(0.2, failing)
    assert is_timeout(info.value)
    assert not is_timeout(z3.Z3Exception("something else"))
