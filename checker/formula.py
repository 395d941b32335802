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
from .lang.types import EnumSort

Linear = dict[str, Fraction]  # variable name -> coefficient; "" is the constant

_CMP = {
    z3.Z3_OP_LE: "<=", z3.Z3_OP_LT: "<", z3.Z3_OP_GE: ">=", z3.Z3_OP_GT: ">",
    z3.Z3_OP_EQ: "==", z3.Z3_OP_DISTINCT: "!=",
}  # fmt: skip
_NEGATED = {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "!=", "!=": "=="}
_MIRRORED = {"<=": ">=", "<": ">", ">=": "<=", ">": "<", "==": "==", "!=": "!="}


def readable(enc: Encoding, formula: z3.BoolRef) -> list[str]:
    """The conjuncts of ``formula`` (over ``enc.x``), one string each, in model terms."""
    printer = _Printer(enc, formula.ctx)
    seen: dict[str, None] = {}
    for part in printer.conjuncts(printer.node(formula.as_ast())):
        text = printer.bool(part)
        if text != "True":
            seen.setdefault(text)
    return list(seen) or ["True"]


def legend(enc: Encoding) -> list[str]:
    """Names in printed formulas that are not the model's own (interval-encoded sets)."""
    return [
        f"{enc.model.slots[i].name} = {{{enc.model.slots[i].name}.lo .. {enc.model.slots[i].name}.hi}} "
        "(the integers from .lo to .hi; empty when .lo > .hi)"
        for i in sorted(enc.interval_slots)
    ]


_BOOL, _INT, _REAL, _OTHER = "bool", "int", "real", "other"
_SORTS = {z3.Z3_BOOL_SORT: _BOOL, z3.Z3_INT_SORT: _INT, z3.Z3_REAL_SORT: _REAL}
_APP_KINDS = (z3.Z3_APP_AST, z3.Z3_NUMERAL_AST)


class _Node:
    """One sub-term of the formula, read once through z3's C API.

    An invariant of a few hundred lemmas shares most of its sub-terms (the same slots, the
    same comparisons); reading each z3 term through the Python wrappers, once per
    occurrence and once per question asked about it (``is_and``, ``arg``, ``str``), took
    seconds. Nodes are read once per distinct term (z3's AST id) and printed once."""

    __slots__ = ("ast", "kind", "sort", "args", "name", "value", "id")

    def __init__(self, ast: z3.Ast, kind: int | None, sort: str, args: list[_Node], ident: int):
        self.ast = ast
        self.kind = kind  # the declaration's kind (z3.Z3_OP_...), None if not an application
        self.sort = sort
        self.args = args
        self.name: str | None = None  # an uninterpreted constant's name
        self.value: Fraction | None = None  # a numeral's value
        self.id = ident

    @property
    def is_const(self) -> bool:  # as z3.is_const: an application without arguments
        return self.kind is not None and not self.args

    @property
    def is_arith(self) -> bool:
        return self.sort in (_INT, _REAL)


