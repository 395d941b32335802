"""`prove` on every shipped spec gives the spec's expected answer within the spec's timeout:
proofs where the spec expects them, replayed counterexamples for violations, exhaustive
answers on finite instances (and for graph properties), and `reachable` witnesses found past
the spec's BMC bound when the instance is finite (dwfm's recovery needs 19-21 steps, the
bound is 10)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from checker.results import Verdict
from checker.run import prove_spec
from checker.spec import load_spec
from tests.conftest import REPO, run_cli

SPECS = sorted((REPO / "specs").glob("*.toml"))
FAST = {"dwfm_throttled"}  # a few seconds: the default run's representative


def test_every_shipped_spec_is_covered() -> None:
    assert len(SPECS) >= 20 and FAST <= {p.stem for p in SPECS}


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.stem, marks=() if p.stem in FAST else pytest.mark.slow) for p in SPECS]
)
def test_prove_gives_the_expected_answer(path: Path) -> None:
    spec = load_spec(path)
    started = time.monotonic()
    sr = prove_spec(spec)
    seconds = time.monotonic() - started
    if spec.timeout is not None:
        assert seconds < spec.timeout + 5
    for r in sr.results:
        assert r.expected is None or r.meets_expectation, f"{r.name}: {r.verdict} ({r.reason}), expected {r.expected}"


def test_dwfm_witness_beyond_the_bmc_bound() -> None:
    """The recovery witness needs 19 steps; the spec's bound is 10: explicit search finds it."""
    spec = load_spec(REPO / "specs" / "dwfm_throttled.toml")
    (r,) = prove_spec(spec, ["recovered_from_total_loss"], coverage=False).results
    assert r.verdict is Verdict.WITNESSED and r.trace is not None
    assert len(r.trace) > spec.depth


@pytest.mark.slow
def test_prove_cli_on_a_finite_instance_answers() -> None:
    r = run_cli("prove", str(REPO / "specs" / "dwfm_throttled.toml"))
    assert r.exit_code == 0, r.output
    assert "explicit search (finite instance)" in r.stdout
