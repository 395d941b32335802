"""Invariants of a large symmetric instance from a proof of a small one.

Spacer's time grows steeply with the number of interchangeable replicas (8 Enactors), while
the invariant of such a system is usually *parametric*: each lemma talks about one or two
replicas and the shared state, and holds for every choice of them. So: prove the same
model with two replicas, instantiate each lemma of its invariant for every injective
choice of replicas of the large instance, and keep the largest inductive subset (Houdini:
drop every lemma that some step can break, until none can). If what survives implies the
properties, it is an invariant of the large instance, and the certificate re-check says so
independently; if not, the caller falls back to Spacer on the large instance itself.
Nothing here is trusted: a bad lemma is only ever dropped, never assumed.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import z3

from ..encoding import Encoding
from ..errors import RaceproofError
from ..model import ModelInstance
from .obligations import Clock, Obligations, new_solver

SMALL = 2  # replicas in the small instance: enough for lemmas relating two of them


def smaller_instance(model: ModelInstance) -> tuple[ModelInstance, dict[str, int]] | None:
    """The model with every symmetric replica count above ``SMALL`` lowered to ``SMALL``.

    Only counts given by a parameter can be lowered. None if there is nothing to lower, or
    the model does not accept the smaller parameters.
    """
    lowered: dict[str, int] = {}
    for attr, comp in model.model.components().items():
        if not isinstance(comp.count, str) or not comp.symmetric or attr in model.asymmetry:
            continue
        count = getattr(model.params, comp.count, None)
        if isinstance(count, int) and count > SMALL:
            lowered[comp.count] = SMALL
    if not lowered:
        return None
    try:
        small = model.model.build(**(model.param_dict() | lowered))
    except RaceproofError:
        return None
    return small, lowered


def conjuncts(f: z3.BoolRef) -> list[z3.BoolRef]:
    if z3.is_and(f):
        return [c for child in f.children() for c in conjuncts(child)]
    return [] if z3.is_true(f) else [f]


def instantiate(lemmas: list[z3.BoolRef], small: Encoding, big: Encoding) -> list[z3.BoolRef]:
    """Every lemma of the small instance, for every injective choice of replicas of the big one."""
    big_consts = {str(c): c for c in big.flat(big.x)}
    replicas: dict[str, list[int]] = {}
    for inst in big.model.instances:
        if inst.id is not None:
            replicas.setdefault(inst.attr, []).append(inst.id)
    prefix = re.compile(r"^(" + "|".join(map(re.escape, replicas)) + r")(\d+)\.(.*)$") if replicas else None
    out: dict[str, z3.BoolRef] = {}
    for lemma in lemmas:
        consts = _consts(lemma)
        used: dict[str, list[int]] = {}  # component attr -> replica ids the lemma mentions
        for name in consts:
            m = prefix.match(name) if prefix else None
            if m and int(m.group(2)) not in used.setdefault(m.group(1), []):
                used[m.group(1)].append(int(m.group(2)))
        choices = [
            [dict(zip(ids, image, strict=True)) for image in itertools.permutations(replicas[attr], len(ids))]
            for attr, ids in used.items()
        ]
        for combo in itertools.product(*choices):
            mapping = dict(zip(used, combo, strict=True))
            pairs = []
            for name, const in consts.items():
                m = prefix.match(name) if prefix else None
                target = f"{m.group(1)}{mapping[m.group(1)][int(m.group(2))]}.{m.group(3)}" if m else name
                if target not in big_consts:
                    break  # the lemma talks about state the big instance does not have
                if target != name:
                    pairs.append((const, big_consts[target]))
            else:
                image = z3.substitute(lemma, *pairs) if pairs else lemma
                out.setdefault(image.sexpr(), image)
    return list(out.values())


def houdini(enc: Encoding, obl: Obligations, candidates: list[z3.BoolRef], clock: Clock) -> list[z3.BoolRef] | None:
    """The largest subset of ``candidates`` that holds initially and is closed under every
    step that keeps the ranges (None on timeout)."""
    x, o, x2 = enc.x, enc.oracle, enc.x_next
    init = new_solver(enc)
    init.add(enc.init(x))
    kept = []
    for lemma in candidates:
        init.push()
        init.add(z3.Not(lemma))
        status = clock.check(init)
        init.pop()
        if status == z3.unknown:
            return None
        if status == z3.unsat:
            kept.append(lemma)
    to_next = list(zip(enc.flat(x), enc.flat(x2), strict=True))
    after = [z3.substitute(lemma, *to_next) for lemma in kept]
    solver = new_solver(enc)
    solver.add(enc.domain(x), enc.trans(x, o, x2), obl.range_ok(x, o))
    guards = [z3.Bool(f"lemma {i}") for i in range(len(kept))]
    for g, lemma in zip(guards, kept, strict=True):
        solver.add(z3.Implies(g, lemma))
    active = set(range(len(kept)))
    while active:
        solver.push()
        solver.add(z3.Or([z3.Not(after[i]) for i in active]))
        status = clock.check(solver, *[guards[i] for i in active])
        zmodel = solver.model() if status == z3.sat else None
        solver.pop()
        if status == z3.unsat:
            break
        if zmodel is None:
            return None
        active -= {i for i in active if z3.is_false(zmodel.eval(after[i], model_completion=True))}
    return [kept[i] for i in sorted(active)]


def _consts(e: z3.ExprRef) -> dict[str, Any]:
    out: dict[str, Any] = {}
    seen: set[int] = set()
    stack = [e]
    while stack:
        t = stack.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out[str(t)] = t
        stack.extend(t.children())
    return out
