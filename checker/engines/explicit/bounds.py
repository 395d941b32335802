"""Which values the numpy backend computes exactly: interval analysis before compiling.

numpy's int64 arithmetic wraps silently, and a wrapped product turns a violated guard into
a false one: a wrong "holds". So the compiled code is only used where it is exact, and that
is proved, not hoped for:

- Every flat column has an interval: its declared bounds, or for an unbounded ``Int``
  ``[-L, L]`` (intersected with a one-sided declared bound), ``L = 2**k``.
- `Ranges` propagates intervals through every term the compiler translates, the way the
  generated numpy code evaluates it (``a + b + c`` as ``(a + b) + c``: each partial sum
  too), and fails if any integer (a constant included) may leave the int64 range.
- `exact_limits` picks, per column, the largest ``L`` (at most `state_store.VALUE_LIMIT`,
  what a packed key can hold) for which no term may overflow. Inside ``[-L, L]`` every computed value is
  exact; at run time the search checks each new value of an unbounded column against
  ``[-L, L]`` (`Compiled.check_values`), and a value outside it raises `Exceeds` (the value
  itself is still exact: the analysis covered the step that made it).
- No ``L`` at all (a constant such as ``10**19``; bounded columns whose product may not fit
  64 bits) raises `Exceeds` before the search starts.

`Exceeds` tells the engine to search with exact Python integers instead (the ``python``
backend), and to say so in the result (`Exceeds.note`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import z3

from ...state_store import VALUE_LIMIT

INT64_MAX = 2**63 - 1  # the analysis also keeps away from -2**63, whose negation wraps
MAX_EXPONENT = VALUE_LIMIT.bit_length() - 1

Interval = tuple[int, int]

_SEPARATELY = 64  # with more unbounded columns than this, one common limit only (the analysis is per attempt)


class Exceeds(Exception):
    """Some value may not fit the numpy backend's 64-bit integers; ``why`` says which."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why

    @property
    def note(self) -> str:
        return f"numpy backend: values may exceed 64 bits ({self.why}); searched with exact Python integers"


class _Unsafe(Exception):
    def __init__(self, term: z3.ExprRef, interval: Interval | None):
        super().__init__(str(term))
        self.term, self.interval = term, interval


def _fits(iv: Interval) -> bool:
    return -INT64_MAX <= iv[0] and iv[1] <= INT64_MAX


def _add(a: Interval, b: Interval) -> Interval:
    return a[0] + b[0], a[1] + b[1]


def _sub(a: Interval, b: Interval) -> Interval:
    return a[0] - b[1], a[1] - b[0]


def _mul(a: Interval, b: Interval) -> Interval:
    corners = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(corners), max(corners)


def _magnitude(iv: Interval) -> int:
    return max(abs(iv[0]), abs(iv[1]))


_FOLD = {z3.Z3_OP_ADD: _add, z3.Z3_OP_SUB: _sub, z3.Z3_OP_MUL: _mul}


_COMPARE = {
    z3.Z3_OP_LE: lambda a, b: a <= b,
    z3.Z3_OP_LT: lambda a, b: a < b,
    z3.Z3_OP_GE: lambda a, b: a >= b,
    z3.Z3_OP_GT: lambda a, b: a > b,
    z3.Z3_OP_EQ: lambda a, b: a == b,
}


