"""The incremental verdict cache: one JSON entry per spec, keyed by the hash of its inputs.

What is cached: a spec's record when its run was conclusive (no unknown verdict) and met every
expectation. A failing spec is always re-run, so its reports and traces are fresh and complete,
and a failure can never come back from the cache as anything else; an inconclusive one (a
timeout on a loaded machine) gets another chance. --strict is judged on the record at read
time, so a cached entry serves both modes.

Safety: an entry is written only after its spec finished, to a temporary file renamed over
the old one (a killed run leaves either the old entry or the new one, never a torn one), and
the key stored inside the entry is compared on every read (a stale entry whose inputs changed
is a plain miss). An unreadable or foreign entry is ignored with a warning and overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from ..atomic import write_atomic_with
from ..errors import OutputError
from .records import SpecRecord

ENTRY_FORMAT = "raceproof-gate-cache/1"
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
        try:
            text = entry.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.warn(f"cache entry {entry} unreadable ({exc}); ignored")
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != ENTRY_FORMAT:
                self.warn(f"cache entry {entry} is not a raceproof gate entry; ignored")
                return None
            if data.get("key") != key:
                return None  # the inputs changed since: a plain miss
            record = SpecRecord.from_dict(data["record"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self.warn(f"cache entry {entry} is corrupt ({type(exc).__name__}: {exc}); ignored")
            return None
        record.spec = str(spec)  # as given in this run
        record.cached = True
        return record

    def store(self, spec: Path, key: str | None, record: SpecRecord) -> bool:
        """Store ``record`` if it may be cached (see the module's docstring); atomically."""
        if key is None or not cacheable(record):
            return False
        data = {"format": ENTRY_FORMAT, "key": key, "spec": str(spec), "record": record.to_dict()}
        entry = self._entry(spec)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():  # the cache never ends up in a commit, wherever it lives
                ignore.write_text("# created by raceproof gate\n*\n")
            write_atomic_with(entry, lambda fh: json.dump(data, fh, indent=1), durable=True)
        except (OSError, OutputError) as exc:  # a cache is an optimisation: the verdict stands
            self.warn(f"cannot store the verdict in the cache ({exc}); it is checked again next time")
            return False
        return True


def cacheable(record: SpecRecord) -> bool:
    from .expectations import Outcome

    return all(outcome is Outcome.MET for outcome in record.outcomes(strict=False).values())
