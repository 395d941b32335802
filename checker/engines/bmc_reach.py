"""Which transitions can fire at BMC step k: a forward over-approximation of the reachable
values of the model's small finite slots (program counters, flags, small counters).

BMC's step k (from state x_k to x_{k+1}) is a disjunction over transitions. A translated
PlusCal or Promela model has many small actions, each guarded by its process's ``pc``, and
at a shallow depth most of them cannot be enabled yet. Leaving them out of that step's
disjunction is sound only if no trace of exactly k steps can fire them at step k; this
module computes, for every k, a superset of the transitions that can.

The abstraction is non-relational (independent attributes): for each *tracked* slot (enum,
bool, or bounded int of at most `MAX_VALUES` values) a set of values; every other slot is
unconstrained (any value of its type). ``A_0`` holds the values the initial-state predicate
allows (asked of z3, so a nondeterministic init is covered too). Transition t is *possibly
enabled* under ``A`` if its guard is satisfiable by some state whose tracked slots take
values in ``A`` (and every slot lies in its declared range); ``A_{k+1}`` is the union, over
the transitions possibly enabled under ``A_k``, of each tracked slot's possible next values
within its declared values.

Why it is an over-approximation, by induction on k: every state reached by exactly k steps
has its tracked values in ``A_k`` (true for k = 0; a step from such a state fires a
transition whose guard holds there, so that transition is possibly enabled under ``A_k``,
and each tracked slot's next value is one the union collects). Hence every transition that
fires at step k of some trace is possibly enabled under ``A_k``. The declared ranges: BMC
checks every step for a write out of its range and stops with a model error at the first one
(`checker.engines.bmc`), so every state it builds a further step from lies within them, and a
value outside them is never the start of a deeper step. Unrollings built without those checks
(coverage past the checked depth, `bmc_coverage`) therefore do not use this analysis. If z3
does not decide a query, the analysis gives up from that depth on and every transition is
kept; likewise when its time budget runs out. The queries use z3 on the same encoding every
engine uses, never the model's syntax.
"""

from __future__ import annotations

import time
from typing import Any

import z3

from ..encoding import Encoding
from ..lang.finite import finite_values
from ..lang.types import BoolSort, EnumSort, IntSort

#: bounded ints with more values than this are not tracked (the queries grow with the values)
MAX_VALUES = 16
#: seconds the whole over-approximation may take; past it, every transition is kept
BUDGET_SECONDS = 5.0

Abstract = tuple[frozenset[int], ...]  # per tracked slot: the indices (into its values) possible


class _GiveUp(Exception):
    """A query the analysis cannot answer exactly enough: keep every transition from here on."""


