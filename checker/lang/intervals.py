"""Unbounded integer sets as intervals, for the symbolic engines.

An unbounded ``Set(Int(...))`` is by default a z3 array Int -> Bool, and ``discard_if``
becomes a ``z3.Lambda``. That is exact but costly: Spacer gave no answer in 120 s on the DNS
model with it, and z3's quantifier-free solvers call it incomplete. Many models only ever
hold a contiguous run of integers in such a set (plan generations: new ones are added at the
top, old ones deleted from the bottom). For those the set is the pair ``(lo, hi)``, meaning
``{g | lo <= g <= hi}`` (empty when ``lo > hi``): two integers, linear arithmetic only.

The interval form is exact or it is not used; it never approximates:

- ``contains(x)`` is ``lo <= x <= hi``; ``is_empty()`` is ``lo > hi``.
- ``add(x)`` is exact when the set is empty or ``x`` is inside or next to ``[lo, hi]``, and
  ``discard(x)`` when ``x`` is not strictly inside. Those conditions depend on the state,
  so they are recorded as range checks (`Frame.check_range`): an engine that meets a
  reachable step where one fails reports a model error, never a verdict about a wrong set,
  and the proof engines must prove that no step fails them.
- ``discard_if(pred)`` needs ``pred(g)`` to be, in every state, ``g < t`` or ``g > t`` for
  some term ``t`` (in whatever form the model wrote it), or a constant. That is decided
  when the encoding is built, by a solver query; if it fails, `NotAnInterval` tells the
  encoding to use the array for that set instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import z3

from ..errors import ModelError, error_at_caller

Raw = tuple[z3.ArithRef, z3.ArithRef]  # (lo, hi)

# How long the build-time question "is this predicate a threshold?" may take. It is a small
# quantifier-free query; if z3 cannot answer quickly the array encoding is the safe choice.
_THRESHOLD_TIMEOUT_MS = 5000


class NotAnInterval(ModelError):
    """Raised while encoding: this set cannot be an interval (the encoding falls back).

    A `ModelError` so that running model code passes it through unchanged, and so that it
    reads as one, at the model's line, where an interval was demanded (``sets="interval"``).
    """

    def __init__(self, slot: int, why: str):
        err = error_at_caller(ModelError, why)
        super().__init__(why, err.file, err.line)
        self.slot, self.why = slot, why


_GAP = "as an interval lo..hi, and this operation would leave a gap in it"


def gap_message(set_name: str, what: str) -> str:
    return (
        f"{set_name}.{what}: the symbolic engines hold '{set_name}' {_GAP}, which that encoding "
        "cannot represent. Build the encoding with sets='array' for this model"
    )


def is_gap_error(message: str) -> bool:
    """Whether an error is this encoding's limit (a reachable gap), not the model's fault."""
    return _GAP in message


def contains(raw: Raw, x: z3.ArithRef) -> z3.BoolRef:
    lo, hi = raw
    return z3.And(lo <= x, x <= hi)


def is_empty(raw: Raw) -> z3.BoolRef:
    lo, hi = raw
    return lo > hi


def add(raw: Raw, x: z3.ArithRef) -> tuple[Raw, z3.BoolRef]:
    """The set with ``x`` added, and the condition under which that is still an interval."""
    lo, hi = raw
    empty = lo > hi
    exact = z3.Or(empty, z3.And(lo - 1 <= x, x <= hi + 1))
    new_lo = z3.If(empty, x, z3.If(x < lo, x, lo))
    new_hi = z3.If(empty, x, z3.If(x > hi, x, hi))
    return (new_lo, new_hi), exact


def discard(raw: Raw, x: z3.ArithRef) -> tuple[Raw, z3.BoolRef]:
    """The set without ``x``, and the condition under which that is still an interval."""
    lo, hi = raw
    # x at either end shrinks the interval; x outside changes nothing. When lo == hi == x
    # the result (lo + 1, hi - 1) is empty, as it should be.
    exact = z3.Or(x <= lo, x >= hi)
    return (z3.If(x == lo, lo + 1, lo), z3.If(x == hi, hi - 1, hi)), exact


def discard_if(raw: Raw, pred: z3.BoolRef, g: z3.ArithRef, slot: int, set_name: str) -> Raw:
    """The set without every element satisfying ``pred`` (a formula in ``g``)."""
    lo, hi = raw
    constant = _constant(pred, g)
    if constant is False:
        return raw
    if constant is True:
        return (lo, lo - 1)
    found = threshold(pred, g)
    if found is None:
        raise NotAnInterval(
            slot,
            f"{set_name}.discard_if: the predicate is not of the form g < t or g > t, "
            f"so deleting with it can leave gaps ({' '.join(str(pred).split())})",
        )
    side, t = found
    if side == "below":  # pred(g) <=> g < t: everything under t goes
        return (z3.If(t > lo, t, lo), hi)
    return (lo, z3.If(t < hi, t, hi))  # pred(g) <=> g > t: everything over t goes


def threshold(pred: z3.BoolRef, g: z3.ArithRef) -> tuple[str, z3.ArithRef] | None:
    """``("below", t)`` if ``pred <=> g < t`` in every state, ``("above", t)`` if ``pred <=> g > t``.

    Candidates come from the shape of the formula (any comparison linear in ``g`` with
    coefficient +-1); each is accepted only if a solver shows the equivalence valid.
    """
    for side, t in _candidates(pred, g):
        t = z3.simplify(t)
        claim = g < t if side == "below" else g > t
        if _valid(pred == claim):
            return side, t
    return None


def _candidates(pred: z3.BoolRef, g: z3.ArithRef) -> Iterator[tuple[str, z3.ArithRef]]:
    negated = False
    node = pred
    while z3.is_not(node):
        negated, node = not negated, node.arg(0)
    ops = {z3.Z3_OP_LT: "<", z3.Z3_OP_LE: "<=", z3.Z3_OP_GT: ">", z3.Z3_OP_GE: ">="}
    if not z3.is_app(node) or node.decl().kind() not in ops:
        return
    op = ops[node.decl().kind()]
    if negated:
        op = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}[op]
    f = node.arg(0) - node.arg(1)  # pred is: f op 0
    f0 = z3.simplify(z3.substitute(f, (g, z3.IntVal(0))))
    coef = z3.simplify(z3.substitute(f, (g, z3.IntVal(1))) - f0)
    if not z3.is_int_value(coef) or coef.as_long() not in (1, -1):
        return
    if coef.as_long() == 1:  # g + f0 op 0  <=>  g op -f0
        bound: z3.ArithRef = -f0
    else:  # -g + f0 op 0  <=>  g op' f0, with op mirrored
        bound, op = f0, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    yield {
        "<": ("below", bound),
        "<=": ("below", bound + 1),
        ">": ("above", bound),
        ">=": ("above", bound - 1),
    }[op]


def _constant(pred: z3.BoolRef, g: z3.ArithRef) -> bool | None:
    """True/False if ``pred`` holds for every / no ``g`` in every state, else None."""
    if z3.is_true(pred) or z3.is_false(pred):
        return z3.is_true(pred)
    if _valid(pred):
        return True
    if _valid(z3.Not(pred)):
        return False
    return None


def _valid(formula: z3.BoolRef) -> bool:
    solver = z3.SolverFor("QF_LIA")
    solver.set("timeout", _THRESHOLD_TIMEOUT_MS)
    solver.add(z3.Not(formula))
    return solver.check() == z3.unsat
