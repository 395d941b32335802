"""The two interpretations of model code's values: `Concrete` (Python values: replay,
explicit search) and `Symbolic` (z3 expressions: BMC, induction, PDR). `checker.lang.terms`
wraps their raw values in `Term`s, whose operators dispatch here, so one action body runs
under either."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import z3

from ..errors import ModelError, error_at_caller


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
        if op in BOOL_OPS:
            if not isinstance(a, bool) or not isinstance(b, bool):
                raise error_at_caller(ModelError, f"`{SYMBOL[op]}` needs two booleans, got {a!r} and {b!r}", 4)
        elif op in ARITH_OPS or op in ORDER_OPS:
            if isinstance(a, bool | str) or isinstance(b, bool | str):
                raise error_at_caller(ModelError, f"`{SYMBOL[op]}` needs two integers, got {a!r} and {b!r}", 4)
        elif type(a) is not type(b) and not (isinstance(a, int) and isinstance(b, int)):
            raise error_at_caller(ModelError, f"cannot compare {a!r} with {b!r}", 4)
        if op in ("floordiv", "mod") and b == 0:
            from .frame import defer_error  # frame imports terms, which imports this module

            # as symbolically: an error only if the step fires (and not under a false `when`),
            # with the symbolic encoding's don't-care result (quotient 0)
            defer_error(f"`{SYMBOL[op]}` by 0 (ZeroDivisionError)")
            return 0 if op == "floordiv" else a
        return PY_OPS[op](a, b)

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
            return PY_OPS[op](a, b)
        except z3.Z3Exception as exc:
            raise error_at_caller(ModelError, f"`{SYMBOL[op]}` on these values: {exc}", 4) from None

    def _division(self, op: str, a: Any, b: Any, check: bool = True) -> z3.ArithRef:
        """Python's ``//`` and ``%`` (rounding towards minus infinity, for either sign of
        the divisor). A divisor that may be 0 is a range check, as concretely it raises."""
        if z3.is_int_value(b) and b.as_long() > 0:  # SMT-LIB's div and mod round down here
            return a / b if op == "floordiv" else a % b
        if z3.is_int_value(b) and b.as_long() < 0:
            quotient = (-a) / (-b)
        else:  # reported (at its line) only if a step that divides by 0 is reachable
            if check:  # (unless the caller carries "undefined where b == 0" on: `checker.lang.lazy`)
                from .frame import current_frame  # frame imports terms, which imports this module

                current_frame("division").check_range(b != 0, f"`{SYMBOL[op]}` by a value that can be 0")
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


PY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "floordiv": operator.floordiv, "mod": operator.mod,
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
    "gt": operator.gt, "ge": operator.ge,
    "and": operator.and_, "or": operator.or_, "xor": operator.xor,
}  # fmt: skip
SYMBOL = {
    "add": "+", "sub": "-", "mul": "*", "floordiv": "//", "mod": "%", "eq": "==", "ne": "!=",
    "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "and": "&", "or": "|", "xor": "^",
}  # fmt: skip
BOOL_OPS = {"and", "or", "xor"}
ARITH_OPS = {"add", "sub", "mul", "floordiv", "mod"}
ORDER_OPS = {"lt", "le", "gt", "ge"}
