"""Solver formulas over a model's state, printed in the model's own terms.

An invariant from Spacer reads like ``Not(enactor1.pc <= 2) | endpoint_plan[0] + -1*plans.hi <= 0``.
This prints it as ``enactor1.pc in {"apply", "cleanup"} | endpoint_plan[0] <= plans.hi``:
one conjunct a line, linear comparisons with the terms moved to the side where they are
positive, enum variables compared with enum names (the values they can hold under the
declared types), ``&``, ``|``, ``~`` as in model code.
"""

from __future__ import annotations

from fractions import Fraction

import z3

from .encoding import Encoding
from .types import EnumSort

Linear = dict[str, Fraction]  # variable name -> coefficient; "" is the constant

_CMP = {
    z3.Z3_OP_LE: "<=", z3.Z3_OP_LT: "<", z3.Z3_OP_GE: ">=", z3.Z3_OP_GT: ">",
    z3.Z3_OP_EQ: "==", z3.Z3_OP_DISTINCT: "!=",
}  # fmt: skip
_NEGATED = {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "!=", "!=": "=="}
_MIRRORED = {"<=": ">=", "<": ">", ">=": "<=", ">": "<", "==": "==", "!=": "!="}


def readable(enc: Encoding, formula: z3.BoolRef) -> list[str]:
    """The conjuncts of ``formula`` (over ``enc.x``), one string each, in model terms."""
    printer = _Printer(enc)
    seen: list[str] = []
    for part in _conjuncts(formula):
        text = printer.bool(part)
        if text != "True" and text not in seen:
            seen.append(text)
    return seen or ["True"]


def legend(enc: Encoding) -> list[str]:
    """Names in printed formulas that are not the model's own (interval-encoded sets)."""
    return [
        f"{enc.model.slots[i].name} = {{{enc.model.slots[i].name}.lo .. {enc.model.slots[i].name}.hi}} "
        "(the integers from .lo to .hi; empty when .lo > .hi)"
        for i in sorted(enc.interval_slots)
    ]


def _conjuncts(f: z3.ExprRef) -> list[z3.ExprRef]:
    if z3.is_and(f):
        return [c for child in f.children() for c in _conjuncts(child)]
    return [f]


class _Printer:
    def __init__(self, enc: Encoding):
        self.enum_names = enc.interp.enum_names
        self.enum_sort: dict[str, EnumSort] = {}
        for slot, sym in zip(enc.model.slots, enc.x, strict=True):
            if isinstance(slot.sort, EnumSort) and z3.is_const(sym):
                self.enum_sort[str(sym)] = slot.sort

    # -- booleans
    def bool(self, e: z3.ExprRef) -> str:
        if z3.is_true(e):
            return "True"
        if z3.is_false(e):
            return "False"
        if z3.is_and(e):
            return " & ".join(self._operand(c) for c in e.children())
        if z3.is_or(e):
            return " | ".join(self._operand(c) for c in e.children())
        if z3.is_not(e):
            inner = e.arg(0)
            if _cmp_op(inner) is not None:
                return self.compare(inner, negate=True)
            return f"~{self._operand(inner)}"
        if z3.is_implies(e):
            return f"implies({self.bool(e.arg(0))}, {self.bool(e.arg(1))})"
        if _cmp_op(e) is not None:
            return self.compare(e)
        if z3.is_app_of(e, z3.Z3_OP_ITE):
            return f"ite({self.bool(e.arg(0))}, {self.term(e.arg(1))}, {self.term(e.arg(2))})"
        if z3.is_select(e) and z3.is_const(e.arg(0)):  # membership in an array-encoded set
            return f"{e.arg(0)}.contains({self.term(e.arg(1))})"
        if z3.is_const(e):
            return str(e)
        return " ".join(str(e).split())

    def _operand(self, e: z3.ExprRef) -> str:
        text = self.bool(e)
        return f"({text})" if z3.is_and(e) or z3.is_or(e) or z3.is_implies(e) else text

    # -- comparisons
    def compare(self, e: z3.ExprRef, negate: bool = False) -> str:
        op = _cmp_op(e)
        assert op is not None
        if negate:
            op = _NEGATED[op]
        a, b = e.arg(0), e.arg(1)
        if not z3.is_arith(a):  # booleans compared, or other sorts
            return f"{self._operand(a)} {op} {self._operand(b)}"
        la, lb = _linear(a), _linear(b)
        if la is None or lb is None:
            return f"{self.term(a)} {op} {self.term(b)}"
        diff = dict(la)
        for v, c in lb.items():
            diff[v] = diff.get(v, Fraction(0)) - c
        diff = {v: c for v, c in diff.items() if c != 0 or v == ""}
        variables = [v for v in diff if v]
        if len(variables) == 1 and variables[0] in self.enum_sort and abs(diff[variables[0]]) == 1:
            return self._enum(variables[0], diff[variables[0]], diff.get("", Fraction(0)), op)
        return _linear_text(diff, op)

    def _enum(self, var: str, coef: Fraction, const: Fraction, op: str) -> str:
        """``coef*var + const op 0`` over an enum slot: the names it allows."""
        sort = self.enum_sort[var]
        ids = {n: _enum_id(self.enum_names, n) for n in sort.names}
        allowed = [n for n in sort.names if _holds(coef * ids[n] + const, op)]
        if len(allowed) == len(sort.names):
            return "True"
        if not allowed:
            return "False"
        if len(allowed) == 1:
            return f'{var} == "{allowed[0]}"'
        excluded = [n for n in sort.names if n not in allowed]
        if len(excluded) == 1:
            return f'{var} != "{excluded[0]}"'
        return f"{var} in {{{', '.join(repr(n).replace(chr(39), chr(34)) for n in allowed)}}}"

    # -- terms
    def term(self, e: z3.ExprRef) -> str:
        if z3.is_int_value(e):
            return str(e.as_long())
        if z3.is_rational_value(e):
            return str(e)
        if z3.is_const(e):
            return str(e)
        if z3.is_bool(e):
            return self.bool(e)
        if not z3.is_arith(e):
            return " ".join(str(e).split())
        lin = _linear(e)
        if lin is not None:
            return _sum_text(lin)
        if z3.is_app_of(e, z3.Z3_OP_ITE):
            return f"ite({self.bool(e.arg(0))}, {self.term(e.arg(1))}, {self.term(e.arg(2))})"
        ops = {z3.Z3_OP_IDIV: "//", z3.Z3_OP_MOD: "%", z3.Z3_OP_MUL: "*", z3.Z3_OP_ADD: "+", z3.Z3_OP_SUB: "-"}
        kind = e.decl().kind() if z3.is_app(e) else None
        if kind in ops:
            return f" {ops[kind]} ".join(self._paren(c) for c in e.children())
        return str(e)

    def _paren(self, e: z3.ExprRef) -> str:
        text = self.term(e)
        return text if z3.is_const(e) or z3.is_int_value(e) else f"({text})"


