"""Arrays, maps and sets as model code sees them (`ArrayView`, `SetView`): indexing with state
values, writes with range checks, set operations, under either interpretation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import z3

from ..errors import ModelError, error_at_caller
from . import intervals, lazy, setops
from .finite import finite_values
from .frame import Frame, _in_sort, _write_scalar
from .interp import Concrete, Interp, Symbolic
from .model import Var
from .setops import SetOps, SetValue
from .terms import Term, lift, py_kind, sort_kind
from .types import SetSort


def _as_term(interp: Interp, value: Any, kind: str) -> Term:
    if isinstance(value, Term):
        return value
    if py_kind(value) != kind:
        raise error_at_caller(ModelError, f"default {value!r} is not a {kind}")
    return Term(interp, lift(interp, value), kind)


#: `ArrayView._position` of a state key outside the keys, under the concrete interpretation
_OUTSIDE = -1


class ArrayView:
    """A state array (keys 0..n-1) or map (keys of an Enum or bounded Int): index it with a
    Python key or a state value; assign its elements."""

    __slots__ = ("_frame", "_var")

    def __init__(self, frame: Frame, var: Var):
        self._frame, self._var = frame, var

    def __len__(self) -> int:
        return len(self._var.slots)

    def __iter__(self) -> Iterator[Term]:
        """The values, in key order (iterating a map gives its values, unlike a dict)."""
        return (self._at(i) for i in range(len(self)))

    def keys(self) -> list[Any]:
        return list(self._var.keys)

    def items(self) -> list[tuple[Any, Term]]:
        return [(k, self._at(i)) for i, k in enumerate(self._var.keys)]

    def _at(self, position: int) -> Term:
        return Term(self._frame.interp, self._frame.read(self._var.slots[position]), sort_kind(self._var.sort))  # type: ignore[arg-type]

    def _outside(self, key: Any) -> str:
        keys = self._var.keys
        shown = f"0..{len(keys) - 1}" if self._var.shape == "array" else ", ".join(map(str, keys))
        return f"key {key!r} is outside '{self._var.name}' ({shown})"

    def _position(self, key: Any, reading: bool = False) -> int | None:
        """The slot position of a constant key, or None if the key is a state value. A state key
        outside the keys is `_OUTSIDE`: for a write an error if the step fires, for a read a
        value that is undefined (`checker.lang.lazy`)."""
        state_key = isinstance(key, Term)
        if isinstance(key, Term):
            if key.kind != self._var.key_kind:
                raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by {self._var.key_kind}, got {key!r}")
            if key.interp is not self._frame.interp:
                raise error_at_caller(ModelError, "values from two different executions were mixed")
            if not isinstance(self._frame.interp, Concrete):
                return None
            key = key.raw
        if py_kind(key) != self._var.key_kind:
            raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by {self._var.key_kind}, got {key!r}")
        for i, k in enumerate(self._var.keys):
            if k == key and type(k) is type(key):
                return i
        if state_key:  # an error only if the step fires (see Frame.defer_error)
            if not reading:
                self._frame.defer_error(self._outside(key))
            return _OUTSIDE
        raise error_at_caller(ModelError, self._outside(key))

    def _matches(self, key: Term, check: bool = True) -> list[Any]:
        """Per slot position, the raw condition "the symbolic key is this position's key"."""
        interp = self._frame.interp
        matches = [interp.binop("eq", key.raw, interp.const(k)) for k in self._var.keys]
        if check:
            self._frame.check_range(interp.or_(matches), self._outside_symbolic())
        return matches

    def _outside_symbolic(self) -> str:
        return f"a key of '{self._var.name}' is outside its keys"

    def __getitem__(self, key: Any) -> Term:
        position = self._position(key, reading=True)
        if position == _OUTSIDE:  # undefined; its value is the symbolic read's don't-care: the last slot's
            last = self._at(len(self) - 1)
            return lazy.undefined(last.interp, last.raw, last.kind, True, self._outside(key.raw), self._frame)
        if position is not None:
            return self._at(position)
        interp, slots = self._frame.interp, self._var.slots
        matches = self._matches(key, check=False)
        raw = self._frame.read(slots[-1])
        for i in range(len(slots) - 2, -1, -1):
            raw = interp.ite(matches[i], self._frame.read(slots[i]), raw)
        kind = sort_kind(self._var.sort)  # type: ignore[arg-type]
        outside = interp.not_(interp.or_(matches))
        return lazy.undefined(interp, raw, kind, outside, self._outside_symbolic(), self._frame)

    def get(self, key: Any, default: Any) -> Term:
        """The value at ``key``, or ``default`` where ``key`` is not one of the keys: a read
        that is guarded by the key's range (``a[i]`` outside the keys is a model error)."""
        interp = self._frame.interp
        if not isinstance(key, Term):
            inside = any(k == key and type(k) is type(key) for k in self._var.keys)
            return self[key] if inside else _as_term(interp, default, sort_kind(self._var.sort))  # type: ignore[arg-type]
        if key.kind != self._var.key_kind:
            raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by {self._var.key_kind}, got {key!r}")
        raw = lift(interp, default)
        for i in range(len(self._var.keys) - 1, -1, -1):
            match = interp.binop("eq", key.raw, interp.const(self._var.keys[i]))
            raw = interp.ite(match, self._frame.read(self._var.slots[i]), raw)
        return Term(interp, raw, sort_kind(self._var.sort))  # type: ignore[arg-type]

    def __setitem__(self, key: Any, value: Any) -> None:
        frame, var = self._frame, self._var
        position = self._position(key)
        if position == _OUTSIDE:  # as symbolically, where no key matches: nothing is written
            return
        if position is not None:
            _write_scalar(frame, var, var.slots[position], value)
            return
        for match, slot in zip(self._matches(key), var.slots, strict=True):
            frame.conds.append(match)
            try:
                _write_scalar(frame, var, slot, value)
            finally:
                frame.conds.pop()


