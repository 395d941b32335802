"""The numeric form of states for the explicit-state engine's compiled steps: one int64 per
*flat* slot (z3's `Encoding.flat` layout), so that a breadth-first level is an ``(m, n)``
matrix with one column per state (`checker.engines.explicit.compile`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...lang.finite import finite_values
from ...lang.model import ModelInstance
from ...lang.types import BoolSort, EnumSort, IntSort, SetSort

if TYPE_CHECKING:  # numpy where states become matrices (`matrix`): `Vectors.numeric` is asked without it
    import numpy as np


@dataclass
class Column:
    slot: int  # the model slot this flat column belongs to
    kind: str  # "bool" | "enum" | "int" | "bit" (one element of a finite set)
    lo: int | None  # declared bounds, None where unbounded
    hi: int | None
    elem: Any = None  # for "bit": the set element this column stands for


class Vectors:
    """The numeric form of states: one int per flat slot (z3's `Encoding.flat` layout).

    Bools are 0/1, enum names their model-wide ids (``model.enum_ids``), ints themselves,
    and a finite set one 0/1 column per element. Unbounded sets have no numeric form:
    `numeric` is False then.
    """

    def __init__(self, model: ModelInstance):
        self.model = model
        self.enum_ids = model.enum_ids
        self.enum_names = {i: n for n, i in model.enum_ids.items()}
        self.columns: list[Column] = []
        self.slot_columns: list[range] = []
        self.numeric = True
        for i, slot in enumerate(model.slots):
            start = len(self.columns)
            sort = slot.sort
            if isinstance(sort, SetSort):
                if not sort.finite:
                    self.numeric = False
                    self.columns.append(Column(i, "set", None, None))
                else:
                    self.columns += [Column(i, "bit", 0, 1, v) for v in finite_values(sort.elem)]
            elif isinstance(sort, BoolSort):
                self.columns.append(Column(i, "bool", 0, 1))
            elif isinstance(sort, EnumSort):
                ids = [self.enum_ids[n] for n in sort.names]
                self.columns.append(Column(i, "enum", min(ids), max(ids)))
            else:
                assert isinstance(sort, IntSort)
                self.columns.append(Column(i, "int", sort.lo, sort.hi))
            self.slot_columns.append(range(start, len(self.columns)))

    @property
    def width(self) -> int:
        return len(self.columns)

    def encode(self, state: tuple[Any, ...]) -> list[int]:
        out: list[int] = []
        for value, col in zip(state, self._heads(), strict=True):
            sort = self.model.slots[col.slot].sort
            if col.kind == "bit":
                assert isinstance(sort, SetSort)
                out += [int(v in value) for v in finite_values(sort.elem)]
            elif col.kind == "enum":
                out.append(self.enum_ids[value])
            else:
                out.append(int(value))
        return out

    def decode(self, vector: Any) -> tuple[Any, ...]:
        values = [int(v) for v in vector]
        out: list[Any] = []
        for cols in self.slot_columns:
            col = self.columns[cols.start]
            if col.kind == "bit":
                out.append(frozenset(self.columns[j].elem for j in cols if values[j]))
            elif col.kind == "enum":
                out.append(self.enum_names[values[cols.start]])
            elif col.kind == "bool":
                out.append(bool(values[cols.start]))
            else:
                out.append(values[cols.start])
        return tuple(out)

    def matrix(self, states: list[tuple[Any, ...]]) -> np.ndarray:
        """States as an ``(m, n)`` matrix (one column per state)."""
        import numpy as np

        rows = np.array([self.encode(s) for s in states], dtype=np.int64).reshape(len(states), self.width)
        return np.ascontiguousarray(rows.T)  # each slot's values contiguous: the ops run along rows

    def _heads(self) -> list[Column]:
        return [self.columns[r.start] for r in self.slot_columns]
