"""Set operations beyond ``contains``/``add``/``discard``: ``size``, ``min``/``max``, ``union``,
``intersection``, ``difference``, ``filter`` (values) and ``move_if`` (an update). ``choose``
(a nondeterministic pick from a set, as an action argument) is `checker.lang.choice`.

A set value has one of four forms, by interpretation and encoding:

- ``concrete``: a frozenset (replay, explicit search);
- ``bits``: one z3 Bool per value of a finite element sort;
- ``interval``: ``(lo, hi)`` for an unbounded int set held as an interval (`checker.lang.intervals`);
- ``array``: a z3 array Int -> Bool (other unbounded int sets).

Every operation is exact in every form, or refused. In the interval form ``min``, ``max``,
``size`` and ``is_empty`` are linear terms; ``union`` and ``difference`` are exact where the
result is an interval and otherwise a range check (an error on a step that fires, as for
``add``). In the array form ``is_empty`` is array equality with the empty array (quantifier-
free); ``min``, ``max`` and ``size`` are not quantifier-free there, so a set read directly from
state asks the encoding to hold it as an interval instead (`NeedsInterval`), and where that is
impossible they are a located model error naming the alternatives; never an approximation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import z3

from ..errors import ModelError, error_at_caller
from . import intervals, lazy
from .finite import finite_values
from .frame import Frame
from .interp import Interp
from .terms import SetLike, Term, lift, py_kind, sort_kind
from .types import IntSort

_NO_DEFAULT: Any = object()


class NeedsInterval(ModelError):
    """Raised while encoding: ``min``/``max``/``size`` of a set held as a z3 array. The encoding
    retries with the set as an interval (`checker.encoding.Encoding`); if it cannot be one,
    the message is the model error."""

    def __init__(self, slot: int, message: str):
        err = error_at_caller(ModelError, message)
        super().__init__(message, err.file, err.line)
        self.slot = slot


class SetOps(SetLike):
    """The operations every set offers: a state set (`SetView`) and a computed one (`SetValue`)."""

    __slots__ = ()

    def _value(self) -> SetValue:
        raise NotImplementedError

    # -- queries
    def contains(self, value: Any) -> Term:
        v = self._value()
        x = v.elem_raw(value, "contains")
        interp, raw = v.interp, v.raw
        if v.form == "concrete":
            return Term(interp, x in raw, "bool")
        if v.form == "interval":
            return Term(interp, intervals.contains(raw, x), "bool")
        if v.form == "bits":
            pairs = zip(finite_values(v.elem), raw, strict=True)
            return Term(interp, interp.or_([interp.and_([_eq(interp, x, e), bit]) for e, bit in pairs]), "bool")
        return Term(interp, z3.Select(raw, x), "bool")

    def is_empty(self) -> Term:
        v = self._value()
        interp, raw = v.interp, v.raw
        if v.form == "concrete":
            return Term(interp, not raw, "bool")
        if v.form == "interval":
            return Term(interp, intervals.is_empty(raw), "bool")
        if v.form == "bits":
            return Term(interp, interp.not_(interp.or_(list(raw))), "bool")
        # extensional equality with the empty array: exact and quantifier-free
        return Term(interp, raw == z3.K(z3.IntSort(), z3.BoolVal(False)), "bool")

    def size(self) -> Term:
        """The number of elements (an int)."""
        v = self._value()
        interp, raw = v.interp, v.raw
        if v.form == "concrete":
            return Term(interp, len(raw), "int")
        if v.form == "interval":
            lo, hi = raw
            return Term(interp, z3.If(lo > hi, 0, hi - lo + 1), "int")
        if v.form == "bits":
            return Term(interp, z3.Sum([z3.If(bit, 1, 0) for bit in raw]) if raw else z3.IntVal(0), "int")
        raise v.not_quantifier_free("size")

    def min(self, default: Any = _NO_DEFAULT) -> Term:  # noqa: A003
        """The least element; ``default`` for the empty set (without one, an empty set is an
        undefined read: an error where the value is used, see `checker.lang.lazy`)."""
        return self._extreme("min", default)

    def max(self, default: Any = _NO_DEFAULT) -> Term:  # noqa: A003
        """The greatest element; ``default`` for the empty set (see `min`)."""
        return self._extreme("max", default)

    def _extreme(self, what: str, default: Any) -> Term:
        v = self._value()
        if not isinstance(v.elem, IntSort):
            raise error_at_caller(ModelError, f"{v.name}.{what}() needs a set of ints; it holds {v.elem.describe()}")
        interp, raw = v.interp, v.raw
        given = default is not _NO_DEFAULT
        if given and (default.kind if isinstance(default, Term) else py_kind(default)) != "int":
            raise error_at_caller(ModelError, f"{v.name}.{what}(default=...) needs an int, got {default!r}")
        # without a default, the empty set's value is 0 in every interpretation (a don't-care)
        d = lift(interp, default) if given else interp.const(0)
        if v.form == "concrete":
            raw_value = (min(raw) if what == "min" else max(raw)) if raw else d
        elif v.form == "interval":
            lo, hi = raw
            raw_value = z3.If(lo > hi, d, lo if what == "min" else hi)
        elif v.form == "bits":
            pairs = list(zip(finite_values(v.elem), raw, strict=True))  # ascending values
            raw_value = d
            for e, bit in reversed(pairs) if what == "min" else pairs:  # the outermost ite wins
                raw_value = interp.ite(bit, interp.const(e), raw_value)
        else:
            raise v.not_quantifier_free(what)
        if given:
            return Term(interp, raw_value, "int")
        empty = self.is_empty().raw
        message = f"{v.name}.{what}() of an empty set (give {what}(default=...) for that case)"
        return lazy.undefined(interp, raw_value, "int", empty, message, v.frame)

    # -- values
    def union(self, other: Any) -> SetValue:
        return _combine(self._value(), _coerce(self._value(), other, "union"), "union")

    def intersection(self, other: Any) -> SetValue:
        return _combine(self._value(), _coerce(self._value(), other, "intersection"), "intersection")

    def difference(self, other: Any) -> SetValue:
        return _combine(self._value(), _coerce(self._value(), other, "difference"), "difference")

    def filter(self, pred: Callable[[Term], Any]) -> SetValue:  # noqa: A003
        """The elements for which ``pred(element)`` holds."""
        return _filter(self._value(), pred, keep=True)

    def choose(self, *args: Any, **kwargs: Any) -> Any:
        name = self._value().name
        raise error_at_caller(
            ModelError,
            f"{name}.choose(...) inside an action cannot pick: a nondeterministic choice is an action "
            f'argument, one transition per value: @action(x=choose("{name}")) or '
            f'@action(x=choose("{name}", lambda x: ...)), and the action body gets the picked x',
        )

    def __contains__(self, value: Any) -> bool:
        raise error_at_caller(ModelError, f"`x in {self._value().name}` cannot be a state value; use .contains(x)")

    def __bool__(self) -> bool:
        raise error_at_caller(ModelError, f"a set used as a Python bool; use {self._value().name}.is_empty()")


class SetValue(SetOps):
    """A set computed in model code: assign it to a set of the same element type, or query it."""

    __slots__ = ("interp", "raw", "form", "elem", "name", "slot", "frame")

    def __init__(self, frame: Frame, raw: Any, form: str, elem: Any, name: str, slot: int | None = None):
        self.frame, self.interp, self.raw, self.form, self.elem, self.name, self.slot = (
            frame, frame.interp, raw, form, elem, name, slot
        )  # fmt: skip

    def _value(self) -> SetValue:
        return self

    def elem_raw(self, value: Any, what: str) -> Any:
        kind = value.kind if isinstance(value, Term) else py_kind(value)
        if kind != sort_kind(self.elem):
            message = f"{self.name}.{what}: elements are {self.elem.describe()}, got {value!r}"
            raise error_at_caller(ModelError, message)
        return lift(self.interp, value)

    def not_quantifier_free(self, what: str) -> ModelError:
        why = (
            f"{self.name}.{what}() of an unbounded set held as a z3 array is not quantifier-free, and raceproof "
            "does not approximate it. Bound the element type (Int(min=..., max=...)), or keep the set "
            "a contiguous range of ints (added next to its ends, deleted from its ends or by a threshold "
            "discard_if) so that the symbolic encoding holds it as an interval (every engine builds it)"
        )
        if self.slot is not None:
            return NeedsInterval(self.slot, why)
        return error_at_caller(ModelError, why)


def _eq(interp: Interp, x: Any, v: Any) -> Any:
    return interp.binop("eq", x, interp.const(v))


def const_value(frame: Frame, elem: Any, values: Iterable[Any], form: str, name: str) -> SetValue:
    """A Python set of constants in the given form."""
    items = frozenset(values)
    if form == "concrete":
        return SetValue(frame, items, form, elem, name)
    for v in items:
        if not elem.check(v):
            raise error_at_caller(ModelError, f"{name}: {v!r} is not a {elem.describe()}")
    if form == "bits":
        return SetValue(frame, tuple(z3.BoolVal(v in items) for v in finite_values(elem)), form, elem, name)
    if form == "interval" and (not items or max(items) - min(items) + 1 == len(items)):
        lo, hi = (min(items), max(items)) if items else (1, 0)
        return SetValue(frame, (z3.IntVal(lo), z3.IntVal(hi)), form, elem, name)
    arr = z3.K(z3.IntSort(), z3.BoolVal(False))
    for v in sorted(items):
        arr = z3.Store(arr, v, True)
    return SetValue(frame, arr, "array", elem, name)


def _coerce(mine: SetValue, other: Any, what: str) -> SetValue:
    if isinstance(other, SetOps):
        v = other._value()
        if v.interp is not mine.interp:
            raise error_at_caller(ModelError, "values from two different executions were mixed")
        if v.elem != mine.elem:
            raise error_at_caller(
                ModelError,
                f"{mine.name}.{what}({v.name}): elements are {mine.elem.describe()} and {v.elem.describe()}",
            )
        return v
    if isinstance(other, set | frozenset):
        return const_value(mine.frame, mine.elem, other, mine.form, repr(set(other)))
    raise error_at_caller(ModelError, f"{mine.name}.{what}(...) takes a set, got {other!r}")


def _to_array(v: SetValue) -> Any:
    if v.form == "array":
        return v.raw
    lo, hi = v.raw
    g = z3.FreshInt("g")
    return z3.Lambda([g], z3.And(lo <= g, g <= hi))


def _combine(a: SetValue, b: SetValue, op: str) -> SetValue:
    interp, name = a.interp, f"{a.name}.{op}({b.name})"
    if a.form == "concrete":
        raw = a.raw | b.raw if op == "union" else a.raw & b.raw if op == "intersection" else a.raw - b.raw
        return SetValue(a.frame, raw, "concrete", a.elem, name)
    if a.form == "bits":
        pairs = zip(a.raw, b.raw, strict=True)
        if op == "union":
            raw = tuple(interp.or_([x, y]) for x, y in pairs)
        elif op == "intersection":
            raw = tuple(interp.and_([x, y]) for x, y in pairs)
        else:
            raw = tuple(interp.and_([x, interp.not_(y)]) for x, y in pairs)
        return SetValue(a.frame, raw, "bits", a.elem, name)
    if a.form == b.form == "interval":
        (alo, ahi), (blo, bhi) = a.raw, b.raw
        a_empty, b_empty = alo > ahi, blo > bhi
        if op == "intersection":  # always an interval
            return SetValue(a.frame, (z3.If(alo > blo, alo, blo), z3.If(ahi < bhi, ahi, bhi)), "interval", a.elem, name)
        if op == "union":
            exact = z3.Or(a_empty, b_empty, z3.And(alo <= bhi + 1, blo <= ahi + 1))
            lo = z3.If(a_empty, blo, z3.If(b_empty, alo, z3.If(alo < blo, alo, blo)))
            hi = z3.If(a_empty, bhi, z3.If(b_empty, ahi, z3.If(ahi > bhi, ahi, bhi)))
        else:
            untouched = z3.Or(a_empty, b_empty, bhi < alo, blo > ahi)
            exact = z3.Or(untouched, blo <= alo, bhi >= ahi)
            lo = z3.If(untouched, alo, z3.If(blo <= alo, bhi + 1, alo))
            hi = z3.If(untouched, ahi, z3.If(blo <= alo, ahi, blo - 1))
        a.frame.check_range(exact, gap_message(interp, a.slot, a.name, op), where=_where())
        return SetValue(a.frame, (lo, hi), "interval", a.elem, name)
    # z3's set operations are array maps: in the decidable array fragment, unlike a lambda
    x, y = _to_array(a), _to_array(b)
    ops = {"union": z3.SetUnion, "intersection": z3.SetIntersect, "difference": z3.SetDifference}
    raw = ops[op](x, y)
    return SetValue(a.frame, raw, "array", a.elem, name)


def gap_message(interp: Interp, slot: int | None, set_name: str, what: str) -> str:
    """The range check's message where an interval-held set would get a gap (`intervals.gap_message`),
    unless the set must be an interval because the model reads its min/max/size (no array retry then)."""
    if slot is not None and slot in getattr(interp, "required_intervals", ()):
        return (
            f"{set_name}.{what}: this step leaves a gap in '{set_name}', which the symbolic engines must "
            f"hold as an interval lo..hi because the model reads its min/max/size (not quantifier-free "
            f"over an array); keep '{set_name}' a contiguous range of ints"
        )
    return intervals.gap_message(set_name, what)


def _where() -> tuple[str | None, int | None]:
    err = error_at_caller(ModelError, "")
    return err.file, err.line


def _filter(v: SetValue, pred: Callable[[Term], Any], keep: bool) -> SetValue:
    interp, kind = v.interp, sort_kind(v.elem)
    name = f"{v.name}.filter(...)"

    def holds(raw_elem: Any) -> Any:
        result = pred(Term(interp, raw_elem, kind))
        if isinstance(result, bool):
            result = interp.const(result)
        elif isinstance(result, Term) and result.kind == "bool":
            result = result.raw
        else:
            raise error_at_caller(ModelError, f"{v.name}: the predicate must return a bool, got {result!r}")
        return result if keep else interp.not_(result)

    if v.form == "concrete":
        return SetValue(v.frame, frozenset(e for e in v.raw if holds(e)), "concrete", v.elem, name)
    if v.form == "bits":
        values = finite_values(v.elem)
        raw = tuple(interp.and_([bit, holds(interp.const(e))]) for e, bit in zip(values, v.raw, strict=True))
        return SetValue(v.frame, raw, "bits", v.elem, name)
    g = z3.FreshInt("g")
    kept = holds(g)
    if v.form == "interval":
        try:  # deleting the others by a threshold keeps an interval
            slot = v.slot if v.slot is not None else -1
            return SetValue(
                v.frame, intervals.discard_if(v.raw, z3.Not(kept), g, slot, v.name), "interval", v.elem, name
            )
        except intervals.NotAnInterval:
            pass  # exact as an array instead
    return SetValue(v.frame, z3.Lambda([g], z3.And(_to_array(v)[g], kept)), "array", v.elem, name)


def assign(frame: Frame, slot: int, elem: Any, form: str, set_name: str, value: Any) -> None:
    """Write a set value (or a Python set of constants) to the set held in ``slot``."""
    if isinstance(value, set | frozenset):
        value = const_value(frame, elem, value, form, repr(set(value)))
    if not isinstance(value, SetOps):
        raise error_at_caller(
            ModelError, f"'{set_name}' is a set: assign it a set (a.union(b), a.filter(...), set()), not {value!r}"
        )
    v = value._value()
    if v.interp is not frame.interp:
        raise error_at_caller(ModelError, "values from two different executions were mixed")
    if v.elem != elem:
        raise error_at_caller(
            ModelError, f"'{set_name}' holds {elem.describe()}; cannot assign a set of {v.elem.describe()}"
        )
    if form == "interval" and v.form != "interval":
        raise intervals.NotAnInterval(slot, f"{set_name} = {v.name}: the assigned set is not held as an interval")
    raw = _to_array(v) if form == "array" else v.raw
    frame.write(slot, raw)


def move_if(source: Any, pred: Callable[[Term], Any], target: Any, assign_to: Callable[[Any, SetValue], None]) -> None:
    """Move the elements of ``source`` satisfying ``pred`` into ``target``, in one step."""
    v = source._value()
    if not isinstance(target, SetOps) or not hasattr(target, "_assign"):
        raise error_at_caller(ModelError, f"{v.name}.move_if(pred, other): other must be a state set")
    t = _coerce(v, target, "move_if")
    if t.slot == v.slot:
        raise error_at_caller(ModelError, f"{v.name}.move_if(pred, other): other is the same set")
    moved, kept = _filter(v, pred, keep=True), _filter(v, pred, keep=False)
    grown = _combine(t, moved, "union")
    assign_to(target, grown)
    assign_to(source, kept)
