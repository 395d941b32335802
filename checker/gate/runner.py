"""Running the gate: find the specs, take what the cache has, check the rest (in parallel
processes with ``jobs`` > 1), write failure reports, and store what may be cached."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .artifacts import clear_reports, write_reports
from .cache import VerdictCache
from .hashing import SpecInputs, spec_inputs
from .records import PropertyRecord, SpecRecord, from_spec_result

if TYPE_CHECKING:
    from concurrent.futures import Future


class GateInputError(Exception):
    """Bad input for the gate (exit 2): one message per problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class GateOptions:
    artifacts: Path
    cache: VerdictCache | None  # None: --no-cache
    strict: bool = False
    jobs: int = 1
    timeout: float | None = None


@dataclass
class GateRun:
    records: list[SpecRecord]  # in the order of the specs
    bad_input: list[str] = field(default_factory=list)  # model errors found while checking
    #: failure reports that could not be written (path: OS error); the verdicts stand
    output_errors: list[str] = field(default_factory=list)


def discover(paths: Iterable[str]) -> list[Path]:
    """Spec files: each PATH is a spec or a folder searched for ``*.toml`` (recursively,
    skipping hidden folders). A missing path, or no spec at all, is bad input."""
    found: list[Path] = []
    errors: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            specs = sorted(
                p
                for p in path.rglob("*.toml")
                if not any(part.startswith(".") for part in p.relative_to(path).parts) and p.name != "pyproject.toml"
            )
            if not specs:
                errors.append(f"{raw}: no spec files (*.toml) in this folder")
            found.extend(specs)
        elif path.exists() or path.is_symlink():  # not a regular file (a FIFO, a dangling link): loading says so
            found.append(path)
        else:
            errors.append(f"{raw}: no such file or folder")
    if errors:
        raise GateInputError(errors)
    unique: dict[Path, Path] = {}
    for path in found:  # a spec named twice (a folder and a file in it) is checked once
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def check_one(path: str, artifacts: str, strict: bool, timeout: float | None) -> dict[str, Any]:
    """Check one spec and write its reports; runs in a worker process (arguments are plain)."""
    from ..errors import OutputError, RaceproofError
    from ..run import check_spec
    from ..spec import load_spec
    from .recorder import InputRecorder

    # what the run reads (modules imported, files opened) keys its cache entry: see recorder.py
    with InputRecorder() as read:
        try:
            spec = load_spec(path)
        except RaceproofError as exc:
            return {"bad_input": str(exc)}
        try:
            sr = check_spec(spec, timeout=timeout)
        except RaceproofError as exc:  # a model error met while checking (e.g. a write out of its range)
            return {"bad_input": str(exc)}
        except Exception as exc:  # raceproof's own fault: no verdict, never a pass
            reason = f"internal error (no verdict): {type(exc).__name__}: {exc}"
            props = [
                PropertyRecord(n, "?", "unknown", spec.expect.get(n), spec.engine, detail=reason)
                for n in spec.properties
            ]
            record = SpecRecord(path, spec.name, spec.model_ref, dict(spec.params), spec.engine, spec.depth, 0.0, props)
            return {"record": record.to_dict()}
    record = from_spec_result(sr, strict)
    try:
        clear_reports(Path(artifacts), spec.path, spec.properties)
        write_reports(sr, record, Path(artifacts), strict)
    except OutputError as exc:  # the verdict stands; the gate reports the missing report
        return {"record": record.to_dict(), "output_error": str(exc), "inputs": read.inputs()}
    return {"record": record.to_dict(), "inputs": read.inputs()}


def validate(paths: list[Path]) -> None:
    """Load every spec to be checked, so that one bad spec stops the gate before any work."""
    from ..errors import RaceproofError
    from ..spec import load_spec

    errors = []
    for path in paths:
        try:
            load_spec(path)
        except RaceproofError as exc:
            errors.append(str(exc))
    if errors:
        raise GateInputError(errors)


def run_gate(
    specs: list[Path],
    options: GateOptions,
    on_start: Callable[[Path], None] = lambda _: None,
    on_done: Callable[[SpecRecord], None] = lambda _: None,
) -> GateRun:
    inputs: dict[Path, SpecInputs] = {}
    records: dict[Path, SpecRecord] = {}
    todo: list[Path] = []
    for path in specs:
        inputs[path] = spec_inputs(path)
        cached = options.cache.load(path, inputs[path].key) if options.cache is not None else None
        if cached is not None:
            records[path] = cached
        else:
            todo.append(path)
    if todo:
        validate(todo)
    for path in specs:  # cached verdicts first: they are known already
        if path in records:
            on_done(records[path])
    bad_input: list[str] = []
    output_errors: list[str] = []

    def finish(path: Path, outcome: dict[str, Any]) -> None:
        if "bad_input" in outcome:
            bad_input.append(outcome["bad_input"])
            return
        if "output_error" in outcome:
            output_errors.append(outcome["output_error"])
        record = SpecRecord.from_dict(outcome["record"])
        record.spec = str(path)
        if options.cache is not None:
            # the key is recomputed after the run: a file edited while its spec ran is not cached
            # under the old key with the verdict of the new content (or the other way round)
            key = inputs[path].key
            if key is not None and spec_inputs(path).key == key:
                options.cache.store(path, key, record, outcome.get("inputs"))
        records[path] = record
        on_done(record)

    args = (str(options.artifacts), options.strict, options.timeout)
    if options.jobs <= 1 or len(todo) <= 1:
        for path in todo:
            on_start(path)
            finish(path, check_one(str(path), *args))
    else:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        from .. import children

        # spawn, not fork: the parent has loaded z3 (validation), whose state must not be shared
        context = multiprocessing.get_context("spawn")
        workers = min(options.jobs, len(todo))
        # every worker dies with this process, however it ends (kill -9 included): `checker.children`
        with ProcessPoolExecutor(workers, context, children.die_with_parent, (os.getpid(),)) as pool:
            running: dict[Future[dict[str, Any]], Path] = {}
            try:
                for path in todo:
                    running[pool.submit(check_one, str(path), *args)] = path
                    on_start(path)
                pending = set(running)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: str(running[f])):
                        finish(running[future], future.result())
            except BaseException:
                # interrupted (Ctrl-C) or failed: stop the workers now, not after their current spec
                processes = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                children.stop(processes)
                raise
    return GateRun([records[p] for p in specs if p in records], bad_input, output_errors)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