def wide_comparison(e: z3.ExprRef, kind: int | None = None) -> tuple[bool, z3.ExprRef] | None:
    """For ``t op C`` (or ``C op t``) with a constant ``C`` beyond the int64 range: its value
    whenever ``t`` is within that range (the same for every such ``t``: 0 stands for them),
    and ``t``. The compiler emits the value; `Ranges` proves ``t`` within the range, or the
    model is not compiled. ``x < 10**30`` is then exact in 64 bits, not a reason to give up.
    ``kind``: ``e.decl().kind()`` where the caller has it (``e`` an application)."""
    if kind is None:
        if not z3.is_app(e):
            return None
        kind = e.decl().kind()
    # the kind first: it rules out nearly every term without asking z3 for its arguments
    if kind not in _COMPARE or e.num_args() != 2:
        return None
    # one side a numeral and the other not, else nothing to decide: asked of z3's own terms,
    # without wrapping both arguments as Python objects first (most comparisons end here)
    ctx, ast = e.ctx_ref(), e.as_ast()
    if z3.Z3_is_numeral_ast(ctx, z3.Z3_get_app_arg(ctx, ast, 0)) == z3.Z3_is_numeral_ast(
        ctx, z3.Z3_get_app_arg(ctx, ast, 1)
    ):
        return None
    a, b = e.children()
    if not (z3.is_int(a) and z3.is_int(b)):
        return None
    compare = _COMPARE[kind]
    if z3.is_int_value(b) and not z3.is_int_value(a) and not _fits((b.as_long(), b.as_long())):
        return bool(compare(0, b.as_long())), a
    if z3.is_int_value(a) and not z3.is_int_value(b) and not _fits((a.as_long(), a.as_long())):
        return bool(compare(a.as_long(), 0)), b
    return None


class Ranges:
    """Intervals of integer terms over input constants with the intervals ``inputs``
    (z3 constant name -> interval; Bool inputs are absent). `of` raises `_Unsafe` where a
    term, or a partial result numpy computes on the way, may leave the int64 range."""

    def __init__(self, inputs: dict[str, Interval]):
        self.inputs = inputs
        self.memo: dict[int, Interval | None] = {}
        self.alive: list[z3.ExprRef] = []  # an AST id is reused once its term is freed: keep them

    def of(self, e: z3.ExprRef) -> Interval | None:
        """The interval of ``e`` (None for a Bool term, after checking its integer subterms)."""
        key = e.get_id()
        if key in self.memo:
            return self.memo[key]
        iv = self._interval(e)
        if iv is not None and not _fits(iv):
            raise _Unsafe(e, iv)
        self.memo[key] = iv
        self.alive.append(e)
        return iv

    def _interval(self, e: z3.ExprRef) -> Interval | None:
        k = e.decl().kind() if z3.is_app(e) else None  # (asked once: each question is a call into z3)
        if k == z3.Z3_OP_ANUM and z3.is_int_value(e):
            v = e.as_long()
            return v, v
        wide = wide_comparison(e, k) if k is not None else None
        if wide is not None:
            self.of(wide[1])  # the other side must fit: then the comparison is decided
            return None
        args = [self.of(c) for c in e.children()]
        if not z3.is_int(e):
            if not z3.is_bool(e):
                raise _Unsafe(e, None)  # (not translated either: the emitter says why)
            return None
        if k == z3.Z3_OP_UNINTERPRETED and e.num_args() == 0:
            iv = self.inputs.get(e.decl().name())
            if iv is None:
                raise _Unsafe(e, None)
            return iv
        ints = [a for a in args if a is not None]
        if k in _FOLD and len(ints) == len(args) and ints:
            acc = ints[0]
            for b in ints[1:]:  # left to right, like the generated ``(a + b + c)``
                acc = _FOLD[k](acc, b)
                if not _fits(acc):
                    raise _Unsafe(e, acc)
            return acc
        if k == z3.Z3_OP_UMINUS and len(ints) == 1:
            return -ints[0][1], -ints[0][0]
        if k == z3.Z3_OP_ITE and len(ints) == 2:
            return min(ints[0][0], ints[1][0]), max(ints[0][1], ints[1][1])
        if k == z3.Z3_OP_IDIV and len(ints) == 2:
            # |a div b| <= |a| for b != 0, and div by 0 is 0 (`explicit_compile._div`)
            m = _magnitude(ints[0])
            return -m, m
        if k == z3.Z3_OP_MOD and len(ints) == 2:
            return 0, max(0, _magnitude(ints[1]) - 1)  # never negative; mod by 0 is 0
        raise _Unsafe(e, None)


