"""The incremental verdict cache: one JSON entry per spec, keyed by the hash of its inputs.

What is cached: a spec's record when its run was conclusive (no unknown verdict) and met every
expectation. A failing spec is always re-run, so its reports and traces are fresh and complete,
and a failure can never come back from the cache as anything else; an inconclusive one (a
timeout on a loaded machine) gets another chance. --strict is judged on the record at read
time, so a cached entry serves both modes.

What a run read: the entry also lists every project file the run actually loaded (the modules
it imported and the files it opened, with their sha256; see `checker.gate.recorder`), and a hit
requires each of them unchanged. A model that imports a helper dynamically or reads a data file
thus gets a fresh verdict when that file changes.

Safety: an entry is written only after its spec finished, to a temporary file renamed over
the old one (a killed run leaves either the old entry or the new one, never a torn one), and
the key stored inside the entry is compared on every read (a stale entry whose inputs changed
is a plain miss). Anything else at an entry's place (unreadable, not UTF-8, not JSON, another
tool's file, a folder) is ignored with a warning and replaced; a cache that cannot be written
is a warning too: the cache never decides a gate's outcome.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..atomic import write_atomic_with
from ..errors import OutputError
from .hashing import sha256_file
from .records import SpecRecord

ENTRY_FORMAT = "raceproof-gate-cache/2"
DEFAULT_DIR = ".raceproof-cache"


def project_root(start: Path | None = None) -> Path:
    """The nearest ancestor of ``start`` (the working directory) with .git or pyproject.toml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder
    return here


class VerdictCache:
    def __init__(self, folder: Path, warn: Callable[[str], None]) -> None:
        self.folder = folder
        self.warn = warn

    def _entry(self, spec: Path) -> Path:
        # one entry per spec file (overwritten when its inputs change, so the cache never grows
        # with history); named by the spec's resolved path, so two checkouts never collide
        name = hashlib.sha256(str(spec.resolve()).encode()).hexdigest()[:24]
        return self.folder / f"{spec.stem}.{name}.json"

    def load(self, spec: Path, key: str | None) -> SpecRecord | None:
        if key is None:
            return None
        entry = self._entry(spec)
        data = self._read(entry)
        if data is None or data.get("key") != key:
            return None  # the inputs changed since: a plain miss
        try:
            inputs = data["inputs"]
            if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
                raise TypeError("'inputs' is not a map of files to hashes")
            if not _unchanged(inputs):
                return None  # a file the run read has changed (or is gone): a plain miss
            record = SpecRecord.from_dict(data["record"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            self.warn(f"cache entry {entry} is corrupt ({type(exc).__name__}: {exc}); ignored")
            return None
        record.spec = str(spec)  # as given in this run
        record.cached = True
        return record

    def recorded_inputs(self, spec: Path) -> list[Path]:
        """The files the spec's last cached run read (for --changed-since); none if there is no entry."""
        data = self._read(self._entry(spec), quiet=True)
        inputs = data.get("inputs") if data is not None else None
        return [Path(p) for p in inputs if isinstance(p, str)] if isinstance(inputs, dict) else []

    def _read(self, entry: Path, quiet: bool = False) -> dict[str, Any] | None:
        """The entry's JSON object, or None (missing: silently; anything else: with a warning)."""
        warn = (lambda _: None) if quiet else self.warn
        try:
            if entry.is_symlink() or (entry.exists() and not entry.is_file()):
                warn(f"cache entry {entry} is not a regular file; ignored (it will be replaced)")
                return None
            raw = entry.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            warn(f"cache entry {entry} unreadable ({exc}); ignored")
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            warn(f"cache entry {entry} is corrupt ({type(exc).__name__}); ignored")
            return None
        if not isinstance(data, dict) or data.get("format") != ENTRY_FORMAT:
            warn(f"cache entry {entry} is not a raceproof gate entry; ignored")
            return None
        return data

    def store(self, spec: Path, key: str | None, record: SpecRecord, inputs: dict[str, str] | None = None) -> bool:
        """Store ``record`` if it may be cached (see the module's docstring); atomically. ``inputs``:
        the files the run read with their hashes (None: unknown, so never cached)."""
        if key is None or inputs is None or not cacheable(record):
            return False
        data = {"format": ENTRY_FORMAT, "key": key, "spec": str(spec), "inputs": inputs, "record": record.to_dict()}
        entry = self._entry(spec)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists() and not ignore.is_symlink():  # the cache never ends up in a commit
                ignore.write_text("# created by raceproof gate\n*\n")
            if entry.is_symlink() or entry.is_file():
                pass  # replaced by the rename below (a symlink itself, never its target)
            elif entry.is_dir():
                shutil.rmtree(entry)  # a folder where an entry belongs: ours to replace
            write_atomic_with(entry, lambda fh: json.dump(data, fh, indent=1), durable=True)
        except (OSError, OutputError) as exc:  # a cache is an optimisation: the verdict stands
            self.warn(f"cannot write cache entry {entry} ({exc}); not cached")
            return False
        return True


def _unchanged(inputs: dict[str, str]) -> bool:
    for file, digest in inputs.items():
        try:
            if sha256_file(Path(file)) != digest:
                return False
        except OSError:
            return False
    return True


def cacheable(record: SpecRecord) -> bool:
    from .expectations import Outcome

    return all(outcome is Outcome.MET for outcome in record.outcomes(strict=False).values())
