"""Values inside action code, and the two interpretations that give them meaning.

Model code never sees raw values of state: it sees `Term`s. A term wraps a *raw* value of
one interpretation: a Python value (concrete: replay, explicit search) or a z3 expression
(symbolic: BMC, induction, PDR). The same action body runs under both; the operators of
`Term` dispatch to the interpretation. That is what lets one model serve every engine.

A term refuses to become a Python bool: branching on state in Python (`if`, `and`, `not`)
would silently pick one branch under the symbolic interpretation. The error names the
model line and the construct to use instead (`ite`, `when`, `require`, `&`, `|`, `~`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

import z3

from ..errors import ModelError, error_at_caller
from .types import BoolSort, EnumSort, IntSort, ScalarSort

BRANCH_HELP = (
    "a state value was used as a Python bool (in `if`, `while`, `and`, `or`, `not`, "
    "`all()`/`any()` or `in`). Actions must not branch on state in Python, because the "
    "symbolic engines would only see one branch. Use `require(cond)` for a guard, "
    "`ite(cond, a, b)` for a value, `with when(cond):` for conditional updates, and "
    "`&`, `|`, `~`, `all_of`, `any_of` instead of `and`, `or`, `not`, `all`, `any`"
)


class Interp:
    """Operations on raw values: const, binop, not_, neg, and_, or_, ite, is_true.

    Subclasses: `Concrete`, `Symbolic`; both implement every operation.
    """

    name = "?"


class Concrete(Interp):
    """Python values: bool, int, str (enum names), frozenset."""

    name = "concrete"

    def const(self, value: Any) -> Any:
        return value

    def binop(self, op: str, a: Any, b: Any) -> Any:
        if op in _BOOL_OPS:
            if not isinstance(a, bool) or not isinstance(b, bool):
                raise error_at_caller(ModelError, f"`{_SYMBOL[op]}` needs two booleans, got {a!r} and {b!r}", 4)
        elif op in _ARITH_OPS or op in _ORDER_OPS:
            if isinstance(a, bool | str) or isinstance(b, bool | str):
                raise error_at_caller(ModelError, f"`{_SYMBOL[op]}` needs two integers, got {a!r} and {b!r}", 4)
        elif type(a) is not type(b) and not (isinstance(a, int) and isinstance(b, int)):
            raise error_at_caller(ModelError, f"cannot compare {a!r} with {b!r}", 4)
        if op in ("floordiv", "mod") and b == 0:
            from .frame import defer_error  # frame imports this module

            # as symbolically: an error only if the step fires (and not under a false `when`),
            # with the symbolic encoding's don't-care result (quotient 0)
            defer_error(f"`{_SYMBOL[op]}` by 0 (ZeroDivisionError)")
            return 0 if op == "floordiv" else a
        return _PY_OPS[op](a, b)

    def not_(self, a: Any) -> bool:
        return not a

    def neg(self, a: Any) -> int:
        return -a

    def and_(self, items: list[Any]) -> bool:
        return all(items)

    def or_(self, items: list[Any]) -> bool:
        return any(items)

    def ite(self, c: Any, a: Any, b: Any) -> Any:
        return a if c else b

    def is_true(self, c: Any) -> bool:
        return bool(c)


class Symbolic(Interp):
    """z3 terms. Enum names become integers, numbered model-wide so a bare string
    literal needs no sort to be translated."""

    name = "symbolic"

    def __init__(self, enum_ids: dict[str, int], interval_slots: frozenset[int] = frozenset()):
        self.enum_ids = enum_ids
        self.enum_names = {i: n for n, i in enum_ids.items()}
        #: slots of unbounded int sets encoded as an interval (lo, hi); see `checker.lang.intervals`
        self.interval_slots = interval_slots

    def const(self, value: Any) -> z3.ExprRef:
        if isinstance(value, z3.ExprRef):
            return value
        if isinstance(value, bool):
            return z3.BoolVal(value)
        if isinstance(value, int):
            return z3.IntVal(value)
        if isinstance(value, str):
            if value not in self.enum_ids:
                raise error_at_caller(ModelError, f"'{value}' is not a value of any Enum declared in this model", 4)
            return z3.IntVal(self.enum_ids[value])
        raise error_at_caller(ModelError, f"unsupported value {value!r} in model code", 4)

    def binop(self, op: str, a: Any, b: Any) -> z3.ExprRef:
        if op == "and":
            return z3.And(a, b)
        if op == "or":
            return z3.Or(a, b)
        if op == "xor":
            return z3.Xor(a, b)
        if op in ("eq", "ne") and a.sort() != b.sort():
            raise error_at_caller(ModelError, f"cannot compare {a.sort()} with {b.sort()}", 4)
        try:
            if op in ("floordiv", "mod"):
                return self._division(op, a, b)
            return _PY_OPS[op](a, b)
        except z3.Z3Exception as exc:
            raise error_at_caller(ModelError, f"`{_SYMBOL[op]}` on these values: {exc}", 4) from None

    def _division(self, op: str, a: Any, b: Any, check: bool = True) -> z3.ArithRef:
        """Python's ``//`` and ``%`` (rounding towards minus infinity, for either sign of
        the divisor). A divisor that may be 0 is a range check, as concretely it raises."""
        if z3.is_int_value(b) and b.as_long() > 0:  # SMT-LIB's div and mod round down here
            return a / b if op == "floordiv" else a % b
        if z3.is_int_value(b) and b.as_long() < 0:
            quotient = (-a) / (-b)
        else:  # reported (at its line) only if a step that divides by 0 is reachable
            if check:  # (unless the caller carries "undefined where b == 0" on: `checker.lang.lazy`)
                from .frame import current_frame  # frame imports this module

                current_frame("division").check_range(b != 0, f"`{_SYMBOL[op]}` by a value that can be 0")
            # z3's division by 0 is unconstrained; the quotient must be one value, the one the
            # concrete and numpy interpretations use, for a later `require` to read it alike
            quotient = z3.If(b > 0, a / b, z3.If(b < 0, (-a) / (-b), 0))
        return quotient if op == "floordiv" else a - b * quotient

    def not_(self, a: Any) -> z3.BoolRef:
        return z3.Not(a)

    def neg(self, a: Any) -> z3.ArithRef:
        return -a

    def and_(self, items: list[Any]) -> z3.BoolRef:
        items = [i for i in items if not z3.is_true(i)]
        if any(z3.is_false(i) for i in items):
            return z3.BoolVal(False)
        return items[0] if len(items) == 1 else z3.And(items) if items else z3.BoolVal(True)

    def or_(self, items: list[Any]) -> z3.BoolRef:
        items = [i for i in items if not z3.is_false(i)]
        if any(z3.is_true(i) for i in items):
            return z3.BoolVal(True)
        return items[0] if len(items) == 1 else z3.Or(items) if items else z3.BoolVal(False)

    def ite(self, c: Any, a: Any, b: Any) -> z3.ExprRef:
        if z3.is_true(c):
            return a
        if z3.is_false(c):
            return b
        if z3.eq(a, b):
            return a
        return z3.If(c, a, b)

    def is_true(self, c: Any) -> bool:
        return z3.is_true(z3.simplify(c))


_PY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "floordiv": operator.floordiv, "mod": operator.mod,
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
    "gt": operator.gt, "ge": operator.ge,
    "and": operator.and_, "or": operator.or_, "xor": operator.xor,
}  # fmt: skip
_SYMBOL = {
    "add": "+", "sub": "-", "mul": "*", "floordiv": "//", "mod": "%", "eq": "==", "ne": "!=",
    "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "and": "&", "or": "|", "xor": "^",
}  # fmt: skip
_BOOL_OPS = {"and", "or", "xor"}
_ARITH_OPS = {"add", "sub", "mul", "floordiv", "mod"}
_ORDER_OPS = {"lt", "le", "gt", "ge"}
_RESULT_KIND = {op: "int" for op in _ARITH_OPS} | {op: "bool" for op in _BOOL_OPS | _ORDER_OPS | {"eq", "ne"}}


def py_kind(value: Any) -> str:
    """The kind of a Python constant in model code ("bool", "int", "enum"), else its type name."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "enum"
    return type(value).__name__