class SetView(SetOps):
    """A state set: ``contains``, ``add``, ``discard``, ``discard_if``, ``move_if``, and the
    queries and values of `checker.lang.setops.SetOps`; assigning it a set value replaces it."""

    __slots__ = ("_frame", "_var", "_slot", "_elem")

    def __init__(self, frame: Frame, var: Var):
        self._frame, self._var, self._slot = frame, var, var.slots.start
        assert isinstance(var.sort, SetSort)
        self._elem = var.sort.elem

    def _raw(self) -> Any:
        return self._frame.read(self._slot)

    def _elem_raw(self, value: Any, what: str) -> Any:
        kind = value.kind if isinstance(value, Term) else py_kind(value)
        if kind != sort_kind(self._elem):
            raise error_at_caller(
                ModelError, f"{self._var.name}.{what}: elements are {self._elem.describe()}, got {value!r}"
            )
        return lift(self._frame.interp, value)

    def _finite(self) -> bool:
        return isinstance(self._frame.interp, Symbolic) and isinstance(self._raw(), tuple)

    def _interval(self) -> bool:
        """Whether this (unbounded) set is encoded as an interval: see `checker.lang.intervals`."""
        interp = self._frame.interp
        return isinstance(interp, Symbolic) and self._slot in interp.interval_slots

    def contains(self, value: Any) -> Term:
        interp, raw, x = self._frame.interp, self._raw(), self._elem_raw(value, "contains")
        if isinstance(interp, Concrete):
            return Term(interp, x in raw, "bool")
        if self._interval():
            return Term(interp, intervals.contains(raw, x), "bool")
        if self._finite():
            pairs = zip(finite_values(self._elem), raw, strict=True)
            return Term(interp, interp.or_([interp.and_([_eq(interp, x, v), bit]) for v, bit in pairs]), "bool")
        return Term(interp, z3.Select(raw, x), "bool")

    def add(self, value: Any) -> None:
        self._update(value, True, "add")

    def discard(self, value: Any) -> None:
        self._update(value, False, "discard")

    def _update(self, value: Any, present: bool, what: str) -> None:
        interp, raw, x = self._frame.interp, self._raw(), self._elem_raw(value, what)
        ok = _in_sort(interp, self._elem, x)
        if ok is not None and present:
            self._frame.check_range(ok, f"{self._var.name}.add: the element is outside {self._elem.describe()}")
        if isinstance(interp, Concrete):
            # an element outside a finite set's type is not added (an error if the step fires),
            # as symbolically, where it matches none of the set's bits
            new = raw | {x} if present and ok is not False else raw - {x}
        elif self._interval():
            new, exact = intervals.add(raw, x) if present else intervals.discard(raw, x)
            self._frame.check_range(exact, setops.gap_message(interp, self._slot, self._var.name, what))
        elif self._finite():
            pairs = zip(finite_values(self._elem), raw, strict=True)
            new = tuple(interp.ite(_eq(interp, x, v), z3.BoolVal(present), bit) for v, bit in pairs)
        else:
            new = z3.Store(raw, x, present)
        self._frame.write(self._slot, new)

    def discard_if(self, pred: Callable[[Term], Any]) -> None:
        """Remove every element for which ``pred(element)`` holds (one atomic bulk delete)."""
        frame, interp, raw = self._frame, self._frame.interp, self._raw()
        kind = sort_kind(self._elem)

        def holds(raw_elem: Any) -> Any:
            result = pred(Term(interp, raw_elem, kind))
            if isinstance(result, bool):
                return interp.const(result)
            if not isinstance(result, Term) or result.kind != "bool":
                raise error_at_caller(ModelError, f"{self._var.name}.discard_if: the predicate must return a bool")
            return result.raw

        if isinstance(interp, Concrete):
            new = frozenset(v for v in raw if not holds(v))
        elif self._interval():
            g = z3.FreshInt("g")
            new = intervals.discard_if(raw, holds(g), g, self._slot, self._var.name)
        elif self._finite():
            values = finite_values(self._elem)
            new = tuple(
                interp.and_([bit, interp.not_(holds(interp.const(v)))]) for v, bit in zip(values, raw, strict=True)
            )
        else:
            g = z3.FreshInt("g")
            new = z3.Lambda([g], z3.And(z3.Select(raw, g), z3.Not(holds(g))))
        frame.write(self._slot, new)

    def _form(self) -> str:
        if isinstance(self._frame.interp, Concrete):
            return "concrete"
        return "interval" if self._interval() else "bits" if self._finite() else "array"

    def _value(self) -> SetValue:
        return SetValue(self._frame, self._raw(), self._form(), self._elem, self._var.name, self._slot)

    def _assign(self, value: Any) -> None:
        setops.assign(self._frame, self._slot, self._elem, self._form(), self._var.name, value)

    def move_if(self, pred: Callable[[Term], Any], other: Any) -> None:
        """Move every element for which ``pred(element)`` holds into ``other`` (one atomic step)."""
        setops.move_if(self, pred, other, SetView._assign)


def _eq(interp: Interp, x: Any, v: Any) -> Any:
    return interp.binop("eq", x, interp.const(v))
