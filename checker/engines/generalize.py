"""Invariants of a large instance from proofs of smaller ones.

Spacer's time grows steeply with the size of a model (8 interchangeable Enactors, 3
endpoints), while the invariant of such a system is usually *parametric*: each lemma talks
about one or two replicas, a few array elements and the shared state, and holds for every
choice of them. So the proof climbs a *ladder* of instances: the model with every size
parameter (a replica count, an array length) at its smallest, then one parameter one step
larger at a time, replicas only up to two. At each rung the lemmas found so far are carried
over (every lemma, for every injective choice of replicas; array elements keep their
names, and where an array grew they are also tried on the other elements), only the
largest inductive subset is kept (Houdini: drop every lemma that some step
can break, until none can), and Spacer fills in the rest, starting from those lemmas. At the
full instance, if what survives implies the properties, it is the invariant; else Spacer on
the full instance starts from it. Nothing here is trusted: a lemma is only ever dropped,
never assumed without a check, and the certificate re-check judges the result on its own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection
from typing import Any

import z3

from ..encoding import Encoding, substitute
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from .obligations import Clock, Obligations, new_solver

SMALL = 2  # replicas on the ladder: enough for lemmas relating two of them
MAX_RUNGS = 12


def ladder(model: ModelInstance, symmetric: Collection[str] | None = None) -> list[dict[str, int]]:
    """The parameters of the smaller instances to prove first, smallest first (the full
    instance not included). Empty if the model has no size parameter to shrink.
    ``symmetric`` names the components whose replicas are interchangeable (see
    `checker.symmetry`; None: every one not declared ``symmetric=False``): their counts
    climb only to two."""
    sizes = _size_params(model)
    if not sizes:
        return []
    target = model.param_dict()
    replicas = {
        comp.count
        for attr, comp in model.model.components().items()
        if isinstance(comp.count, str) and comp.symmetric and (symmetric is None or attr in symmetric)
    }
    current = dict(sizes)
    rungs = [dict(current)]
    order = sorted(p for p in sizes if p in replicas) + sorted(p for p in sizes if p not in replicas)
    for p in order:
        top = min(target[p], SMALL) if p in replicas else target[p]
        while current[p] < top:
            current[p] += 1
            rungs.append(dict(current))
    full = {p: target[p] for p in sizes}
    rungs = [r for r in rungs if r != full]
    return rungs if len(rungs) <= MAX_RUNGS else []


def _size_params(model: ModelInstance) -> dict[str, int]:
    """Int parameters that only add state when they grow (more replicas, longer arrays),
    with their smallest value."""
    names = {s.name for s in model.slots}
    out: dict[str, int] = {}
    for name, param in model.model.params().items():
        value = getattr(model.params, name)
        if param.type is not int or isinstance(value, bool) or not isinstance(value, int):
            continue
        low = max(param.min if param.min is not None else 1, 1)
        if value <= low:
            continue
        try:
            smaller = model.model.build(**(model.param_dict() | {name: low}))
        except RaceproofError:
            continue
        if {s.name for s in smaller.slots} < names:
            out[name] = low
    return out


def build(model: ModelInstance, params: dict[str, int]) -> ModelInstance:
    return model.model.build(**(model.param_dict() | params))


def implies_properties(enc: Encoding, obl: Obligations, lemmas: list[z3.BoolRef], clock: Clock) -> bool:
    """Whether ``lemmas`` (and the declared types) imply every property and range check."""
    x, o, x2 = enc.x, enc.oracle, enc.x_next
    solver = new_solver(enc)
    solver.add(*lemmas, enc.domain(x))
    solver.add(z3.Or(z3.Not(obl.state_ok(x)), z3.And(enc.trans(x, o, x2), z3.Not(obl.step_ok(x, o, x2)))))
    return clock.check(solver) == z3.unsat


def conjuncts(f: z3.BoolRef) -> list[z3.BoolRef]:
    if z3.is_and(f):
        return [c for child in f.children() for c in conjuncts(child)]
    return [] if z3.is_true(f) else [f]


def instantiate(lemmas: list[z3.BoolRef], big: Encoding) -> list[z3.BoolRef]:
    """Every lemma of a smaller instance, for every injective choice of replicas of ``big``
    (lemmas about state ``big`` does not have are left out)."""
    big_consts = {str(c): c for c in big.flat(big.x)}
    replicas: dict[str, list[int]] = {}
    for inst in big.model.instances:
        if inst.id is not None:
            replicas.setdefault(inst.attr, []).append(inst.id)
    prefix = re.compile(r"^(" + "|".join(map(re.escape, replicas)) + r")(\d+)\.(.*)$") if replicas else None
    out: dict[int, z3.BoolRef] = {}  # by z3's id: terms are hash-consed, equal terms share one
    for lemma in lemmas:
        consts = state_consts(lemma)
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
                image = substitute(lemma, pairs)
                out.setdefault(image.get_id(), image)
    return list(out.values())


_ELEMENT = re.compile(r"^(.*)\[(\d+)\]$")  # an array element's slot: name[index]


def array_sizes(model: ModelInstance) -> dict[str, int]:
    """Each array's length, by the name its elements' slots carry (``endpoint_plan``: 2)."""
    return {v.name: len(v.keys) for v in model.vars if v.shape == "array"}


def shift_indices(lemmas: list[z3.BoolRef], small: ModelInstance, big: Encoding) -> list[z3.BoolRef]:
    """Candidate lemmas for arrays that are longer in ``big`` than in ``small``: each lemma
    that mentions elements of those arrays, again with their indices moved to every injective
    choice of indices of ``big`` (the lemma itself included; the others are left out).

    Array elements are not interchangeable the way replicas are (endpoint 0 is special in the
    DNS model, an Enactor writes them in order), so these are guesses, not consequences:
    Houdini keeps only those that are inductive. They spare Spacer re-deriving, element by
    element, what the smaller instance already knew about one element."""
    before, after = array_sizes(small), array_sizes(big.model)
    grown = {name for name, n in after.items() if n > before.get(name, n)}
    if not grown:
        return []
    big_consts = {str(c): c for c in big.flat(big.x)}
    top = max(after[name] for name in grown)
    out: dict[int, z3.BoolRef] = {}
    for lemma in lemmas:
        consts = state_consts(lemma)
        elements = {name: m for name, m in ((n, _ELEMENT.match(n)) for n in consts) if m and m.group(1) in grown}
        used = sorted({int(m.group(2)) for m in elements.values()})
        if not used:
            continue  # carried over as it is
        for image in itertools.permutations(range(top), len(used)):
            mapping = dict(zip(used, image, strict=True))
            pairs = []
            for name, m in elements.items():
                target = f"{m.group(1)}[{mapping[int(m.group(2))]}]"
                if target not in big_consts:
                    break
                if target != name:
                    pairs.append((consts[name], big_consts[target]))
            else:
                shifted = substitute(lemma, pairs)
                out.setdefault(shifted.get_id(), shifted)
    return list(out.values())


def houdini(enc: Encoding, obl: Obligations, candidates: list[z3.BoolRef], clock: Clock) -> list[z3.BoolRef] | None:
    """The largest subset of ``candidates`` that holds initially and is closed under every
    step that keeps the ranges (None on timeout)."""
    x, o, x2 = enc.x, enc.oracle, enc.x_next
    # With one initial state, each lemma is evaluated there (a solver only for what simplification
    # leaves open); with several, the solver over the init predicate decides every lemma.
    init = new_solver(enc)
    if enc.model.several_inits:
        init.add(enc.init(x))
        kept = initially_true(candidates, lambda lemma: lemma, init, clock)
    else:
        at_init = list(zip(enc.flat(x), enc.flat(enc.const_state(enc.model.init)), strict=True))
        kept = initially_true(candidates, lambda lemma: substitute(lemma, at_init), init, clock)
    if kept is None:
        return None
    to_next = list(zip(enc.flat(x), enc.flat(x2), strict=True))
    solver = new_solver(enc)
    solver.add(enc.domain(x), enc.trans(x, o, x2), obl.range_ok(x, o))
    broken = [z3.Not(substitute(lemma, to_next)) for lemma in kept]  # negated once, not per round
    active = drop_until_inductive(solver, kept, broken, clock)
    return None if active is None else [kept[i] for i in active]


def initially_true(
    candidates: list[Any],
    at_init: Callable[[Any], z3.BoolRef],
    solver: z3.Solver,
    clock: Clock,
    dropped: Callable[[Any], None] | None = None,
) -> list[Any] | None:
    """The candidates whose value in the initial state (``at_init``: closed, or constrained by
    ``solver``) is true: simplification decides most, the solver the rest (None on timeout).
    Houdini's first half, for one instance (`houdini`) and for every size (`checker.param.infer`)."""
    kept = []
    for lemma in candidates:
        value = z3.simplify(at_init(lemma))
        if z3.is_true(value):
            kept.append(lemma)
            continue
        if not z3.is_false(value):
            solver.push()
            solver.add(z3.Not(value))
            status = clock.check(solver)
            solver.pop()
            if status == z3.unknown:
                return None
            if status == z3.unsat:
                kept.append(lemma)
                continue
        if dropped is not None:
            dropped(lemma)
    return kept


