"""The symbolic step executor: a model's transition relation as z3 formulas.

Every action is run once under the symbolic interpretation over *template* state
constants, giving per transition a guard and a next-state vector. The step relation is
functional: each slot's next value is an `ite` chain over the integer *oracle* that names
the transition that fired (only transitions that write the slot appear in its chain).
Engines instantiate the templates at step k by substitution, so the model code runs once
per check, not once per step. BMC, k-induction and PDR all consume this one encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from .model import ModelInstance, Transition, finite_values
from .runtime import RangeCheck, evaluate, fire_symbolic
from .terms import Symbolic
from .types import BoolSort, EnumSort, IntSort, SetSort

State = list[Any]  # per slot: a z3 expression, or a tuple of z3 Bools for a finite set


@dataclass
class StepCheck:
    """A range check of one transition: a violation is ``oracle == t & guard & ~ok``."""

    transition: Transition
    violated: z3.BoolRef  # over the template state and oracle
    check: RangeCheck


class Encoding:
    def __init__(self, model: ModelInstance):
        self.model = model
        self.interp = Symbolic(model.enum_ids)
        self.x = self.fresh_state("")
        self.x_next = self.fresh_state("'")
        self.oracle = z3.Int("oracle")
        self.fired: list[tuple[Transition, Any]] = []  # (transition, SymbolicStep)
        for t in model.transitions:
            step = fire_symbolic(model, self.interp, t, self.x)
            if step is not None:
                self.fired.append((t, step))
        self._trans = self._build_trans()
        self.step_checks = [
            StepCheck(t, z3.And(self.oracle == t.index, step.guard, z3.Not(c.ok)), c)
            for t, step in self.fired
            for c in step.checks
        ]
        self._prop_cache: dict[str, z3.BoolRef] = {}
        self._symmetry: z3.BoolRef | None = None

    @property
    def logic(self) -> str:
        """The SMT logic of the encoding: arrays appear only for unbounded sets."""
        arrays = any(isinstance(s.sort, SetSort) and not s.sort.finite for s in self.model.slots)
        return "QF_AUFLIA" if arrays else "QF_LIA"

    # -- states
    def fresh_state(self, suffix: str) -> State:
        out: State = []
        for slot in self.model.slots:
            name = f"{slot.name}{suffix}"
            sort = slot.sort
            if isinstance(sort, SetSort):
                if sort.finite:
                    out.append(tuple(z3.Bool(f"{name}{{{v}}}") for v in finite_values(sort.elem)))
                else:
                    out.append(z3.Array(name, z3.IntSort(), z3.BoolSort()))
            elif isinstance(sort, BoolSort):
                out.append(z3.Bool(name))
            else:
                out.append(z3.Int(name))
        return out

    @staticmethod
    def flat(state: State) -> list[z3.ExprRef]:
        out: list[z3.ExprRef] = []
        for v in state:
            out.extend(v if isinstance(v, tuple) else (v,))
        return out

    def const_state(self, values: tuple[Any, ...]) -> State:
        """A concrete state as z3 values."""
        out: State = []
        for slot, value in zip(self.model.slots, values, strict=True):
            sort = slot.sort
            if isinstance(sort, SetSort):
                if sort.finite:
                    out.append(tuple(z3.BoolVal(v in value) for v in finite_values(sort.elem)))
                else:
                    arr = z3.K(z3.IntSort(), z3.BoolVal(False))
                    for v in sorted(value):
                        arr = z3.Store(arr, v, True)
                    out.append(arr)
            else:
                out.append(self.interp.const(value))
        return out

    def equal(self, a: State, b: State) -> z3.BoolRef:
        return z3.And([x == y for x, y in zip(self.flat(a), self.flat(b), strict=True)])

    def init(self, state: State) -> z3.BoolRef:
        return self.equal(state, self.const_state(self.model.init))

    def domain(self, state: State) -> z3.BoolRef:
        """Type constraints of every slot (bounded ints, enum ranges)."""
        parts = []
        for slot, v in zip(self.model.slots, state, strict=True):
            sort = slot.sort
            if isinstance(sort, IntSort):
                if sort.lo is not None:
                    parts.append(v >= sort.lo)
                if sort.hi is not None:
                    parts.append(v <= sort.hi)
            elif isinstance(sort, EnumSort):
                parts.append(z3.Or([v == self.interp.const(n) for n in sort.names]))
        return z3.And(parts)

    # -- the step relation
    def _build_trans(self) -> z3.BoolRef:
        o = self.oracle
        parts = [z3.Or([o == t.index for t, _ in self.fired])] if self.fired else [z3.BoolVal(False)]
        parts += [z3.Implies(o == t.index, step.guard) for t, step in self.fired if not z3.is_true(step.guard)]
        for i, (cur, nxt) in enumerate(zip(self.x, self.x_next, strict=True)):
            if isinstance(cur, tuple):
                for j, (c, n) in enumerate(zip(cur, nxt, strict=True)):
                    parts.append(n == self._chain(lambda s, i=i, j=j: s.next[i][j], c))
            else:
                parts.append(nxt == self._chain(lambda s, i=i: s.next[i], cur))
        return z3.And(parts)

    def _chain(self, pick: Any, current: z3.ExprRef) -> z3.ExprRef:
        expr = current
        for t, step in reversed(self.fired):
            value = pick(step)
            if not z3.eq(value, current):
                expr = z3.If(self.oracle == t.index, value, expr)
        return expr

    def substitution(self, x: State, o: z3.ArithRef | None = None, x2: State | None = None) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        pairs = list(zip(self.flat(self.x), self.flat(x), strict=True))
        if o is not None:
            pairs.append((self.oracle, o))
        if x2 is not None:
            pairs += list(zip(self.flat(self.x_next), self.flat(x2), strict=True))
        return pairs

    def trans(self, x: State, o: z3.ArithRef, x2: State) -> z3.BoolRef:
        return z3.substitute(self._trans, *self.substitution(x, o, x2))

    # -- properties over states
    def prop(self, name: str, x: State, x2: State | None = None) -> z3.BoolRef:
        """A property over state ``x`` (and successor ``x2`` for action invariants)."""
        if name not in self._prop_cache:
            states = [self.x, self.x_next] if self.model.properties[name].kind == "action_invariant" else [self.x]
            self._prop_cache[name] = evaluate(self.model, self.interp, name, *states)
        return z3.substitute(self._prop_cache[name], *self.substitution(x, None, x2))

    # -- symmetry
    def symmetry_breaking(self, x: State, o: z3.ArithRef) -> z3.BoolRef:
        """Of two replicas in identical local states, only the lower-numbered one moves.

        Sound when the replicas are interchangeable (no code reads ``self.id`` or singles a
        replica out; the model records where it does): any trace can be rewritten, step by
        step, by swapping the roles of two identical replicas, into one that obeys this
        rule, with the same length and the same properties. Call after every property to
        be checked has been evaluated, so that asymmetry in properties is noticed too.
        """
        if self._symmetry is None:
            parts = []
            by_instance: dict[str, list[int]] = {}
            for t, _ in self.fired:
                by_instance.setdefault(t.instance.name, []).append(t.index)
            for group in self.model.symmetry_groups():
                for hi_pos, hi in enumerate(group):
                    moves = by_instance.get(hi.name)
                    if not moves:
                        continue
                    fires = z3.Or([self.oracle == i for i in moves])
                    for lo in group[:hi_pos]:
                        same = z3.And([
                            self.x[a] == self.x[b]
                            for va, vb in zip(lo.vars.values(), hi.vars.values(), strict=True)
                            for a, b in zip(va.slots, vb.slots, strict=True)
                        ])
                        parts.append(z3.Not(z3.And(same, fires)))
            self._symmetry = z3.And(parts)
        return z3.substitute(self._symmetry, *self.substitution(x, o))

    def step_check(self, check: StepCheck, x: State, o: z3.ArithRef) -> z3.BoolRef:
        return z3.substitute(check.violated, *self.substitution(x, o))

    # -- decoding
    def decode_oracle(self, zmodel: z3.ModelRef, o: z3.ArithRef) -> Transition:
        return self.model.transitions[zmodel.eval(o, model_completion=True).as_long()]

    def agrees(self, zmodel: z3.ModelRef, x: State, values: tuple[Any, ...]) -> list[str]:
        """Slots where the solver's state differs from a concretely replayed one."""
        bad = []
        for slot, sym, value in zip(self.model.slots, x, values, strict=True):
            sort = slot.sort
            if isinstance(sort, SetSort):
                candidates = set(finite_values(sort.elem)) if sort.finite else _ints_near(values) | set(value)
                for v in candidates:
                    member = sym[finite_values(sort.elem).index(v)] if sort.finite else z3.Select(sym, v)
                    if z3.is_true(zmodel.eval(member, model_completion=True)) != (v in value):
                        bad.append(f"{slot.name} ({v} in it)")
                        break
            elif self.decode_value(zmodel, sym, sort) != value:
                bad.append(slot.name)
        return bad

    def decode_value(self, zmodel: z3.ModelRef, sym: z3.ExprRef, sort: Any) -> Any:
        val = zmodel.eval(sym, model_completion=True)
        if isinstance(sort, BoolSort):
            return z3.is_true(val)
        if isinstance(sort, EnumSort):
            return self.interp.enum_names.get(val.as_long(), f"?{val}")
        return val.as_long()


def _ints_near(values: tuple[Any, ...]) -> set[int]:
    """Integers a set could plausibly hold in a state: all ints in it, and one beyond."""
    found: set[int] = set()
    for v in values:
        if isinstance(v, frozenset):
            found |= {x for x in v if isinstance(x, int)}
        elif isinstance(v, int) and not isinstance(v, bool):
            found.add(v)
    return found | {x + 1 for x in found} | {x - 1 for x in found}
