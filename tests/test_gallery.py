"""The gallery models beyond the outage (`models/lease`, `models/twophase`) give the verdicts
their specs expect, with the traces the README tells.

The verdicts are pinned here, not read back from the specs, so a spec's expectations cannot
drift without a test failing. Each spec is checked once per module, in this process (well
under a second each). The state counts against TLC are in tests/test_tlc_twins.py (-m tlc).
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from checker.lang.runtime import CONCRETE, evaluate
from checker.registry import load_model
from checker.trace import replay
from tests.conftest import REPO, CliResult, replay_itf, run_cli

PINNED: dict[str, dict[str, str]] = {
    "lease_no_fencing.toml": {
        "writes_in_lease_order": "violated",
        "writes_under_live_lease": "violated",
        "written_token_was_granted": "holds",
        "paused_past_expiry": "witnessed",
    },
    "lease_fencing.toml": {
        "writes_in_lease_order": "holds",
        "writes_under_live_lease": "violated",
        "written_token_was_granted": "holds",
        "paused_past_expiry": "witnessed",
    },
    "twophase_no_timeout.toml": {"consistent": "holds", "every_rm_decided": "violated", "all_committed": "witnessed"},
    "twophase_timeout.toml": {"consistent": "holds", "every_rm_decided": "holds", "all_committed": "witnessed"},
}
# Distinct states of each spec's exhaustive search under symmetry reduction: the README's
# figures, and TLC's on the twins (tests/test_tlc_twins.py checks those against TLC itself).
STATES = {"lease_no_fencing.toml": 347, "lease_fencing.toml": 161, "twophase_no_timeout.toml": 24,
          "twophase_timeout.toml": 80}  # fmt: skip
GALLERY_PREFIXES = ("lease_", "twophase_")


def spec_data(spec: str) -> dict[str, Any]:
    return tomllib.loads((REPO / "specs" / spec).read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[CliResult, dict[str, Any]]]:
    """spec -> (its `check --json --itf` run, the parsed JSON)."""
    out = tmp_path_factory.mktemp("gallery")
    done = {}
    for spec in PINNED:
        result = run_cli("check", str(REPO / "specs" / spec), "--json", "--itf", str(out / f"{spec}.itf.json"))
        assert "Traceback" not in result.output, result.output
        done[spec] = (result, json.loads(result.stdout))
    return done


def results_of(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (spec,) = data["specs"]
    return {r["property"]: r for r in spec["results"]}


def steps_of(data: dict[str, Any], prop: str) -> list[tuple[str, str]]:
    return [(s["instance"], s["action"]) for s in results_of(data)[prop]["trace"]["steps"][1:]]


def transitions_of(model: Any, data: dict[str, Any], prop: str) -> list[Any]:
    """The model's transitions along a reported trace (instance, action and arguments)."""
    out = []
    for step in results_of(data)[prop]["trace"]["steps"][1:]:
        (t,) = [
            t
            for t in model.transitions
            if (t.instance.name, t.action.name) == (step["instance"], step["action"]) and t.args == step["args"]
        ]
        out.append(t)
    return out


def test_every_gallery_spec_is_pinned() -> None:
    on_disk = {p.name for p in (REPO / "specs").glob("*.toml") if p.name.startswith(GALLERY_PREFIXES)}
    assert on_disk == set(PINNED)


@pytest.mark.parametrize("spec", sorted(PINNED))
def test_spec_expectations_are_the_pinned_verdicts(spec: str) -> None:
    assert spec_data(spec)["expect"] == PINNED[spec]


@pytest.mark.parametrize("spec", sorted(PINNED))
def test_verdicts_exit_codes_and_traces(runs: dict[str, Any], spec: str) -> None:
    """Each verdict as pinned, complete (exhaustive), and every trace replays on a fresh model."""
    result, data = runs[spec]
    expected_exit = 1 if "violated" in PINNED[spec].values() else 0
    assert result.exit_code == expected_exit, result.output
    results = results_of(data)
    assert {n: r["verdict"] for n, r in results.items()} == PINNED[spec]
    model = load_model(spec_data(spec)["model"]).build(**spec_data(spec)["params"])
    for name, r in results.items():
        assert r["meets_expectation"] is True, name
        assert r["complete"] is True, name
        if r["trace"] is None:
            continue
        assert r["checked"] and r["trace"]["replayed"], name
        states = replay(model, transitions_of(model, data, name))
        if r["trace"]["kind"] == "lasso":
            assert not any(evaluate(model, CONCRETE, name, st) for st in states)
        elif model.properties[name].kind == "action_invariant":
            assert evaluate(model, CONCRETE, name, states[-2], states[-1]) is False
        else:
            assert evaluate(model, CONCRETE, name, states[-1]) is (r["verdict"] == "witnessed")
    assert data["specs"][0]["search"]["states"] == STATES[spec]
    assert data["specs"][0]["search"]["exhaustive"] is True
    assert not data["specs"][0]["symmetry"]["not_reduced"]
    for path in data.get("itf", []):
        replay_itf(json.loads(open(path).read()), model)


