"""Under --json, stdout holds one JSON object whatever happens; status lines go to stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import REPO, run_script


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("check", "no/such/spec.toml", "--json"), "spec file not found"),
        (("check", "--json", "--no-such-option", "specs/dns_race.toml"), "No such option"),
        (("check", "specs/dns_race.toml", "--json", "--property", "nope"), "unknown property 'nope'"),
        (("check", "specs/dns_race.toml", "--json", "--timeout", "nan"), "not a positive number"),
        (("prove", "no/such/spec.toml", "--json"), "spec file not found"),
        (("gate", "no/such/dir", "--json"), "no such file or folder"),
    ],
)
def test_errors_are_json_on_stdout(args: tuple[str, ...], fragment: str) -> None:
    result = run_script(*args)
    assert result.exit_code == 2, result.output
    obj = json.loads(result.stdout)  # the whole of stdout is one object
    assert obj["exit_code"] == 2 and obj["error"] == "bad_input"
    assert any(fragment in e["message"] for e in obj["errors"]), obj
    assert fragment in result.stderr  # and the person reading the log still sees it


def test_a_located_error_keeps_its_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('model = "dns"\n[params]\nenactors = "three"\n')
    obj = json.loads(run_script("check", str(spec), "--json").stdout)
    (error,) = obj["errors"]
    assert Path(error["file"]).name == "bad.toml" and error["line"] == 3


def test_status_lines_go_to_stderr(tmp_path: Path) -> None:
    itf, md = tmp_path / "race.itf.json", tmp_path / "race.md"
    result = run_script(
        "check", "specs/dns_race.toml", "--property", "plan_never_regresses", "--itf", str(itf),
        "--report", f"md:{md}",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "written to" not in result.stdout and f"ITF trace written to {itf}" in result.stderr
    assert f"Report written to {md}" in result.stderr
    assert (REPO / "specs" / "dns_race.toml").is_file()
