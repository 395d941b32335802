"""Every DNS spec reaches its expected verdicts; the race's trace, ITF and JSON are right.

Each spec is checked once for the whole module (the slowest takes about a minute): the
installed ``raceproof`` script runs them in subprocesses, two at a time, longest first.
"""

from __future__ import annotations

import json
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from checker.lang.runtime import CONCRETE, evaluate
from checker.trace import replay
from models.dns import Dns
from tests.conftest import REPO, CliResult, replay_itf, run_script

SPECS = sorted(p.name for p in (REPO / "specs").glob("dns_*.toml"))
# rough cost, to start the slowest runs first
COST = {"dns_fencing_token.toml": 5, "dns_version_cas.toml": 3, "dns_fencing_token_late.toml": 2}
RACE = "dns_race.toml"


@dataclass
class SpecRun:
    spec: str
    result: CliResult
    itf_path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def expect(self) -> dict[str, str]:
        return tomllib.loads((REPO / "specs" / self.spec).read_text())["expect"]

    @property
    def params(self) -> dict[str, Any]:
        return tomllib.loads((REPO / "specs" / self.spec).read_text())["params"]

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        (spec,) = self.data["specs"]
        return {r["property"]: r for r in spec["results"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SpecRun]:
    """spec file name -> its one --json run; "text" -> the race's one run with a text report."""
    out = tmp_path_factory.mktemp("dns")
    jobs = {spec: ["--json"] for spec in SPECS} | {"text": []}
    order = sorted(jobs, key=lambda k: -COST.get(k, 1))

    def run(key: str) -> SpecRun:
        spec = RACE if key == "text" else key
        itf = out / f"{key}.itf.json"
        result = run_script("check", f"specs/{spec}", "--itf", str(itf), *jobs[key])
        return SpecRun(spec, result, itf)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(order, pool.map(run, order), strict=True))
    for key, r in done.items():
        assert "Traceback" not in r.result.output, r.result.output
        if key != "text":
            r.data = json.loads(r.result.stdout)
    return done


@pytest.mark.parametrize("spec", SPECS)
def test_exit_code(runs: dict[str, SpecRun], spec: str) -> None:
    run = runs[spec]
    expected = 1 if "violated" in run.expect.values() else 0
    assert run.result.exit_code == expected, run.result.output
    assert run.data["exit_code"] == expected


@pytest.mark.parametrize("spec", SPECS)
def test_verdicts_meet_expectations(runs: dict[str, SpecRun], spec: str) -> None:
    run = runs[spec]
    results = run.results
    assert set(results) == set(run.expect)
    for name, r in results.items():
        assert r["verdict"] == run.expect[name], f"{spec}: {name} is {r['verdict']} ({r['reason']})"
        assert r["meets_expectation"] is True
        if r["verdict"] in ("violated", "witnessed"):
            assert r["checked"] and r["trace"]["replayed"]


@pytest.mark.parametrize("spec", SPECS)
def test_reported_traces_replay(runs: dict[str, SpecRun], spec: str) -> None:
    """Every trace in the JSON, counterexample or witness, replays to the states it shows."""
    run = runs[spec]
    model = Dns.build(**run.params)
    traced = [r for r in run.results.values() if r["trace"] is not None]
    assert traced, "every DNS spec has at least its two witnesses"
    for r in traced:
        steps = r["trace"]["steps"]
        transitions = []
        for step in steps[1:]:
            (t,) = [
                t
                for t in model.transitions
                if t.instance.name == step["instance"] and t.action.name == step["action"] and t.args == step["args"]
            ]
            transitions.append(t)
        states = replay(model, transitions)
        for step, state in zip(steps, states, strict=True):
            assert json.loads(json.dumps(model.describe_state(state))) == step["state"], f"{r['property']} step {step}"
        kind = model.properties[r["property"]].kind
        pair = states[-2:] if kind == "action_invariant" else states[-1:]
        at_end = evaluate(model, CONCRETE, r["property"], *pair)
        assert at_end is (r["verdict"] == "witnessed"), r["property"]


