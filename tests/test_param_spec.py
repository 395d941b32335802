"""`[prove] for_all` in a spec: the same as `raceproof prove --for-all`, validated at load
(a bad value exits 2 naming the spec's file and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

LOCKED = 'model = "tests.models.param_systems:LockedCounter"\n[params]\nworkers = 2\n'


def test_spec_for_all_proves_like_the_flag(tmp_path: Path) -> None:
    spec = tmp_path / "locked.toml"
    spec.write_text(LOCKED + '[prove]\nfor_all = ["workers"]\n[expect]\ninside_at_most_one = "proved"\n')
    res = run_cli("prove", str(spec), "--timeout", "60")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "proved for all workers ≥ 1" in " ".join(res.stdout.split())


def test_without_the_setting_prove_is_per_instance(tmp_path: Path) -> None:
    spec = tmp_path / "locked.toml"
    spec.write_text(LOCKED + '[expect]\ninside_at_most_one = "proved"\n')
    res = run_cli("prove", str(spec), "--timeout", "60")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "for all workers" not in res.stdout


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('for_all = ["workerz"]', "has no parameter 'workerz'"),
        ("for_all = [1]", "for_all must be a list of parameter names"),
        ("for_all = []\nevery = true", "unknown key 'every' in [prove]"),
        ('for_all = ["workers", "workers"]', "exactly one replica count"),
    ],
)
def test_bad_for_all_names_the_file_and_line(tmp_path: Path, setting: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(LOCKED + "[prove]\n" + setting + '\n[expect]\ninside_at_most_one = "proved"\n')
    res = run_cli("prove", str(spec))
    out = res.stdout + res.stderr
    assert res.exit_code == 2 and message in out, out
    line = 5 if "every" not in setting else 6
    assert f"bad.toml:{line}" in out, out
    assert "Traceback" not in out
