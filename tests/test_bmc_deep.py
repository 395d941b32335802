"""Deep BMC on fine-grained models (issue 15 §3): the per-depth step disjunction ranges only over
transitions that can be enabled there (`checker.engines.bmc_reach`), verdicts and shortest
depths stay those of the explicit engine, and `--stats` reports each depth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.encoding import Encoding
from checker.engines.bmc import run_bmc
from checker.engines.bmc_reach import EnabledSteps
from checker.engines.explicit.engine import run_explicit
from checker.lang.runtime import enabled
from checker.results import Verdict
from checker.spec import load_spec

from .conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
FINE = REPO / "benchmarks" / "specs" / "fine_grained_dns.toml"
# small enough to answer in seconds: 2 Enactors, one endpoint, three plan generations
SMALL = {"enactors": 2, "endpoints": 1, "max_plans": 3, "cleanup_age": 0}


def fine_model(**params: int):
    spec = load_spec(FINE)
    spec.params.update(params)
    return spec.build()


def test_enabled_steps_over_approximate_every_step_of_every_trace() -> None:
    """At every depth k, each transition that fires at step k of some trace of the model (all
    states reachable in exactly k steps, enumerated concretely) is in the step's disjunction;
    and the disjunction is smaller than all transitions at shallow depths (it prunes)."""
    model = fine_model(**SMALL)
    steps = EnabledSteps(Encoding(model))
    layer = {model.init}
    pruned = 0
    for k in range(20):  # the pruning is done by then (the levels reach their fixpoint)
        within = steps.at(k)
        fired = {t.index for s in layer for t, _ in enabled(model, s)}
        if within is not None:
            assert fired <= within, f"depth {k}: transitions {sorted(fired - within)} fire but were pruned"
            pruned += len(model.transitions) - len(within)
        layer = {nxt for s in layer for _, nxt in enabled(model, s)}
    assert pruned > 0


@pytest.mark.parametrize("symmetry", [True, False])
def test_bmc_shortest_depths_equal_explicit_on_the_fine_model(symmetry: bool) -> None:
    names = ["plan_never_regresses", "every_endpoint_updated"]
    model = fine_model(**SMALL)
    explicit = {r.name: r for r in run_explicit(model, names, None, 120, symmetry=symmetry)}
    bmc = {r.name: r for r in run_bmc(fine_model(**SMALL), names, 20, 120, symmetry=symmetry)}
    assert explicit["plan_never_regresses"].verdict is Verdict.VIOLATED
    assert explicit["every_endpoint_updated"].verdict is Verdict.WITNESSED
    for name in names:
        assert bmc[name].verdict is explicit[name].verdict
        assert bmc[name].depth == explicit[name].depth == len(bmc[name].trace.transitions)


def test_bmc_finds_the_deep_empty_endpoint_at_the_explicit_depth() -> None:
    model = fine_model(**SMALL)
    explicit = run_explicit(model, ["endpoint_never_empty"], None, 300)[0]
    bmc = run_bmc(fine_model(**SMALL), ["endpoint_never_empty"], 30, 600)[0]
    assert explicit.verdict is bmc.verdict is Verdict.VIOLATED
    assert bmc.depth == explicit.depth == 15


def test_pruned_and_full_step_relations_agree_when_nothing_is_found() -> None:
    """A bounded pass: with and without pruning, no trace of up to 8 steps regresses a plan,
    and the pruned unrolling is the same size or smaller at every depth."""
    pruned = run_bmc(fine_model(**SMALL), ["plan_never_regresses"], 8, 120)[0]
    assert pruned.verdict is Verdict.HOLDS_TO_DEPTH and pruned.depth == 8
    depths = pruned.extra["bmc_depths"]
    assert [d["depth"] for d in depths] == list(range(9))
    total = len(fine_model(**SMALL).transitions)
    assert depths[0]["transitions"] is None
    assert all(d["transitions"] <= total for d in depths[1:]) and depths[1]["transitions"] < total


def test_stats_text_and_json() -> None:
    args = ["check", str(FINE), "--engine", "bmc", "--depth", "5", "--property", "plan_never_regresses"]
    small = [f"-P{k}={v}" for k, v in SMALL.items()]
    text = run_cli(*args, *small, "--stats")
    assert text.exit_code == 0, text.stdout + text.stderr
    assert "BMC per depth" in text.stdout
    header = next(line for line in text.stdout.splitlines() if "conflicts" in line)
    assert header.split()[:6] == ["depth", "steps", "queries", "solver", "s", "wall"]
    rows = [line.split() for line in text.stdout.splitlines() if line.strip()[:1].isdigit() and len(line.split()) == 9]
    assert [int(r[0]) for r in rows] == list(range(6))
    assert "total: solver" in text.stdout

    out = run_cli(*args, *small, "--stats", "--json")
    assert out.exit_code == 0, out.stdout + out.stderr
    spec = json.loads(out.stdout)["specs"][0]
    stats = spec["bmc_stats"]
    assert [d["depth"] for d in stats] == list(range(6))
    for d in stats:
        assert set(d) == {
            "depth",
            "transitions",
            "queries",
            "solver_seconds",
            "seconds",
            "cpu_seconds",
            "conflicts",
            "bool_vars",
            "clauses",
        }
        assert d["solver_seconds"] >= 0 and d["queries"] >= 0
    assert stats[5]["bool_vars"] >= stats[1]["bool_vars"] > 0
    assert "bmc_stats" not in json.loads(run_cli(*args, *small, "--json").stdout)["specs"][0]


def test_stats_of_an_explicit_search_have_no_bmc_table() -> None:
    out = run_cli("check", str(FINE), *[f"-P{k}={v}" for k, v in SMALL.items()], "--stats")
    assert out.exit_code == 1
    assert "peak RSS" in out.stdout and "BMC per depth" not in out.stdout