def _cmp_op(e: z3.ExprRef) -> str | None:
    if not z3.is_app(e):
        return None
    op = _CMP.get(e.decl().kind())
    if op is None or (op in ("==", "!=") and e.num_args() != 2):
        return None
    return op


def _linear(e: z3.ExprRef) -> Linear | None:
    """``e`` as a linear combination of variables, or None if it is not linear."""
    if z3.is_int_value(e):
        return {"": Fraction(e.as_long())}
    if z3.is_rational_value(e):
        return {"": Fraction(e.as_fraction())}
    if z3.is_const(e) and z3.is_arith(e):
        return {str(e): Fraction(1)}
    if z3.is_add(e) or z3.is_sub(e):
        parts = [_linear(c) for c in e.children()]
        if any(p is None for p in parts):
            return None
        out: Linear = {}
        for i, p in enumerate(parts):
            sign = -1 if z3.is_sub(e) and i > 0 else 1
            for v, c in p.items():  # type: ignore[union-attr]
                out[v] = out.get(v, Fraction(0)) + sign * c
        return out
    if z3.is_app_of(e, z3.Z3_OP_UMINUS):
        inner = _linear(e.arg(0))
        return None if inner is None else {v: -c for v, c in inner.items()}
    if z3.is_mul(e):
        parts = [_linear(c) for c in e.children()]
        if any(p is None for p in parts):
            return None
        out = {"": Fraction(1)}
        for p in parts:
            assert p is not None
            if set(out) != {""} and set(p) != {""}:
                return None  # a product of two variables
            scale, other = (out[""], p) if set(out) == {""} else (p[""], out)
            out = {v: scale * c for v, c in other.items()}
        return out
    return None


def _linear_text(diff: Linear, op: str) -> str:
    """``sum(diff) op 0`` written as ``positive terms op negative terms + constant``."""
    terms = {v: c for v, c in diff.items() if v and c != 0}
    const = diff.get("", Fraction(0))
    if terms and all(c < 0 for c in terms.values()):
        terms = {v: -c for v, c in terms.items()}
        const, op = -const, _MIRRORED[op]
    left = {v: c for v, c in terms.items() if c > 0}
    right = {v: -c for v, c in terms.items() if c < 0}
    bound = -const
    # Over integers `a < b + 1` is `a <= b`: use whichever form has the smaller constant
    if all(c.denominator == 1 for c in terms.values()) and bound.denominator == 1:
        if op == "<" and abs(bound - 1) < abs(bound):
            op, bound = "<=", bound - 1
        elif op == ">" and abs(bound + 1) < abs(bound):
            op, bound = ">=", bound + 1
    right[""] = bound
    return f"{_sum_text(left)} {op} {_sum_text(right)}"


def _sum_text(lin: Linear) -> str:
    parts: list[str] = []
    for v, c in sorted(((v, c) for v, c in lin.items() if v and c != 0), key=lambda vc: vc[0]):
        mag = abs(c)
        text = v if mag == 1 else f"{_num(mag)}*{v}"
        parts.append(("- " if c < 0 else "+ ") + text)
    const = lin.get("", Fraction(0))
    if const != 0 or not parts:
        parts.append(("- " if const < 0 else "+ ") + _num(abs(const)))
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def _num(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else str(q)


def _holds(value: Fraction, op: str) -> bool:
    return {
        "<=": value <= 0, "<": value < 0, ">=": value >= 0, ">": value > 0, "==": value == 0, "!=": value != 0,
    }[op]  # fmt: skip


def _enum_id(enum_names: dict[int, str], name: str) -> int:
    for i, n in enum_names.items():
        if n == name:
            return i
    raise KeyError(name)