def test_kleppmann_paused_client_writes_after_a_newer_lease(runs: dict[str, Any]) -> None:
    """The shortest story is the article's: acquire, pause past expiry, another client acquires
    and writes, the paused client resumes and writes with its older token."""
    _, data = runs["lease_no_fencing.toml"]
    steps = steps_of(data, "writes_in_lease_order")
    assert [a for _, a in steps] == ["acquire", "expire", "acquire", "write", "write"]
    paused, other = steps[0][0], steps[2][0]
    assert paused != other and steps[3][0] == other and steps[4][0] == paused
    end = results_of(data)["writes_in_lease_order"]["trace"]["steps"][-1]["state"]
    assert end["last_token"] == 1  # the newer lease's write (token 2) was overwritten


def test_fencing_rejects_the_same_late_write(runs: dict[str, Any]) -> None:
    """The no_fencing counterexample's steps, replayed on the fencing variant: every step still
    fires, but the late write is refused and storage keeps the newer lease's token."""
    _, data = runs["lease_no_fencing.toml"]
    model = load_model("lease").build(**spec_data("lease_fencing.toml")["params"])
    states = replay(model, transitions_of(model, data, "writes_in_lease_order"))
    tokens = [model.describe_state(st)["last_token"] for st in states]
    assert tokens == [0, 0, 0, 0, 2, 2]


def test_fencing_does_not_make_an_expired_lease_safe(runs: dict[str, Any]) -> None:
    """Fencing orders the writes; it does not stop an expired lease's write before a newer one."""
    _, data = runs["lease_fencing.toml"]
    assert [a for _, a in steps_of(data, "writes_under_live_lease")] == ["acquire", "expire", "write"]


def test_two_phase_commit_blocks_without_the_timeout(runs: dict[str, Any]) -> None:
    """An RM aborts on its own; the TM waits for its vote forever, a prepared RM with it."""
    _, data = runs["twophase_no_timeout.toml"]
    r = results_of(data)["every_rm_decided"]
    assert r["trace"]["kind"] == "lasso"
    end = r["trace"]["steps"][-1]["state"]
    assert end["tm.state"] == "init"
    rm_states = [end[f"rm{i}.state"] for i in (1, 2, 3)]
    assert "prepared" in rm_states and "aborted" in rm_states


def test_two_phase_commit_state_graph_is_lamports(runs: dict[str, Any]) -> None:
    """With the TM's abort, the model is Lamport's TwoPhase: 288 states for 3 RMs (TLC's count)."""
    _, data = runs["twophase_timeout.toml"]
    r = results_of(data)["every_rm_decided"]
    assert "288 states" in r["reason"]


def test_gallery_passes_the_gate() -> None:
    specs = [str(REPO / "specs" / s) for s in sorted(PINNED)]
    result = run_cli("gate", *specs, "--no-cache")
    assert result.exit_code == 0, result.output
    assert "gate: pass (exit 0): 4 spec(s)" in result.output


def test_bmc_agrees_on_the_lease_race() -> None:
    """One model, every engine: BMC (z3, over the Ref-valued holder, symmetry breaking on) finds
    the same 5-step shortest violation, and none within 6 steps once storage fences."""
    broken = run_cli("check", str(REPO / "specs" / "lease_no_fencing.toml"), "--engine", "bmc", "--depth", "5",
                     "--property", "writes_in_lease_order", "--json")  # fmt: skip
    (r,) = results_of(json.loads(broken.stdout)).values()
    assert broken.exit_code == 1 and (r["verdict"], r["depth"]) == ("violated", 5), broken.output
    fenced = run_cli("check", str(REPO / "specs" / "lease_fencing.toml"), "--engine", "bmc", "--depth", "6",
                     "--property", "writes_in_lease_order", "--json")  # fmt: skip
    (r,) = results_of(json.loads(fenced.stdout)).values()
    assert r["verdict"] == "holds_to_depth" and r["bound"] == 6, fenced.output
