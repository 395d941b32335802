"""Symmetry reduction for explicit search: one canonical state per class of states that
differ only by a permutation of interchangeable replicas.

The canonical form sorts the replicas of each symmetry group by their local state (the
slots of their variables, lexicographically) and permutes those slots accordingly. The
groups are those `checker.symmetry.decide` found interchangeable: every permutation of
their replicas (slots only, no value renumbered) maps init, every step and every checked
property onto itself. The groups act on disjoint slots, so the sorted form is the same for
all states of one orbit and is itself in the orbit: a true orbit representative, and the
stored state counts are exact orbit counts.

Two forms: `MatrixCanon` for the numpy engine's state matrices, `TupleCanon` for concrete
state tuples (the fallback engine).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...lang.model import Instance


def _group_slots(groups: list[list[Instance]]) -> list[list[list[int]]]:
    """Per symmetry group, per replica, the model slots of its variables (same order for all)."""
    return [[[s for var in inst.vars.values() for s in var.slots] for inst in group] for group in groups]


class TupleCanon:
    """Canonical concrete state tuples."""

    def __init__(self, groups: list[list[Instance]]):
        self.groups = _group_slots(groups)

    def __call__(self, state: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.groups:
            return state
        out = list(state)
        for replicas in self.groups:
            local = sorted((tuple(state[s] for s in slots) for slots in replicas), key=_order)
            for slots, values in zip(replicas, local, strict=True):
                for s, v in zip(slots, values, strict=True):
                    out[s] = v
        return tuple(out)


def _order(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A total order over local states of mixed value types (bools, ints, enum names, sets)."""
    return tuple(_value_order(v) for v in values)


def _value_order(v: Any) -> tuple[int, Any]:
    if isinstance(v, frozenset):
        return (2, tuple(sorted(_value_order(x) for x in v)))
    if isinstance(v, str):
        return (1, v)
    return (0, int(v))


class MatrixCanon:
    """Canonical states, for all columns of an ``(m, n)`` state matrix at once.

    ``columns[s]`` lists the flat rows of model slot ``s`` (a finite set has several)."""

    def __init__(self, groups: list[list[Instance]], columns: list[range]):
        self.groups: list[np.ndarray] = []  # per group: (replicas, local rows) of flat row numbers
        for replicas in _group_slots(groups):
            rows = [[r for s in slots for r in columns[s]] for slots in replicas]
            self.groups.append(np.array(rows, dtype=np.intp))

    @property
    def active(self) -> bool:
        return bool(self.groups)

    def __call__(self, S: np.ndarray, lo: list[int], width: list[int]) -> np.ndarray:
        """Canonical form of every state in ``S`` (in place). ``lo``/``width`` are the key
        layout's fields: if a replica's local state fits in 63 bits, replicas are sorted by
        that packed number, whose order is the lexicographic order of the values whatever
        the layout (so canonical forms never change when the layout widens)."""
        n = S.shape[1]
        if n == 0:
            return S
        for rows in self.groups:
            k, _ = rows.shape
            local = S[rows]  # (replicas, local rows, states)
            # one field per local row that holds every replica's values of that row (their
            # own fields may differ: unbounded ints widen column by column)
            lows = [min(lo[r] for r in rows[:, i]) for i in range(rows.shape[1])]
            highs = [max(lo[r] + (1 << width[r]) - 1 for r in rows[:, i]) for i in range(rows.shape[1])]
            bits = [max(1, hi - low).bit_length() for low, hi in zip(lows, highs, strict=True)]
            if sum(bits) <= 63:
                key = np.zeros((k, n), dtype=np.int64)
                for i in range(rows.shape[1]):
                    key = (key << bits[i]) | (local[:, i, :] - lows[i])
                order = np.argsort(key, axis=0, kind="stable")
            else:  # too wide for one number: least significant row first, stable sorts
                order = np.broadcast_to(np.arange(k)[:, None], (k, n)).copy()
                for i in range(rows.shape[1] - 1, -1, -1):
                    vals = np.take_along_axis(local[:, i, :], order, axis=0)
                    order = np.take_along_axis(order, np.argsort(vals, axis=0, kind="stable"), axis=0)
            S[rows] = np.take_along_axis(local, order[:, None, :], axis=0)
        return S
