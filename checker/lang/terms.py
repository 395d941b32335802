"""Values inside action code: `Term` and the helpers model code builds terms with.

Model code never sees raw values of state: it sees `Term`s. A term wraps a *raw* value of
one interpretation (`checker.lang.interp`): a Python value (concrete: replay, explicit
search) or a z3 expression (symbolic: BMC, induction, PDR). The same action body runs under
both; the operators of `Term` dispatch to the interpretation. That is what lets one model
serve every engine.

A term refuses to become a Python bool: branching on state in Python (`if`, `and`, `not`)
would silently pick one branch under the symbolic interpretation. The error names the
model line and the construct to use instead (`ite`, `when`, `require`, `&`, `|`, `~`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ModelError, error_at_caller
from .interp import ARITH_OPS, BOOL_OPS, ORDER_OPS, SYMBOL, Interp
from .types import BoolSort, EnumSort, IntSort, ScalarSort

BRANCH_HELP = (
    "a state value was used as a Python bool (in `if`, `while`, `and`, `or`, `not`, "
    "`all()`/`any()` or `in`). Actions must not branch on state in Python, because the "
    "symbolic engines would only see one branch. Use `require(cond)` for a guard, "
    "`ite(cond, a, b)` for a value, `with when(cond):` for conditional updates, and "
    "`&`, `|`, `~`, `all_of`, `any_of` instead of `and`, `or`, `not`, `all`, `any`"
)


_RESULT_KIND = {op: "int" for op in ARITH_OPS} | {op: "bool" for op in BOOL_OPS | ORDER_OPS | {"eq", "ne"}}


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
    if op in BOOL_OPS:
        ok, need = mine == theirs == "bool", "two booleans"
    elif op in ARITH_OPS or op in ORDER_OPS:
        ok, need = mine == theirs == "int", "two integers"
    else:
        ok, need = mine == theirs, "two values of one type"
    if not ok:
        raise error_at_caller(ModelError, f"`{SYMBOL[op]}` needs {need}, got {_a(mine)} and {_a(theirs)}")


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
