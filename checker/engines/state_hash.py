"""Which partition owns a state: a hash of its values, whatever key layout packs them.

A linear combination of the flat columns (`linear_hash`), so that a successor's hash is its
parent's plus the change of the few columns a step writes, then mixed (`mix64`, splitmix64's
finalizer) and reduced modulo the number of partitions (`owner_of`). `simulate` uses `mix64`
for its seeded choices too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit affects every output bit (uint64, wraps by design)."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * _MIX1
        h = (h ^ (h >> np.uint64(27))) * _MIX2
        return h ^ (h >> np.uint64(31))


def _multipliers(m: int) -> np.ndarray:
    """One fixed odd 64-bit multiplier per flat column (the same in every process)."""
    return mix64(np.arange(1, m + 1, dtype=np.uint64) * _GOLDEN) | np.uint64(1)


def linear_hash(rows: Any, mult: np.ndarray, n: int) -> np.ndarray:
    """sum_j rows[j] * mult[j] (mod 2**64) over the flat columns: linear, so a successor's
    hash is its parent's plus the change in the columns a step writes."""
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(len(mult)):
            h += np.asarray(rows[j], dtype=np.int64).view(np.uint64) * mult[j]
    return h


def owner_of(h: np.ndarray, count: int) -> np.ndarray:
    """The partition (0..count-1) owning each state of linear hash ``h``: a function of the
    state's values alone, whatever key layout a partition packs them with."""
    return (mix64(h) % np.uint64(count)).astype(np.uint16 if count < 2**16 else np.int64)
