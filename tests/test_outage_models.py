"""The rest of the outage: DWFM, NLB and Network Manager models reach their pinned verdicts.

Every spec of the three models is checked once per module, in this process (the explicit
searches and proofs each take a second or two). The verdicts are pinned here, not read back
from the specs, so that a spec's expectations cannot drift without a test failing.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from checker.lang.runtime import CONCRETE, evaluate
from checker.registry import load_model
from checker.trace import replay
from tests.conftest import REPO, CliResult, assert_located, replay_itf, run_cli

PINNED: dict[str, dict[str, str]] = {
    "dwfm_collapse.toml": {
        "leases_recovered": "violated",
        "queue_bounded": "violated",
        "no_duplicate_lease": "holds",
        "all_leases_lost": "witnessed",
        "recovered_from_total_loss": "witnessed",
    },
    "dwfm_longer_timeout.toml": {
        "leases_recovered": "violated",
        "queue_bounded": "holds",
        "no_duplicate_lease": "holds",
        "all_leases_lost": "witnessed",
        "recovered_from_total_loss": "witnessed",
    },
    "dwfm_throttled.toml": {
        "leases_recovered": "holds",
        "queue_bounded": "holds",
        "no_duplicate_lease": "holds",
        "all_leases_lost": "witnessed",
        "recovered_from_total_loss": "witnessed",
    },
    "dwfm_loose_throttle.toml": {
        "leases_recovered": "violated",
        "queue_bounded": "holds",
        "no_duplicate_lease": "holds",
        "all_leases_lost": "witnessed",
        "recovered_from_total_loss": "witnessed",
    },
    "dwfm_drop_expired.toml": {
        "leases_recovered": "holds",
        "queue_bounded": "holds",
        "no_duplicate_lease": "holds",
        "all_leases_lost": "witnessed",
        "recovered_from_total_loss": "witnessed",
    },
    "nlb_failover.toml": {"capacity_covers_load": "violated", "az_failed_over": "witnessed"},
    "nlb_velocity_control.toml": {"capacity_covers_load": "proved", "az_failed_over": "witnessed"},
    "nlb_velocity_reset.toml": {"capacity_covers_load": "violated", "az_failed_over": "witnessed"},
    "backlog_unthrottled.toml": {
        "backlog_under_limit": "violated",
        "propagation_delay_bounded": "violated",
        "backlog_reaches_limit": "witnessed",
    },
    "backlog_throttled.toml": {
        "backlog_under_limit": "proved",
        "propagation_delay_bounded": "proved",
        "backlog_reaches_limit": "witnessed",
    },
}
OUTAGE_PREFIXES = ("dwfm_", "nlb_", "backlog_")


def spec_data(spec: str) -> dict[str, Any]:
    return tomllib.loads((REPO / "specs" / spec).read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[CliResult, dict[str, Any], Path]]:
    """spec -> (its `check --json --itf` run, the parsed JSON, the ITF path)."""
    out = tmp_path_factory.mktemp("outage")
    done = {}
    for spec in PINNED:
        itf = out / f"{spec}.itf.json"
        result = run_cli("check", str(REPO / "specs" / spec), "--json", "--itf", str(itf))
        assert "Traceback" not in result.output, result.output
        done[spec] = (result, json.loads(result.stdout), itf)
    return done


def results_of(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (spec,) = data["specs"]
    return {r["property"]: r for r in spec["results"]}


def test_every_outage_spec_is_pinned() -> None:
    on_disk = {p.name for p in (REPO / "specs").glob("*.toml") if p.name.startswith(OUTAGE_PREFIXES)}
    assert on_disk == set(PINNED)


@pytest.mark.parametrize("spec", sorted(PINNED))
def test_spec_expectations_are_the_pinned_verdicts(spec: str) -> None:
    assert spec_data(spec)["expect"] == PINNED[spec]


@pytest.mark.parametrize("spec", sorted(PINNED))
def test_verdicts_and_exit_codes(runs: dict[str, Any], spec: str) -> None:
    result, data, _ = runs[spec]
    expected_exit = 1 if "violated" in PINNED[spec].values() else 0
    assert result.exit_code == expected_exit, result.output
    assert data["exit_code"] == expected_exit
    results = results_of(data)
    assert {n: r["verdict"] for n, r in results.items()} == PINNED[spec]
    for name, r in results.items():
        assert r["meets_expectation"] is True, name
        if r["verdict"] in ("violated", "witnessed"):
            assert r["checked"] and r["trace"]["replayed"], name


@pytest.mark.parametrize("spec", sorted(PINNED))
def test_traces_replay_and_itf_files(runs: dict[str, Any], spec: str) -> None:
    """Every trace in the JSON replays to the states it shows; every counterexample has an ITF file."""
    _, data, itf_path = runs[spec]
    params = spec_data(spec)["params"]
    model = load_model(spec_data(spec)["model"]).build(**params)
    for name, r in results_of(data).items():
        if r["trace"] is None:
            continue
        transitions = []
        for step in r["trace"]["steps"][1:]:
            (t,) = [
                t
                for t in model.transitions
                if t.instance.name == step["instance"] and t.action.name == step["action"] and t.args == step["args"]
            ]
            transitions.append(t)
        states = replay(model, transitions)
        for step, state in zip(r["trace"]["steps"], states, strict=True):
            assert json.loads(json.dumps(model.describe_state(state))) == step["state"]
        if r["trace"]["kind"] == "lasso":  # the cycle closes, and the property is false all along it
            assert states[-1] == states[r["trace"]["loop"]]
            assert not any(evaluate(model, CONCRETE, name, st) for st in states)
        else:
            assert evaluate(model, CONCRETE, name, states[-1]) is (r["verdict"] == "witnessed")
    violated = [n for n, r in results_of(data).items() if r["verdict"] == "violated"]
    written = [Path(p) for p in data.get("itf", [])]
    assert len(written) == len(violated)
    for path, name in zip(written, violated, strict=True):
        itf = json.loads(path.read_text())
        assert itf["#meta"]["property"] == name
        replay_itf(itf, model)
    if violated:
        assert written[0] == itf_path


# ---------------------------------------------------------------------------- what the traces show
def actions(data: dict[str, Any], prop: str) -> list[tuple[str, str, dict[str, Any]]]:
    steps = results_of(data)[prop]["trace"]["steps"][1:]
    return [(s["instance"], s["action"], s["args"]) for s in steps]


def test_nlb_failover_takes_two_azs_out_in_four_steps(runs: dict[str, Any]) -> None:
    _, data, _ = runs["nlb_failover.toml"]
    steps = actions(data, "capacity_covers_load")
    assert len(steps) == 4  # the shortest: two failing checks, two failovers
    failed_over = [a["az"] for inst, act, a in steps if act == "fail_over"]
    assert len(failed_over) == 2 and len(set(failed_over)) == 2
    end = results_of(data)["capacity_covers_load"]["trace"]["steps"][-1]["state"]
    assert end["az_in_dns"].count(False) == 2


def test_naive_velocity_control_needs_a_new_window(runs: dict[str, Any]) -> None:
    """With the budget refilled every window, the second AZ goes after a window boundary."""
    _, data, _ = runs["nlb_velocity_reset.toml"]
    steps = actions(data, "capacity_covers_load")
    names = [act for _, act, _ in steps]
    assert names.count("fail_over") == 2
    first, second = (i for i, n in enumerate(names) if n == "fail_over")
    assert "tick" in names[first:second]
    assert len(steps) == 6


def test_backlog_grows_while_launches_outpace_propagation(runs: dict[str, Any]) -> None:
    _, data, _ = runs["backlog_unthrottled.toml"]
    steps = results_of(data)["backlog_under_limit"]["trace"]["steps"]
    assert len(steps) - 1 == 7
    assert [s["action"] for s in steps[1:]].count("tick") == 1  # it takes one tick at this load
    assert steps[-1]["state"]["backlog"] == 8


def test_dwfm_queue_overflows_with_stale_work(runs: dict[str, Any]) -> None:
    """The overflowing queue is made of re-queued requests: some waiting item is past its deadline."""
    _, data, _ = runs["dwfm_collapse.toml"]
    steps = results_of(data)["queue_bounded"]["trace"]["steps"]
    end = steps[-1]["state"]
    timeout = spec_data("dwfm_collapse.toml")["params"]["timeout"]
    assert end["queued"] == 4
    waiting = end["queue"][: end["queued"]]
    assert any(age > timeout for age in waiting) or end["worker1.age"] > timeout
    assert end["leased"] == 0


def lasso_cycle(data: dict[str, Any], prop: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The prefix and the cycle of a lasso in the JSON: steps[0..loop] and steps[loop+1..]."""
    trace = results_of(data)[prop]["trace"]
    assert trace["kind"] == "lasso" and not trace["deadlock"]
    return trace["steps"][: trace["loop"] + 1], trace["steps"][trace["loop"] + 1 :]


