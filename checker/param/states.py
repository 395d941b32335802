"""Formulas over given states of the parameterized encoding: the template state ``P0``/``P1``
and fresh copies of it, the transition relation, the properties, the initial states and the
declared types of the slots (a mixin of `checker.param.template.ParamEncoding`, which reads the
model and sets the attributes used here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import z3

from ..encoding import Encoding, substitute
from ..lang.types import EnumSort, IntSort
from .reading import PState

if TYPE_CHECKING:
    from ..lang.model import ModelInstance
    from .index import Indexed
    from .steps import Template


class StateFormulas:
    """The parts of `ParamEncoding` that build formulas over states (no reading of the model)."""

    # set by `ParamEncoding.__init__`
    enc: Encoding
    attr: str
    sort: z3.SortRef
    actor: z3.ExprRef
    ix: Indexed | None
    model2: ModelInstance
    properties: list[str]
    props: dict[str, z3.BoolRef]
    templates: list[Template]
    shared: list[z3.ExprRef]
    shared_slot: list[int]
    local_keys: list[str]
    local_slot: list[int]
    replica_flat: dict[int, list[z3.ExprRef]]
    init_shared: list[z3.ExprRef]
    init_local: list[z3.ExprRef]
    init_pred: z3.BoolRef | None
    p0: PState
    p1: PState
    _trans: z3.BoolRef

    def fresh(self, suffix: str) -> PState:
        if suffix == "":
            shared = list(self.shared)
        elif suffix == "'":
            nxt = {
                a.get_id(): b for a, b in zip(self.enc.flat(self.enc.x), self.enc.flat(self.enc.x_next), strict=True)
            }
            shared = [nxt[c.get_id()] if c.get_id() in nxt else self._array_after(c) for c in self.shared]
        else:
            shared = [z3.Const(f"{c}{suffix}", c.sort()) for c in self.shared]
        local = [
            z3.Array(f"{self.attr}.{k}{suffix}", self.sort, c.sort())
            for k, c in zip(self.local_keys, self.replica_flat[1], strict=True)
        ]
        return shared, local

    def _array_after(self, c: z3.ExprRef) -> z3.ExprRef:
        assert self.ix is not None
        return next(self.ix.after[n] for n, a in self.ix.now.items() if a.eq(c))

    def arrays_next(self, step: Any) -> dict[int, z3.ExprRef]:
        """The parameter-sized arrays after a step (by the id of the array's constant)."""
        if self.ix is None:
            return {}
        terms = self.ix.terms_after(step.next)
        return {a.get_id(): terms.get(n, a) for n, a in self.ix.now.items()}

    @staticmethod
    def flat(p: PState) -> list[z3.ExprRef]:
        return [*p[0], *p[1]]

    def pairs(self, p: PState, a: z3.ExprRef | None = None, p2: PState | None = None) -> list[tuple[Any, Any]]:
        out = list(zip(self.flat(self.p0), self.flat(p), strict=True))
        if a is not None:
            out.append((self.actor, a))
        if p2 is not None:
            out += list(zip(self.flat(self.p1), self.flat(p2), strict=True))
        return out

    def at(self, p: PState, r: z3.ExprRef) -> list[tuple[Any, Any]]:
        """Replica 1's constants read as replica ``r``'s array elements of ``p``."""
        return [(c, z3.Select(arr, r)) for c, arr in zip(self.replica_flat[1], p[1], strict=True)]

    # -- formulas over given states
    def trans(self, p: PState, o: z3.ArithRef, a: z3.ExprRef, p2: PState) -> z3.BoolRef:
        return substitute(self._trans, self.pairs(p, a, p2) + [(self.enc.oracle, o)])

    def ranges(self, p: PState, o: z3.ArithRef, a: z3.ExprRef) -> z3.BoolRef:
        bad = [z3.And(self.enc.oracle == t.index, v) for t in self.templates for _, v in t.violations]
        return substitute(z3.Not(z3.Or(bad)) if bad else z3.BoolVal(True), self.pairs(p, a) + [(self.enc.oracle, o)])

    def state_ok(self, p: PState) -> z3.BoolRef:
        names = [n for n in self.properties if self.model2.properties[n].kind == "invariant"]
        return substitute(z3.And([self.props[n] for n in names]), self.pairs(p))

    def step_ok(self, p: PState, o: z3.ArithRef, a: z3.ExprRef, p2: PState) -> z3.BoolRef:
        names = [n for n in self.properties if self.model2.properties[n].kind == "action_invariant"]
        props = substitute(z3.And([self.props[n] for n in names]), self.pairs(p, None, p2))
        return z3.And(props, self.ranges(p, o, a))

    def init(self, p: PState) -> z3.BoolRef:
        if self.init_pred is not None:  # several initial states (`checker.param.inits`)
            return substitute(self.init_pred, self.pairs(p))
        parts = [c == v for c, v in zip(p[0], self.init_shared, strict=True)]
        parts += [arr == z3.K(self.sort, v) for arr, v in zip(p[1], self.init_local, strict=True)]
        return z3.And(parts)

    def init_state(self) -> PState:
        return list(self.init_shared), [z3.K(self.sort, v) for v in self.init_local]

    def dom_shared(self, p: PState) -> z3.BoolRef:
        return z3.And([d for c, i in zip(p[0], self.shared_slot, strict=True) for d in self._dom(i, c)])

    def dom_local(self, p: PState, r: z3.ExprRef) -> z3.BoolRef:
        return z3.And(
            [d for arr, i in zip(p[1], self.local_slot, strict=True) for d in self._dom(i, z3.Select(arr, r))]
        )

    def dom_index(self, p: PState, k: z3.ArithRef) -> z3.BoolRef:
        """The declared type of element ``k`` of each parameter-sized array, where ``k`` is an index."""
        if self.ix is None:
            return z3.BoolVal(True)
        parts = []
        slot_of = {self.ix.now[n].get_id(): v.slots[0] for n, v in self.ix.arrays.items()}
        for pos, (c, i) in enumerate(zip(p[0], self.shared_slot, strict=True)):
            if i == -1:
                parts += self._dom(slot_of[self.shared[pos].get_id()], z3.Select(c, k))
        return z3.Implies(self.ix.in_range(k), z3.And(parts)) if parts else z3.BoolVal(True)

    def _dom(self, slot: int, v: z3.ExprRef) -> list[z3.BoolRef]:
        """The declared type of a scalar slot, as `Encoding.domain` states it."""
        if slot == -1:
            return []  # a parameter-sized array: `dom_index`
        sort = self.model2.slots[slot].sort
        if isinstance(sort, IntSort) and z3.is_int(v):
            return ([v >= sort.lo] if sort.lo is not None else []) + ([v <= sort.hi] if sort.hi is not None else [])
        if isinstance(sort, EnumSort):
            return [z3.Or([v == self.enc.interp.const(n) for n in sort.names])]
        return []
