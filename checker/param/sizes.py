"""The parameterized reading of parameter-sized arrays, checked against the model at every size.

`checker.param.index` derives it by running the model's code with symbolic arrays; here it
is compared, for every value the parameter may take, with the ordinary encoding of the
two-replica instance at that value (array element ``a[k]`` read as ``select(A, k)``, the
size ``E`` as the value): each transition's guard, its range checks, its next state (where
it fires and keeps its ranges), and each property (over every index). z3 must show every
pair equal for every typed state; any difference, or an answer other than unsat, refuses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import z3

from ..encoding import Encoding, substitute
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from ..lang.types import IntSort
from .domains import Family, key_of
from .template import ParamEncoding
from .valid import valid

CHECK_TIMEOUT_MS = 20_000


def check_sizes(pe: ParamEncoding, model: ModelInstance) -> str | None:
    """None if the reading equals the model at every value of the parameter; else the first difference."""
    ix = pe.ix
    assert ix is not None
    for k in range(ix.lo, ix.hi + 1):
        try:
            flat = Encoding(model.model.build(**(model.param_dict() | {pe.count: 2, ix.param: k})), sets=pe.enc.sets)
        except RaceproofError as exc:
            return f"at {ix.param}={k} the model fails: {exc}"
        why = _compare(pe, flat, k)
        if why is not None:
            return f"at {ix.param}={k}: {why}"
    return None


def _compare(pe: ParamEncoding, flat: Encoding, k: int) -> str | None:
    ix = pe.ix
    assert ix is not None
    if [c.decl().name() for c in flat.flat(flat.x) if not _element(pe, flat, c)] != [
        c.decl().name() for c in pe.enc.flat(pe.enc.x) if not _element(pe, pe.enc, c)
    ]:
        return "the state variables differ"
    to_param: list[tuple[Any, Any]] = []
    for state, arrays in ((flat.x, ix.now), (flat.x_next, ix.after)):
        for slot, sym in enumerate(state):
            var = flat.model.slots[slot].var
            if var.name in ix.arrays:
                to_param.append((sym, z3.Select(arrays[var.name], var.slots.index(slot))))
    at_k = [(ix.size, z3.IntVal(k))]

    def fl(e: z3.ExprRef) -> z3.ExprRef:
        return substitute(e, to_param)

    def pm(e: z3.ExprRef, j: int | None = None) -> z3.ExprRef:
        """The reading at size ``k`` (and, for a step over the parameter's domain, at its index ``j``)."""
        return substitute(e, at_k + ([(ix.chosen, z3.IntVal(j))] if j is not None else []))

    why = _same_slots(pe, flat, k)
    if why is not None:
        return why
    typed = z3.And(fl(flat.domain(flat.x)), fl(flat.domain(flat.x_next)))
    matched = _matched_steps(pe, flat, k)
    if isinstance(matched, str):
        return matched
    for label, sp, sf, j in matched:
        g_p = pm(sp.guard, j) if sp is not None else z3.BoolVal(False)
        g_f = fl(sf.guard) if sf is not None else z3.BoolVal(False)
        if not _valid(z3.Implies(typed, g_p == g_f)):
            return f"{label}: the guard differs"
        if sp is None or sf is None:
            continue
        v_p = z3.Or([z3.Not(pm(c.ok, j)) for c in sp.checks]) if sp.checks else z3.BoolVal(False)
        v_f = z3.Or([z3.Not(fl(c.ok)) for c in sf.checks]) if sf.checks else z3.BoolVal(False)
        if not _valid(z3.Implies(z3.And(typed, g_f), v_p == v_f)):
            return f"{label}: the range checks differ"
        same = []
        arrays = pe.arrays_next(sp)
        n_p = {c.decl().name(): v for c, v in zip(pe.enc.flat(pe.enc.x), pe.enc.flat(sp.next), strict=True)}
        for c, v in zip(flat.flat(flat.x), flat.flat(sf.next), strict=True):
            var = flat.model.slots[_slot(flat, c)].var
            if var.name in ix.arrays:
                a = arrays[ix.now[var.name].get_id()]
                same.append(pm(z3.Select(a, var.slots.index(_slot(flat, c))), j) == fl(v))
            else:
                same.append(pm(n_p[c.decl().name()], j) == fl(v))
        if not _valid(z3.Implies(z3.And(typed, g_f, z3.Not(v_f)), z3.And(same))):
            return f"{label}: the next state differs"
    for name in pe.properties:
        if name in pe.quantified:
            continue  # read for every replica as well: `check_replica_props` checks it at every size pair
        x2 = flat.x_next if flat.model.properties[name].kind == "action_invariant" else None
        checks = [z3.Not(v) for _, v in flat.prop_check_violations(name, flat.x, x2)]
        p_f = z3.And([flat.prop(name, flat.x, x2), *checks])
        p_p = pm(pe.props[name])
        every = z3.And([substitute(p_p, [(ix.ix, z3.IntVal(i))]) for i in range(k)])
        if not _valid(z3.Implies(typed, every == fl(p_f))):
            return f"property '{name}' differs"
    return None


def _matched_steps(pe: ParamEncoding, flat: Encoding, k: int) -> list[tuple[str, Any, Any, int | None]] | str:
    """Each transition of the instance ``flat`` (at size ``k``) with the reading's step it is:
    (label, the reading's step, the instance's step, the index a member of a family takes).
    A step is None where its transition never fires. A string: the transitions differ."""
    ix = pe.ix
    assert ix is not None
    fired_p = {id(t): s for t, s in pe.enc.fired}
    fired_f = {id(t): s for t, s in flat.fired}
    reading: dict[Any, Any] = {}
    for t in pe.model2.transitions:
        key, _ = key_of(t, ix.param)
        reading[key] = (t, fired_p.get(id(t)))
    out: list[tuple[str, Any, Any, int | None]] = []
    members: dict[Family, list[int]] = {}
    for t in flat.model.transitions:
        key, j = key_of(t, ix.param)
        if key not in reading:
            return f"{t}: no such step in the reading"
        if isinstance(key, Family):
            members.setdefault(key, []).append(j)  # type: ignore[arg-type]
        _, sp = reading[key]
        out.append((str(t), sp, fired_f.get(id(t)), j))
    flat_keys = {key_of(t, ix.param)[0] for t in flat.model.transitions}
    for key in reading:
        if key not in flat_keys:
            return f"{key}: a step of the reading that the instance does not have"
    for key, js in members.items():
        if sorted(js) != list(range(k)):
            return f"{key.instance}.{key.action}: not one step per index 0..{k - 1}"
    # the reading's step over the domain fires only at an index of the arrays (its guard says so)
    for key, (_, sp) in reading.items():
        if isinstance(key, Family) and sp is not None:
            at_k = [(ix.size, z3.IntVal(k))]
            if not _valid(z3.Implies(substitute(sp.guard, at_k), substitute(ix.in_range(ix.chosen), at_k))):
                return f"{key.instance}.{key.action}: the reading's step may choose an index outside 0..{k - 1}"
    return out


def _same_slots(pe: ParamEncoding, flat: Encoding, k: int) -> str | None:
    """Each state variable has the same type (a bound that follows the parameter read at
    ``k``) and the same initial value in the reading as in the model at ``k``."""
    ix = pe.ix
    assert ix is not None
    template = {s.name: (s, pe.model2.init[i]) for i, s in enumerate(pe.model2.slots)}
    for i, slot in enumerate(flat.model.slots):
        var = slot.var
        name = f"{var.name}[0]" if var.name in ix.arrays else slot.name
        if name not in template:
            return f"'{slot.name}' is not in the reading"
        t_slot, t_init = template[name]
        sort = t_slot.sort
        if isinstance(sort, IntSort) and sort.hi is not None and z3.is_expr(sort.hi):
            sort = dataclasses.replace(sort, hi=k)
        if sort != slot.sort:
            return f"the type of '{slot.name}' differs"
        if flat.model.init[i] != t_init:
            return f"the initial value of '{slot.name}' differs"
    return None


def _element(pe: ParamEncoding, enc: Encoding, c: z3.ExprRef) -> bool:
    assert pe.ix is not None
    return enc.model.slots[_slot(enc, c)].var.name in pe.ix.arrays


def _slot(enc: Encoding, c: z3.ExprRef) -> int:
    cache = enc.__dict__.setdefault("_param_slot_of", {})
    if not cache:
        for i, sym in enumerate(enc.x):
            for e in enc.flat([sym]):
                cache[e.get_id()] = i
    return cache[c.get_id()]


def _valid(claim: z3.BoolRef) -> bool:
    return valid(claim, CHECK_TIMEOUT_MS)


def check_replica_props(pe: ParamEncoding, model: ModelInstance) -> str | None:
    """A property that iterates the replicas is read as "for every replica r: P(r)" (it saw
    replica 1 alone). None if that reading equals the property at every replica count the
    model allows (so the count must declare a maximum), and with parameter-sized arrays at
    every pair of a count and an array size (a property may read both); else the first
    difference."""
    if not pe.quantified:
        return None
    decl = model.model.params().get(pe.count)
    if decl is None or decl.max is None:
        return f"'{pe.count}' declares no maximum: the reading of a property over the replicas is checked at each count"
    ix = pe.ix
    lengths: list[int | None] = list(range(ix.lo, ix.hi + 1)) if ix is not None else [None]
    for n in range(max(decl.min or 1, 1), decl.max + 1):
        for k in lengths:
            values = model.param_dict() | {pe.count: n} | ({} if ix is None else {ix.param: k})
            at = f"{pe.count}={n}" + ("" if ix is None else f", {ix.param}={k}")
            try:
                flat = Encoding(model.model.build(**values), sets=pe.enc.sets)
            except RaceproofError as exc:
                return f"at {at} the model fails: {exc}"
            why = _replica_reading(pe, flat, n, k)
            if why is not None:
                return f"at {at}: {why}"
    return None


def _replica_reading(pe: ParamEncoding, flat: Encoding, n: int, k: int | None) -> str | None:
    """None if each property over the replicas, read at every replica (and every index below
    ``k``, the arrays' size), equals the property of the instance ``flat``."""
    names = {c.decl().name(): c for c in flat.flat(flat.x) + flat.flat(flat.x_next)}
    typed = z3.And(flat.domain(flat.x), flat.domain(flat.x_next))
    sized: list[tuple[Any, Any]] = []  # the arrays of size k as the instance's elements
    indices: list[Any] = [None]
    if pe.ix is not None and k is not None:
        ix = pe.ix
        sized.append((ix.size, z3.IntVal(k)))
        for state, arrays in ((flat.x, ix.now), (flat.x_next, ix.after)):
            for name, arr in arrays.items():
                var = flat.model.var_by_name[name]
                term = z3.K(z3.IntSort(), z3.IntVal(0))  # beyond the size: never read where the range check holds
                for pos, slot in enumerate(var.slots):
                    term = z3.Store(term, pos, state[slot])
                sized.append((arr, term))
        indices = [z3.IntVal(i) for i in range(k)]
    r = pe.prop_replica
    for name in sorted(pe.quantified):
        x2 = flat.x_next if flat.model.properties[name].kind == "action_invariant" else None
        checks = [z3.Not(v) for _, v in flat.prop_check_violations(name, flat.x, x2)]
        p_f = z3.And([flat.prop(name, flat.x, x2), *checks])
        every = []
        for j in range(1, n + 1):
            pairs = []
            for key, a0, a1 in zip(pe.local_keys, pe.p0[1], pe.p1[1], strict=True):
                for arr, suffix in ((a0, ""), (a1, "'")):
                    const = names.get(f"{pe.attr}{j}.{key}{suffix}")
                    if const is not None:
                        pairs.append((z3.Select(arr, r), const))
            at_j = substitute(pe.props[name], pairs)
            for i in indices:
                every.append(substitute(at_j, sized + ([] if i is None else [(pe.ix.ix, i)])))  # type: ignore[union-attr]
        if not _valid(z3.Implies(typed, z3.And(every) == p_f)):
            return f"property '{name}' is not the same property of every replica"
    return None
