"""Coverage and vacuity: actions that never fire, `reachable` properties never witnessed,
`raceproof check --strict`, and the explicit engine's progress data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checker.cli.common import progress_text
from checker.coverage import strict_exit_code
from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.results import ExitCode, Verdict
from checker.run import check_spec
from checker.spec import load_spec
from models.dns.model import VARIANTS, Dns
from tests.conftest import REPO, run_cli
from tests.models.counter import NonAtomicCounter
from tests.models.dead import DeadReset

WriteSpec = Callable[..., Path]


def dead_spec(threshold: int, properties: list[str], depth: int = 8, engine: str = "bmc") -> str:
    return f"""\
model = "tests.models.dead:DeadReset"
[params]
workers = 2
threshold = {threshold}
[check]
depth = {depth}
engine = "{engine}"
properties = {json.dumps(properties)}
"""


LIVE_PROPS = ["within_range", "all_at_top"]


# ---------------------------------------------------------------------------- explicit engine
@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_explicit_search_counts_firings_and_lists_the_dead_action(backend: str) -> None:
    """Two steppers, 0..3 each: 16 states; `advance` is enabled for each stepper below 3,
    2 * 16 * 3/4 = 24 edges; `reset` (threshold 3) for each stepper at 3, 2 * 4 = 8 edges."""
    dead = run_explicit(DeadReset.build(), ["within_range"], symmetry=False, backend=backend)[0]
    assert dead.verdict is Verdict.HOLDS
    cov = dead.extra["coverage"]
    assert cov["fired"] == {"worker.advance": 24}
    assert cov["never"] == ["worker.reset"]
    assert cov["undetermined"] == [] and cov["static"] == []
    assert cov["scope"] == "exhaustive: 16 distinct states"
    live = run_explicit(DeadReset.build(threshold=3), ["within_range"], symmetry=False, backend=backend)[0]
    assert live.extra["coverage"]["fired"] == {"worker.advance": 24, "worker.reset": 8}
    assert live.extra["coverage"]["never"] == []


def test_firing_counts_of_the_two_process_counter() -> None:
    """From the hand enumeration in test_explicit: 6 reads and 8 writes, 14 steps in all."""
    r = run_explicit(NonAtomicCounter.build(procs=2), ["value_never_decreases"], symmetry=False)[0]
    assert r.extra["coverage"]["fired"] == {"worker.read": 6, "worker.write": 8}
    assert sum(r.extra["coverage"]["fired"].values()) == r.extra["transitions_fired"] == 14


def test_a_search_stopped_early_leaves_unseen_actions_undecided() -> None:
    # capped at 3 states (depth 1): no stepper got to 3, so reset was never enabled, and the
    # search cannot tell whether it ever is
    r = run_explicit(DeadReset.build(threshold=3), ["all_at_top"], max_states=3)[0]
    cov = r.extra["coverage"]
    assert not r.extra["exhaustive"]
    assert "worker.reset" in cov["undetermined"] and cov["never"] == []
    assert cov["scope"].startswith("explicit search to depth")


# ---------------------------------------------------------------------------- BMC
def test_bmc_lists_the_dead_action_for_every_behaviour() -> None:
    results = run_bmc(DeadReset.build(), ["within_range"], 8, coverage=True)
    cov = results[0].extra["coverage"]
    assert cov["fired"] == {"worker.advance": None}
    assert cov["never"] == ["worker.reset"]
    # every behaviour stops after 6 advances: the answer holds for every depth
    assert cov["scope"] == "every behaviour: all end within 6 steps"


def test_bmc_coverage_is_within_the_bound() -> None:
    """With threshold 3 a reset needs 3 advances first: it can fire at step 4, not before."""
    short = run_bmc(DeadReset.build(threshold=3), ["within_range"], 3, coverage=True)[0].extra["coverage"]
    assert short["never"] == ["worker.reset"] and short["scope"] == "within 3 steps"
    enough = run_bmc(DeadReset.build(threshold=3), ["within_range"], 4, coverage=True)[0].extra["coverage"]
    assert set(enough["fired"]) == {"worker.advance", "worker.reset"} and enough["never"] == []


def test_bmc_coverage_extends_past_the_depth_where_the_check_stopped() -> None:
    # all_at_top is witnessed at depth 6 with only advances; reset is looked for up to the bound
    r = run_bmc(DeadReset.build(threshold=3), ["all_at_top"], 9, coverage=True)[0]
    assert r.verdict is Verdict.WITNESSED and len(r.trace) == 6
    assert set(r.extra["coverage"]["fired"]) == {"worker.advance", "worker.reset"}


def test_actions_switched_off_by_parameters_are_static_not_dead() -> None:
    r = run_bmc(Dns.build(max_plans=5), ["plan_never_regresses"], 6, coverage=True)[0]
    cov = r.extra["coverage"]
    assert cov["static"] == ["enactor.take_token", "enactor.check"]
    assert set(cov["fired"]) == {"planner.plan", "enactor.pick", "enactor.apply", "enactor.cleanup"}
    assert cov["never"] == [] and cov["undetermined"] == []


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_dns_variant_fires_every_action_it_has(variant: str) -> None:
    """4 plans: the fixes are searched exhaustively; the broken variants until the violation,
    whose trace needs every action of the variant."""
    res = run_explicit(Dns.build(variant=variant, max_plans=4), ["endpoint_never_empty"])[0]
    cov = res.extra["coverage"]
    assert cov["never"] == [] and cov["undetermined"] == [], cov
    own = {"fencing_token_late": "enactor.take_token", "recheck_each_endpoint": "enactor.check"}
    expected = {"planner.plan", "enactor.pick", "enactor.apply", "enactor.cleanup"} | (
        {own[variant]} if variant in own else set()
    )
    assert set(cov["fired"]) == expected, cov
    assert set(cov["static"]) == {"enactor.take_token", "enactor.check"} - expected


# ---------------------------------------------------------------------------- --strict
def test_dead_action_is_reported_and_strict_fails(write_spec: WriteSpec) -> None:
    for engine in ("bmc", "explicit"):
        path = str(write_spec(dead_spec(4, LIVE_PROPS, engine=engine), name=f"dead_{engine}"))
        plain = run_cli("check", path)
        assert plain.exit_code == 0, plain.output
        assert "never fired" in plain.stdout and "worker.reset" in plain.stdout
        strict = run_cli("check", "--strict", path)
        assert strict.exit_code == 1, strict.output
        assert "strict:" in strict.stderr and "action worker.reset never fired" in strict.stderr


def test_strict_passes_when_every_action_fires(write_spec: WriteSpec) -> None:
    for engine in ("bmc", "explicit"):
        path = str(write_spec(dead_spec(3, LIVE_PROPS, engine=engine), name=f"live_{engine}"))
        result = run_cli("check", "--strict", path)
        assert result.exit_code == 0, result.output
        assert "coverage: every action fired" in result.stdout
        assert "strict:" not in result.stderr


def test_strict_fails_on_a_reachable_property_never_witnessed(write_spec: WriteSpec) -> None:
    # threshold 3: resets keep every behaviour going, so BMC cannot rule past_top out: unknown
    path = str(write_spec(dead_spec(3, ["within_range", "past_top"], depth=5)))
    plain = run_cli("check", path)
    assert plain.exit_code == 3, plain.output
    strict = run_cli("check", "--strict", path)
    assert strict.exit_code == 1, strict.output
    assert "reachable property past_top never witnessed" in strict.stderr


def test_strict_json_carries_coverage_and_failures(write_spec: WriteSpec) -> None:
    path = str(write_spec(dead_spec(4, LIVE_PROPS)))
    result = run_cli("check", "--strict", "--json", path)
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    spec = out["specs"][0]
    assert out["exit_code"] == 1 and spec["exit_code"] == 0  # the verdicts alone pass
    assert spec["coverage"]["never"] == ["worker.reset"]
    assert spec["coverage"]["fired"] == {"worker.advance": None}
    assert spec["strict"]["exit_code"] == 1
    assert spec["strict"]["failures"] == ["action worker.reset never fired (every behaviour: all end within 6 steps)"]


def test_strict_exit_codes() -> None:
    clean: dict[str, Any] = {"scope": "s", "fired": {"a": 1}, "never": [], "undetermined": [], "unwitnessed": []}
    assert strict_exit_code(ExitCode.OK, clean) is ExitCode.OK
    assert strict_exit_code(ExitCode.OK, clean | {"never": ["b"]}) is ExitCode.VIOLATED
    assert strict_exit_code(ExitCode.INCONCLUSIVE, clean | {"unwitnessed": ["p"]}) is ExitCode.VIOLATED
    assert strict_exit_code(ExitCode.OK, clean | {"undetermined": ["b"]}) is ExitCode.INCONCLUSIVE
    assert strict_exit_code(ExitCode.VIOLATED, clean | {"undetermined": ["b"]}) is ExitCode.VIOLATED
    assert strict_exit_code(ExitCode.OK, None) is ExitCode.INCONCLUSIVE  # nothing to show coverage


def test_dns_race_spec_has_full_coverage() -> None:
    for engine in ("bmc", "explicit"):
        sr = check_spec(load_spec(REPO / "specs" / "dns_race.toml"), engine=engine)
        assert sr.coverage is not None
        assert sr.coverage["never"] == [] and sr.coverage["undetermined"] == [] and sr.coverage["unwitnessed"] == []
        assert set(sr.coverage["fired"]) == {"planner.plan", "enactor.pick", "enactor.apply", "enactor.cleanup"}
        assert strict_exit_code(sr.exit_code, sr.coverage) is ExitCode.VIOLATED  # the race itself, nothing more


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "specs").glob("dns_*.toml")))
def test_every_dns_spec_has_full_coverage(name: str) -> None:
    sr = check_spec(load_spec(REPO / "specs" / name))
    assert sr.coverage is not None
    assert sr.coverage["never"] == [] and sr.coverage["undetermined"] == [] and sr.coverage["unwitnessed"] == []
    assert strict_exit_code(sr.exit_code, sr.coverage) is sr.exit_code


# ---------------------------------------------------------------------------- progress
def test_progress_lines_from_the_callbacks() -> None:
    assert progress_text(3, (1234, ["p"], 56), 2.0) == "depth 3  1,234 states  617 states/s  queue 56  open: p"
    # within a level: the rate counts the states expanded so far
    assert progress_text(3, (1234, ["p"], 6, 2000), 2.0) == "depth 3  1,234 states  1,000 states/s  queue 6  open: p"
    assert progress_text(5, (["p", "q"],), 1.0) == "depth 5  open: p, q"