class _Printer:
    def __init__(self, enc: Encoding, ctx: z3.Context):
        self.ctx = ctx
        self.ref = ctx.ref()
        self.enum_names = enc.interp.enum_names
        self.enum_sort: dict[str, EnumSort] = {}
        for slot, sym in zip(enc.model.slots, enc.x, strict=True):
            if isinstance(slot.sort, EnumSort) and z3.is_const(sym):
                self.enum_sort[str(sym)] = slot.sort
        self.nodes: dict[int, _Node] = {}
        self.bools: dict[int, str] = {}
        self.terms: dict[int, str] = {}
        self.linears: dict[int, Linear | None] = {}

    # -- reading z3 terms
    def node(self, ast: z3.Ast) -> _Node:
        ref = self.ref
        ident = z3.Z3_get_ast_id(ref, ast)
        found = self.nodes.get(ident)
        if found is not None:
            return found
        ast_kind = z3.Z3_get_ast_kind(ref, ast)
        sort = _SORTS.get(z3.Z3_get_sort_kind(ref, z3.Z3_get_sort(ref, ast)), _OTHER)
        if ast_kind not in _APP_KINDS:  # a quantifier or a bound variable: printed by z3
            out = _Node(ast, None, sort, [], ident)
        else:
            decl = z3.Z3_get_app_decl(ref, ast)
            kind = z3.Z3_get_decl_kind(ref, decl)
            args = [self.node(z3.Z3_get_app_arg(ref, ast, i)) for i in range(z3.Z3_get_app_num_args(ref, ast))]
            out = _Node(ast, kind, sort, args, ident)
            if ast_kind == z3.Z3_NUMERAL_AST and sort in (_INT, _REAL):
                out.value = Fraction(z3.Z3_get_numeral_string(ref, ast))
            elif kind == z3.Z3_OP_UNINTERPRETED and not args:
                symbol = z3.Z3_get_decl_name(ref, decl)
                if z3.Z3_get_symbol_kind(ref, symbol) == z3.Z3_STRING_SYMBOL:
                    out.name = z3.Z3_get_symbol_string(ref, symbol)
        self.nodes[ident] = out
        return out

    def z3text(self, n: _Node) -> str:
        """What ``str`` prints for the term (for what the printer does not rewrite)."""
        if n.name is not None:
            return n.name
        return str(z3.z3._to_expr_ref(n.ast, self.ctx))

    def conjuncts(self, n: _Node) -> list[_Node]:
        if n.kind == z3.Z3_OP_AND:
            return [c for child in n.args for c in self.conjuncts(child)]
        return [n]

    # -- booleans
    def bool(self, e: _Node) -> str:
        text = self.bools.get(e.id)
        if text is None:
            text = self.bools[e.id] = self._bool(e)
        return text

    def _bool(self, e: _Node) -> str:
        kind = e.kind
        if kind == z3.Z3_OP_TRUE:
            return "True"
        if kind == z3.Z3_OP_FALSE:
            return "False"
        if kind == z3.Z3_OP_AND:
            return " & ".join(self._operand(c) for c in e.args)
        if kind == z3.Z3_OP_OR:
            return " | ".join(self._operand(c) for c in e.args)
        if kind == z3.Z3_OP_NOT:
            inner = e.args[0]
            if _cmp_op(inner) is not None:
                return self.compare(inner, negate=True)
            return f"~{self._operand(inner)}"
        if kind == z3.Z3_OP_IMPLIES:
            return f"implies({self.bool(e.args[0])}, {self.bool(e.args[1])})"
        if _cmp_op(e) is not None:
            return self.compare(e)
        if kind == z3.Z3_OP_ITE:
            return f"ite({self.bool(e.args[0])}, {self.term(e.args[1])}, {self.term(e.args[2])})"
        if kind == z3.Z3_OP_SELECT and e.args[0].is_const:  # membership in an array-encoded set
            return f"{self.z3text(e.args[0])}.contains({self.term(e.args[1])})"
        if e.is_const:
            return self.z3text(e)
        return " ".join(self.z3text(e).split())

    def _operand(self, e: _Node) -> str:
        text = self.bool(e)
        return f"({text})" if e.kind in (z3.Z3_OP_AND, z3.Z3_OP_OR, z3.Z3_OP_IMPLIES) else text

    # -- comparisons
    def compare(self, e: _Node, negate: bool = False) -> str:
        op = _cmp_op(e)
        assert op is not None
        if negate:
            op = _NEGATED[op]
        a, b = e.args
        if not a.is_arith:  # booleans compared, or other sorts
            return f"{self._operand(a)} {op} {self._operand(b)}"
        la, lb = self.linear(a), self.linear(b)
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
    def term(self, e: _Node) -> str:
        text = self.terms.get(e.id)
        if text is None:
            text = self.terms[e.id] = self._term(e)
        return text

    def _term(self, e: _Node) -> str:
        if e.value is not None and e.sort == _INT:
            return _num(e.value)
        if e.is_const:
            return self.z3text(e)  # a rational's own printing, or a constant's name
        if e.sort == _BOOL:
            return self.bool(e)
        if not e.is_arith:
            return " ".join(self.z3text(e).split())
        lin = self.linear(e)
        if lin is not None:
            return _sum_text(lin)
        if e.kind == z3.Z3_OP_ITE:
            return f"ite({self.bool(e.args[0])}, {self.term(e.args[1])}, {self.term(e.args[2])})"
        ops = {z3.Z3_OP_IDIV: "//", z3.Z3_OP_MOD: "%", z3.Z3_OP_MUL: "*", z3.Z3_OP_ADD: "+", z3.Z3_OP_SUB: "-"}
        if e.kind in ops:
            return f" {ops[e.kind]} ".join(self._paren(c) for c in e.args)
        return self.z3text(e)

    def _paren(self, e: _Node) -> str:
        text = self.term(e)
        return text if e.is_const else f"({text})"

    def linear(self, e: _Node) -> Linear | None:
        """``e`` as a linear combination of variables, or None if it is not linear."""
        if e.id not in self.linears:
            self.linears[e.id] = self._linear(e)
        return self.linears[e.id]

    def _linear(self, e: _Node) -> Linear | None:
        if e.value is not None:
            return {"": e.value}
        if e.is_const and e.is_arith:
            return {self.z3text(e): Fraction(1)}
        if e.kind in (z3.Z3_OP_ADD, z3.Z3_OP_SUB):
            parts = [self.linear(c) for c in e.args]
            if any(p is None for p in parts):
                return None
            out: Linear = {}
            for i, p in enumerate(parts):
                sign = -1 if e.kind == z3.Z3_OP_SUB and i > 0 else 1
                for v, c in p.items():  # type: ignore[union-attr]
                    out[v] = out.get(v, Fraction(0)) + sign * c
            return out
        if e.kind == z3.Z3_OP_UMINUS:
            inner = self.linear(e.args[0])
            return None if inner is None else {v: -c for v, c in inner.items()}
        if e.kind == z3.Z3_OP_MUL:
            parts = [self.linear(c) for c in e.args]
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


def _cmp_op(e: _Node) -> str | None:
    op = _CMP.get(e.kind) if e.kind is not None else None
    if op is None or (op in ("==", "!=") and len(e.args) != 2):
        return None
    return op


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
