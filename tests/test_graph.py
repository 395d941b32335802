"""Graph properties (`recoverable`, `eventually` under weak fairness) on the explicit state
graph: known answers on small models, lassos that replay, the DNS verdicts, routing through
check_spec/prove_spec, the reports, and `raceproof graph`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from checker import Model
from checker.engines.bmc import run_bmc
from checker.engines.graph import run_graph
from checker.engines.graph_build import build_graph
from checker.errors import ModelError
from checker.lang.model import ModelInstance
from checker.lang.runtime import CONCRETE, evaluate, fire
from checker.results import PropertyResult, Verdict
from checker.run import check_spec, prove_spec
from checker.spec import load_spec
from checker.trace import replay
from models.dns import Dns
from tests.conftest import REPO, run_cli
from tests.models.graph_systems import Breaker, Dropout, FairScheduler, Gate, GiveUp, Scheduler

BACKENDS = ("numpy", "python")


def graph_check(cls: type[Model], prop: str, backend: str = "auto", **params: Any) -> PropertyResult:
    model = cls.build(**params)
    (r,) = run_graph(model, [prop], backend=backend)
    assert r.engine == "explicit" and r.extra["backend"] == (backend if backend != "auto" else r.extra["backend"])
    if r.trace is not None:
        assert_lasso_or_trace_replays(model, r)
    return r


def assert_lasso_or_trace_replays(model: ModelInstance, r: PropertyResult) -> None:
    trace = r.trace
    assert trace is not None and r.checked and r.verdict is Verdict.VIOLATED
    assert replay(model, trace.transitions) == trace.states
    assert not evaluate(model, CONCRETE, r.name, trace.states[-1])
    if trace.kind == "lasso":
        assert trace.loop is not None and 0 <= trace.loop <= len(trace)
        assert trace.states[-1] == trace.states[trace.loop]  # the cycle closes
        assert not any(evaluate(model, CONCRETE, r.name, s) for s in trace.states)


def steps(r: PropertyResult) -> list[str]:
    assert r.trace is not None
    return [str(t) for t in r.trace.transitions]


# ---------------------------------------------------------------------------- recoverable
@pytest.mark.parametrize("backend", BACKENDS)
def test_recoverable_holds_when_every_failure_heals(backend: str) -> None:
    r = graph_check(Breaker, "recovers", backend)
    assert r.verdict is Verdict.HOLDS and r.trace is None
    assert (r.extra["states"], r.extra["edges"]) == (4, 8)  # ok/failing per service; fail and heal edges
    assert r.reason == "exhaustive state graph: 4 states, 8 edges"


@pytest.mark.parametrize("backend", BACKENDS)
def test_recoverable_violation_is_the_shortest_way_to_a_dead_end(backend: str) -> None:
    r = graph_check(Breaker, "recovers", backend, fragile=True)
    assert r.verdict is Verdict.VIOLATED and r.trace.kind == "violation" and r.trace.loop is None
    assert steps(r) == ["service1.fail", "service1.break_down"]
    assert r.trace.values(2)["service1.status"] == "broken"
    # from the broken state the concrete re-exploration saw 3 states (the other service cycles)
    assert r.trace.notes["closure_states"] == 3


# ---------------------------------------------------------------------------- eventually
@pytest.mark.parametrize("backend", BACKENDS)
def test_eventually_fails_without_fairness_and_holds_with_it(backend: str) -> None:
    unfair = graph_check(Scheduler, "all_done", backend)
    assert unfair.verdict is Verdict.VIOLATED and unfair.trace.kind == "lasso"
    assert unfair.trace.loop == 0 and steps(unfair) == ["spinner.spin", "spinner.spin"]
    fair = graph_check(FairScheduler, "all_done", backend)
    assert fair.verdict is Verdict.HOLDS
    assert fair.extra["states"] == unfair.extra["states"] == 8


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deadlock_before_p_is_a_violation(backend: str) -> None:
    r = graph_check(GiveUp, "done", backend)
    assert r.verdict is Verdict.VIOLATED and steps(r) == ["worker.give_up"]
    assert r.trace.kind == "lasso" and r.trace.loop == len(r.trace) == 1 and r.trace.notes["deadlock"]
    model = GiveUp.build()
    assert all(fire(model, t, r.trace.states[-1]) is None for t in model.transitions)


def test_weak_fairness_allows_a_cycle_that_disables_the_fair_action() -> None:
    """enter is fair but not continuously enabled: the door closes on every round."""
    r = graph_check(Gate, "entered")
    assert r.verdict is Verdict.VIOLATED and steps(r) == ["toggler.toggle", "toggler.toggle"]
    model = Gate.build()
    enter = next(t for t in model.transitions if t.action.name == "enter")
    cycle = r.trace.states[r.trace.loop :]
    assert enter not in r.trace.transitions
    assert any(fire(model, enter, s) is None for s in cycle)  # disabled somewhere on the cycle


def test_lasso_with_a_prefix_replays_and_is_fair() -> None:
    r = graph_check(Dropout, "done")
    assert steps(r) == ["worker.give_up", "spinner.spin", "spinner.spin"]
    assert r.trace.loop == 1 and not r.trace.notes["deadlock"]
    model = Dropout.build()
    work = next(t for t in model.transitions if t.action.name == "work")
    assert all(fire(model, work, s) is None for s in r.trace.states[1:])  # fair: work is disabled


def test_graph_edges_are_one_per_enabled_transition() -> None:
    g = build_graph(Gate.build(), ["entered"])
    assert g.complete and (g.nodes, g.edges) == (4, 5)  # toggle everywhere, enter where open and outside
    model = Gate.build()
    for a, b, t in zip(g.src.tolist(), g.dst.tolist(), g.via.tolist(), strict=True):
        assert fire(model, model.transitions[t], g.state(a)) == g.state(b)
    assert [int(d) for d in g.depth] == sorted(int(d) for d in g.depth)  # node ids in BFS order


def test_incomplete_graph_is_unknown() -> None:
    (r,) = run_graph(Dns.build(max_plans=5), ["endpoints_recoverable"], max_states=500)
    assert r.verdict is Verdict.UNKNOWN and r.trace is None
    assert "more than 500 states" in r.reason and not r.extra["exhaustive"]


def test_bmc_refuses_graph_properties() -> None:
    with pytest.raises(ModelError, match="needs the whole state graph"):
        run_bmc(Breaker.build(), ["recovers"], 3)


# ---------------------------------------------------------------------------- DNS
def test_dns_as_designed_ends_where_no_enactor_can_repair() -> None:
    model = Dns.build(max_plans=5)
    (r,) = run_graph(model, ["endpoints_recoverable"])
    assert r.verdict is Verdict.VIOLATED and len(r.trace) == 9  # as short as the emptying itself
    assert_lasso_or_trace_replays(model, r)
    last = r.trace.values(9)
    dead = [e for e, p in enumerate(last["endpoint_plan"]) if p not in last["plans"]]
    assert dead
    # no step of any instance puts a live plan back on that endpoint, and plans never come back
    for t in model.transitions:
        nxt = fire(model, t, r.trace.states[-1])
        if nxt is not None:
            after = model.describe_state(nxt)
            assert all(after["endpoint_plan"][e] not in after["plans"] for e in dead), t
    assert r.trace.notes["closure_states"] is not None  # re-explored concretely: nothing good


def test_dns_fix_is_recoverable() -> None:
    (r,) = run_graph(Dns.build(variant="version_cas", max_plans=5), ["endpoints_recoverable"])
    assert r.verdict is Verdict.HOLDS and r.extra["states"] == 13_779


@pytest.mark.parametrize(
    ("spec", "verdict", "length"),
    [
        ("dns_version_cas_recoverable.toml", "holds", None),
        ("dns_cas_stale_snapshot_recoverable.toml", "violated", 9),
        ("dns_fencing_token_late_recoverable.toml", "violated", 11),
    ],
)
def test_dns_recoverable_specs(spec: str, verdict: str, length: int | None) -> None:
    sr = check_spec(load_spec(REPO / "specs" / spec), properties=["endpoints_recoverable"])
    (r,) = sr.results
    assert r.verdict.value == verdict and r.meets_expectation
    assert (len(r.trace) if r.trace else None) == length
    assert sr.engine == "explicit graph"


# ---------------------------------------------------------------------------- routing
def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_check_spec_routes_graph_properties_away_from_bmc(tmp_path: Path) -> None:
    spec = load_spec(
        write(
            tmp_path,
            "mixed",
            'model = "dns"\n[params]\nmax_plans = 5\n[check]\nengine = "bmc"\ndepth = 7\n'
            '[expect]\nplan_never_regresses = "violated"\nendpoints_recoverable = "violated"\n',
        )
    )
    sr = check_spec(spec)
    assert sr.engine == "bmc + explicit graph"
    by = {r.name: r for r in sr.results}
    assert by["plan_never_regresses"].engine == "bmc"
    assert by["endpoints_recoverable"].engine == "explicit" and by["endpoints_recoverable"].extra["edges"] > 0
    assert by["endpoints_recoverable"].extra["requested_engine"] == "bmc"
    assert all(r.meets_expectation for r in sr.results) and int(sr.exit_code) == 1


def test_prove_checks_graph_properties_explicitly(tmp_path: Path) -> None:
    spec = load_spec(
        write(tmp_path, "b", 'model = "tests.models.graph_systems:Breaker"\n[expect]\nrecovers = "holds"\n')
    )
    (r,) = prove_spec(spec).results
    assert r.verdict is Verdict.HOLDS and r.meets_expectation  # a finite instance: never "proved"
    assert "does not check recoverable" in r.reason


# ---------------------------------------------------------------------------- CLI and reports
def test_cli_prints_the_cycle_and_writes_the_loop(tmp_path: Path) -> None:
    spec = write(tmp_path, "d", 'model = "tests.models.graph_systems:Dropout"\n[expect]\ndone = "violated"\n')
    itf = tmp_path / "d.itf.json"
    res = run_cli("check", str(spec), "--itf", str(itf))
    assert res.exit_code == 1, res.output
    assert "lasso: 1-step prefix, 2-step cycle" in res.stdout
    assert "cycle starts here" in res.stdout and "back to step 1" in res.stdout
    data = json.loads(itf.read_text())
    assert data["#meta"]["loop"] == data["loop"] == 1 and data["#meta"]["kind"] == "lasso"
    assert len(data["states"]) == 4 and data["states"][-1] | {"#meta": 0} == data["states"][1] | {"#meta": 0}
    out = run_cli("check", str(spec), "--json")
    trace = json.loads(out.stdout)["specs"][0]["results"][0]["trace"]
    assert trace["loop"] == 1 and trace["deadlock"] is False


def test_cli_exit_codes_for_graph_properties(tmp_path: Path) -> None:
    ok = write(tmp_path, "ok", 'model = "tests.models.graph_systems:FairScheduler"\n[expect]\nall_done = "holds"\n')
    bad = write(tmp_path, "bad", 'model = "tests.models.graph_systems:Scheduler"\n[expect]\nall_done = "holds"\n')
    assert run_cli("check", str(ok)).exit_code == 0
    res = run_cli("check", str(bad))
    assert res.exit_code == 1 and "MISMATCH" in res.stdout
    capped = run_cli("check", str(ok), "--max-states", "3")
    assert capped.exit_code == 3 and "state graph incomplete" in capped.stdout


def test_graph_command_exports_dot_and_graphml(tmp_path: Path) -> None:
    spec = write(tmp_path, "g", 'model = "tests.models.graph_systems:Gate"\n[expect]\nentered = "violated"\n')
    dot, graphml = tmp_path / "g.dot", tmp_path / "g.graphml"
    res = run_cli("graph", str(spec), "--dot", str(dot), "--graphml", str(graphml))
    assert res.exit_code == 0, res.output
    assert "4 states, 5 edges" in res.stdout
    g = nx.read_graphml(graphml)
    assert (g.number_of_nodes(), g.number_of_edges()) == (4, 5)
    labels = sorted(d["label"] for _, _, d in g.edges(data=True))
    assert labels == ["toggler.toggle"] * 4 + ["visitor.enter"]
    init = next(d for _, d in g.nodes(data=True) if d["initial"])
    assert init["open"] is True and init["visitor.inside"] is False
    text = dot.read_text()
    assert text.startswith('digraph "Gate" {') and text.count(" -> ") == 5
    assert '[label="visitor.enter"]' in text and "visitor.inside = false" in text


def test_graph_command_refuses_big_models_and_bad_usage(tmp_path: Path) -> None:
    spec = REPO / "specs" / "dns_race.toml"
    out = tmp_path / "big.dot"
    res = run_cli("graph", str(spec), "--dot", str(out), "--max-states", "100")
    assert res.exit_code == 3 and "more than 100 states" in res.stderr and not out.exists()
    assert "Traceback" not in res.output
    assert run_cli("graph", str(spec)).exit_code == 2
    assert run_cli("graph", str(tmp_path / "missing.toml"), "--dot", str(out)).exit_code == 2


def test_spec_expecting_proved_for_a_graph_property_is_bad_input(tmp_path: Path) -> None:
    spec = write(tmp_path, "p", 'model = "tests.models.graph_systems:Breaker"\n[expect]\nrecovers = "proved"\n')
    res = run_cli("check", str(spec))
    assert res.exit_code == 2 and f"{spec}:3" in res.stderr and "expect holds or violated" in res.stderr


def test_graph_only_spec_reports_coverage_for_strict(tmp_path: Path) -> None:
    spec = tmp_path / "breaker.toml"
    spec.write_text('model = "tests.models.graph_systems:Breaker"\n')
    res = run_cli("check", str(spec), "--strict", "--json")
    assert res.exit_code == 0, res.output
    cov = json.loads(res.stdout)["specs"][0]["coverage"]
    # the whole graph was built: every action on an edge fired, the one with a false guard is off
    assert set(cov["fired"]) == {"service.fail", "service.heal"} and cov["static"] == ["service.break_down"]
    assert cov["never"] == [] and cov["undetermined"] == []
