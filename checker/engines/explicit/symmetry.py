"""Symmetry reduction for explicit search: one canonical state per class of states that
differ only by a permutation of interchangeable replicas.

The groups are those `checker.symmetry.decide` found interchangeable: every permutation of
their replicas maps init, every step and every checked property onto itself.

For a group no `Ref` points at, a permutation only moves the replicas' slots, so the
canonical form sorts the replicas by their local state (their slots, lexicographically): the
groups act on disjoint slots, the sorted form is the same for all states of one orbit and is
itself in the orbit.

A group that `Ref`s point at (`checker.replica_perm`) also renames values and re-keys maps
elsewhere in the state, so sorting local states is no canonical form (two replicas with equal
local states may differ in which of them a lock names). There the canonical form is the least
image, in a fixed total order of states, over every permutation ``b`` of those groups of the
state ``b(s)`` with the other groups then sorted: the set of candidates is the same for every
state of an orbit (the groups' actions commute, and sorting is invariant under the plain
groups), so its least element is a true orbit representative and the stored state counts stay
exact orbit counts. `checker.symmetry.decide` bounds the permutations tried per state
(`MAX_PERMUTATIONS`).

Two forms: `MatrixCanon` for the numpy engine's state matrices, `TupleCanon` for concrete
state tuples (the fallback engine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...lang.model import Instance, ModelInstance
from ...replica_perm import SlotAction, all_permutations, referenced

if TYPE_CHECKING:  # imported where the matrix form runs: the tuple form (`TupleCanon`) needs no numpy
    import numpy as np

#: replicas per group up to which the packed sort is a sorting network (k(k-1)/2 min/max pairs)
_NETWORK = 8


def _group_slots(groups: list[list[Instance]]) -> list[list[list[int]]]:
    """Per symmetry group, per replica, the model slots of its variables (same order for all)."""
    return [[[s for var in inst.vars.values() for s in var.slots] for inst in group] for group in groups]


Groups = list[list[Instance]]


def _split(groups: Groups, model: ModelInstance | None) -> tuple[Groups, Groups]:
    """The groups no `Ref` points at (sorted) and those it does (permuted)."""
    refs = referenced(model) if model is not None else {}
    return [g for g in groups if g[0].attr not in refs], [g for g in groups if g[0].attr in refs]


class TupleCanon:
    """Canonical concrete state tuples (``model``: needed where `Ref`s point at a group)."""

    def __init__(self, groups: list[list[Instance]], model: ModelInstance | None = None):
        plain, permuted = _split(groups, model)
        self.groups = _group_slots(plain)
        self.perms: list[list[SlotAction]] = list(all_permutations(model, permuted)) if permuted else []  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        return bool(self.groups or self.perms)

    def __call__(self, state: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.perms:
            return self._sort(state)
        best, best_key = state, None
        for actions in self.perms:
            image = state
            for a in actions:
                image = a.apply(image)
            image = self._sort(image)
            key = _order(image)
            if best_key is None or key < best_key:
                best, best_key = image, key
        return best

    def _sort(self, state: tuple[Any, ...]) -> tuple[Any, ...]:
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

    ``columns[s]`` lists the flat rows of model slot ``s`` (a finite set has several);
    ``vectors`` (the numeric layout) is needed where `Ref`s point at a group."""

    def __init__(self, groups: list[list[Instance]], columns: list[range], vectors: Any = None):
        import numpy as np

        plain, permuted = _split(groups, vectors.model if vectors is not None else None)
        self.groups: list[np.ndarray] = []  # per group: (replicas, local rows) of flat row numbers
        for replicas in _group_slots(plain):
            rows = [[r for s in slots for r in columns[s]] for slots in replicas]
            self.groups.append(np.array(rows, dtype=np.intp))
        # per permutation of the Ref groups: where each row goes, and the renaming of Ref ids
        self.perms: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        if permuted:
            model = vectors.model
            for actions in all_permutations(model, permuted):
                self.perms.append(_row_action(actions, columns, vectors))

    @property
    def active(self) -> bool:
        return bool(self.groups or self.perms)

    def __call__(self, S: np.ndarray, lo: list[int], width: list[int]) -> np.ndarray:
        """Canonical form of every state in ``S`` (in place). ``lo``/``width`` are the key
        layout's fields: if a replica's local state fits in 63 bits, replicas are sorted by
        that packed number, whose order is the lexicographic order of the values whatever
        the layout (so canonical forms never change when the layout widens)."""
        import numpy as np

        if S.shape[1] == 0 or not self.perms:
            return self._sort(S, lo, width, packed=True)
        cols = np.arange(S.shape[1])
        best = None
        for target, ref_rows, lut in self.perms:
            renamed = S.copy()
            if ref_rows.size:
                renamed[ref_rows] = lut[renamed[ref_rows]]
            image = np.empty_like(S)
            image[target] = renamed
            # the fields of ``lo``/``width`` belong to rows the values may have left: compare unpacked
            self._sort(image, lo, width, packed=False)
            if best is None:
                best = image
                continue
            differ = image != best
            first = differ.argmax(axis=0)
            less = differ.any(axis=0) & (image[first, cols] < best[first, cols])
            best[:, less] = image[:, less]
        S[:] = best
        return S

    def _sort(self, S: np.ndarray, lo: list[int], width: list[int], packed: bool) -> np.ndarray:
        import numpy as np

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
            if packed and sum(bits) <= 63:
                key = np.zeros((k, n), dtype=np.int64)
                outside = np.zeros((k, n), dtype=np.int64)  # nonzero where a value leaves its field
                for i in range(rows.shape[1]):
                    v = local[:, i, :] - lows[i]
                    outside |= v >> bits[i]
                    key = (key << bits[i]) | v
                if k <= _NETWORK and not outside.any():
                    self._sorted_by_network(S, rows, key, lows, bits)
                    continue
                order = np.argsort(key, axis=0, kind="stable")
            else:  # too wide for one number: least significant row first, stable sorts
                order = np.broadcast_to(np.arange(k)[:, None], (k, n)).copy()
                for i in range(rows.shape[1] - 1, -1, -1):
                    vals = np.take_along_axis(local[:, i, :], order, axis=0)
                    order = np.take_along_axis(order, np.argsort(vals, axis=0, kind="stable"), axis=0)
            S[rows] = np.take_along_axis(local, order[:, None, :], axis=0)
        return S

    @staticmethod
    def _sorted_by_network(S: np.ndarray, rows: np.ndarray, key: np.ndarray, lows: list[int], bits: list[int]) -> None:
        """The replicas' local states (``rows``) of ``S`` sorted by their packed keys ``key``,
        every value within its field: a sorting network of row-wise min/max over all states at
        once, then each local row unpacked from the sorted keys. A key holds its local state
        exactly, so this is the sort by argsort and gather, in a few array operations instead
        of one small sort per state (equal keys are equal local states: no order among them)."""
        import numpy as np

        ordered = list(key)
        for top in range(len(ordered) - 1, 0, -1):  # bubble network: the largest left reaches ``top``
            for j in range(top):
                a, b = ordered[j], ordered[j + 1]
                ordered[j], ordered[j + 1] = np.minimum(a, b), np.maximum(a, b)
        packed = np.stack(ordered)
        shift = 0
        for i in range(rows.shape[1] - 1, -1, -1):  # the last local row is in the lowest bits
            S[rows[:, i]] = ((packed >> shift) & ((1 << bits[i]) - 1)) + lows[i]
            shift += bits[i]


