"""The counter system of `checker.param.counting`: shared state and one counter per local
state of a unit, with its steps, properties, initial states and domain, read from the
model's code built at size 2 (the actor and the representative unit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3

from ..encoding import Encoding, substitute
from ..engines.obligations import PROVABLE
from ..lang.model import ModelInstance
from .counting import CountingEncoding, CountRefused, Reader, Units, build, classes_of, find_units, hooks


@dataclass
class CStep:
    """One counter step: ``label`` (the model's step without its unit), ``cls`` the acting
    unit's class (None: a step of no unit)."""

    label: str
    cls: int | None
    guard: z3.BoolRef
    shared: list[z3.ExprRef]  # the shared slots' next values
    counts: list[z3.ArithRef]  # the counters' next values
    bad: z3.BoolRef  # a range check fails (guard & ~ok of any check)


@dataclass
class CounterSystem:
    model: ModelInstance  # the model built at size 2 (the reading)
    units: Units
    unit_names: list[str]  # a unit's slots, by name
    shared: list[z3.ExprRef]  # the shared slots' constants
    shared_names: list[str]
    classes: list[tuple[z3.ExprRef, ...]]
    counts: list[z3.ArithRef]
    steps: list[CStep] = field(default_factory=list)
    props: dict[str, z3.BoolRef] = field(default_factory=dict)
    init: z3.BoolRef = field(default_factory=lambda: z3.BoolVal(True))  # without the size
    dom: z3.BoolRef = field(default_factory=lambda: z3.BoolVal(True))
    enum_ids: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> z3.ArithRef:
        return z3.Sum(self.counts)

    def state(self) -> list[z3.ExprRef]:
        return [*self.shared, *self.counts]

    def primed(self, suffix: str = "'") -> list[z3.ExprRef]:
        return [z3.Const(f"{c.decl().name()}{suffix}", c.sort()) for c in self.state()]

    def at(self, e: z3.ExprRef, state: list[z3.ExprRef]) -> z3.ExprRef:
        return substitute(e, list(zip(self.state(), state, strict=True)))

    def trans(self, nxt: list[z3.ExprRef]) -> z3.BoolRef:
        """Some step from the current state to ``nxt``."""
        return z3.Or([z3.And(s.guard, *[a == b for a, b in zip(nxt, [*s.shared, *s.counts], strict=True)])
                      for s in self.steps])  # fmt: skip

    def bad(self, properties: list[str]) -> z3.BoolRef:
        return z3.Or([z3.Not(self.props[p]) for p in properties] + [s.bad for s in self.steps])

    def class_text(self, k: int) -> str:
        """``s`` as the model would name it: ``busy ∧ age=2`` / ``¬az_in_dns``."""
        names = {v: n for n, v in self.enum_ids.items()}
        parts = []
        for name, v in zip(self.unit_names, self.classes[k], strict=True):
            if z3.is_true(v):
                parts.append(name)
            elif z3.is_false(v):
                parts.append(f"¬{name}")
            elif self.units.attr is None or True:
                value = v.as_long() if z3.is_int_value(v) else v
                shown = names.get(value, value) if self._is_enum(name) else value
                parts.append(f"{name}={shown}")
        return " ∧ ".join(parts)

    def _is_enum(self, name: str) -> bool:
        return False


def _at(t: Any) -> str:
    """Where the step's action is declared (a refusal names the model line)."""
    from ..errors import _relative

    return f"{_relative(t.action.file)}:{t.action.line} "


def _mentions(e: z3.ExprRef, names: set[str], seen: set[int] | None = None) -> bool:
    seen = set() if seen is None else seen
    todo = [e]
    while todo:
        x = todo.pop()
        if x.get_id() in seen:
            continue
        seen.add(x.get_id())
        if z3.is_const(x) and x.decl().kind() == z3.Z3_OP_UNINTERPRETED and x.decl().name() in names:
            return True
        todo.extend(x.children())
    return False


def read(model: ModelInstance, param: str, properties: list[str]) -> CounterSystem:
    """The counter system of ``model`` over ``param``'s units; CountRefused with the model line where not."""
    units = find_units(model, param)
    two = build(model, param, 2)
    for t in two.transitions:
        for arg, spec in t.action.domains.items():
            if units.attr is not None and spec == param:
                raise CountRefused(f"action {t.instance.name}.{t.action.name} has an argument '{arg}' over {param}")
    if len(two.inits) != 1:
        raise CountRefused("the model declares several initial states (the counters start from one)")
    actor_slots, rep_slots = units.slots(two, 0), units.slots(two, 1)
    probe = Encoding.__new__(Encoding)
    probe.model, probe.interval_slots = two, frozenset()
    x = probe.fresh_state("")
    if any(isinstance(v, tuple) or not isinstance(v, z3.ExprRef) or z3.is_array(v) for v in x):
        raise CountRefused("the model has set-valued state (the counting reading handles scalars and arrays)")
    unit = set(actor_slots) | set(rep_slots)
    shared_ix = [i for i in range(len(x)) if i not in unit]
    from ..lang.interp import Symbolic

    classes = classes_of(two, units, Symbolic(two.enum_ids, frozenset()))
    counts = [z3.Int(f"#{k}") for k in range(len(classes))]
    reader = Reader([x[i] for i in actor_slots], [x[i] for i in rep_slots], classes, counts, actor_slots, rep_slots)
    enc = CountingEncoding.__new__(CountingEncoding)
    enc.reader = reader
    safety = [p for p in properties if two.properties[p].kind in PROVABLE]
    with hooks(reader, two, units):
        Encoding.__init__(enc, two, sets="array")
        reader.current = "properties"
        props = {p: enc.prop(p, enc.x) for p in safety}
    unsupported = [p for p in safety if two.properties[p].kind != "invariant" or enc.prop_checks.get(p)]
    if unsupported:
        raise CountRefused(f"{', '.join(unsupported)}: only invariants without range checks are read with counters")
    cs = CounterSystem(two, units, units.names(two), [x[i] for i in shared_ix], [two.slots[i].name for i in shared_ix],
                       classes, counts, enum_ids=dict(two.enum_ids))  # fmt: skip
    actor = reader.actor
    rep = reader.rep
    actor_names = {c.decl().name() for c in actor}
    rep_names = {c.decl().name() for c in rep}
    for t, step in enc.fired:
        u = units.unit_of(t)
        if u is not None and u != 0:
            continue  # another unit's copy of the actor's step: the checks at every size compare them
        notes = reader.notes.get(t.index, [])
        if notes:
            raise CountRefused(f"{notes[0]} (step {t})")
        nxt = list(step.next)
        bad = z3.Or([z3.And(step.guard, z3.Not(c.ok)) for c in step.checks]) if step.checks else z3.BoolVal(False)
        shared_next = [nxt[i] for i in shared_ix]
        actor_next = [nxt[i] for i in actor_slots]
        rep_next = [nxt[i] for i in rep_slots]
        outside = [step.guard, *shared_next]
        if u is None and _mentions(bad, rep_names):  # a for-all update's range checks: at every unit's class
            bad = z3.Or([z3.And(counts[k] > 0, substitute(bad, list(zip(rep, s, strict=True))))
                         for k, s in enumerate(classes)])  # fmt: skip
        outside.append(bad)
        if any(_mentions(e, rep_names) for e in [*outside, *actor_next]):
            raise CountRefused(f"{_at(t)}step {t} reads a unit's state outside an aggregate over them (a builtin sum?)")
        label = units.label(t)
        if u == 0:
            if any(not z3.eq(a, b) for a, b in zip(rep_next, rep, strict=True)):
                raise CountRefused(f"{_at(t)}step {t} of one unit changes another unit's state")
            for k, a in enumerate(classes):
                pairs = list(zip(actor, a, strict=True))
                succ = [substitute(v, pairs) for v in actor_next]
                into = [z3.And([p == q for p, q in zip(succ, c, strict=True)]) for c in classes]
                cnt = [
                    z3.simplify(counts[j] - (1 if j == k else 0) + z3.If(into[j], 1, 0)) for j in range(len(classes))
                ]
                cs.steps.append(CStep(label, k, z3.simplify(z3.And(counts[k] > 0, substitute(step.guard, pairs))),
                                      [z3.simplify(substitute(v, pairs)) for v in shared_next], cnt,
                                      z3.simplify(z3.And(counts[k] > 0, substitute(bad, pairs)))))  # fmt: skip
            continue
        if any(_mentions(e, actor_names) for e in [*outside, *rep_next]) or any(
            not z3.eq(a, b) for a, b in zip(actor_next, actor, strict=True)
        ):
            raise CountRefused(f"{_at(t)}step {t} reads or writes one particular unit (the first)")
        if all(z3.eq(a, b) for a, b in zip(rep_next, rep, strict=True)):
            cnt = list(counts)
        else:  # a for-all update: each unit's class moves by the same function
            succs = [[substitute(v, list(zip(rep, s, strict=True))) for v in rep_next] for s in classes]
            cnt = [z3.simplify(z3.Sum([z3.If(z3.And([p == q for p, q in zip(succs[s], c, strict=True)]), counts[s], 0)
                                       for s in range(len(classes))])) for c in classes]  # fmt: skip
        cs.steps.append(CStep(label, None, step.guard, shared_next, cnt, bad))
    for p, e in props.items():
        notes = reader.notes.get("properties", [])
        if notes:
            raise CountRefused(f"{notes[0]} (property {p})")
        if _mentions(e, actor_names | rep_names):
            raise CountRefused(f"property {p} reads one unit's state outside an aggregate over them")
        cs.props[p] = e
    if reader.notes.get("model"):
        raise CountRefused(reader.notes["model"][0])
    _initial(cs, two, x, shared_ix, actor_slots, rep_slots)
    dom = enc.domain(enc.x)
    fixed = list(zip(actor, classes[0], strict=True)) + list(zip(rep, classes[0], strict=True))
    cs.dom = z3.simplify(z3.And(substitute(dom, fixed), *[c >= 0 for c in counts]))  # units' ranges: their classes
    return cs


def _initial(cs: CounterSystem, two: ModelInstance, x: list[Any], shared_ix: list[int], actor_slots: list[int],
             rep_slots: list[int]) -> None:  # fmt: skip
    init = two.init

    def value(v: Any) -> z3.ExprRef:
        return z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(two.enum_ids[v] if isinstance(v, str) else v)

    first = [value(init[i]) for i in actor_slots]
    if any(init[i] != init[j] for i, j in zip(actor_slots, rep_slots, strict=True)):
        raise CountRefused("the units start in different states (the counters start with every unit alike)")
    start = next(k for k, c in enumerate(cs.classes) if all(z3.eq(a, b) for a, b in zip(c, first, strict=True)))
    parts = []
    for i, c in zip(shared_ix, cs.shared, strict=True):
        parts.append(c == value(init[i]))
    parts += [c == 0 for k, c in enumerate(cs.counts) if k != start]
    cs.init = z3.And(parts)
    cs.start = start  # type: ignore[attr-defined]
