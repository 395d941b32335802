"""Guarded reads: values that may be undefined, and the operators that make them harmless.

A value can be undefined in some states: a read at a state key outside an array's keys, a
division by 0, ``min()`` of an empty set without a default. TLA+ writes the guard next to the read,
``current > 0 => ~deleted[current]``; Python evaluates both operands before `implies` sees
them, so the read used to be an error even where the guard is false.

Such a read gives an `Undefined` term instead: its raw value is the interpretation's
don't-care (the same one concretely and symbolically) and it carries *holes*, each a raw
condition "undefined here" with the message and the model line of the read. Operators
propagate holes; an operator whose result does not depend on an operand where that operand
is undefined discharges the operand's holes there:

- ``a & b``: where the other operand is false (and itself defined), the result is false;
- ``a | b`` and ``implies(a, b)`` (``~a | b``): where the other operand is true;
- ``ite(c, x, y)``: ``x``'s holes only where ``c`` holds, ``y``'s only where it does not.

Each discharge is exact: the result is the same for every value the undefined operand could
take, so accepting it cannot hide a behaviour. Wherever else the value is used (assigned,
compared inside an index, given to `require`, returned by a property, passed to anything
that reads ``.raw``), the remaining holes become range checks (`Frame.check_range`): an
error if the step fires (concretely in `runtime.fire`, symbolically queried by every
engine) or, for a property, in any state where it is evaluated. The safe default is the
point: any consumer that does not know about holes reads ``.raw``, which records them.

A zero-argument callable is a lazy branch (``implies(a, lambda: ...)``, ``ite(c, lambda: x,
lambda: y)``): concretely it runs only if taken; symbolically it runs with the guard
pushed (`frame.LAZY_GUARDS`), so every check it records holds only where it is taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from ..errors import ModelError, error_at_caller
from .frame import LAZY_GUARDS, Frame
from .interp import Concrete, Interp, Symbolic
from .terms import Term, kind_of, lift
from .terms import _check_kinds as check_kinds

#: the slot descriptor of `Term.raw`, which `Undefined` shadows with a property
_RAW = Term.raw  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Hole:
    cond: Any  # raw bool: the value is undefined here
    message: str
    file: str | None
    line: int | None
    frame: Frame  # the execution whose checks a remaining hole joins


class Undefined(Term):
    """A term that may be undefined (see the module docstring). Reading ``.raw`` records its holes."""

    __slots__ = ("holes",)
    undefined = True

    def __init__(self, interp: Interp, raw: Any, kind: str, holes: tuple[Hole, ...]):
        super().__init__(interp, raw, kind)
        self.holes = holes

    def _get_raw(self) -> Any:
        holes, self.holes = self.holes, ()
        for h in holes:
            h.frame.check_range(h.frame.interp.not_(h.cond), h.message, where=(h.file, h.line))
        return _RAW.__get__(self)

    def _set_raw(self, value: Any) -> None:
        _RAW.__set__(self, value)

    raw = property(_get_raw, _set_raw)  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self.kind} {_RAW.__get__(self)!r} (maybe undefined)>"

    def _op(self, op: str, other: Any, swap: bool = False) -> Term:
        if op in ("floordiv", "mod"):
            return divide(self, op, other, swap)
        return binop(self, op, other, swap)

    def __invert__(self) -> Term:
        return _make(plain(self).__invert__(), self.holes)

    def __neg__(self) -> Term:
        return _make(plain(self).__neg__(), self.holes)


def undefined(interp: Interp, raw: Any, kind: str, cond: Any, message: str, frame: Frame) -> Term:
    """A read that is undefined where ``cond`` holds, located at the model line reading it."""
    err = error_at_caller(ModelError, message)
    return _make(Term(interp, raw, kind), (Hole(cond, message, err.file, err.line, frame),))


def holes_of(value: Any) -> tuple[Hole, ...]:
    return value.holes if isinstance(value, Undefined) else ()


def plain(value: Term) -> Term:
    """The same value without its holes (they are the caller's to carry on)."""
    return Term(value.interp, _RAW.__get__(value), value.kind) if isinstance(value, Undefined) else value


def _make(term: Term, holes: tuple[Hole, ...]) -> Term:
    interp = term.interp
    kept = tuple(h for h in holes if not _is_false(interp, h.cond))
    if not kept:
        return term
    return Undefined(interp, _RAW.__get__(term), term.kind, kept)


def _is_false(interp: Interp, cond: Any) -> bool:
    return cond is False if isinstance(interp, Concrete) else z3.is_false(cond)


def _guarded(interp: Interp, where: Any, holes: tuple[Hole, ...]) -> tuple[Hole, ...]:
    """``holes``, kept only where ``where`` holds (outside it the result does not depend on them)."""
    return tuple(Hole(interp.and_([where, h.cond]), h.message, h.file, h.line, h.frame) for h in holes)


def _defined(interp: Interp, holes: tuple[Hole, ...]) -> Any:
    return interp.not_(interp.or_([h.cond for h in holes])) if holes else interp.const(True)


def _as_term(interp: Interp, value: Any) -> Term:
    if isinstance(value, Term):
        return value
    return Term(interp, lift(interp, value), kind_of(value))


def binop(a: Term, op: str, other: Any, swap: bool = False) -> Term:
    """``a op other`` (``other op a`` if ``swap``), holes propagated or discharged."""
    interp = a.interp
    b = _as_term(interp, other)
    left, right = (b, a) if swap else (a, b)
    result = Term._op(plain(left), op, plain(right))
    hl, hr = holes_of(left), holes_of(right)
    if op in ("and", "or"):
        # the result is decided by a defined operand equal to the absorbing value: there the
        # other operand's value does not matter, whatever it is
        absorbing = (lambda t: interp.not_(t.raw)) if op == "and" else (lambda t: t.raw)
        decided_by_left = interp.and_([absorbing(plain(left)), _defined(interp, hl)])
        decided_by_right = interp.and_([absorbing(plain(right)), _defined(interp, hr)])
        hl = _guarded(interp, interp.not_(decided_by_right), hl)
        hr = _guarded(interp, interp.not_(decided_by_left), hr)
    return _make(result, hl + hr)


def divide(a: Term, op: str, other: Any, swap: bool = False) -> Term:
    """``//`` or ``%`` (Python's rounding), undefined where the divisor is 0. The value there is
    the don't-care every interpretation uses (quotient 0, remainder the dividend)."""
    interp = a.interp
    b = _as_term(interp, other)
    left, right = (b, a) if swap else (a, b)
    check_kinds(op, left.kind, right.kind)
    x, y = _RAW.__get__(left), _RAW.__get__(right)
    symbol = "//" if op == "floordiv" else "%"
    if isinstance(interp, Concrete):
        zero: Any = y == 0
        raw = (0 if op == "floordiv" else x) if zero else (x // y if op == "floordiv" else x % y)
        message = f"`{symbol}` by 0 (ZeroDivisionError)"
    else:
        assert isinstance(interp, Symbolic)
        zero = z3.BoolVal(False) if z3.is_int_value(y) and y.as_long() != 0 else y == 0
        raw = interp._division(op, x, y, check=False)
        message = f"`{symbol}` by a value that can be 0"
    holes = holes_of(left) + holes_of(right)
    if zero is not False and not (not isinstance(interp, Concrete) and z3.is_false(zero)):
        err = error_at_caller(ModelError, message)
        holes += (Hole(zero, message, err.file, err.line, _frame_of(left, right)),)
    return _make(Term(interp, raw, "int"), holes)


def _frame_of(*terms: Term) -> Frame:
    for t in terms:
        if isinstance(t, Undefined) and t.holes:
            return t.holes[0].frame
    from .frame import current_frame

    return current_frame("division")


def _branch(value: Any, guard: Any, interp: Interp | None) -> Any:
    """A branch's value: a callable runs only where taken (see the module docstring)."""
    if not callable(value) or isinstance(value, Term):
        return value
    if interp is None or isinstance(interp, Concrete):  # the caller runs only the taken branch
        return value()
    LAZY_GUARDS.append(guard)
    try:
        return value()
    finally:
        LAZY_GUARDS.pop()


def implies(a: Any, b: Any | Callable[[], Any]) -> Any:
    """``a => b``; ``b`` may be undefined (or a zero-argument callable) where ``a`` is false."""
    if isinstance(a, bool):
        return _branch(b, None, None) if a else True
    if not isinstance(a, Term) or a.kind != "bool":
        raise error_at_caller(ModelError, f"implies(...) needs a boolean condition, got {a!r}")
    interp = a.interp
    if isinstance(interp, Concrete) and callable(b) and not isinstance(b, Term):
        if not _RAW.__get__(a) and not holes_of(a):
            return Term(interp, True, "bool")
        b = b()
    else:
        b = _branch(b, _RAW.__get__(a), interp)
    return binop(~a, "or", b)


def ite(cond: Any, then: Any, otherwise: Any) -> Any:
    """`then` where ``cond`` holds, else `otherwise`; each branch's holes only where it is taken."""
    if isinstance(cond, bool):
        return _branch(then if cond else otherwise, None, None)
    if not isinstance(cond, Term) or cond.kind != "bool":
        raise error_at_caller(ModelError, f"ite(...) needs a boolean condition, got {cond!r}")
    interp = cond.interp
    c = _RAW.__get__(cond)
    if isinstance(interp, Concrete):
        # only the taken branch runs; a condition that may be undefined keeps its holes
        chosen = _branch(then if c else otherwise, None, None)
        kind = kind_of(chosen)
        other = None
        untaken = otherwise if c else then
        if not callable(untaken) or isinstance(untaken, Term):  # the types are checked as symbolically
            if kind_of(untaken) != kind:
                raise error_at_caller(ModelError, f"ite(...) branches differ in type: {kind} and {kind_of(untaken)}")
    else:
        chosen = _branch(then, c, interp)
        other = _branch(otherwise, interp.not_(c), interp)
        kind = kind_of(chosen)
        if kind_of(other) != kind:
            raise error_at_caller(ModelError, f"ite(...) branches differ in type: {kind} and {kind_of(other)}")
    if other is None:
        t = _as_term(interp, chosen)
        return _make(Term(interp, _RAW.__get__(t), kind), holes_of(cond) + holes_of(t))
    x, y = _as_term(interp, chosen), _as_term(interp, other)
    raw = interp.ite(c, _RAW.__get__(x), _RAW.__get__(y))
    holes = holes_of(cond) + _guarded(interp, c, holes_of(x)) + _guarded(interp, interp.not_(c), holes_of(y))
    return _make(Term(interp, raw, kind), holes)


def fold(items: list[Any], conjunction: bool) -> Term:
    """`all_of`/`any_of` over items of which some may be undefined."""
    interp = next(v.interp for v in items if isinstance(v, Term))
    acc: Term = Term(interp, interp.const(conjunction), "bool")
    for v in items:
        acc = binop(acc, "and" if conjunction else "or", v)
    return acc
