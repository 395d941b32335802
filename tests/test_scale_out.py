"""Scaling out: the partitioned explicit search (worker processes) gives one process's
answers (verdicts, shortest lengths, exact state and edge counts, with and without
symmetry); its workers die with their parent; swarm simulation is reproducible from its
seed and its findings replay. Ray: tests/test_scale_ray.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from checker import Model
from checker.engines.explicit import run_explicit
from checker.engines.scaling import scale_out
from checker.engines.simulate import BLOCK, simulate
from checker.lang.model import ModelInstance
from checker.results import PropertyResult, Verdict
from checker.trace import replay
from models.dns.model import Dns
from tests.conftest import REPO, run_cli
from tests.models.counter import AtomicCounter, NonAtomicCounter
from tests.models.features import ArrayModel, Election


def searched(model: ModelInstance, **kw: Any) -> dict[str, PropertyResult]:
    names = [n for n, p in model.properties.items() if p.kind not in ("recoverable", "eventually")]
    return {r.name: r for r in run_explicit(model, names, **kw)}


def summary(results: dict[str, PropertyResult]) -> dict[str, Any]:
    """What must not depend on the number of workers (the trace itself may)."""
    out: dict[str, Any] = {}
    for name, r in results.items():
        if r.trace is not None:
            assert r.checked and replay(r.trace.model, r.trace.transitions) == r.trace.states
            r.trace.confirm()
        out[name] = (r.verdict, r.depth, len(r.trace) if r.trace else None)
    e = next(iter(results.values())).extra
    out["counts"] = (e["states"], e["transitions_fired"], e["depth"], e["exhaustive"], e["symmetry"])
    return out


CASES = [
    (Dns, {"variant": "as_designed", "max_plans": 3}),
    (Dns, {"variant": "fencing_token", "max_plans": 3}),
    (Dns, {"variant": "cleanup_guard", "max_plans": 3, "enactors": 2}),
    (NonAtomicCounter, {"procs": 3}),
    (AtomicCounter, {"procs": 3}),
    (ArrayModel, {"size": 3}),
    (Election, {"voters": 3}),
]


@pytest.mark.parametrize(("cls", "params"), CASES, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("symmetry", [True, False], ids=["symmetry", "no-symmetry"])
def test_parallel_search_matches_one_process(cls: type[Model], params: dict[str, Any], symmetry: bool) -> None:
    one = summary(searched(cls.build(**params), symmetry=symmetry, workers=1))
    for workers in (2, 3):
        many = searched(cls.build(**params), symmetry=symmetry, workers=workers)
        assert summary(many) == one, workers
        scale = next(iter(many.values())).extra["scale_out"]
        assert scale["workers"] == workers and len(scale["worker_peak_rss_bytes"]) == workers


def test_parallel_counterexamples_are_deterministic_shortest_and_replayed() -> None:
    runs = [searched(Dns.build(variant="as_designed", max_plans=3), workers=2) for _ in range(2)]
    for name in ("plan_never_regresses", "old_plan_cleaned_up"):
        a, b = (r[name] for r in runs)
        assert a.verdict in (Verdict.VIOLATED, Verdict.WITNESSED) and a.checked
        assert [str(t) for t in a.trace.transitions] == [str(t) for t in b.trace.transitions]
    # the shortest lengths of this instance (one process finds the same, see above)
    assert len(runs[0]["plan_never_regresses"].trace) == 6


def test_parallel_max_states_stores_exactly_the_cap() -> None:
    for workers in (1, 2):
        r = searched(Dns.build(variant="fencing_token", max_plans=3), workers=workers, max_states=500)
        e = r["endpoint_never_empty"].extra
        assert e["states"] == 500 and not e["exhaustive"]
        assert r["endpoint_never_empty"].verdict is Verdict.UNKNOWN


def test_auto_workers_stay_in_process_for_small_instances() -> None:
    r = searched(Dns.build(variant="fencing_token", max_plans=3), workers="auto")
    assert "scale_out" not in next(iter(r.values())).extra  # 1,171 states: no worker was started


def test_auto_workers_restart_on_all_cores_once_the_search_outgrows_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.engines import scaling

    monkeypatch.setattr(scaling, "AUTO_THRESHOLD", 500)
    monkeypatch.setattr(scaling, "available_cores", lambda: 2)
    monkeypatch.setattr(scaling.IdleCores, "since", lambda self: 1.0)  # the other core was idle
    monkeypatch.setattr(scaling, "PARTITION_CPU_FACTOR_SYMMETRY", 1.3)  # as without symmetry: this model is tiny
    one = summary(searched(Dns.build(variant="as_designed", max_plans=3), workers=1))
    auto = searched(Dns.build(variant="as_designed", max_plans=3), workers="auto")
    assert summary(auto) == one
    extra = next(iter(auto.values())).extra
    assert extra["scale_out"]["workers"] == 2
    assert extra["workers_choice"].startswith("2 worker processes (1.0 of 1 other cores idle")


@pytest.mark.parametrize("window", [0.0, 3600.0])  # decided during the trial (cap lifted), or after it
def test_auto_workers_stay_in_one_process_when_no_other_core_is_idle(
    monkeypatch: pytest.MonkeyPatch, window: float
) -> None:
    from checker.engines import scaling

    monkeypatch.setattr(scaling, "AUTO_THRESHOLD", 500)
    monkeypatch.setattr(scaling, "IDLE_WINDOW", window)
    monkeypatch.setattr(scaling, "available_cores", lambda: 2)
    monkeypatch.setattr(scaling.IdleCores, "since", lambda self: 0.1)  # another process kept the other core busy
    one = summary(searched(Dns.build(variant="as_designed", max_plans=3), workers=1))
    auto = searched(Dns.build(variant="as_designed", max_plans=3), workers="auto")
    assert summary(auto) == one
    extra = next(iter(auto.values())).extra
    assert "scale_out" not in extra and extra["states"] > 500
    assert extra["workers_choice"].startswith("1 process (0.1 of 1 other cores idle, expected speed-up 0.")


def test_auto_workers_expect_the_measured_speed_up() -> None:
    """On 2 free cores the measured CPU factors bound the speed-up at ~1.4 without symmetry
    (worth it) and ~1.2 with (not, once the level barriers are paid); 4 free cores pay both."""
    from checker.engines.scaling import AutoDecision

    def choose(cores: int, free: float, symmetry: bool) -> int:
        decision = AutoDecision(cores, None)
        decision.idle.since = lambda: free  # type: ignore[method-assign]
        decision.decide(symmetry)
        assert decision.choice
        return decision.workers

    assert choose(2, 1.0, symmetry=False) == 2
    assert choose(2, 1.0, symmetry=True) == 0
    assert choose(2, 0.5, symmetry=False) == 0  # half the other core busy: slower than one process
    assert choose(4, 3.0, symmetry=True) == 4
    assert choose(4, 1.0, symmetry=False) == 2  # only two cores' worth free: two workers


def test_idle_cores_are_measured_from_proc_stat() -> None:
    from checker.engines.scaling import IdleCores, available_cores

    idle = IdleCores()
    time.sleep(0.05)
    free = idle.since()
    if not os.path.exists("/proc/stat"):
        assert free is None
    else:
        assert free is not None and 0.0 <= free <= available_cores()


def test_scale_out_setting_reaches_the_engine() -> None:
    with scale_out(workers=2):
        r = searched(Dns.build(variant="fencing_token", max_plans=3))
    assert next(iter(r.values())).extra["scale_out"]["workers"] == 2


def test_check_workers_cli_reports_peak_rss_and_workers(tmp_path: Any) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(
        'model = "dns"\n[params]\nmax_plans = 3\nvariant = "fencing_token"\n[check]\nengine = "explicit"\n'
        '[expect]\nendpoint_never_empty = "holds"\n'
    )
    res = run_cli("check", str(spec), "--workers", "2", "--property", "endpoint_never_empty", "--json")
    assert res.exit_code == 0, res.output
    search = json.loads(res.stdout)["specs"][0]["search"]
    assert search["states"] == 1171 and search["scale_out"]["workers"] == 2
    assert search["peak_rss_bytes"] > 0 and search["bytes_per_state"] <= 64
    bad = run_cli("check", str(spec), "--workers", "0")
    assert bad.exit_code == 2 and "--workers" in bad.output


# ---------------------------------------------------------------------------- workers die with the parent
_PARENT = """
import sys, time
sys.path.insert(0, {repo!r})
from models.dns.model import Dns
from checker.encoding import Encoding
from checker.engines.explicit.compile import Compiled
from checker.engines.processes import ProcessTransport
m = Dns.build(max_plans=3)
c = Compiled(m, [], Encoding(m))
t = ProcessTransport(c, [], [], 2, None)
print(" ".join(str(p.pid) for p in t.procs), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(sig: int) -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT.format(repo=str(REPO))], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        os.kill(parent.pid, sig)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in pids)
    finally:
        if parent.poll() is None:
            parent.kill()


