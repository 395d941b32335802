"""`raceproof check --engine explicit` on the DNS specs: the same verdicts and shortest
lengths as BMC, and the exact distinct-state counts in the text report."""

from __future__ import annotations

import json

from tests.conftest import REPO, run_cli

RACE = str(REPO / "specs" / "dns_race.toml")
BOUNDED = str(REPO / "specs" / "dns_fencing_token_bounded.toml")


def verdicts(*args: str) -> dict[str, tuple[str, int | None]]:
    result = run_cli("check", "--json", *args)
    assert result.exit_code == 1, result.output  # the race: violated
    (spec,) = json.loads(result.stdout)["specs"]
    return {r["property"]: (r["verdict"], r["trace"]["length"] if r["trace"] else None) for r in spec["results"]}


def test_explicit_agrees_with_bmc_on_the_race() -> None:
    bmc = verdicts(RACE)
    explicit = verdicts(RACE, "--engine", "explicit")
    assert explicit == bmc
    assert explicit["endpoint_never_empty"] == ("violated", 9)
    assert explicit["plan_never_regresses"] == ("violated", 6)


def test_bounded_fencing_token_prints_exact_state_counts() -> None:
    """6 plan generations: 106,115 states up to permuting the Enactors, 636,105 without
    symmetry reduction (SPIN stores 636,105 for the same instance: benchmarks/README.md)."""
    for flags, count, symmetry in (((), "106,115", "on"), (("--no-symmetry",), "636,105", "off")):
        result = run_cli("check", BOUNDED, "--strict", *flags)
        assert result.exit_code == 0, result.output
        head = result.stdout.splitlines()[0]
        assert f"explicit search, {count} distinct states (symmetry reduction {symmetry})" in head
        assert "coverage: every action fired (exhaustive: " in result.stdout
