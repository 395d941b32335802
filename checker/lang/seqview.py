"""The state sequence of model code (`SeqView`: ``self.q``, ``sys.channel``) and assigning a
whole sequence (`assign`); the read operations they share with computed sequences are in
`checker.lang.sequences`. Every update keeps the canonical layout (`checker.lang.seqdecl`)."""

from __future__ import annotations

from typing import Any

from .frame import Frame, _in_sort, _write_scalar
from .interp import Concrete
from .model import Var
from .sequences import SeqLike, SeqValue, as_value, constant_position
from .terms import Term, lift
from .types import scalar_default


class SeqView(SeqLike):
    """A state sequence: the read operations of `SeqLike`, and `append`, `pop`, `tail`,
    assignment to an element. Assign a whole sequence (``self.q = [...]``, ``= other``,
    ``= self.q.select(...)``) with ``=``."""

    def __init__(self, frame: Frame, var: Var):
        self._f, self._var = frame, var
        self._interp, self._sort, self._cap, self._what = frame.interp, var.sort, len(var.keys), var.name  # type: ignore[assignment]

    def _frame(self) -> Frame:
        return self._f

    def _elem(self, i: int) -> Any:
        return self._f.read(self._var.slots[i])

    def _len(self) -> Any:
        return self._f.read(self._var.slots[-1])

    def __repr__(self) -> str:
        return f"<seq {self._what}>"

    def append(self, value: Any) -> None:
        """Add ``value`` at the end; beyond the capacity a model error (if the step fires)."""
        frame, interp, var = self._f, self._interp, self._var
        self._elem_raw(value, "append")  # the element's type, checked at this line
        length = self._len()
        room = interp.binop("lt", length, interp.const(self._cap))
        frame.check_range(room, f"{self._what}.append: the sequence is full (capacity {self._cap})")
        if isinstance(interp, Concrete):
            if length < self._cap:
                _write_scalar(frame, var, var.slots[length], value)
                frame.write(var.slots[-1], length + 1)
            return
        for i in range(self._cap):
            frame.conds.append(interp.binop("eq", length, interp.const(i)))
            try:
                _write_scalar(frame, var, var.slots[i], value)
            finally:
                frame.conds.pop()
        frame.write(var.slots[-1], interp.ite(room, interp.binop("add", length, interp.const(1)), length))

    def tail(self) -> None:
        """Drop the first element; on an empty sequence a model error (if the step fires)."""
        frame, interp, slots = self._f, self._interp, self._var.slots
        length = self._len()
        some = self._lt_len(0)
        frame.check_range(some, f"{self._what}: tail()/pop() of an empty sequence")
        if isinstance(interp, Concrete) and not some:
            return
        shifted = [self._elem(i + 1) for i in range(self._cap - 1)] + [self._default()] * min(self._cap, 1)
        for slot, raw in zip(slots[:-1], shifted, strict=True):
            frame.write(slot, raw)
        frame.write(slots[-1], interp.ite(some, interp.binop("sub", length, interp.const(1)), length))

    def pop(self, index: Any = None) -> Term:
        """Remove the first element (a queue's receive), or the one at ``index`` (a Python int
        or a state int, as Python's ``list.pop(i)``), and return it."""
        if index is None:
            first = self.head()
            self.tail()
            return first
        taken = self[index]  # checks the index against the length, at this line
        frame, interp, slots = self._f, self._interp, self._var.slots
        if isinstance(interp, Concrete):
            i = index.raw if isinstance(index, Term) else index
            if not 0 <= i < self._len():
                return taken
            items = [self._elem(k) for k in range(self._len())]
            del items[i]
            for slot, raw in zip(slots[:-1], SeqValue.of(interp, self._sort, items, self._cap, "")._elems, strict=True):
                frame.write(slot, raw)
            frame.write(slots[-1], len(items))
            return taken
        i = lift(interp, index) if isinstance(index, Term) else interp.const(index)
        inside = interp.and_([interp.binop("ge", i, interp.const(0)), self._lt_len(i)])
        shifted = [self._elem(k + 1) for k in range(self._cap - 1)] + [self._default()] * min(self._cap, 1)
        new = [interp.ite(interp.binop("lt", interp.const(k), i), self._elem(k), shifted[k]) for k in range(self._cap)]
        for slot, raw, old in zip(slots[:-1], new, [self._elem(k) for k in range(self._cap)], strict=True):
            frame.write(slot, interp.ite(inside, raw, old))
        length = self._len()
        frame.write(slots[-1], interp.ite(inside, interp.binop("sub", length, interp.const(1)), length))
        return taken

    def __setitem__(self, index: Any, value: Any) -> None:
        """Replace the element at ``index`` (inside the length, else a model error if the step fires)."""
        frame, interp, var = self._f, self._interp, self._var
        self._elem_raw(value, "[...] =")
        if isinstance(index, Term) and index.kind == "int" and not isinstance(interp, Concrete):
            i = lift(interp, index)
            inside = interp.and_([interp.binop("ge", i, interp.const(0)), self._lt_len(i)])
            frame.check_range(inside, f"an index of '{self._what}' is outside its length")
            for k in range(self._cap):
                frame.conds.append(interp.and_([interp.binop("eq", i, interp.const(k)), self._lt_len(k)]))
                try:
                    _write_scalar(frame, var, var.slots[k], value)
                finally:
                    frame.conds.pop()
            return
        position = constant_position(index, self._what, self._cap)
        if position is None:
            frame.defer_error(f"index {lift(interp, index)!r} is outside '{self._what}' (capacity {self._cap})")
            return
        inside = self._lt_len(position)
        frame.check_range(inside, f"index {position} is outside '{self._what}' (its length)")
        if isinstance(interp, Concrete) and not inside:
            return
        frame.conds.append(inside)
        try:
            _write_scalar(frame, var, var.slots[position], value)
        finally:
            frame.conds.pop()


def assign(frame: Frame, var: Var, value: Any) -> None:
    """``<seq> = value``: a sequence, a computed one, or a list of elements. Longer than the
    capacity is a model error (if the step fires); the slots beyond the new length are reset."""
    interp, sort, cap = frame.interp, var.sort, len(var.keys)
    v = as_value(interp, sort, value, var.name)  # type: ignore[arg-type]
    fits = interp.binop("le", v._len(), interp.const(cap))
    frame.check_range(fits, f"'{var.name}' holds at most {cap} elements: this assignment has more")
    if isinstance(interp, Concrete) and not fits:
        return
    default = interp.const(scalar_default(sort))  # type: ignore[arg-type]
    for i in range(cap):
        # beyond the new length: this sequence's default (the value's padding may be another
        # type's, e.g. a sequence of Int(min=5) assigned to one of Int(min=0))
        inside = interp.binop("lt", interp.const(i), v._len())
        raw = interp.ite(inside, v._elem(i), default) if i < v._cap else default
        ok = _in_sort(interp, sort, raw)
        if ok is not None:  # an element outside the type (a list literal of ints, say)
            frame.check_range(ok, f"'{var.name}' holds {sort.describe()}: this assignment puts another value in it")
        frame.write(var.slots[i], raw)
    frame.write(var.slots[-1], v._len())
