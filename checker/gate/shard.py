"""Deterministic splits of the specs for CI matrix jobs: `--shard I/N` (1 <= I <= N).

With the costs of the last run (`checker.gate.costs`), specs are dealt longest first, each to
the shard with the least work so far (lowest index on ties); specs without a recorded cost
are then dealt round-robin in name order. Without costs that is the whole split. Every runner
that sees the same spec files and the same costs computes the same split, the shards are
disjoint, and their union is every spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from .costs import spec_key

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); raises ValueError with a message for anything else."""
    match = _SHARD.fullmatch(text)
    if not match:
        raise ValueError(f"--shard must look like I/N (e.g. 1/4), got {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"--shard {text}: need 1 <= I <= N")
    return index, count


def split(specs: Sequence[Path], count: int, costs: Mapping[str, float] | None = None) -> list[list[Path]]:
    """Every shard's specs (in name order within a shard)."""
    costs = costs or {}
    named = sorted(specs, key=spec_key)
    known = sorted((p for p in named if spec_key(p) in costs), key=lambda p: (-costs[spec_key(p)], spec_key(p)))
    shards: list[list[Path]] = [[] for _ in range(count)]
    load = [0.0] * count
    for path in known:  # longest first, to the least loaded shard
        i = min(range(count), key=lambda k: (load[k], k))
        shards[i].append(path)
        load[i] += costs[spec_key(path)]
    unknown = [p for p in named if spec_key(p) not in costs]
    start = min(range(count), key=lambda k: (len(shards[k]), load[k], k))
    for n, path in enumerate(unknown):
        shards[(start + n) % count].append(path)
    return [sorted(s, key=spec_key) for s in shards]


def select_shard(specs: Sequence[Path], index: int, count: int, costs: Mapping[str, float] | None = None) -> list[Path]:
    return split(specs, count, costs)[index - 1]
