"""Plain `raceproof prove`: an invariant that repeats one conjunct for every replica is shown
as one ∀ line; `--json` has the expanded and the compact form."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

SPEC = (
    'model = "tests.models.param_systems:LockedCounter"\n[params]\nworkers = 3\n'
    '[expect]\ninside_at_most_one = "proved"\n'
)


def test_plain_prove_prints_symmetric_invariants_quantified(tmp_path: Path) -> None:
    spec = tmp_path / "locked.toml"
    spec.write_text(SPEC)
    res = run_cli("prove", str(spec), "--timeout", "60")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "∀ w ∈ worker1..3: " in res.stdout or "∀ w ≠ x ∈ worker1..3: " in res.stdout, res.stdout
    res = run_cli("prove", str(spec), "--timeout", "60", "--json")
    data = json.loads(res.stdout)
    r = data["results"][0] if "results" in data else data["specs"][0]["results"][0]
    expanded, folded = r["invariant"], r["invariant_compact"]
    assert any("worker1." in line for line in expanded) and any("worker3." in line for line in expanded)
    assert not any("worker1." in line.split(": ", 1)[1] for line in folded if line.startswith("∀"))
    assert len(folded) < len(expanded)
