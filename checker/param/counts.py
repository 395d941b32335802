"""The keyed reading (`checker.param.keyed`) checked against the model at every replica count.

For each count ``n`` the model allows (so the count must declare a maximum), the ordinary
encoding of the ``n``-replica instance is compared with the parameterized encoding over a
replica sort of exactly ``n`` named, distinct elements ``e1..en`` (replica ``j``'s state is
element ``ej`` of each per-replica array; a ∀/∃ over the replicas is the conjunction /
disjunction over ``e1..en``): every transition of the instance is the template of its
action at its acting replica, with the same guard, the same range checks and the same next
state of every variable (every replica's too), every template at every acting replica is a
transition of the instance, each property is the same, and so is the initial state. z3 must
show each pair equal for every typed state; anything else refuses, with the first difference.
"""

from __future__ import annotations

from typing import Any

import z3

from ..encoding import Encoding, substitute
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from ..lang.refs import Ref
from .keyed import columns, replica_key
from .template import ParamEncoding
from .valid import valid

CHECK_TIMEOUT_MS = 20_000


def check_counts(pe: ParamEncoding, model: ModelInstance) -> str | None:
    """None if the keyed reading equals the model at every count it allows; else the first difference."""
    decl = model.model.params().get(pe.count)
    if decl is None or decl.max is None:
        return (
            f"'{pe.count}' declares no maximum: the reading of {pe.attr} identities is checked against the model "
            "at each count"
        )
    for n in range(max(decl.min or 1, 1), decl.max + 1):
        try:
            flat = Encoding(model.model.build(**(model.param_dict() | {pe.count: n})), sets=pe.enc.sets)
        except RaceproofError as exc:
            return f"at {pe.count}={n} the model fails: {exc}"
        why = _compare(pe, flat, n)
        if why is not None:
            return f"at {pe.count}={n}: {why}"
    return None


class _At:
    """The parameterized state read at one count: arrays as stores of the instance's constants."""

    def __init__(self, pe: ParamEncoding, flat: Encoding, n: int):
        self.pe, self.flat = pe, flat
        self.elements = [z3.Const(f"{pe.attr}#e{j}", pe.sort) for j in range(1, n + 1)]
        keyed_sets = columns(pe)[0]
        now = {c.decl().name(): c for c in flat.flat(flat.x)}
        nxt = dict(zip(now, flat.flat(flat.x_next), strict=True))
        self.cells: dict[tuple[int, str], tuple[z3.ExprRef, z3.ExprRef]] = {}
        self.flat_shared: list[str] = []
        for name, c in now.items():
            found = replica_key(name, pe.attr, keyed_sets)
            if found is None:
                self.flat_shared.append(name)
            else:
                self.cells[found] = (c, nxt[name])
        self.now, self.nxt = now, nxt
        ids = flat.interp.enum_ids
        self.none_id = ids.get("none")
        self.ids = [ids.get(f"{pe.attr}{j}", -1) for j in range(1, n + 1)]  # no Ref: never compared
        self.pairs: list[tuple[Any, Any]] = []
        for p, which in ((pe.p0, 0), (pe.p1, 1)):
            values = now if not which else nxt
            for c in p[0]:
                name = _base(c.decl().name()) if which else c.decl().name()
                if name in now:
                    self.pairs.append((c, values[name]))
            for name, (none, who) in pe.ref_pairs.items():  # a Ref variable: its pair from the flat value
                pos = [k for k, c in enumerate(pe.shared) if c.eq(none) or c.eq(who)]
                v = values[name]
                self.pairs += [(p[0][pos[0]], v == self.none_id), (p[0][pos[1]], self.named(v))]
            for key, arr in zip(pe.local_keys, p[1], strict=True):
                self.pairs.append((arr, self.array(key, which)))

    def named(self, v: z3.ExprRef) -> z3.ExprRef:
        """The replica an instance's Ref value ``v`` names (element 1 where it names none)."""
        out = self.elements[0]
        for j in range(len(self.elements) - 1, 0, -1):
            out = z3.If(v == self.ids[j], self.elements[j], out)
        return out

    def shared_names(self) -> list[str]:
        """The shared variables of the reading in the instance's names (a Ref pair is its variable)."""
        out: list[str] = []
        for c in self.pe.shared:
            name = c.decl().name()
            owner = name.rsplit(".", 1)[0]
            if owner in self.pe.ref_pairs:
                name = owner
            if name not in out:
                out.append(name)
        return out

    def array(self, key: str, which: int) -> z3.ExprRef:
        arr = z3.K(self.pe.sort, self.cells[(1, key)][which])  # every element is stored below
        for j, e in enumerate(self.elements, start=1):
            arr = z3.Store(arr, e, self.cells[(j, key)][which])
        return arr

    def read(self, t: z3.ExprRef, actor: z3.ExprRef | None = None) -> z3.ExprRef:
        pairs = self.pairs + ([(self.pe.actor, actor)] if actor is not None else [])
        return _expand(self.pe, substitute(t, pairs), self.elements)