def column_interval(lo: int | None, hi: int | None, limit: int) -> Interval:
    """A column's values: its declared bounds, a missing one replaced by +-``limit`` (never
    an empty interval: ``Int(min=2**40)`` with ``limit`` 2**31 holds just 2**40)."""
    low = lo if lo is not None else min(-limit, hi if hi is not None else -limit)
    return low, (hi if hi is not None else max(limit, low))


def _describe(term: z3.ExprRef, interval: Interval | None, names: dict[str, str]) -> str:
    if z3.is_int_value(term):
        return f"the constant {term.as_long()} does not fit 64 bits"
    text = str(term)
    for internal, shown in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(internal, shown)
    text = " ".join(text.split())
    if len(text) > 80:
        text = text[:77] + "..."
    if interval is None:
        return f"no 64-bit bound for {text}"
    lo, hi = interval
    return f"{text} may reach {hi if abs(hi) >= abs(lo) else lo}"


def exact_limits(
    terms: Iterable[z3.ExprRef],
    columns: list[tuple[int | None, int | None]],
    names: list[list[str]],
    shown: list[str],
) -> tuple[list[int], Ranges]:
    """Per flat column, a limit ``L = 2**k`` (``k <= MAX_EXPONENT``) such that, with every
    unbounded column within ``[-L, L]`` (`column_interval`), no term of ``terms`` may leave
    the int64 range; and the `Ranges` under those limits. ``columns`` are the flat columns'
    declared bounds (Bool, enum and set columns included: 0..1 or the enum ids), ``names[j]``
    the z3 constant names of column ``j`` (current and next state), ``shown[j]`` its name in
    the model. Raises `Exceeds` when even ``L = 1`` does not make every term fit.

    The limits are first raised together (the largest common one), then, where that stops
    short of the maximum, one column at a time: a product of two columns then does not hold
    back a third column that only counts."""
    terms = list(terms)
    display = {n: shown[j] for j, ns in enumerate(names) for n in ns}
    for j, (lo, hi) in enumerate(columns):
        for bound in (lo, hi):
            if bound is not None and abs(bound) > VALUE_LIMIT:
                raise Exceeds(f"{shown[j]} is declared up to {bound}")
    free = {j for j, (lo, hi) in enumerate(columns) if lo is None or hi is None}

    def attempt(exponents: list[int]) -> Ranges:
        ranges = Ranges(
            {
                n: column_interval(lo, hi, 1 << k)
                for (lo, hi), ns, k in zip(columns, names, exponents, strict=True)
                for n in ns
            }
        )
        for t in terms:
            ranges.of(t)
        return ranges

    def highest(start: int, trial: Callable[[int], list[int]]) -> tuple[int, Ranges | None]:
        """The largest k in start..MAX_EXPONENT whose ``trial(k)`` passes (``start`` passes)."""
        good, bad, found = start, MAX_EXPONENT + 1, None
        while bad - good > 1:
            mid = (good + bad) // 2
            try:
                found, good = attempt(trial(mid)), mid
            except _Unsafe:
                bad = mid
        return good, found

    def together(k: int) -> list[int]:
        return [k if j in free else MAX_EXPONENT for j in range(len(columns))]

    try:  # the common case first: no limit below the maximum (one pass over the terms)
        return [1 << k for k in together(MAX_EXPONENT)], attempt(together(MAX_EXPONENT))
    except _Unsafe as err:
        if not free:  # nothing to narrow: some term may overflow whatever the state
            raise Exceeds(_describe(err.term, err.interval, display)) from None
    try:
        best = attempt(together(0))
    except _Unsafe as err:
        raise Exceeds(_describe(err.term, err.interval, display)) from None
    common, found = highest(0, together)
    exponents, best = together(common), found or best
    if common < MAX_EXPONENT and len(free) <= _SEPARATELY:
        for j in sorted(free):

            def alone(k: int, j: int = j, base: list[int] = exponents) -> list[int]:
                return [k if i == j else e for i, e in enumerate(base)]

            k, found = highest(exponents[j], alone)
            if found is not None:  # (``best`` always matches ``exponents``)
                exponents, best = alone(k), found
    return [1 << k for k in exponents], best
