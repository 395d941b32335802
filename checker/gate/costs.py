"""What each spec cost in the last gate run, for balancing `--shard I/N`.

The gate records every spec's seconds (checked in this run, or the seconds of the run that
filled its cache entry) in ``spec-costs`` beside the verdict cache, keyed by the spec's path
relative to the project root. CI restores the cache seeded by the default branch, so every
shard of a pull request reads the same costs and computes the same split. A missing or
unreadable file means no costs: the split falls back to name order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from ..atomic import write_atomic_with
from ..errors import OutputError
from .records import SpecRecord

FILE = "spec-costs"  # JSON; not *.json, which names the verdict entries
FORMAT = "raceproof-gate-costs/1"


def spec_key(path: Path) -> str:
    """A spec's name in the costs file: relative to the project root, as a POSIX path."""
    from .cache import project_root

    try:
        return Path(os.path.relpath(path.resolve(), project_root())).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def load_costs(folder: Path) -> dict[str, float]:
    try:
        data = json.loads((folder / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("seconds"), dict):
        return {}
    return {
        str(k): float(v)
        for k, v in data["seconds"].items()
        if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
    }


def record_costs(folder: Path, records: list[SpecRecord], warn: Callable[[str], None]) -> None:
    """Merge this run's seconds into the costs file (a cached spec's are those of the run that cached it)."""
    fresh = {spec_key(Path(r.spec)): round(r.seconds, 3) for r in records}
    if not fresh:
        return
    costs = load_costs(folder) | fresh
    data = {"format": FORMAT, "seconds": dict(sorted(costs.items()))}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic_with(folder / FILE, lambda fh: json.dump(data, fh, indent=1))
    except (OSError, OutputError) as exc:  # a cost file is a hint: never fails a run
        warn(f"could not record spec costs in {folder / FILE} ({exc}); shards fall back to name order")
