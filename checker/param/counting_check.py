"""The counter system (`checker.param.counting_system`) compared with the model's own encoding
at fixed sizes, transition by transition.

At size ``n`` the abstraction ``α`` maps a state of the model to the counters
``N[s] = Σ_i ite(l_i = s, 1, 0)`` (``l_i``: unit ``i``'s slots) and keeps the shared state.
For every transition of the model (unit ``i``'s step, or a step of no unit) z3 must show,
for every state within the declared ranges: its guard equals the counter step's guard at
``α`` (unit ``i``'s class as the actor's), its range checks fail together, and where it
fires its successor maps by ``α`` to the counter step's successor; every property equals
its counter reading at ``α``; the initial state maps to the counters' initial state with
``Σ N = n``; the declared ranges imply the counter system's. So every behaviour of the
model at size ``n`` is one of the counter system's, and vice versa (each counter step's
acting class names a unit of that class, whose step is the same). Any difference refuses.
"""

from __future__ import annotations

import z3

from ..encoding import Encoding, substitute
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from .counting import build
from .counting_system import CounterSystem
from .valid import valid

CHECK_TIMEOUT_MS = 30_000


def check_sizes(cs: CounterSystem, model: ModelInstance, sizes: list[int]) -> str | None:
    """None if the counter system equals the model at every size in ``sizes``; else the first difference."""
    for n in sizes:
        try:
            why = _compare(cs, build(model, cs.units.param, n), n)
        except RaceproofError as exc:
            return f"at {cs.units.param}={n} the model fails: {exc}"
        if why is not None:
            return f"at {cs.units.param}={n}: {why}"
    return None


def _valid(claim: z3.BoolRef) -> bool:
    return valid(claim, CHECK_TIMEOUT_MS)


def _compare(cs: CounterSystem, conc: ModelInstance, n: int) -> str | None:
    enc = Encoding(conc, sets="array")
    units = cs.units
    unit_slots = [units.slots(conc, i) for i in range(n)]
    in_unit = {s for u in unit_slots for s in u}
    names = {conc.slots[i].name: i for i in range(len(conc.slots)) if i not in in_unit}
    if sorted(names) != sorted(cs.shared_names):
        return "the shared state differs from the reading's"
    x, nxt = enc.x, enc.x_next

    def alpha(state: list[z3.ExprRef]) -> list[z3.ArithRef]:
        return [z3.Sum([z3.If(z3.And([state[s] == v for s, v in zip(u, c, strict=True)]), 1, 0) for u in unit_slots])
                if unit_slots else z3.IntVal(0) for c in cs.classes]  # fmt: skip

    now = list(zip(cs.counts, alpha(x), strict=True))

    def at(e: z3.ExprRef) -> z3.ExprRef:
        return substitute(e, now)

    dom = enc.domain(x)
    if not _valid(z3.Implies(dom, at(cs.dom))):
        return "the declared ranges differ from the reading's"
    classed = [z3.Or([z3.And([x[s] == v for s, v in zip(u, c, strict=True)]) for c in cs.classes]) for u in unit_slots]
    if not _valid(z3.Implies(dom, z3.And(classed))):  # a unit's range grows with the size: states no counter sees
        return "a unit's declared range differs from the reading's"
    by_label: dict[tuple[str, int | None], object] = {(s.label, s.cls): s for s in cs.steps}
    for t, step in enc.fired:
        u = units.unit_of(t)
        label = units.label(t)
        bad_c = z3.Or([z3.And(step.guard, z3.Not(c.ok)) for c in step.checks]) if step.checks else z3.BoolVal(False)
        after = alpha(step.next)
        cases = []
        for k in range(len(cs.classes)) if u is not None else [None]:
            cstep = by_label.get((label, k))
            if cstep is None:
                return f"step {t} has no counter step"
            same = [z3.simplify(step.next[names[nm]] == at(v)) for nm, v in
                    zip(cs.shared_names, cstep.shared, strict=True)]  # type: ignore[attr-defined]  # fmt: skip
            same += [a == at(v) for a, v in zip(after, cstep.counts, strict=True)]  # type: ignore[attr-defined]
            agree = z3.And(step.guard == at(cstep.guard), bad_c == at(cstep.bad),  # type: ignore[attr-defined]
                           z3.Implies(z3.And(step.guard, z3.Not(bad_c)), z3.And(same)))  # fmt: skip
            if k is None:
                cases.append(agree)
            else:
                mine = z3.And([x[s] == v for s, v in zip(unit_slots[u], cs.classes[k], strict=True)])  # type: ignore[index]
                cases.append(z3.Implies(mine, agree))
        if not _valid(z3.Implies(dom, z3.And(cases))):
            return f"step {t} differs from its counter reading"
    for p, e in cs.props.items():
        if not _valid(z3.Implies(dom, enc.prop(p, x) == at(e))):
            return f"property {p} differs from its counter reading"
    if len(conc.inits) != 1:
        return "the model declares several initial states"
    start = enc.const_state(conc.init)
    pairs = list(zip(enc.flat(x), enc.flat(start), strict=True))
    first = z3.simplify(substitute(z3.And(at(cs.init), at(cs.size) == n), pairs))
    if not z3.is_true(first):
        return "the initial state differs from the counters' initial state"
    del nxt
    return None
