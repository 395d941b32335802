"""Deterministic splits of the specs for CI matrix jobs: `--shard I/N` (1 <= I <= N).

Specs are sorted by path (as POSIX strings, relative to the working directory when inside it)
and dealt round-robin: shard I gets the specs at positions I-1, I-1+N, ... Every runner that
sees the same spec files computes the same split, the shards are disjoint, and their union is
every spec; sizes differ by at most one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

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


def _sort_key(path: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()


def select_shard(specs: Sequence[Path], index: int, count: int) -> list[Path]:
    ordered = sorted(specs, key=_sort_key)
    return ordered[index - 1 :: count]