def _base(name: str) -> str:
    return name[:-1] if name.endswith("'") else name


def _expand(pe: ParamEncoding, t: z3.ExprRef, elements: list[z3.ExprRef]) -> z3.ExprRef:
    """Each ∀/∃ over the replica sort as the conjunction/disjunction over ``elements``."""
    memo: dict[int, z3.ExprRef] = {}

    def go(e: z3.ExprRef) -> z3.ExprRef:
        if e.get_id() in memo:
            return memo[e.get_id()]
        out = e
        if z3.is_quantifier(e) and not e.is_lambda() and all(e.var_sort(i) == pe.sort for i in range(e.num_vars())):
            import itertools

            bodies = [
                go(z3.substitute_vars(e.body(), *reversed(combo)))
                for combo in itertools.product(elements, repeat=e.num_vars())
            ]
            out = z3.And(bodies) if e.is_forall() else z3.Or(bodies)
        elif z3.is_app(e) and e.num_args() > 0:
            kids = [go(k) for k in e.children()]
            if any(not a.eq(b) for a, b in zip(kids, e.children(), strict=True)):
                out = e.decl()(*kids)
        memo[e.get_id()] = out
        return out

    return go(t)


def _valid(claim: z3.BoolRef) -> bool:
    return valid(claim, CHECK_TIMEOUT_MS)


def _compare(pe: ParamEncoding, flat: Encoding, n: int) -> str | None:
    at = _At(pe, flat, n)
    if at.flat_shared != at.shared_names():
        return "the shared state variables differ"
    if {k for _, k in at.cells} != set(pe.local_keys) or len(at.cells) != n * len(pe.local_keys):
        return f"the {pe.attr} replicas' state variables differ"
    distinct = z3.Distinct(*at.elements) if n > 1 else z3.BoolVal(True)
    typed = z3.And(distinct, flat.domain(flat.x), flat.domain(flat.x_next))
    why = _init(pe, at, flat)
    if why is not None:
        return why
    by_source = {pe.sources[t.index]: t for t in pe.templates}
    seen: set[tuple[int, int]] = set()
    for t, step in flat.fired:
        inst = t.instance
        refs = [k for k, d in t.action.domains.items() if isinstance(d, Ref) and d.target == pe.attr]
        ref = refs[0] if refs and inst.attr != pe.attr else None
        others = tuple(sorted((k, str(v)) for k, v in t.args.items() if k != ref))
        tpl = by_source.get((inst.attr, t.action.name, others, ref))
        if tpl is None:
            return f"{t} has no template"
        actor = None
        if inst.attr == pe.attr:
            actor = at.elements[inst.id - 1]
        elif ref is not None:
            actor = at.elements[int(str(t.args[ref]).removeprefix(pe.attr)) - 1]
        if (actor is None) == tpl.replica:
            return f"{t}: acting replica mismatch"
        mark = (tpl.index, -1 if actor is None else at.elements.index(actor))
        if mark in seen:
            return f"{t} is read twice"
        seen.add(mark)
        why = _step(pe, at, typed, tpl, step, actor)
        if why is not None:
            return f"{t}: {why}"
    expected = sum(n if tpl.replica else 1 for tpl in pe.templates)
    if len(seen) != expected:
        return f"{expected - len(seen)} template step(s) are no transition of the instance"
    for name in pe.properties:
        x2 = flat.x_next if flat.model.properties[name].kind == "action_invariant" else None
        checks = [z3.Not(v) for _, v in flat.prop_check_violations(name, flat.x, x2)]
        p_f = z3.And([flat.prop(name, flat.x, x2), *checks])
        if not _valid(z3.Implies(typed, at.read(pe.props[name]) == p_f)):
            return f"property '{name}' differs"
    return None