def drop_until_inductive(
    solver: z3.Solver,
    assumed: list[z3.BoolRef],
    broken: list[z3.BoolRef],
    clock: Clock,
    dropped: Callable[[set[int], z3.ModelRef], None] | None = None,
) -> list[int] | None:
    """Houdini's second half: the indices of the largest subset of lemmas that no step breaks.

    ``solver`` holds one step (and whatever else the step may assume); ``assumed[i]`` is what
    lemma i lets the step assume before it, ``broken[i]`` says that it fails after it. Each
    lemma is assumed under a guard literal; each
    round asks for a step from a state where the active lemmas hold to one where one of them
    fails, and drops every lemma that fails there (``dropped`` sees them with the model), until
    no step breaks any (None on timeout or unknown)."""
    guards = [z3.Bool(f"lemma {i}") for i in range(len(assumed))]
    for g, before in zip(guards, assumed, strict=True):
        solver.add(z3.Implies(g, before))
    active = set(range(len(assumed)))
    while active:
        solver.push()
        solver.add(any_of([broken[i] for i in active]))
        status = clock.check(solver, *[guards[i] for i in active])
        zmodel = solver.model() if status == z3.sat else None
        solver.pop()
        if status == z3.unsat:
            break
        if zmodel is None:
            return None
        gone = {i for i in active if z3.is_true(zmodel.eval(broken[i], model_completion=True))}
        if dropped is not None:
            dropped(gone, zmodel)
        active -= gone
    return sorted(active)


