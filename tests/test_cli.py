"""`raceproof check` on small specs: exit codes 0/1/2/3, the trace, --json, --itf, --property."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, replay_itf, run_cli
from tests.models.counter import NonAtomicCounter

WriteSpec = Callable[..., Path]

ATOMIC = """\
model = "tests.models.counter:AtomicCounter"
[params]
procs = 3
[check]
depth = 5
[expect]
no_lost_update = "holds"
value_never_decreases = "holds"
all_done = "witnessed"
"""

RACE = """\
model = "tests.models.counter:NonAtomicCounter"
[params]
procs = 2
[check]
depth = 6
[expect]
no_lost_update = "violated"
all_done = "witnessed"
"""

HARD = """\
model = "tests.models.counter:NonAtomicCounter"
[params]
procs = 8
[check]
depth = 16
properties = ["no_lost_update"]
"""


def test_exit_0_when_everything_meets_expectation(write_spec: WriteSpec) -> None:
    result = run_cli("check", str(write_spec(ATOMIC)))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for name, verdict in [("no_lost_update", "holds"), ("value_never_decreases", "holds"), ("all_done", "witnessed")]:
        line = next(x for x in out.splitlines() if f" {name} " in x)
        assert verdict in line and f"expected {verdict}: ok" in line
    assert "MISMATCH" not in out and "Counterexample" not in out


def test_exit_1_on_a_violation_with_a_labelled_trace(write_spec: WriteSpec) -> None:
    result = run_cli("check", str(write_spec(RACE)))
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "Counterexample to no_lost_update (4 steps, replayed concretely)" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["0", "1", "2", "3", "4"]
    labelled = {tuple(r[1:3]) for r in rows[1:]}
    assert labelled == {("worker1", "read"), ("worker2", "read"), ("worker1", "write"), ("worker2", "write")}
    assert "no_lost_update is false in state 4" in out
    # witnesses are printed only on request
    assert "Witness for all_done" not in out
    shown = run_cli("check", str(write_spec(RACE)), "--witnesses")
    assert shown.exit_code == 1 and "Witness for all_done (4 steps" in shown.stdout


def test_exit_3_on_timeout(write_spec: WriteSpec) -> None:
    result = run_cli("check", str(write_spec(HARD)), "--timeout", "0.001")
    assert result.exit_code == 3, result.output
    assert "unknown" in result.stdout


def test_exit_3_when_a_reachable_is_not_witnessed_within_the_bound(write_spec: WriteSpec) -> None:
    result = run_cli("check", str(write_spec(ATOMIC)), "--depth", "2", "--property", "all_done")
    assert result.exit_code == 3, result.output
    assert "no witness up to depth 2" in result.stdout
    assert "expected witnessed: inconclusive" in result.stdout


def test_exit_1_when_a_reachable_is_unreachable(write_spec: WriteSpec) -> None:
    """A property that can never be witnessed fails the run, even where the spec expects it."""
    spec = write_spec(ATOMIC + 'overshoot = "unreachable"\n')
    result = run_cli("check", str(spec), "--property", "overshoot", "--json")
    assert result.exit_code == 1, result.output
    (r,) = json.loads(result.stdout)["specs"][0]["results"]
    assert r["verdict"] == "unreachable" and r["meets_expectation"] is True


def test_exit_code_is_the_worst_over_specs(write_spec: WriteSpec) -> None:
    ok, race = write_spec(ATOMIC, name="ok"), write_spec(RACE, name="race")
    assert run_cli("check", str(ok), str(race)).exit_code == 1
    assert run_cli("check", str(ok)).exit_code == 0


def test_depth_override_and_property_selection(write_spec: WriteSpec) -> None:
    result = run_cli("check", str(write_spec(RACE)), "--depth", "3", "--property", "no_lost_update", "--json")
    assert result.exit_code == 0, result.output
    spec = json.loads(result.stdout)["specs"][0]
    assert spec["depth"] == 3
    # the counter is an unbounded Int: auto runs BMC, and a pass to the bound is a bounded one
    assert [(r["property"], r["verdict"], r["depth"]) for r in spec["results"]] == [
        ("no_lost_update", "holds_to_depth", 3)
    ]
    (r,) = spec["results"]
    assert r["complete"] is False and r["bound"] == 3 and r["meets_expectation"] is False  # expected violated
    assert spec["engine"] == "bmc" and spec["engine_requested"] == "auto"
    assert "unbounded state" in spec["engine_why"][0] and "value (int[0..+inf])" in spec["engine_why"][0]


def test_json_is_one_parseable_object(write_spec: WriteSpec) -> None:
    result = run_cli("check", str(write_spec(RACE)), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert data["exit_code"] == 1
    (spec,) = data["specs"]
    assert spec["model"] == "tests.models.counter:NonAtomicCounter" and spec["params"] == {"procs": 2}
    results = {r["property"]: r for r in spec["results"]}
    assert set(results) == {"no_lost_update", "all_done"}
    violated = results["no_lost_update"]
    assert violated["verdict"] == "violated" and violated["meets_expectation"] is True and violated["checked"]
    steps = violated["trace"]["steps"]
    assert len(steps) == 5 and steps[0]["action"] == "init"
    assert all(s["instance"] in ("worker1", "worker2") and s["action"] in ("read", "write") for s in steps[1:])
    assert steps[-1]["state"]["value"] == 1


def test_itf_file_replays(write_spec: WriteSpec, tmp_path: Path) -> None:
    target = tmp_path / "out" / "race.itf.json"
    result = run_cli("check", str(write_spec(RACE)), "--itf", str(target))
    assert result.exit_code == 1
    assert f"ITF trace written to {target}" in result.stderr.replace("\n", "")
    itf = json.loads(target.read_text())
    assert itf["vars"] == ["value", "worker1.pc", "worker1.tmp", "worker2.pc", "worker2.tmp"]
    assert itf["#meta"]["property"] == "no_lost_update" and itf["#meta"]["kind"] == "violation"
    assert len(itf["states"]) == 5
    for state in itf["states"]:
        assert {"action", "process"} <= state["#meta"].keys()
    replay_itf(itf, NonAtomicCounter.build(procs=2))


def test_no_symmetry_gives_the_same_verdicts(write_spec: WriteSpec) -> None:
    spec = write_spec(RACE.replace("procs = 2", "procs = 3"))
    verdicts = []
    for extra in ([], ["--no-symmetry"]):
        result = run_cli("check", str(spec), "--json", *extra)
        assert result.exit_code == 1
        results = json.loads(result.stdout)["specs"][0]["results"]
        verdicts.append([(r["property"], r["verdict"], r["depth"]) for r in results])
    assert verdicts[0] == verdicts[1] == [("no_lost_update", "violated", 6), ("all_done", "witnessed", 6)]


def test_list_shows_models_and_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run_cli("list")
    assert result.exit_code == 0, result.output
    assert "model dns" in result.stdout and "endpoint_never_empty" in result.stdout
    assert "specs/dns_race.toml" in result.stdout


def test_explicit_engine_from_the_cli_agrees_with_bmc(write_spec: WriteSpec) -> None:
    spec = str(write_spec(RACE))
    bmc = json.loads(run_cli("check", spec, "--json").stdout)["specs"][0]["results"]
    explicit_run = run_cli("check", spec, "--json", "--engine", "explicit")
    assert explicit_run.exit_code == 1, explicit_run.output
    explicit = json.loads(explicit_run.stdout)["specs"][0]
    assert explicit["engine"] == "explicit"
    assert [(r["property"], r["verdict"]) for r in explicit["results"]] == [(r["property"], r["verdict"]) for r in bmc]
    lengths = {r["property"]: r["trace"]["length"] for r in explicit["results"] if r["trace"]}
    assert lengths == {r["property"]: r["trace"]["length"] for r in bmc if r["trace"]}


def test_explicit_engine_holds_exhaustively_and_max_states_is_inconclusive(write_spec: WriteSpec) -> None:
    spec = str(write_spec(ATOMIC))
    full = run_cli("check", spec, "--engine", "explicit")
    assert full.exit_code == 0, full.output
    assert "exhaustive:" in full.stdout and "distinct states" in full.stdout
    capped = run_cli("check", spec, "--engine", "explicit", "--max-states", "2")
    assert capped.exit_code == 3, capped.output