# ---------------------------------------------------------------------------- swarm simulation
def _found(results: list[PropertyResult]) -> dict[str, Any]:
    out = {}
    for r in results:
        if r.trace is not None:
            assert r.checked and replay(r.trace.model, r.trace.transitions) == r.trace.states
            r.trace.confirm()
        out[r.name] = (r.verdict, r.extra.get("found_by_walk"), r.extra.get("walk_length"), r.depth)
    return out


def test_simulate_finds_the_dns_race_reproducibly_whatever_the_workers() -> None:
    props = ["endpoint_never_empty", "plan_never_regresses"]
    runs = []
    for workers in (1, 2, 1):
        results, sim = simulate(Dns.build(max_plans=5), props, 3 * BLOCK, 30, seed=11, workers=workers)
        runs.append(_found(results))
        assert sim.workers == (workers if workers > 1 else 1)
    assert runs[0] == runs[1] == runs[2]
    assert all(v[0] is Verdict.VIOLATED for v in runs[0].values())
    # shortened by breadth-first search: the known shortest lengths, and said to be proved
    results, _ = simulate(Dns.build(max_plans=5), props, BLOCK, 30, seed=11)
    lengths = {r.name: len(r.trace) for r in results}
    assert lengths == {"endpoint_never_empty": 9, "plan_never_regresses": 6}
    assert all(r.extra["shortest"] and "proved by breadth-first search" in r.reason for r in results)


