"""Reading a solver's answer back as the model's concrete values: the transition an oracle
names, a state (any state, reachable or not), and where the solver's state differs from a
concretely replayed one. `checker.encoding.Encoding` has these as methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import z3

from .lang.finite import finite_values
from .lang.types import BoolSort, EnumSort, IntSort, SetSort

if TYPE_CHECKING:
    from .encoding import State
    from .lang.interp import Symbolic
    from .lang.model import ModelInstance, Transition


class StateDecoding:
    """Decoding for an encoding of ``model`` whose interval-encoded sets are ``interval_slots``
    and whose symbolic interpretation is ``interp`` (`checker.encoding.Encoding`)."""

    model: ModelInstance
    interval_slots: frozenset[int]
    interp: Symbolic

    def decode_oracle(self, zmodel: z3.ModelRef, o: z3.ArithRef) -> Transition:
        return self.model.transitions[zmodel.eval(o, model_completion=True).as_long()]

    def agrees(self, zmodel: z3.ModelRef, x: State, values: tuple[Any, ...]) -> list[str]:
        """Slots where the solver's state differs from a concretely replayed one."""
        bad = []
        for i, (slot, sym, value) in enumerate(zip(self.model.slots, x, values, strict=True)):
            sort = slot.sort
            if i in self.interval_slots:
                lo, hi = (self.decode_value(zmodel, v, IntSort()) for v in sym)
                size = max(hi - lo + 1, 0)
                if size != len(value) or (value and (min(value), max(value)) != (lo, hi)):
                    bad.append(slot.name)
            elif isinstance(sort, SetSort):
                candidates = set(finite_values(sort.elem)) if sort.finite else _ints_near(values) | set(value)
                for v in candidates:
                    member = sym[finite_values(sort.elem).index(v)] if sort.finite else z3.Select(sym, v)
                    if z3.is_true(zmodel.eval(member, model_completion=True)) != (v in value):
                        bad.append(f"{slot.name} ({v} in it)")
                        break
            elif self.decode_value(zmodel, sym, sort) != value:
                bad.append(slot.name)
        return bad

    def decode_state(self, zmodel: z3.ModelRef, x: State, max_set: int = 10_000) -> tuple[Any, ...]:
        """Any solver state (not only a reachable one, e.g. a counterexample to induction) as
        concrete values. An unbounded array set shows only the members near the state's
        other integers; an interval of more than ``max_set`` elements raises ValueError."""
        values: list[Any] = [None] * len(x)
        sets = []
        for i, (slot, sym) in enumerate(zip(self.model.slots, x, strict=True)):
            sort = slot.sort
            if i in self.interval_slots:
                lo, hi = (self.decode_value(zmodel, v, IntSort()) for v in sym)
                if hi - lo + 1 > max_set:
                    raise ValueError(f"{slot.name} holds {hi - lo + 1} elements ({lo}..{hi})")
                values[i] = frozenset(range(lo, hi + 1))
            elif isinstance(sort, SetSort) and sort.finite:
                bits = [z3.is_true(zmodel.eval(b, model_completion=True)) for b in sym]
                values[i] = frozenset(v for v, bit in zip(finite_values(sort.elem), bits, strict=True) if bit)
            elif isinstance(sort, SetSort):
                sets.append(i)
            else:
                values[i] = self.decode_value(zmodel, sym, sort)
        near = _ints_near(tuple(v for v in values if v is not None))
        for i in sets:
            member = [v for v in sorted(near) if z3.is_true(zmodel.eval(z3.Select(x[i], v), model_completion=True))]
            values[i] = frozenset(member)
        return tuple(values)

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
