"""`raceproof conform`: Hypothesis drives the model and the real service in lockstep."""

from __future__ import annotations

import pytest

from checker.conform.adapter import load_adapter
from checker.conform.conform import assert_conforms, check_conformance
from checker.conform.session import Session
from checker.spec import load_spec
from tests.conform.conftest import require_real_servers
from tests.conftest import REPO, run_cli

RACE = str(REPO / "specs/dns_race.toml")
CAS = str(REPO / "specs/dns_version_cas.toml")
BUGGY = "examples.dns_service.conformance:BuggyCleanupAdapter"


@pytest.fixture(autouse=True)
def _servers() -> None:
    require_real_servers()


def test_the_planted_cleanup_bug_is_found_and_shrunk() -> None:
    result = run_cli("conform", RACE, "--adapter", BUGGY, "--max-examples", "10", "--steps", "15", "--seed", "3")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "DIVERGED: shrunk to 5 steps:" in lines
    shrunk = [line.split(". ", 1)[1] for line in lines if line.startswith("   ") and ". " in line]
    # the least a cleanup needs: a plan, picked, written to both endpoints, then cleaned up
    assert shrunk[0] == "planner.plan" and shrunk[-1].endswith(".cleanup") and len(shrunk) == 5
    assert "plans: model [1, 2], implementation [2]" in result.stdout


def test_the_service_conforms_to_its_model() -> None:
    result = run_cli("conform", RACE, "--adapter", "examples.dns_service.conformance:DnsAdapter",
                     "--max-examples", "25", "--steps", "20")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "conforms: no divergence in 25 sequences (a test of the sequences tried, not a proof)" in result.stdout


def test_the_cas_service_conforms_to_the_cas_model() -> None:
    result = run_cli("conform", CAS, "--adapter", "examples.dns_service.conformance:DnsAdapter",
                     "--max-examples", "8", "--steps", "20")  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.slow  # the divergence needs a stale write: ~8 steps, found and shrunk in about a minute
def test_the_as_designed_service_does_not_conform_to_the_cas_model() -> None:
    """The model of the fix is not the code without it: lockstep testing tells them apart."""
    result = run_cli("conform", CAS, "--adapter", "tests.conform.adapters:AsDesignedForCas",
                     "--max-examples", "40", "--steps", "20")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "DIVERGED" in result.stdout and "endpoint_plan" in result.stdout


def test_usable_from_pytest() -> None:
    """The one call a project's own test suite makes: it passes, or fails with the shrunk sequence."""
    assert assert_conforms(RACE, "examples.dns_service.conformance:DnsAdapter", max_examples=5, steps=10).conforms
    with pytest.raises(AssertionError, match=r"(?s)DIVERGED: shrunk to 5 steps:.*enactor\d\.cleanup"):
        assert_conforms(RACE, BUGGY, max_examples=10, steps=15, seed=3)


def test_the_same_seed_finds_the_same_sequence() -> None:
    spec = load_spec(RACE)
    runs = []
    for _ in range(2):
        session = Session(spec.build(), load_adapter(BUGGY), BUGGY, {})
        result = check_conformance(session, max_examples=10, seed=7, steps=15)
        assert not result.conforms and result.divergence is not None
        runs.append(result.divergence.steps)
    assert runs[0] == runs[1]


def test_an_adapter_that_raises_gives_no_verdict() -> None:
    result = run_cli("conform", RACE, "--adapter", "tests.conform.adapters:RaisingAdapter", "--max-examples", "5")
    assert result.exit_code == 3, result.output
    assert "the adapter raised ConnectionResetError" in result.stderr and "conforms" not in result.output


def test_a_mapping_missing_a_variable_is_bad_input() -> None:
    result = run_cli("conform", RACE, "--adapter", "tests.conform.adapters:PartialMappingAdapter")
    assert result.exit_code == 2 and "model variable 'plans'" in result.stderr