def kind_of(value: Any) -> str:
    if isinstance(value, Term):
        return value.kind
    kind = py_kind(value)
    if kind not in ("bool", "int", "enum"):
        raise error_at_caller(ModelError, f"unsupported value {value!r} in model code", 4)
    return kind


class Term:
    """A value of state (or derived from state) inside model code."""

    __slots__ = ("interp", "raw", "kind")
    #: True for `checker.lang.lazy.Undefined`: a value that may be undefined in some states
    undefined = False
    __hash__ = None  # type: ignore[assignment]  # `==` builds a term, so terms are not hashable

    def __init__(self, interp: Interp, raw: Any, kind: str):
        self.interp, self.raw, self.kind = interp, raw, kind

    # -- refusing Python control flow
    def __bool__(self) -> bool:
        raise error_at_caller(ModelError, BRANCH_HELP)

    def __iter__(self):  # noqa: D105 - a term is not a collection
        raise error_at_caller(ModelError, "a state value is not iterable")

    def __index__(self) -> int:
        raise error_at_caller(
            ModelError, "a state value cannot index a Python list or range; index a state Array instead"
        )

    def __repr__(self) -> str:
        return f"<{self.kind} {self.raw!r}>"

    # -- operators
    def _op(self, op: str, other: Any, swap: bool = False) -> Term:
        if isinstance(other, Term) and other.undefined:  # it carries its holes on (`checker.lang.lazy`)
            return other._op(op, self, not swap)
        if op in ("floordiv", "mod"):  # undefined where the divisor is 0 (`checker.lang.lazy`)
            from .lazy import divide  # lazy imports this module

            return divide(self, op, other, swap)
        other_raw = lift(self.interp, other)
        _check_kinds(op, self.kind, other.kind if isinstance(other, Term) else kind_of(other))
        a, b = (other_raw, self.raw) if swap else (self.raw, other_raw)
        return Term(self.interp, self.interp.binop(op, a, b), _RESULT_KIND[op])

    def __add__(self, o: Any) -> Term:
        return self._op("add", o)

    def __radd__(self, o: Any) -> Term:
        return self._op("add", o, True)

    def __sub__(self, o: Any) -> Term:
        return self._op("sub", o)

    def __rsub__(self, o: Any) -> Term:
        return self._op("sub", o, True)

    def __mul__(self, o: Any) -> Term:
        return self._op("mul", o)

    def __rmul__(self, o: Any) -> Term:
        return self._op("mul", o, True)

    def __floordiv__(self, o: Any) -> Term:
        return self._op("floordiv", o)

    def __rfloordiv__(self, o: Any) -> Term:
        return self._op("floordiv", o, True)

    def __mod__(self, o: Any) -> Term:
        return self._op("mod", o)

    def __rmod__(self, o: Any) -> Term:
        return self._op("mod", o, True)

    def __eq__(self, o: Any) -> Term:
        return self._op("eq", o)  # type: ignore[override]

    def __ne__(self, o: Any) -> Term:
        return self._op("ne", o)  # type: ignore[override]

    def __lt__(self, o: Any) -> Term:
        return self._op("lt", o)

    def __le__(self, o: Any) -> Term:
        return self._op("le", o)

    def __gt__(self, o: Any) -> Term:
        return self._op("gt", o)

    def __ge__(self, o: Any) -> Term:
        return self._op("ge", o)

    def __and__(self, o: Any) -> Term:
        return self._op("and", o)

    def __rand__(self, o: Any) -> Term:
        return self._op("and", o, True)

    def __or__(self, o: Any) -> Term:
        return self._op("or", o)

    def __ror__(self, o: Any) -> Term:
        return self._op("or", o, True)

    def __xor__(self, o: Any) -> Term:
        return self._op("xor", o)

    def __rxor__(self, o: Any) -> Term:
        return self._op("xor", o, True)

    def __invert__(self) -> Term:
        if self.kind != "bool":
            raise error_at_caller(ModelError, "`~` negates a boolean; this value is not one")
        return Term(self.interp, self.interp.not_(self.raw), "bool")

    def __neg__(self) -> Term:
        return Term(self.interp, self.interp.neg(self.raw), "int")

    def __pos__(self) -> Term:
        return self


