"""The pytest plugin: `pytest --raceproof specs/` collects spec x property items whose assertion
is the spec's expectation; without --raceproof, pytest runs as before."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .conftest import REPO
from .test_gate import PROJECT, gate_env, set_model


def plugin_args() -> list[str]:
    """Load the plugin by name unless the installed distribution registers it (pytest11)."""
    names = {ep.name for ep in importlib.metadata.entry_points(group="pytest11")}
    return [] if "raceproof" in names else ["-p", "checker.pytest_plugin"]


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin_args(), *args],
        cwd=cwd, env=gate_env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["pytest11"] == {"raceproof": "checker.pytest_plugin"}


def test_specs_pass_as_tests_and_share_the_gate_cache(project: Path) -> None:
    result = run_pytest(project, "--raceproof", "specs/", "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout
    assert "specs/racy.toml::no_lost_update PASSED" in result.stdout
    assert len(list((project / ".raceproof-cache").glob("*.json"))) == 3
    gate = subprocess.run(
        [sys.executable, "-m", "checker.cli", "gate"], cwd=project, env=gate_env(), capture_output=True, text=True
    )
    assert gate.returncode == 0 and "3 spec(s) cached" in gate.stdout


def test_a_failed_expectation_fails_its_item_with_the_trace(project: Path) -> None:
    set_model(project / "specs" / "fixed.toml", "gatepkg.counter:Racy")
    result = run_pytest(project, "--raceproof", "specs/")
    assert result.returncode == 1, result.stdout + result.stderr
    # overshoot (expected unreachable) gets no verdict at depth 4 in the racy model: no pass either
    assert "2 failed, 5 passed" in result.stdout and "overshoot: expected unreachable, no verdict" in result.stdout
    assert "no_lost_update: expected holds, got violated" in result.stdout
    assert "Counterexample to no_lost_update (4 steps" in result.stdout
    assert ".raceproof/reports/specs/fixed.txt" in result.stdout


def test_a_bad_spec_is_a_collection_error_naming_its_line(project: Path) -> None:
    (project / "specs" / "bad.toml").write_text('model = "gatepkg.counter:Racy"\n[expect]\nnope = "holds"\n')
    result = run_pytest(project, "--raceproof", "specs/")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "specs/bad.toml:3" in result.stdout and "unknown property 'nope'" in result.stdout


def test_without_the_option_specs_are_not_collected(project: Path) -> None:
    result = run_pytest(project, "specs/", "--collect-only", "-q")
    assert result.returncode == 5, result.stdout + result.stderr  # no tests collected
    assert "toml" not in result.stdout