def _init(pe: ParamEncoding, at: _At, flat: Encoding) -> str | None:
    if pe.init_pred is not None:  # several initial states: the predicates
        typed = z3.And(z3.Distinct(*at.elements) if len(at.elements) > 1 else z3.BoolVal(True), flat.domain(flat.x))
        return (
            None
            if _valid(z3.Implies(typed, at.read(pe.init_pred) == flat.init(flat.x)))
            else "the initial states differ"
        )
    names = [c.decl().name() for c in flat.flat(flat.x)]
    init = dict(zip(names, flat.flat(flat.const_state(flat.model.init)), strict=True))
    for c, v in zip(pe.shared, pe.init_shared, strict=True):
        name = c.decl().name()
        owner = name.rsplit(".", 1)[0]
        if owner in pe.ref_pairs:
            if c.eq(pe.ref_pairs[owner][0]) and not _valid((init[owner] == at.none_id) == v):
                return f"the initial value of '{owner}' differs"
            continue  # the replica a none value names is any
        if not _valid(init[name] == v):
            return f"the initial value of '{c}' differs"
    for (j, key), (c, _) in at.cells.items():
        v = pe.init_local[pe.local_keys.index(key)]
        if not _valid(init[c.decl().name()] == v):
            return f"the initial value of '{c}' differs (replica {j})"
    return None


def _step(pe: ParamEncoding, at: _At, typed: z3.BoolRef, tpl: Any, step: Any, actor: z3.ExprRef | None) -> str | None:
    g_p, g_f = at.read(tpl.guard, actor), step.guard
    if not _valid(z3.Implies(typed, g_p == g_f)):
        return "the guard differs"
    v_p = z3.Or([at.read(v, actor) for _, v in tpl.violations]) if tpl.violations else z3.BoolVal(False)
    v_f = z3.Or([z3.Not(c.ok) for c in step.checks]) if step.checks else z3.BoolVal(False)
    if not _valid(z3.Implies(z3.And(typed, g_f), v_p == v_f)):
        return "the range checks differ"
    nxt = {c.decl().name(): v for c, v in zip(at.flat.flat(at.flat.x), at.flat.flat(step.next), strict=True)}
    same = []
    for c, e in zip(pe.shared, tpl.next_shared, strict=True):
        name = c.decl().name()
        owner = name.rsplit(".", 1)[0]
        if owner not in pe.ref_pairs:
            same.append(at.read(e, actor) == nxt[name])
        elif c.eq(pe.ref_pairs[owner][0]):  # the pair against the instance's next value
            k = [i for i, d in enumerate(pe.shared) if d.eq(pe.ref_pairs[owner][1])][0]
            none, who = at.read(e, actor), at.read(tpl.next_shared[k], actor)
            v = nxt[owner]
            same.append(none == (v == at.none_id))
            same.append(z3.Or(none, who == at.named(v)))
    for key, new in zip(pe.local_keys, tpl.next_local, strict=True):
        arr = at.array(key, 0)
        if new is not None:
            assert actor is not None
            arr = z3.Store(arr, actor, at.read(new, actor))
        for j, e in enumerate(at.elements, start=1):
            same.append(z3.Select(arr, e) == nxt[at.cells[(j, key)][0].decl().name()])
    if not _valid(z3.Implies(z3.And(typed, g_f, z3.Not(v_f)), z3.And(same))):
        return "the next state differs"
    return None