@pytest.mark.parametrize("spec", ["dwfm_collapse.toml", "dwfm_longer_timeout.toml", "dwfm_loose_throttle.toml"])
def test_dwfm_collapse_is_a_cycle_of_wasted_work_after_recovery(runs: dict[str, Any], spec: str) -> None:
    """The lasso's cycle runs with DynamoDB up, keeps workers busy, re-queues work, and never
    establishes a lease: every item a worker finishes is past its deadline."""
    _, data, _ = runs[spec]
    timeout = spec_data(spec)["params"]["timeout"]
    prefix, cycle = lasso_cycle(data, "leases_recovered")
    assert any(s["action"] == "recover" for s in prefix)
    assert cycle and all(s["state"]["ddb_up"] for s in cycle)
    acts = [s["action"] for s in cycle]
    assert {"take", "finish", "request", "tick"} <= set(acts)
    leased = prefix[-1]["state"]["leased"]
    assert all(s["state"]["leased"] == leased for s in cycle) and leased < 3
    for before, step in zip([prefix[-1], *cycle], cycle, strict=False):
        if step["action"] == "finish":
            assert before["state"]["worker1.age"] > timeout  # the work was stale: its lease thrown away
    assert cycle[-1]["state"] == prefix[-1]["state"]


def test_dwfm_collapse_lasso_is_short_and_readable(runs: dict[str, Any]) -> None:
    _, data, itf = runs["dwfm_collapse.toml"]
    prefix, cycle = lasso_cycle(data, "leases_recovered")
    assert (len(prefix) - 1, len(cycle)) == (9, 5)  # one lap: the shortest fair cycle
    written = json.loads(itf.read_text())  # the first counterexample: the lasso, with its loop
    assert written["#meta"]["property"] == "leases_recovered" and written["loop"] == 9


