"""Finite-domain BMC: the unrolling bit-blasted to SAT when every value is bounded.

When every slot of a model is a bool, an enum (or `Ref`), a finite set of those, or an int
with declared bounds, no unbounded set needs arrays, and the step relation, its range checks,
the symmetry breaking and the checked properties are linear arithmetic over those slots
(`in_fragment`), the whole unrolling is a finite problem. z3's finite-domain solver
(``QF_FD``) turns the bounded ints into bit-vectors and hands everything to its SAT solver,
keeping learned clauses across depths. On the fine-grained DNS race
(benchmarks/specs/fine_grained_dns.toml, 2 Enactors) BMC to the violation at depth 19 took
2 s of CPU instead of 50 (issue 15 §3). Terms outside that fragment are not handed to it: on
a ``mod`` by a variable it answered with models that did not give the ints their values.

That solver needs explicit bounds for every int constant it sees, and those bounds must not
cut any trace BMC considers. BMC checks each step for a write outside its declared range
(over the state *before* the step), so the state *after* a step can hold a value outside the
declared range when that check is asked. The bounds asserted on state k+1 are therefore
wider: the hull of every value any transition's next-value expression can take from a state
within the declared ranges, by interval arithmetic over the encoding's own z3 terms. They
hold of every trace whose state k lies within its declared ranges, which BMC asserts before
it builds step k+1 (after the range checks at depth k passed; `Unrolling.extend` asserts it
again in this mode, so each bound is implied by what the solver has already). The first
state's bounds cover the declared initial values. A term the interval arithmetic does not
bound leaves the model to the arithmetic solver: never a guess.

If the finite-domain solver gives up (not a timeout), the assertions as asserted go to the
arithmetic solver for the rest of the run (`Unrolling._leave_finite`): an answer is never
weaker than before. Every trace it finds is replayed concretely like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import z3

from ..encoding import Encoding, State, substitute
from ..lang.types import BoolSort, EnumSort, IntSort, SetSort

Interval = tuple[int, int]


@dataclass(frozen=True)
class FiniteBounds:
    """Per slot (None: a bool or a set of bools, bounded by nature) the bounds asserted on
    the first state (``initial``) and on every later one (``later``), and the oracle's;
    ``first`` and ``after_step`` give them as formulas over a state (and oracle)."""

    enc: Encoding
    initial: tuple[Interval | None, ...]
    later: tuple[Interval | None, ...]
    oracle: Interval

    def first(self, x: State) -> z3.BoolRef:
        return substitute(self._first, self.enc.substitution(x))

    def after_step(self, x: State, o: z3.ArithRef) -> z3.BoolRef:
        return substitute(self._later, self.enc.substitution(x, o))

    @cached_property
    def _first(self) -> z3.BoolRef:
        return _within(self.enc.x, self.initial)

    @cached_property
    def _later(self) -> z3.BoolRef:
        o = self.enc.oracle
        return z3.And(_within(self.enc.x, self.later), o >= self.oracle[0], o <= self.oracle[1])


def _within(x: State, bounds: tuple[Interval | None, ...]) -> z3.BoolRef:
    parts = []
    for v, b in zip(x, bounds, strict=True):
        if b is not None:
            parts += [v >= b[0], v <= b[1]]
    return z3.And(parts)


def finite_bounds(enc: Encoding, formulas: list[z3.ExprRef] | None = None) -> FiniteBounds | None:
    """The bounds that make ``enc``'s unrolling a finite-domain problem (see the module's
    docstring), or None when some value is unbounded, or a term is beyond the interval
    arithmetic, or one of ``formulas`` (the templates the unrolling will instantiate: its step
    relation, range checks, properties; `in_fragment`) leaves linear arithmetic."""
    if enc.logic != "QF_LIA" or enc.interval_slots or not enc.fired:
        return None
    template = {v.get_id() for v in enc.flat(enc.x) + enc.flat(enc.x_next)} | {enc.oracle.get_id()}
    if formulas is not None and not in_fragment(formulas, template):
        return None
    declared: dict[int, Interval] = {}  # template constant id -> declared bounds
    slots: list[Interval | None] = []
    for i, slot in enumerate(enc.model.slots):
        sort = slot.sort
        if isinstance(sort, BoolSort) or (isinstance(sort, SetSort) and sort.finite):
            slots.append(None)
            continue
        if isinstance(sort, SetSort):
            return None  # an unbounded set (arrays; excluded by the logic already)
        if isinstance(sort, IntSort):
            if not sort.finite:
                return None
            b: Interval = (sort.lo, sort.hi)  # type: ignore[assignment]
        elif isinstance(sort, EnumSort):  # an enum or a Ref: its values' ids
            ids = [enc.interp.const(n).as_long() for n in sort.names]
            if not ids:
                return None
            b = (min(ids), max(ids))
        else:
            return None
        if not z3.is_int(enc.x[i]):
            return None
        declared[enc.x[i].get_id()] = b
        slots.append(b)
    later: list[Interval | None] = list(slots)
    evaluate = _interval_evaluator(declared)
    for _, step in enc.fired:
        for i, b in enumerate(slots):
            if b is None or z3.eq(step.next[i], enc.x[i]):
                continue
            got = evaluate(step.next[i])
            if got is None:
                return None
            old = later[i]
            assert old is not None
            later[i] = (min(old[0], got[0]), max(old[1], got[1]))
    initial: list[Interval | None] = []
    for i, b in enumerate(slots):
        if b is None:
            initial.append(None)
            continue
        values = [_int(enc, v) for v in enc.model.init_choices[i]] + [_int(enc, s[i]) for s in enc.model.inits]
        initial.append((min([b[0], *values]), max([b[1], *values])))
    indices = [t.index for t, _ in enc.fired]
    return FiniteBounds(enc, tuple(initial), tuple(later), (min(indices), max(indices)))


#: what z3's finite-domain solver is given here: linear arithmetic over bounded ints and
#: booleans. It accepted more (a ``mod`` by a variable) and then returned models that did not
#: give the ints their values (the replay check caught it): anything else stays arithmetic.
_BOOL_OPS = {
    z3.Z3_OP_TRUE,
    z3.Z3_OP_FALSE,
    z3.Z3_OP_EQ,
    z3.Z3_OP_DISTINCT,
    z3.Z3_OP_ITE,
    z3.Z3_OP_AND,
    z3.Z3_OP_OR,
    z3.Z3_OP_IFF,
    z3.Z3_OP_XOR,
    z3.Z3_OP_NOT,
    z3.Z3_OP_IMPLIES,
    z3.Z3_OP_LE,
    z3.Z3_OP_GE,
    z3.Z3_OP_LT,
    z3.Z3_OP_GT,
}
_INT_OPS = {z3.Z3_OP_ANUM, z3.Z3_OP_ADD, z3.Z3_OP_SUB, z3.Z3_OP_UMINUS, z3.Z3_OP_ITE}


def in_fragment(formulas: list[z3.ExprRef], template: set[int]) -> bool:
    """Whether ``formulas`` use only booleans, the template's int constants (``template``: ids),
    int numerals, ``+ - ite``, products with at most one non-numeral factor, and comparisons.
    Walks z3's terms through its C API: the step relation of a large model has many thousand
    nodes, and a Python object per node cost more than the rest of the check."""
    if not formulas:
        return True
    ctx = formulas[0].ctx_ref()
    seen: set[int] = set()
    todo = [f.as_ast() for f in formulas]
    while todo:
        a = todo.pop()
        key = z3.Z3_get_ast_id(ctx, a)
        if key in seen:
            continue
        seen.add(key)
        ast_kind = z3.Z3_get_ast_kind(ctx, a)
        sort = z3.Z3_get_sort_kind(ctx, z3.Z3_get_sort(ctx, a))
        if ast_kind == z3.Z3_NUMERAL_AST:
            if sort != z3.Z3_INT_SORT:
                return False
            continue
        if ast_kind != z3.Z3_APP_AST:
            return False  # a quantifier or a bound variable
        op = z3.Z3_get_decl_kind(ctx, z3.Z3_get_app_decl(ctx, a))
        args = [z3.Z3_get_app_arg(ctx, a, i) for i in range(z3.Z3_get_app_num_args(ctx, a))]
        if op == z3.Z3_OP_UNINTERPRETED:
            if args or sort not in (z3.Z3_INT_SORT, z3.Z3_BOOL_SORT):
                return False
            if sort == z3.Z3_INT_SORT and key not in template:
                return False
            continue
        if sort == z3.Z3_BOOL_SORT:
            if op not in _BOOL_OPS:
                return False
        elif sort == z3.Z3_INT_SORT:
            if op == z3.Z3_OP_MUL:
                if sum(z3.Z3_get_ast_kind(ctx, c) != z3.Z3_NUMERAL_AST for c in args) > 1:
                    return False
            elif op not in _INT_OPS:
                return False
        else:
            return False
        todo.extend(args)
    return True


def _int(enc: Encoding, value: object) -> int:
    return enc.interp.const(value).as_long()  # type: ignore[no-any-return]


def _interval_evaluator(declared: dict[int, Interval]) -> Callable[[z3.ExprRef], Interval | None]:
    """Interval arithmetic over z3 int terms whose constants are the template state's slots
    (each within its declared bounds). None: a term it does not bound."""
    memo: dict[int, Interval | None] = {}

    def ev(e: z3.ExprRef) -> Interval | None:
        key = e.get_id()
        if key not in memo:
            memo[key] = _eval(e)
        return memo[key]

    def _eval(e: z3.ExprRef) -> Interval | None:
        if z3.is_int_value(e):
            v = e.as_long()
            return (v, v)
        if not z3.is_int(e):
            return None
        kind = e.decl().kind()
        if z3.is_const(e) and kind == z3.Z3_OP_UNINTERPRETED:
            return declared.get(e.get_id())
        args = [ev(c) if k != 0 or kind != z3.Z3_OP_ITE else (0, 0) for k, c in enumerate(e.children())]
        if kind == z3.Z3_OP_ITE:
            a, b = args[1], args[2]
            return None if a is None or b is None else (min(a[0], b[0]), max(a[1], b[1]))
        if any(a is None for a in args):
            return None
        ivs: list[Interval] = args  # type: ignore[assignment]
        if kind == z3.Z3_OP_ADD:
            return (sum(a[0] for a in ivs), sum(a[1] for a in ivs))
        if kind == z3.Z3_OP_SUB:
            lo, hi = ivs[0]
            for a in ivs[1:]:
                lo, hi = lo - a[1], hi - a[0]
            return (lo, hi)
        if kind == z3.Z3_OP_UMINUS:
            return (-ivs[0][1], -ivs[0][0])
        if kind == z3.Z3_OP_MUL:
            lo, hi = ivs[0]
            for a in ivs[1:]:
                corners = [lo * a[0], lo * a[1], hi * a[0], hi * a[1]]
                lo, hi = min(corners), max(corners)
            return (lo, hi)
        return None

    return ev