class EnabledSteps:
    """``at(k)``: the indices of the transitions that may fire at step k (None: all of them)."""

    def __init__(self, enc: Encoding, budget: float = BUDGET_SECONDS):
        self.enc = enc
        self._stop = time.monotonic() + budget
        self.tracked: list[int] = [i for i, s in enumerate(enc.model.slots) if _small(enc, i, s.sort)]
        self._values: list[list[z3.ExprRef]] = [
            [_const(enc, v) for v in finite_values(enc.model.slots[i].sort)] for i in self.tracked
        ]
        self._solver = z3.Solver()
        self._solver.set("timeout", 2000)
        self._solver.add(enc.domain(enc.x))
        # per transition: which tracked positions its guard and next values read (the cache key),
        # and which tracked slots it may change
        self._reads: dict[int, tuple[int, ...]] = {}
        self._writes: dict[int, list[int]] = {}
        positions = {enc.x[i].get_id(): p for p, i in enumerate(self.tracked)}
        for t, step in enc.fired:
            exprs = [step.guard] + [step.next[i] for i in self.tracked]
            self._reads[t.index] = tuple(sorted({positions[c] for c in _constants(exprs) if c in positions}))
            self._writes[t.index] = [p for p, i in enumerate(self.tracked) if not z3.eq(step.next[i], enc.x[i])]
        self._post: dict[tuple[int, Abstract], tuple[bool, list[frozenset[int]]]] = {}
        self._in_values: dict[tuple[int, frozenset[int]], z3.BoolRef] = {}
        # per tracked slot: value (as z3 hash-conses it: equal values are one term) -> its index
        self._index = [{z3.simplify(c).get_id(): v for v, c in enumerate(vals)} for vals in self._values]
        self.levels: list[Abstract | None] = []  # A_0, A_1, ...; None: gave up (everything possible)
        self.gave_up = ""  # why every transition is kept from some depth on ("" if never)

    def at(self, k: int) -> frozenset[int] | None:
        while len(self.levels) <= k:
            self._next_level()
        level = self.levels[k]
        if level is None:
            return None
        try:
            return frozenset(t.index for t, _ in self.enc.fired if self._image(t.index, level)[0])
        except _GiveUp as why:  # only computed levels reach here, whose images are cached: not expected
            self.gave_up = str(why)
            return None

    # -- the levels
    def _next_level(self) -> None:
        if not self.levels:
            self.levels.append(self._initial())
            return
        last = self.levels[-1]
        if last is None or time.monotonic() > self._stop:
            self.gave_up = self.gave_up or "the over-approximation ran out of its time budget"
            self.levels.append(None)
            return
        if len(self.levels) >= 2 and self.levels[-2] == last:  # a fixpoint: every later level is the same
            self.levels.append(last)
            return
        union: list[set[int]] = [set() for _ in self.tracked]
        try:
            for t, _ in self.enc.fired:
                enabled, post = self._image(t.index, last)
                if enabled:
                    for p, vals in enumerate(post):
                        union[p] |= vals
        except _GiveUp as why:
            self.gave_up = str(why)
            self.levels.append(None)
            return
        self.levels.append(tuple(frozenset(v) for v in union))

    def _initial(self) -> Abstract | None:
        s = self._solver
        s.push()
        try:
            s.add(self.enc.init(self.enc.x))
            out = []
            for p, i in enumerate(self.tracked):
                out.append(self._values_of(self.enc.x[i], p))
            return tuple(out)
        except _GiveUp as why:
            self.gave_up = str(why)
            return None
        finally:
            s.pop()

    def _image(self, t: int, level: Abstract) -> tuple[bool, list[frozenset[int]]]:
        """Whether transition ``t`` may be enabled under ``level``, and each tracked slot's
        possible next values (unchanged slots: the values they may hold already)."""
        reads = self._reads[t]
        key = (t, tuple(level[p] if p in reads else frozenset() for p in range(len(level))))
        if key in self._post:
            enabled, changed = self._post[key]
        else:
            enabled, changed = self._compute(t, level)
            self._post[key] = (enabled, changed)
        if not enabled:
            return False, []
        post = list(level)
        for p, vals in zip(self._writes[t], changed, strict=True):
            post[p] = vals
        return True, post

    def _compute(self, t: int, level: Abstract) -> tuple[bool, list[frozenset[int]]]:
        step = next(s for tr, s in self.enc.fired if tr.index == t)
        s = self._solver
        s.push()
        try:
            for p in self._reads[t]:
                s.add(self._one_of(p, level[p]))
            s.add(step.guard)
            if s.check() == z3.unsat:  # unknown: possibly enabled
                return False, []
            return True, [self._values_of(step.next[self.tracked[p]], p) for p in self._writes[t]]
        finally:
            s.pop()

    def _one_of(self, p: int, values: frozenset[int]) -> z3.BoolRef:
        """Tracked slot ``p`` holds one of ``values`` (built once: the levels repeat)."""
        key = (p, values)
        if key not in self._in_values:
            x = self.enc.x[self.tracked[p]]
            self._in_values[key] = z3.Or([x == self._values[p][v] for v in sorted(values)])
        return self._in_values[key]

    def _values_of(self, expr: z3.ExprRef, p: int) -> frozenset[int]:
        """The declared values ``expr`` can take under the solver's assertions (`_GiveUp` if z3
        does not decide). A value outside them is left out: writing it is a range error, and BMC
        stops at it (see the module's docstring)."""
        s = self._solver
        found: set[int] = set()
        s.push()
        try:
            for _ in range(len(self._values[p]) + 64):
                status = s.check()
                if status == z3.unsat:
                    return frozenset(found)
                if status != z3.sat:
                    raise _GiveUp(f"z3 did not decide the values of {self.enc.model.slots[self.tracked[p]].name}")
                value = s.model().eval(expr, model_completion=True)
                index = self._index[p].get(value.get_id())
                if index is not None:
                    found.add(index)
                s.add(expr != value)
            raise _GiveUp(f"too many values outside the declared ones for {self.enc.model.slots[self.tracked[p]].name}")
        finally:
            s.pop()


def _small(enc: Encoding, i: int, sort: Any) -> bool:
    if i in enc.interval_slots or not z3.is_expr(enc.x[i]):
        return False
    if isinstance(sort, (BoolSort, EnumSort)):
        return True
    return isinstance(sort, IntSort) and sort.finite and sort.hi - sort.lo + 1 <= MAX_VALUES


def _const(enc: Encoding, value: Any) -> z3.ExprRef:
    if isinstance(value, bool):
        return z3.BoolVal(value)
    return enc.interp.const(value) if isinstance(value, str) else z3.IntVal(value)


def _constants(exprs: list[z3.ExprRef]) -> set[int]:
    """The ids of the uninterpreted constants (state variables) the expressions mention."""
    seen: set[int] = set()
    found: set[int] = set()
    todo = list(exprs)
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_const(e) and e.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            found.add(e.get_id())
        todo.extend(e.children())
    return found
