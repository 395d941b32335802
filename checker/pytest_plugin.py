"""pytest plugin (entry point ``pytest11``): ``pytest --raceproof specs/`` collects each spec x
property as a test item whose assertion is the spec's expectation.

Inactive unless ``--raceproof`` is given: a normal pytest run only gains the options. Specs
share the gate's verdict cache (``.raceproof-cache/`` at the root) and failure reports
(``.raceproof/reports/``); each spec is checked once, when its first item runs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .gate.records import SpecRecord


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("raceproof", "raceproof specs as tests")
    group.addoption(
        "--raceproof",
        action="store_true",
        help="collect raceproof specs (*.toml with a 'model' key) as tests: one per spec x property",
    )
    group.addoption("--raceproof-strict", action="store_true", help="fail on reachable properties never witnessed")
    group.addoption("--raceproof-no-cache", action="store_true", help="check every spec, ignoring cached verdicts")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not parent.config.getoption("raceproof") or file_path.suffix != ".toml":
        return None
    try:  # only TOML files that name a model are specs (pyproject.toml and the like are not)
        if "model" not in tomllib.loads(file_path.read_text(encoding="utf-8")):
            return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass  # a broken spec: collected, so that loading it reports the error
    return SpecFile.from_parent(parent, path=file_path)


class SpecFile(pytest.File):
    """A spec: its items are its properties; the spec is checked (or read from the cache) once."""

    _record: SpecRecord | None = None
    _error: str | None = None

    def collect(self) -> Any:
        from .spec import load_spec

        spec = load_spec(self.path)  # bad input: a collection error (see repr_failure)
        for name in spec.properties:
            yield SpecProperty.from_parent(self, name=name, expected=spec.expect.get(name))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from .errors import RaceproofError

        if isinstance(excinfo.value, RaceproofError):
            return f"error: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def record(self) -> SpecRecord:
        if self._record is None and self._error is None:
            self._record, self._error = _check(self.config, self.path)
        if self._error is not None:
            raise SpecCheckError(self._error)
        assert self._record is not None
        return self._record


def _check(config: pytest.Config, path: Path) -> tuple[SpecRecord | None, str | None]:
    from .gate.cache import DEFAULT_DIR, VerdictCache, project_root
    from .gate.hashing import spec_inputs
    from .gate.records import SpecRecord
    from .gate.runner import check_one

    root = project_root(config.rootpath)  # the gate's root: one cache and one reports folder for both
    strict = config.getoption("raceproof_strict")
    cache = None
    if not config.getoption("raceproof_no_cache"):
        cache = VerdictCache(root / DEFAULT_DIR, lambda message: config.issue_config_time_warning(
            pytest.PytestWarning(message), stacklevel=2))  # fmt: skip
    key = spec_inputs(path).key
    record = cache.load(path, key) if cache is not None else None
    if record is not None:
        return record, None
    outcome = check_one(str(path), str(root / ".raceproof" / "reports"), strict, None)
    if "bad_input" in outcome:
        return None, f"error: {outcome['bad_input']}"
    record = SpecRecord.from_dict(outcome["record"])
    if "output_error" in outcome:  # a failure report that could not be written: the verdict stands
        config.issue_config_time_warning(pytest.PytestWarning(f"raceproof: {outcome['output_error']}"), stacklevel=2)
    if cache is not None and spec_inputs(path).key == key:
        cache.store(path, key, record, outcome.get("inputs"))
    return record, None


class SpecCheckError(Exception):
    pass


class ExpectationFailed(AssertionError):
    pass


class SpecProperty(pytest.Item):
    def __init__(self, *, expected: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expected = expected

    def runtest(self) -> None:
        from .gate.expectations import Outcome, explain, judge

        assert isinstance(self.parent, SpecFile)
        record = self.parent.record()
        prop = next(p for p in record.properties if p.name == self.name)
        outcome = judge(prop, self.config.getoption("raceproof_strict"))
        if outcome is not Outcome.MET:  # inconclusive fails too: no verdict is not a pass
            parts = [f"{self.name}: {explain(prop, outcome)}", prop.trace_text or ""]
            parts += [f"report ({fmt}): {path}" for fmt, path in sorted(prop.reports.items())]
            raise ExpectationFailed("\n\n".join(p for p in parts if p))
        if record.cached:
            self.user_properties.append(("raceproof", "cached"))
        if prop.verdict == "holds_to_depth":  # met, but only up to the bound: JUnit readers can tell
            self.user_properties.append(("raceproof_bounded", prop.detail))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ExpectationFailed | SpecCheckError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.name} (expect {self.expected or 'no violation'})"