@pytest.mark.parametrize("spec", SPECS)
def test_itf_files_of_every_counterexample(runs: dict[str, SpecRun], spec: str) -> None:
    run = runs[spec]
    violated = [name for name, r in run.results.items() if r["verdict"] == "violated"]
    written = [Path(p) for p in run.data.get("itf", [])]
    assert len(written) == len(violated)
    if violated:
        assert written[0] == run.itf_path
    model = Dns.build(**run.params)
    for path, name in zip(written, violated, strict=True):
        itf = json.loads(path.read_text())
        assert itf["#meta"]["property"] == name
        replay_itf(itf, model)


# ---------------------------------------------------------------------------- the race itself
def _table_rows(text: str, prop: str) -> list[list[str]]:
    """The rows (step, instance, action) of the printed counterexample to ``prop``."""
    start = text.index(f"Counterexample to {prop} (")
    end = text.find("Counterexample to", start + 1)
    section = text[start : end if end != -1 else len(text)]
    return [line.split()[:3] for line in section.splitlines() if re.match(r"^\s*\d+\s", line)]


def test_race_prints_a_trace_to_a_deleted_plan(runs: dict[str, SpecRun]) -> None:
    run = runs["text"]
    assert run.result.exit_code == 1
    text = run.result.stdout
    assert re.search(r"✗ endpoint_never_empty\s+violated\s+in (\d+) steps", text)
    rows = _table_rows(text, "endpoint_never_empty")
    steps = int(re.search(r"Counterexample to endpoint_never_empty \((\d+) steps", text).group(1))
    assert [int(r[0]) for r in rows] == list(range(steps + 1))
    assert rows[0][1] == "init"
    model = Dns.build(**run.params)
    labels = {(t.instance.name, t.action.name) for t in model.transitions}
    for row in rows[1:]:  # every step is labelled with its instance and action
        assert (row[1], row[2]) in labels, row
    assert any(r[1].startswith("enactor") and r[2] == "cleanup" for r in rows[1:])
    assert f"endpoint_never_empty is false in state {steps}" in text

    # the ITF of the same run holds the same trace, and it ends with an endpoint on a deleted plan
    itf = json.loads(run.itf_path.read_text())
    assert f"ITF trace written to {run.itf_path}" in run.result.stderr.replace("\n", "")
    assert itf["#meta"]["property"] == "endpoint_never_empty"
    assert [(s["#meta"]["process"], s["#meta"]["action"]) for s in itf["states"][1:]] == [
        (r[1], r[2]) for r in rows[1:]
    ]
    assert itf["states"][0]["#meta"]["action"] == "init"
    assert all({"action", "process"} <= s["#meta"].keys() for s in itf["states"])
    assert "plans" in itf["vars"] and "endpoint_plan" in itf["vars"]
    assert all("plans" in s and "endpoint_plan" in s for s in itf["states"])
    last = itf["states"][-1]
    plans = {int(p["#bigint"]) for p in last["plans"]["#set"]}
    served = [int(p["#bigint"]) for p in last["endpoint_plan"]]
    assert any(p not in plans for p in served), (served, plans)
    first = itf["states"][0]
    assert all(int(p["#bigint"]) in {int(q["#bigint"]) for q in first["plans"]["#set"]} for p in first["endpoint_plan"])
    replay_itf(itf, model)


def test_race_json_is_one_object(runs: dict[str, SpecRun]) -> None:
    run = runs[RACE]
    data = json.loads(run.result.stdout)
    assert set(data) == {"raceproof", "exit_code", "exit_code_rule", "specs", "itf"}
    assert data["exit_code"] == 1 and data["exit_code_rule"] == "instance"  # the spec's own instance decided it
    (spec,) = data["specs"]
    assert spec["spec"] == f"specs/{RACE}" and spec["model"] == "dns"
    trace = run.results["endpoint_never_empty"]["trace"]
    assert trace["kind"] == "violation" and trace["length"] == len(trace["steps"]) - 1
    end = trace["steps"][-1]["state"]
    assert any(p not in end["plans"] for p in end["endpoint_plan"])