def _check_kinds(op: str, mine: str, theirs: str) -> None:
    """Both interpretations must reject the same operands: enums are ints to z3, and z3
    would silently turn a bool into an int, so the types are checked here, once."""
    if op in _BOOL_OPS:
        ok, need = mine == theirs == "bool", "two booleans"
    elif op in _ARITH_OPS or op in _ORDER_OPS:
        ok, need = mine == theirs == "int", "two integers"
    else:
        ok, need = mine == theirs, "two values of one type"
    if not ok:
        raise error_at_caller(ModelError, f"`{_SYMBOL[op]}` needs {need}, got {_a(mine)} and {_a(theirs)}")


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def lift(interp: Interp, value: Any) -> Any:
    """The raw value of a term or Python constant under ``interp``."""
    if isinstance(value, Term):
        if value.interp is not interp:
            raise error_at_caller(ModelError, "values from two different executions were mixed", 4)
        return value.raw
    if isinstance(value, SetLike):
        raise error_at_caller(ModelError, "a set cannot be used as a value here; use .contains(x)", 4)
    kind_of(value)  # rejects unsupported Python values with a located error
    return interp.const(value)


class SetLike:
    """Marker base for set views (see `checker.lang.runtime`)."""


# ---------------------------------------------------------------------------- helpers
def _interp_of(values: Iterable[Any]) -> Interp | None:
    for v in values:
        if isinstance(v, Term):
            return v.interp
    return None


