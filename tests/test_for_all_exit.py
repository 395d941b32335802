"""`prove --for-all`'s exit code: the spec's instance by default; with `--for-all-strict` (or
`[prove] for_all_strict = true`) a violation at any size the for-all search looked at exits 1.

NLB's velocity control holds at the spec's azs=3 (proved) and is violated at azs=2 (exhaustive
search at every declared value, a replayed counterexample): the two rules disagree there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.results import ExitCode, worst
from tests.conftest import REPO, marker_line, run_cli

NLB = str(REPO / "specs" / "nlb_velocity_control.toml")


def _strict_spec(tmp_path: Path, setting: str) -> Path:
    """NLB's velocity control with a [prove] table (the model resolves to the bundled nlb)."""
    text = (REPO / "specs" / "nlb_velocity_control.toml").read_text()
    spec = tmp_path / "velocity.toml"
    spec.write_text(text.replace("[expect]", f"[prove]\n{setting}\n\n[expect]"))
    return spec


def _capacity(obj: dict) -> dict:
    return next(r for r in obj["specs"][0]["results"] if r["property"] == "capacity_covers_load")


def test_default_exit_code_is_the_instances_and_json_names_the_violated_size() -> None:
    res = run_cli("prove", NLB, "--for-all", "azs", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["exit_code"] == 0 and out["exit_code_rule"] == "instance"
    spec = out["specs"][0]
    assert spec["exit_code_rule"] == "instance"
    assert spec["for_all_strict"] == {"on": False, "exit_code": 0, "violated": []}
    capacity = _capacity(out)
    assert capacity["verdict"] == "proved"  # at the spec's azs=3
    assert capacity["for_all_violated_at"] == {"azs": 2}  # found either way; only the rule differs
    assert "for-all strict" not in res.stderr
    assert "capacity_covers_load is violated at azs=2; the exit code is this spec's instance's verdict" in res.stderr


def test_strict_flag_exits_1_naming_the_violated_size() -> None:
    res = run_cli("prove", NLB, "--for-all", "azs", "--for-all-strict")
    assert res.exit_code == 1, res.output
    assert "for-all strict:" in res.stderr and "capacity_covers_load violated at azs=2" in res.stderr, res.stderr
    assert "this spec's instance (azs=3) holds" in res.stderr
    assert "violated at azs=2" in res.stdout  # the report itself is unchanged
    assert "proved for all azs ≥ 3" in " ".join(res.stdout.split())


def test_strict_flag_json_says_which_rule_decided() -> None:
    res = run_cli("prove", NLB, "--for-all", "azs", "--for-all-strict", "--json")
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["exit_code"] == 1 and out["exit_code_rule"] == "for_all_strict"
    spec = out["specs"][0]
    assert spec["exit_code"] == 0  # the instance's, as without the flag
    assert spec["exit_code_rule"] == "for_all_strict"
    assert spec["for_all_strict"] == {
        "on": True,
        "exit_code": 1,
        "violated": [{"property": "capacity_covers_load", "at": {"azs": 2}}],
    }


def test_spec_setting_is_the_flag_and_the_flag_overrides_it(tmp_path: Path) -> None:
    spec = _strict_spec(tmp_path, 'for_all = ["azs"]\nfor_all_strict = true')
    res = run_cli("prove", str(spec), "--json")
    assert res.exit_code == 1, res.output
    assert json.loads(res.stdout)["exit_code_rule"] == "for_all_strict"
    off = run_cli("prove", str(spec), "--no-for-all-strict")
    assert off.exit_code == 0, off.output
    assert "for-all strict" not in off.stderr


def test_replica_count_violated_at_a_larger_size_than_the_instance(tmp_path: Path) -> None:
    # the parameterized proof's ladder (not exhaustive search at declared values): RacyLock
    # holds with its one worker and is violated with two (a BMC-confirmed, replayed trace)
    spec = tmp_path / "racy.toml"
    spec.write_text(
        'model = "tests.models.param_systems:RacyLock"\n[params]\nworkers = 1\n'
        '[prove]\nfor_all = ["workers"]\n[expect]\ninside_at_most_one = "proved"\n'
    )
    default = run_cli("prove", str(spec), "--json")
    assert default.exit_code == 0, default.output
    result = json.loads(default.stdout)["specs"][0]["results"][0]
    assert result["verdict"] == "proved" and result["for_all_violated_at"] == {"workers": 2}
    strict = run_cli("prove", str(spec), "--for-all-strict")
    assert strict.exit_code == 1, strict.output
    assert "inside_at_most_one violated at workers=2" in strict.stderr
    assert "this spec's instance (workers=1) holds" in strict.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('for_all = ["azs"]\nfor_all_strict = "yes"', "for_all_strict must be true or false, got 'yes'"),
        ("for_all_strict = 1", "for_all_strict must be true or false, got 1"),
        ("for_all_strict = true", "for_all_strict = true needs for_all"),
    ],
)
def test_bad_spec_setting_exits_2_with_file_and_line(tmp_path: Path, setting: str, message: str) -> None:
    spec = _strict_spec(tmp_path, setting)
    line = marker_line(spec, "for_all_strict =")
    res = run_cli("prove", str(spec))
    assert res.exit_code == 2, res.output
    assert message in res.stderr and f"velocity.toml:{line}" in res.stderr, res.stderr
    assert "Traceback" not in res.output


def test_strict_flag_without_for_all_is_refused() -> None:
    res = run_cli("prove", NLB, "--for-all-strict", "--json")
    assert res.exit_code == 2, res.output
    assert "--for-all-strict needs --for-all" in res.stderr
    assert json.loads(res.stdout)["error"] == "bad_input"


def test_a_violation_in_one_spec_outranks_another_spec_inconclusive() -> None:
    # the run's code from its specs' (not the largest number: 3 would hide the violation)
    assert worst([ExitCode.INCONCLUSIVE, ExitCode.VIOLATED, ExitCode.OK]) is ExitCode.VIOLATED
    assert worst([ExitCode.OK, ExitCode.INCONCLUSIVE]) is ExitCode.INCONCLUSIVE
    assert worst([]) is ExitCode.OK


def test_strict_passes_where_no_size_is_violated(tmp_path: Path) -> None:
    spec = tmp_path / "locked.toml"  # proved for every number of workers
    spec.write_text(
        'model = "tests.models.param_systems:LockedCounter"\n[params]\nworkers = 2\n'
        '[prove]\nfor_all = ["workers"]\nfor_all_strict = true\n[expect]\ninside_at_most_one = "proved"\n'
    )
    res = run_cli("prove", str(spec), "--json", "--timeout", "60")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["exit_code_rule"] == "instance"
    assert out["specs"][0]["for_all_strict"] == {"on": True, "exit_code": 0, "violated": []}
    assert "no violation at any size the for-all search looked at" in res.stderr


def test_gate_checks_the_instance_and_says_it_does_not_apply_for_all_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "locked.toml"
    spec.write_text(
        'model = "tests.models.param_systems:LockedCounter"\n[params]\nworkers = 2\n'
        '[prove]\nfor_all = ["workers"]\nfor_all_strict = true\n[expect]\ninside_at_most_one = "holds_to_depth"\n'
    )
    res = run_cli("gate", str(spec), "--no-cache", "--artifacts", str(tmp_path / "reports"))
    assert res.exit_code == 0, res.output
    assert "[prove] for_all_strict is `raceproof prove`'s setting" in res.stderr, res.stderr