def any_of(terms: list[z3.BoolRef]) -> z3.BoolRef:
    """``z3.Or(terms)`` without z3's coercion of each term (Houdini's rounds over ~1000 lemmas)."""
    if len(terms) == 1:
        return terms[0]
    ctx = terms[0].ctx
    args = (z3.Ast * len(terms))(*(t.as_ast() for t in terms))
    return z3.BoolRef(z3.Z3_mk_or(ctx.ref(), len(terms), args), ctx)


def state_consts(e: z3.ExprRef) -> dict[str, Any]:
    """The uninterpreted constants in ``e``, by name, inside quantifiers and lambdas too (an
    unbounded set's `discard_if` is a lambda whose body may read any slot). Walked through
    z3's C API: a lemma's terms are mostly shared, and Python wrappers (and ``str``, z3's
    pretty printer) for each of them cost more than the rest of instantiating a few thousand
    lemmas."""
    ref, ctx = e.ctx_ref(), e.ctx
    out: dict[str, Any] = {}
    seen: set[int] = set()
    stack = [e.as_ast()]
    while stack:
        t = stack.pop()
        ident = z3.Z3_get_ast_id(ref, t)
        if ident in seen:
            continue
        seen.add(ident)
        kind = z3.Z3_get_ast_kind(ref, t)
        if kind == z3.Z3_QUANTIFIER_AST:
            stack.append(z3.Z3_get_quantifier_body(ref, t))
            continue
        if kind != z3.Z3_APP_AST:
            continue  # numerals, bound variables
        n = z3.Z3_get_app_num_args(ref, t)
        if n == 0:
            decl = z3.Z3_get_app_decl(ref, t)
            if z3.Z3_get_decl_kind(ref, decl) == z3.Z3_OP_UNINTERPRETED:
                const = z3.z3._to_expr_ref(t, ctx)
                out[str(const.decl().name())] = const
            continue
        stack.extend(z3.Z3_get_app_arg(ref, t, i) for i in range(n))
    return out
