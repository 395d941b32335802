"""`prove` at the speed of its solver: the first breadth-first look (witnesses and shallow
violations before any solver runs), PDR in the command's own process (stopped when the others
decide), and the falsifiers at normal priority so that a loaded machine does not starve them."""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import z3

from checker.engines import prove as portfolio
from checker.engines.local import LocalEngine
from checker.engines.pdr import run_pdr
from checker.results import Verdict
from checker.run import prove_spec
from checker.spec import load_spec
from checker.trace import replay
from tests.models.spin import EndlessViolated, Spin


@pytest.fixture
def cpu_load() -> Iterator[None]:
    """Two busy processes at normal priority (this machine kind has two cores): a loaded machine."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def counter_spec(tmp_path: Path, model: str, expect: dict[str, str]) -> Path:
    path = tmp_path / "counter.toml"
    lines = [f'model = "tests.models.counter:{model}"', "[params]", "procs = 2", "[expect]"]
    lines += [f'{k} = "{v}"' for k, v in expect.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_first_look_witnesses_and_covers_before_any_solver(tmp_path: Path) -> None:
    expect = {"no_lost_update": "proved", "all_done": "witnessed", "overshoot": "unreachable"}
    sr = prove_spec(load_spec(counter_spec(tmp_path, "AtomicCounter", expect)))
    r = {x.name: x for x in sr.results}
    done = r["all_done"]
    assert done.verdict is Verdict.WITNESSED and done.engine == "explicit" and "first look" in done.reason
    assert done.depth == 2 and done.trace is not None  # breadth-first: the shortest witness (N steps)
    # unreachable only because the first look exhausted this instance (a handful of states)
    assert r["overshoot"].verdict is Verdict.UNREACHABLE and r["overshoot"].extra["exhaustive"]
    # the invariant still needs a proof: a first look that saw it hold is no evidence of that
    assert r["no_lost_update"].verdict is Verdict.PROVED and r["no_lost_update"].engine != "explicit"
    assert r["no_lost_update"].checked  # the certificate was re-checked
    assert sr.coverage is not None and sr.coverage["fired"] and not sr.coverage["undetermined"]
    assert not any("bmc" in why for why in sr.engine_why)  # no BMC run was needed


def test_the_first_look_finds_a_shallow_violation_without_the_proof_engines(tmp_path: Path) -> None:
    path = counter_spec(tmp_path, "NonAtomicCounter", {"no_lost_update": "violated", "all_done": "witnessed"})
    sr = prove_spec(load_spec(path), ["no_lost_update", "all_done"])
    r = {x.name: x for x in sr.results}
    bad = r["no_lost_update"]
    assert bad.verdict is Verdict.VIOLATED and bad.engine == "explicit" and bad.depth == 4  # 2N steps, shortest
    assert bad.trace is not None and replay(bad.trace.model, bad.trace.transitions) == bad.trace.states
    assert "portfolio_seconds" not in bad.extra  # decided before any proof engine started
    assert sr.exit_code == 1


def test_a_named_proof_engine_is_left_the_safety_properties(tmp_path: Path) -> None:
    path = counter_spec(tmp_path, "NonAtomicCounter", {"no_lost_update": "violated", "all_done": "witnessed"})
    sr = prove_spec(load_spec(path), ["no_lost_update", "all_done"], engine="pdr")
    r = {x.name: x for x in sr.results}
    assert r["no_lost_update"].verdict is Verdict.VIOLATED and r["no_lost_update"].engine == "pdr"
    assert r["all_done"].verdict is Verdict.WITNESSED and r["all_done"].engine == "explicit"


def _worker_messages(engine: str, bound: int | None = None) -> list[tuple]:
    """What one of the portfolio's engine processes sends, run on a violated model."""
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    options = {"timeout": 120, "strengthen": (), "max_k": 12, "sets": "auto", "bound": bound}
    args = (engine, EndlessViolated, {}, ["stays_small"], options, writer, os.getpid(), None)
    proc = ctx.Process(target=portfolio._worker, args=args, name=f"raceproof-{engine}", daemon=True)
    proc.start()
    writer.close()
    messages = []
    try:
        while not messages or messages[-1][0] not in ("ok", "error"):
            assert reader.poll(240), f"no answer from {engine}: {messages}"
            messages.append(reader.recv())
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    return messages


def test_the_bounded_engine_finds_a_violation_at_normal_priority_under_load(cpu_load: None) -> None:
    messages = _worker_messages("bmc")
    assert ("nice", 0) in messages  # as the command itself: a loaded machine does not starve it
    kind, results = messages[-1]
    assert kind == "ok" and results[0]["verdict"] == "violated" and results[0]["depth"] == 2


def test_bmc_yields_past_the_specs_bound_and_still_finds_the_violation() -> None:
    messages = _worker_messages("bmc", bound=1)  # the violation is at depth 2
    nice = [m[1] for m in messages if m[0] == "nice"]
    assert nice == [0, portfolio._NICE]  # normal priority to the bound, as `check`; then it yields
    kind, results = messages[-1]
    assert kind == "ok" and results[0]["verdict"] == "violated" and results[0]["depth"] == 2


def test_k_induction_yields_to_the_other_engines() -> None:
    assert ("nice", portfolio._NICE) in _worker_messages("kind")


def test_prove_under_load_finds_the_violation(cpu_load: None) -> None:
    model = EndlessViolated.build()
    (r,) = portfolio.prove(model, ["stays_small"], "auto", timeout=240)
    assert r.verdict is Verdict.VIOLATED and r.checked and r.engine in ("pdr", "bmc")
    assert r.trace is not None and replay(model, r.trace.transitions) == r.trace.states
    nice = r.extra["portfolio_nice"]
    assert nice["pdr"] == 0 and nice.get("bmc", 0) == 0 and nice.get("kind", portfolio._NICE) == portfolio._NICE


def test_a_stopped_local_engine_ends_and_leaves_z3_usable() -> None:
    # model code that loops for ever: only the Timeout raised in the thread can end it
    engine = LocalEngine("pdr", lambda: run_pdr(Spin.build(), ["never_negative"]))
    engine.start()
    time.sleep(0.3)
    began = time.monotonic()
    engine.stop()
    assert not engine.thread.is_alive() and time.monotonic() - began < 5
    assert engine.results is None and engine.error is None  # a stopped engine's end is no answer
    assert gc.isenabled()  # off only while the engine thread ran (z3's reference counts)
    x = z3.Int("x")
    assert z3.Solver().check(x > 1) == z3.sat  # the interrupts did not leave z3's context cancelled


def test_the_portfolio_proves_with_pdr_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.models.proof_systems import Peterson

    # Peterson is finite: its reachable set would prove it before the portfolio starts
    monkeypatch.setattr(portfolio, "prove_finite", lambda *_, **__: [])
    (r,) = portfolio.prove(Peterson.build(), ["mutex"], "auto", timeout=240)
    assert r.verdict is Verdict.PROVED and r.checked and "re-checked" in r.reason
    assert r.extra["portfolio_nice"]["pdr"] == 0
    assert gc.isenabled()