def _row_action(
    actions: list[SlotAction], columns: list[range], vectors: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One permutation of the Ref groups on flat rows: (target row of each row, the rows whose
    values are Ref ids to rename, the renaming as a lookup table over enum ids)."""
    import numpy as np

    m = sum(len(c) for c in columns)
    target = np.arange(m, dtype=np.intp)
    ref_rows: list[int] = []
    ids = vectors.enum_ids
    lut = np.arange(max(ids.values(), default=0) + 1, dtype=np.int64)
    for a in actions:  # they commute: compose in any order
        rowmap = np.arange(m, dtype=np.intp)
        for s, t in enumerate(a.target):
            if s in a.set_slots:  # a finite set of Refs: one bit per name, renamed
                elems = [vectors.columns[r].elem for r in columns[t]]
                for r in columns[s]:
                    e = vectors.columns[r].elem
                    rowmap[r] = columns[t][elems.index(a.rename.get(e, e))]
            else:
                for k, r in enumerate(columns[s]):
                    rowmap[r] = columns[t][k]
        target = rowmap[target]
        ref_rows += [r for s in a.ref_slots for r in columns[s]]
        for old, new in a.rename.items():
            lut[ids[old]] = ids[new]
    return target, np.array(sorted(set(ref_rows)), dtype=np.intp), lut