def test_text_report_shows_the_lasso_cycle() -> None:
    result = run_cli("check", str(REPO / "specs" / "dwfm_collapse.toml"), "--property", "leases_recovered")
    assert result.exit_code == 1
    text = result.stdout
    assert re.search(r"✗ leases_recovered\s+violated\s+lasso: 9-step prefix, 5-step cycle", text)
    assert "cycle starts here" in text
    assert "↺ back to step 9" in text


def test_text_report_of_an_outage_trace() -> None:
    result = run_cli("check", str(REPO / "specs" / "nlb_failover.toml"))
    assert result.exit_code == 1
    assert re.search(r"✗ capacity_covers_load\s+violated\s+in 4 steps", result.stdout)
    assert "fail_over(az=" in result.stdout
    assert "capacity_covers_load is false in state 4" in result.stdout


# ---------------------------------------------------------------------------- proofs
@pytest.mark.parametrize("spec", ["nlb_velocity_control.toml", "backlog_throttled.toml"])
def test_prove_verb_proves_the_fixes(spec: str) -> None:
    result = run_cli("prove", str(REPO / "specs" / spec), "--json")
    assert result.exit_code == 0, result.output
    for r in results_of(json.loads(result.stdout)).values():
        assert r["verdict"] in ("proved", "witnessed")


def test_velocity_control_proof_depends_on_the_budget(write_spec: Any) -> None:
    """Proved when the budget leaves the load in service (4 AZs x 3 nodes, load 8, budget 3);
    violated when it does not (budget 6: two AZs may go)."""
    text = (
        'model = "nlb"\n[params]\nazs = 4\nnodes_per_az = 3\nload = 8\nremoval_budget = {b}\nwindow = 3\n'
        'variant = "velocity_control"\n[check]\ndepth = 8\n[expect]\ncapacity_covers_load = "{v}"\n'
    )
    ok = run_cli("prove", str(write_spec(text.format(b=3, v="proved"), "ok")), "--json")
    assert ok.exit_code == 0, ok.output
    assert results_of(json.loads(ok.stdout))["capacity_covers_load"]["verdict"] == "proved"
    bad = run_cli("prove", str(write_spec(text.format(b=6, v="violated"), "bad")), "--json")
    assert bad.exit_code == 1, bad.output
    r = results_of(json.loads(bad.stdout))["capacity_covers_load"]
    assert r["verdict"] == "violated" and r["trace"]["replayed"]


