"""Row views of a state matrix that is never built whole (the numpy explicit search).

The compiled guards, updates and properties (`explicit_compile`) only index their matrix
argument by a constant row: ``S[j]``. Each reads a few of the state's flat rows, so the
search hands them views that produce a row on first read and keep it for the next reader:

- `PackedRows`: the frontier, unpacked from its keys one row at a time;
- `SubRows`: the states where a step is enabled, a row gathered at a time;
- `NextRows`: those states' successors, the step's updated rows over the unchanged ones
  (an updated row may be 0-d: a constant, which numpy broadcasts).

A guard that reads 2 of 24 rows then costs 2 unpacks, not a 24-row matrix, and a
successor never exists as a column at all: its key is derived from its parent's
(`KeyLayout.derive`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ...state_store import KeyLayout


class _Rows(ABC):
    """Rows made on first read and cached. ``S[:, i]`` (the whole column of state ``i``)
    is for the error paths, which decode one state."""

    shape: tuple[int, int]

    def __init__(self, m: int, n: int):
        self.shape = (m, n)
        self._rows: dict[int, np.ndarray] = {}

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, tuple):  # (slice(None), i): one state's column
            _, i = key
            rows = [self[j] for j in range(self.shape[0])]
            return np.array([row[i] if row.ndim else row for row in rows], dtype=np.int64)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = self._make(key)
        return row

    @abstractmethod
    def _make(self, j: int) -> np.ndarray:
        """Row ``j``, made on its first read."""

    def matrix(self) -> np.ndarray:
        """Every row: the whole ``(m, n)`` matrix (what symmetry reduction sorts)."""
        out = np.empty(self.shape, dtype=np.int64)
        for j in range(self.shape[0]):
            out[j] = self[j]
        return out


class PackedRows(_Rows):
    """The states whose packed keys are ``keys``."""

    def __init__(self, keys: np.ndarray, layout: KeyLayout):
        super().__init__(len(layout.lo), keys.shape[0])
        self.keys, self.layout = keys, layout
        self.words = layout.words_of(keys)

    def _make(self, j: int) -> np.ndarray:
        return self.layout.unpack_row(self.words, j)


class SubRows(_Rows):
    """The states at positions ``where`` of ``rows``."""

    def __init__(self, rows: _Rows, where: np.ndarray):
        super().__init__(rows.shape[0], where.size)
        self.rows, self.where = rows, where

    def _make(self, j: int) -> np.ndarray:
        return self.rows[j][self.where]


class NextRows(_Rows):
    """Successors of ``parents``: row ``changed[i]`` is ``values[i]``, every other row the parent's."""

    def __init__(self, parents: _Rows, changed: list[int], values: list[np.ndarray]):
        super().__init__(*parents.shape)
        self.parents = parents
        self._rows.update(zip(changed, values, strict=True))

    def _make(self, j: int) -> np.ndarray:
        return self.parents[j]