def ite(cond: Any, then: Any, otherwise: Any) -> Any:
    """`then` if `cond` holds, else `otherwise`: the value-level `if` of model code. A branch
    may be a zero-argument callable, evaluated only where taken (`checker.lang.lazy`)."""
    if _lazy_operands(cond, then, otherwise):
        from .lazy import ite as lazy_ite  # lazy imports this module

        return lazy_ite(cond, then, otherwise)
    if isinstance(cond, bool):
        return then if cond else otherwise
    if not isinstance(cond, Term) or cond.kind != "bool":
        raise error_at_caller(ModelError, f"ite(...) needs a boolean condition, got {cond!r}")
    interp = cond.interp
    kind_a, kind_b = kind_of(then), kind_of(otherwise)
    if kind_a != kind_b:
        raise error_at_caller(ModelError, f"ite(...) branches differ in type: {kind_a} and {kind_b}")
    return Term(interp, interp.ite(cond.raw, lift(interp, then), lift(interp, otherwise)), kind_a)


def _fold(values: Iterable[Any], empty: bool, name: str) -> Any:
    items = list(values)
    interp = _interp_of(items)
    if interp is None:  # only Python values: parameters, decided now
        for v in items:
            if not isinstance(v, bool):
                raise error_at_caller(ModelError, f"{name}(...) takes booleans, got {v!r}", 3)
        return all(items) if empty else any(items)
    if _lazy_operands(*items):
        from .lazy import fold  # lazy imports this module

        return fold(items, empty)
    raws = [lift(interp, v) for v in items]
    return Term(interp, interp.and_(raws) if empty else interp.or_(raws), "bool")


#: set only while a report explains a failing property (`checker.explain`): collects each
#: all_of/any_of's parts itself, to tell which of them made the property false
FOLD_OBSERVER: Callable[[str, Any], tuple[Any, ...]] | None = None


def _parts(values: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    if len(values) == 1 and not isinstance(values[0], Term | bool):
        return FOLD_OBSERVER(name, values[0]) if FOLD_OBSERVER is not None else tuple(values[0])
    return FOLD_OBSERVER(name, iter(values)) if FOLD_OBSERVER is not None else values


def all_of(*values: Any) -> Any:
    """Conjunction; takes terms and booleans, or one iterable of them."""
    return _fold(_parts(values, "all_of"), True, "all_of")


def any_of(*values: Any) -> Any:
    """Disjunction; takes terms and booleans, or one iterable of them."""
    return _fold(_parts(values, "any_of"), False, "any_of")


def implies(a: Any, b: Any) -> Any:
    """``a => b``; ``b`` is not needed where ``a`` is false: a read there that is undefined (a key
    outside an array) is no error, and ``b`` may be a zero-argument callable (`checker.lang.lazy`)."""
    from .lazy import implies as lazy_implies  # lazy imports this module

    return lazy_implies(a, b)


def _lazy_operands(*values: Any) -> bool:
    return any((isinstance(v, Term) and v.undefined) or (callable(v) and not isinstance(v, Term)) for v in values)


def min_(a: Any, b: Any) -> Any:
    return ite(a <= b, a, b)


def max_(a: Any, b: Any) -> Any:
    return ite(a >= b, a, b)


def sort_kind(sort: ScalarSort) -> str:
    if isinstance(sort, BoolSort):
        return "bool"
    if isinstance(sort, EnumSort):
        return "enum"
    assert isinstance(sort, IntSort)
    return "int"
