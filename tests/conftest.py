"""Shared helpers: running the CLI in-process and as the installed script, writing specs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `tests.models.*` must import however pytest was started
    sys.path.insert(0, str(REPO))

from checker.cli import main  # noqa: E402
from checker.lang.model import ModelInstance, Transition  # noqa: E402
from checker.trace import replay  # noqa: E402

MODELS_DIR = REPO / "tests" / "models"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    #: the exception that ended the command in-process (SystemExit when it exited normally)
    exception: BaseException | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str) -> CliResult:
    """``raceproof ARGS`` in this process (fast): click's CliRunner on checker.cli:main."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    return CliResult(result.exit_code, result.stdout, result.stderr, result.exception)


def script_env(pythonpath: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLUMNS")}
    if pythonpath:
        env["PYTHONPATH"] = str(REPO)
    env["NO_COLOR"] = "1"
    return env


def run_script(*args: str, pythonpath: bool = True, timeout: float = 600, cwd: Path | None = None) -> CliResult:
    """The installed ``raceproof`` console script in a subprocess, from the repository root (or ``cwd``)."""
    proc = subprocess.run(
        ["raceproof", *args],
        cwd=cwd or REPO,
        env=script_env(pythonpath),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def marker_line(path: Path, marker: str = "# BAD") -> int:
    """The 1-based number of the only line of ``path`` containing ``marker``."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if marker in line]
    assert len(hits) == 1, f"{path} has {len(hits)} lines marked {marker!r}"
    return hits[0]


def assert_located(output: str, path: Path, line: int) -> None:
    """The message names ``path`` (absolute, or relative to the working directory of this process
    or of the script, which runs in the repository) and ``line``."""
    names = {str(path), str(path.resolve()), os.path.relpath(path), os.path.relpath(path, REPO)}
    assert any(f"{name}:{line}" in output for name in names), f"expected {path}:{line} in:\n{output}"


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write a spec file into tmp_path and return its path: ``write_spec(text, name="spec")``."""

    def write(text: str, name: str = "spec") -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        return path

    return write


# ---------------------------------------------------------------------------- ITF
def itf_value(value: Any) -> Any:
    """Decode one ITF value into the shape of `ModelInstance.describe_state` (sets: sorted lists)."""
    if isinstance(value, dict):
        if set(value) == {"#bigint"}:
            return int(value["#bigint"])
        if set(value) == {"#set"}:
            return sorted((itf_value(v) for v in value["#set"]), key=lambda v: (isinstance(v, str), v))
        if set(value) == {"#map"}:
            return {itf_value(k): itf_value(v) for k, v in value["#map"]}
        raise AssertionError(f"not an ITF value: {value!r}")
    if isinstance(value, list):
        return [itf_value(v) for v in value]
    assert value is None or isinstance(value, bool | str), value
    return value


def replay_itf(itf: dict[str, Any], model: ModelInstance) -> None:
    """Replay an ITF trace's labelled steps concretely and check every state against the file."""
    steps: list[Transition] = []
    for state in itf["states"][1:]:
        meta = state["#meta"]
        matches = [t for t in model.transitions if t.instance.name == meta["process"] and t.label == meta["action"]]
        assert len(matches) == 1, f"no single transition {meta['process']}.{meta['action']}"
        steps.append(matches[0])
    replayed = replay(model, steps)
    assert len(replayed) == len(itf["states"])
    for k, (state, concrete) in enumerate(zip(itf["states"], replayed, strict=True)):
        written = {name: itf_value(v) for name, v in state.items() if name != "#meta"}
        assert written == model.describe_state(concrete), f"state {k} differs from its replay"


# ---------------------------------------------------------------------------- user projects
COUNTER_MODEL = """
from checker import Int, Model, Process, action, invariant, require

LIMIT = {limit}


class Ticker(Process):
    n = Int(init=0, min=0)

    @action
    def tick(self, sys):
        require(self.n < LIMIT)
        self.n = self.n + 1


class Counter(Model):
    \"\"\"{doc}\"\"\"

    ticker = Ticker(count=1)

    @invariant
    def at_most_two(sys):
        return sys.ticker[0].n <= 2


MODEL = Counter
"""


def make_project(root: Path, models: dict[str, str], specs: dict[str, str], pyproject: str = "") -> Path:
    """A user project at ``root``: pyproject.toml, ``models/<name>/__init__.py`` holding each
    model's code, and ``specs/<name>.toml``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{root.name}"\nversion = "0"\n{pyproject}')
    for name, code in models.items():
        package = root / "models" / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(code)
    if models:
        (root / "models" / "__init__.py").touch()
    (root / "specs").mkdir(exist_ok=True)
    for name, text in specs.items():
        (root / "specs" / f"{name}.toml").write_text(text)
    return root


def counter_model(limit: int | str, doc: str = "A ticker that stops at LIMIT.") -> str:
    """A model whose ``at_most_two`` holds when ``limit`` <= 2 and is violated in 3 steps otherwise."""
    return COUNTER_MODEL.format(limit=limit, doc=doc)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The cross-check's fresh seed, so that any failure can be reproduced (tests/test_crosscheck.py)."""
    from tests.random_models import crosscheck_seed

    seed = crosscheck_seed()
    return [f"raceproof cross-check seed: {seed} (reproduce with RACEPROOF_CROSSCHECK_SEED={seed})"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many random models the cross-check ran, and which model features they covered."""
    module = sys.modules.get("tests.test_crosscheck")
    coverage = getattr(module, "COVERAGE", None)
    if not coverage:
        return
    from tests.random_models import FEATURES, crosscheck_seed

    counts = ", ".join(f"{name} {n}" for name, n in sorted(coverage.items()))
    missing = [f for f in FEATURES if f not in coverage]
    terminalreporter.write_line(f"raceproof cross-check (seed {crosscheck_seed()}): {counts}")
    if missing and coverage["models (searched)"] >= 50:  # a full run, not a few saved models
        terminalreporter.write_line(f"raceproof cross-check: features not drawn this run: {', '.join(missing)}")