def test_simulate_without_bfs_budget_keeps_a_real_walk_and_does_not_claim_shortest() -> None:
    results, _ = simulate(Dns.build(max_plans=5), ["endpoint_never_empty"], BLOCK, 40, seed=3, shorten_states=5)
    r = results[0]
    assert r.verdict is Verdict.VIOLATED and not r.extra["shortest"]
    assert "not proved shortest" in r.reason and len(r.trace) <= r.extra["walk_length"]


def test_simulate_rare_bias_finds_the_race_reproducibly() -> None:
    a = _found(simulate(Dns.build(max_plans=5), ["plan_never_regresses"], BLOCK, 30, seed=5, bias="rare")[0])
    b = _found(simulate(Dns.build(max_plans=5), ["plan_never_regresses"], BLOCK, 30, seed=5, bias="rare")[0])
    assert a == b and a["plan_never_regresses"][0] is Verdict.VIOLATED


def test_simulate_nothing_found_is_inconclusive_not_holds() -> None:
    res = run_cli(
        "simulate", str(REPO / "specs" / "dns_fencing_token_bounded.toml"), "--walks", "300", "--depth", "20",
        "--property", "endpoint_never_empty",
    )  # fmt: skip
    assert res.exit_code == 3, res.output
    assert "no violation found in 300 walks of depth 20" in res.stdout and "not exhaustive" in res.stdout
    assert "holds" not in res.stdout.split("expected")[0]


def test_simulate_cli_exit_1_and_json(tmp_path: Any) -> None:
    res = run_cli(
        "simulate", str(REPO / "specs" / "dns_race.toml"), "--walks", "256", "--depth", "30", "--seed", "2",
        "--property", "plan_never_regresses", "--json", "--itf", str(tmp_path / "t.itf.json"),
    )  # fmt: skip
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    r = out["specs"][0]["results"][0]
    assert r["verdict"] == "violated" and r["checked"]
    assert len(r["trace"]["steps"]) == r["depth"] + 1  # step 0 is the initial state
    assert (tmp_path / "t.itf.json").exists()


def test_parallel_search_gives_way_to_exact_integers_like_one_process() -> None:
    """The squarer meets 2**32 midway (beyond the numpy backend's exact range): the workers'
    `Exceeds` restarts the search in one process with Python integers, as one process does."""
    from tests.models.overflow import Squarer

    one = searched(Squarer.build(), workers=1)
    many = searched(Squarer.build(), workers=2)
    assert summary(many) == summary(one)
    assert all(
        r.extra["backend"] == "python" and "beyond the +-2**31" in r.reason for r in many.values() if not r.trace
    )


def test_parallel_search_stops_at_its_timeout() -> None:
    started = time.monotonic()
    r = searched(Dns.build(variant="fencing_token", max_plans=7), symmetry=False, workers=2, timeout=0.5)
    assert time.monotonic() - started < 30
    assert all(x.verdict is Verdict.UNKNOWN and "timeout" in x.reason for x in r.values() if x.kind != "reachable")


def test_unreachable_ray_address_is_bad_input_at_once() -> None:
    spec = str(REPO / "specs" / "dns_fencing_token_bounded.toml")
    started = time.monotonic()
    res = run_cli("check", spec, "--ray", "127.0.0.1:1", "--property", "endpoint_never_empty")
    assert res.exit_code == 2 and "Ray" in res.stderr, res.output
    assert time.monotonic() - started < 30