def test_unthrottled_backlog_passes_any_limit(write_spec: Any) -> None:
    """As designed the backlog has no bound: a limit twice as high is passed too, a few ticks later."""
    text = (
        'model = "backlog"\n[params]\nlimit = 12\nmax_delay = 6\n[check]\ndepth = 24\n'
        '[expect]\nbacklog_under_limit = "violated"\n'
    )
    # breadth-first search finds the shortest trace at once; BMC needs a while at this depth
    result = run_cli("check", str(write_spec(text)), "--json", "--engine", "explicit")
    assert result.exit_code == 1, result.output
    r = results_of(json.loads(result.stdout))["backlog_under_limit"]
    assert r["trace"]["steps"][-1]["state"]["backlog"] == 14
    assert r["trace"]["length"] == 22  # four ticks of net growth (5 steps each), then two launches


# ---------------------------------------------------------------------------- parameters
BAD_PARAMS = {
    "dwfm_timeout_below_work": (
        'model = "dwfm"\n[params]\nwork_time = 3\ntimeout = 2\n',
        4,
        "must be at least work_time",
    ),
    "dwfm_too_many_droplets": ('model = "dwfm"\n[params]\ndroplets = 9\n', 3, "must be at most 4, got 9"),
    "dwfm_capacity_not_above_limit": (
        'model = "dwfm"\n[params]\nqueue_limit = 3\nqueue_capacity = 3\n',
        4,
        "queue_capacity (3) must exceed queue_limit (3)",
    ),
    "dwfm_bad_variant": ('model = "dwfm"\n[params]\nvariant = "retry_harder"\n', 3, "must be one of"),
    "nlb_load_above_fleet": ('model = "nlb"\n[params]\nazs = 3\nload = 7\n', 4, "load (7) exceeds the whole fleet"),
    "nlb_one_az": ('model = "nlb"\n[params]\nazs = 1\n', 3, "must be at least 2, got 1"),
    "nlb_zero_capacity": ('model = "nlb"\n[params]\nnodes_per_az = 0\n', 3, "must be at least 1"),
    "backlog_starts_above_limit": (
        'model = "backlog"\n[params]\nlimit = 4\ninitial_backlog = 5\n',
        4,
        "initial_backlog (5) is above limit (4)",
    ),
    "backlog_rate_not_int": ('model = "backlog"\n[params]\nrate = 1.5\n', 3, "must be an integer"),
}


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_bad_parameters_exit_2_at_their_line(case: str, write_spec: Any) -> None:
    text, line, message = BAD_PARAMS[case]
    path = write_spec(text)
    result = run_cli("check", str(path))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert_located(result.output, path, line)
    assert "Traceback" not in result.output


def test_list_shows_the_outage_models_and_specs() -> None:
    result = run_cli("list", "--specs-dir", str(REPO / "specs"))
    assert result.exit_code == 0, result.output
    for model in ("dwfm", "nlb", "backlog"):
        assert re.search(rf"^model {model}\s", result.stdout, re.M), model
    for prop in ("leases_recovered", "queue_bounded", "capacity_covers_load", "backlog_under_limit"):
        assert prop in result.stdout
    for spec in PINNED:
        assert spec in result.stdout


def test_dwfm_fixes_survive_a_second_outage(write_spec: Any) -> None:
    """DynamoDB fails again after recovering (outages = 2): the throttled design still gets
    every lease back; as designed it still collapses."""
    text = (
        'model = "dwfm"\n[params]\noutages = 2\nvariant = "{v}"\n[check]\nengine = "explicit"\n'
        '[expect]\nleases_recovered = "{e}"\n'
    )
    fixed = run_cli("check", str(write_spec(text.format(v="throttled", e="holds"), "fixed")), "--json")
    assert fixed.exit_code == 0, fixed.output
    r = results_of(json.loads(fixed.stdout))["leases_recovered"]
    assert r["verdict"] == "holds"
    broken = run_cli("check", str(write_spec(text.format(v="as_designed", e="violated"), "broken")), "--json")
    assert broken.exit_code == 1, broken.output
    trace = results_of(json.loads(broken.stdout))["leases_recovered"]["trace"]
    assert trace["kind"] == "lasso"
