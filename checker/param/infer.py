"""Quantified invariants from the lemmas of small instances (symmetric incremental induction).

PDR (z3's Spacer) proves the properties on the instance with 1 replica, then 2, then 3.
Each lemma it learns talks about a few replicas (``enactor1.plan <= planner.latest``);
replaced by bound replicas it becomes a ∀-lemma (``∀ e: e.plan <= planner.latest``; two
replicas give ``∀ e ≠ f``). Houdini then keeps the largest subset of those candidates that
holds initially and is preserved by every step of the parameterized encoding
(`checker.param.template`), and the proof succeeds when what is kept implies the
properties and range checks. The smallest instance that yields such lemmas is the cutoff.

The solver queries here replace each ∀-hypothesis by its instances at the acting replica
and the Skolem replicas of the negated goal. That only weakens the hypotheses: an
``unsat`` is an ``unsat`` of the quantified query, a ``sat`` may be spurious and merely
drops a lemma. Nothing is reported proved before the certificate (`checker.param.certificate`)
with the quantified invariant has been re-checked by a fresh solver.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import z3

from ..encoding import Encoding, substitute
from ..engines.generalize import conjuncts, drop_until_inductive, initially_true, instantiate
from ..engines.generalize import houdini as houdini_instance
from ..engines.obligations import Clock, Obligations
from ..lang.model import ModelInstance
from .budget import Policy, SizeBudget, seconds, within
from .lemmas import MAX_ARITY, Lemma, generalize
from .look import EARLY, look
from .membership import candidates as membership_candidates
from .membership import instance_facts, without_implied
from .reader import skolemize_negation
from .relax import relaxed_candidates
from .template import ParamEncoding, PState, const_ids

BMC_DEPTH = 12  # where Spacer gives up at a size: BMC to this depth (and on, while time is left)
# each size's Spacer run (and its BMC fallback): a budget of CPU time, retried larger when it
# runs out before the deadline (`checker.param.budget`)
POLICY = Policy()
# Spacer's settings on the ladder: z3's own, but for `prove`'s projection (`pdr.SPACER_OPTIONS`:
# fencing_token for all enactors and endpoints 5.5-6.0 s to 4.6 s whole process). Not `prove`'s
# others: without interpolating cores (IUC) the lemmas learned at 2 workers generalized less
# (the 2-replica lemma of tests/test_param_prove.py needed 3).
SPACER = {"spacer.native_mbp": False}


@dataclass
class Attempt:
    """What one parameterized proof attempt found."""

    lemmas: list[Lemma] = field(default_factory=list)  # the invariant, when ``implied``
    implied: bool = False
    cutoff: int | None = None
    dropped: list[str] = field(default_factory=list)  # "lemma: counterexample to induction"
    failure: str = ""  # why the kept lemmas do not imply the properties
    violated_at: int | None = None  # the smallest size where a property was found violated
    depth: int = 0  # the length of Spacer's derivation there
    violations: dict[str, int] | None = None  # found by BMC there (replayed): property -> steps
    found_by: str = ""  # what found the violation: breadth-first search, BMC, or PDR
    small: Encoding | None = None  # the last instance tried
    unknown: str = ""
    steps: list[str] = field(default_factory=list)
    at: str = ""  # the instance of the cutoff or the violation: "enactors=2, endpoints=2"
    budgets: list[str] = field(default_factory=list)  # budgets that ran out, and the retries
    sizes: dict[str, int] = field(default_factory=dict)  # the same, as parameter values


class Ground:
    """The replica terms of the queries: the acting replica and two Skolem replicas."""

    def __init__(self, pe: ParamEncoding):
        self.pe = pe
        self.bound = [z3.Const(f"{pe.attr}#bound{i}", pe.sort) for i in range(1, MAX_ARITY + 1)]
        self.skolem = [z3.Const(f"s!{i}", pe.sort) for i in range(1, MAX_ARITY + 1)]  # "!": in no state name
        self.terms = [pe.actor, *self.skolem]
        # the replicas a shared Ref names (`checker.param.reader`): a ∀-lemma is needed there too
        self.terms += [c for c in pe.p0[0] if c.sort() == pe.sort]
        ix = pe.ix
        # the index terms: the Skolem index (also the properties' bound index), endpoint 0,
        # the last one, and each ground replica's bounded slots (a cursor)
        self.ibound = z3.Int("ix#bound")
        self.iskolem = ix.ix if ix is not None else None
        self.size = ix.size if ix is not None else None
        self.cursors = [k for k, i in zip(pe.local_keys, pe.local_slot, strict=True) if _bounded(pe, i)]

    def index_terms(self, p: PState) -> list[z3.ArithRef]:
        if self.iskolem is None or self.size is None:
            return []
        out = [self.iskolem, z3.IntVal(0), self.size - 1]
        if self.pe.ix is not None and self.pe.ix.families:
            out.append(self.pe.ix.chosen)  # the index a step over the parameter's domain chose
        for key in self.cursors:
            arr = p[1][self.pe.local_keys.index(key)]
            out += [z3.Select(arr, t) for t in self.terms]
        return out

    def body(self, lemma: Lemma, p: PState, at: list[z3.ExprRef], i: z3.ArithRef | None = None) -> z3.BoolRef:
        pairs = self.pe.pairs(p) + list(zip(self.bound[: lemma.arity], at, strict=True))
        if lemma.indexed:
            assert i is not None
            pairs.append((self.ibound, i))
        return substitute(lemma.body, pairs)

    def _guarded(self, lemma: Lemma, combo: list[z3.ExprRef], i: z3.ArithRef | None, inst: z3.BoolRef) -> z3.BoolRef:
        cond = [z3.Distinct(*combo)] if lemma.arity > 1 else []
        if lemma.indexed:
            assert self.pe.ix is not None and i is not None
            cond.append(self.pe.ix.in_range(i))
        return z3.Implies(z3.And(cond), inst) if cond else inst

    def instances(self, lemma: Lemma, p: PState) -> list[z3.BoolRef]:
        """The ∀-lemma at every choice of distinct ground replicas (and index terms): consequences of it."""
        out = []
        indices: list[Any] = self.index_terms(p) if lemma.indexed else [None]
        for combo in itertools.permutations(self.terms, lemma.arity):
            for i in indices:
                out.append(self._guarded(lemma, list(combo), i, self.body(lemma, p, list(combo), i)))
        return out

    def goal(self, lemma: Lemma, p: PState) -> z3.BoolRef:
        """The ∀-lemma at the Skolem replicas (and index): it fails somewhere iff this fails for some s."""
        combo = self.skolem[: lemma.arity]
        return self._guarded(lemma, combo, self.iskolem, self.body(lemma, p, combo, self.iskolem))

    def domain(self, p: PState) -> list[z3.BoolRef]:
        out = [self.pe.dom_shared(p)] + [self.pe.dom_local(p, t) for t in self.terms]
        if self.size is not None:
            out.append(self.size >= 1)
            out += [self.pe.dom_index(p, i) for i in self.index_terms(p)]
        return out


def _bounded(pe: ParamEncoding, slot: int) -> bool:
    return pe.ix is not None and pe.model2.slots[slot].var.name in pe.ix.bounded


def houdini(
    pe: ParamEncoding, ground: Ground, cands: list[Lemma], clock: Clock, dropped: list[str]
) -> list[Lemma] | None:
    """The largest subset of ``cands`` that holds initially and that every step preserves
    (None on timeout). ``dropped`` gets each lemma a step breaks, with the counterexample."""
    init_state, at_init = pe.init_state(), z3.Solver()
    if pe.init_pred is not None:  # several initial states: the lemma at any of them
        init_state = pe.p0
        at_init.add(pe.init(pe.p0), *ground.domain(pe.p0))
    kept = initially_true(
        cands,
        lambda lemma: ground.goal(lemma, init_state),
        at_init,
        clock,
        lambda lemma: dropped.append(f"{lemma.text}: false initially"),
    )
    if kept is None:
        return None
    p0, p1, o, a = pe.p0, pe.p1, pe.enc.oracle, pe.actor
    solver = z3.Solver()
    solver.add(*ground.domain(p0), pe.trans(p0, o, a, p1), pe.ranges(p0, o, a))

    def not_inductive(gone: set[int], zmodel: z3.ModelRef) -> None:
        for i in sorted(gone)[:3]:
            at = ground.skolem[: kept[i].arity]
            dropped.append(f"{kept[i].text}: not inductive; {describe(pe, zmodel, at)}")

    active = drop_until_inductive(
        solver,
        [z3.And(ground.instances(lemma, p0)) for lemma in kept],
        [z3.Not(ground.goal(lemma, p1)) for lemma in kept],
        clock,
        not_inductive,
    )
    return None if active is None else [kept[i] for i in active]


def implies_properties(pe: ParamEncoding, ground: Ground, lemmas: list[Lemma], clock: Clock) -> str | None:
    """None if ``lemmas`` imply every property and range check; else what breaks, with a state."""
    p0, p1, o, a = pe.p0, pe.p1, pe.enc.oracle, pe.actor
    solver = z3.Solver()
    solver.add(*ground.domain(p0), *[i for lemma in lemmas for i in ground.instances(lemma, p0)])
    # a property's outer ∃ (after negation) at the Skolem replicas, where the lemmas are instantiated
    sk = ground.skolem
    bad_state = skolemize_negation(pe.state_ok(p0), sk)
    bad_step = z3.And(pe.trans(p0, o, a, p1), skolemize_negation(pe.step_ok(p0, o, a, p1), sk))
    solver.add(z3.Or(bad_state, bad_step))
    status = clock.check(solver)
    if status == z3.unsat:
        return None
    if status == z3.unknown:
        return "the solver answered unknown"
    zmodel = solver.model()
    which = "a property" if z3.is_true(zmodel.eval(bad_state, model_completion=True)) else "a step's obligations"
    return f"the kept lemmas allow {which} to fail: {describe(pe, zmodel)}"


def describe(pe: ParamEncoding, zmodel: z3.ModelRef, broken_at: list[z3.ExprRef] | None = None) -> str:
    """A solver state of the parameterized encoding (a counterexample to induction) in model
    terms: its size (the replicas the solver chose), the shared slots, each replica's slots,
    the step taken, and the replicas (``broken_at``) at which a lemma fails after it."""
    enum_slots = {i for i, s in enumerate(pe.model2.slots) if hasattr(s.sort, "names")}

    def show(v: Any, slot: int) -> str:
        val = zmodel.eval(v, model_completion=True)
        if slot in enum_slots and z3.is_int_value(val):
            return str(pe.enc.interp.enum_names.get(val.as_long(), val))
        return str(val)

    universe = zmodel.get_universe(pe.sort) or []
    names = {str(e): f"{pe.attr}#{i + 1}" for i, e in enumerate(universe)}
    shared = ", ".join(f"{c}={show(c, i)}" for c, i in zip(pe.shared, pe.shared_slot, strict=True) if i != -1)
    if pe.ix is not None:  # the size, and the elements at the indices that matter: 0, the last, the cursors, ix
        size = zmodel.eval(pe.ix.size, model_completion=True)
        n = size.as_long() if z3.is_int_value(size) else 0
        at = [z3.IntVal(0), z3.IntVal(n - 1), zmodel.eval(pe.ix.ix, model_completion=True)]
        if pe.ix.families:  # the element a step over the domain chose
            at.append(zmodel.eval(pe.ix.chosen, model_completion=True))
        for arr, slot in zip(pe.p0[1], pe.local_slot, strict=True):
            if pe.model2.slots[slot].var.name in pe.ix.bounded:
                at += [zmodel.eval(z3.Select(arr, e), model_completion=True) for e in universe]
        shown = sorted({v.as_long() for v in at if z3.is_int_value(v) and 0 <= v.as_long() < n})[:8]
        elements = [
            f"{name}[{k}]={zmodel.eval(z3.Select(a, k), model_completion=True)}"
            for name, a in pe.ix.now.items()
            for k in shown
        ]
        shared = ", ".join([f"{pe.ix.param}={n}", shared, *elements])
    replicas = []
    for e in universe:
        fields = [
            f"{k}={show(z3.Select(arr, e), i)}"
            for k, arr, i in zip(pe.local_keys, pe.p0[1], pe.local_slot, strict=True)
        ]
        replicas.append(f"{names[str(e)]}: {', '.join(fields)}")
    oracle = zmodel.eval(pe.enc.oracle, model_completion=True)
    step = next((t for t in pe.templates if z3.is_int_value(oracle) and t.index == oracle.as_long()), None)
    actor = names.get(str(zmodel.eval(pe.actor, model_completion=True)), "?")
    moved = f"; step {step.label}" + (f" by {actor}" if step.replica else "") if step else ""
    if step is not None and pe.ix is not None and pe.ix.chosen.get_id() in const_ids(step.guard):
        moved += f" at i={zmodel.eval(pe.ix.chosen, model_completion=True)}"  # the index the step chose
    if broken_at:
        at = [names.get(str(zmodel.eval(r, model_completion=True)), "?") for r in broken_at]
        moved += f"; after it the lemma fails for {', '.join(at)}"
    return f"a state with {len(universe)} {pe.attr}(s): {shared}; " + "; ".join(replicas) + moved


def search(
    pe: ParamEncoding,
    model: ModelInstance,
    properties: list[str],
    clock: Clock,
    sizes: list[dict[str, int]],
    sets: str,
    looks: bool = True,
) -> Attempt:
    """Climb the instance sizes, generalizing each one's PDR invariant, until the ∀-lemmas
    kept by Houdini imply the properties (the cutoff) or the sizes run out. With ``looks``,
    a short breadth-first search at each size first (`checker.param.look`): a violation it
    replays ends the climb there."""
    from ..engines.kind_base import Base  # the BMC search PDR confirms its counterexamples with
    from ..engines.pdr import _spacer  # PDR imports nothing from here; the lazy import keeps layers apart

    ground = Ground(pe)
    attempt = Attempt()
    looked: set[int] = set()  # the sizes looked at
    # the smallest sizes first, before the relaxed model's search spends its share on a broken fix
    for i, size in enumerate(sizes):
        if looks and size[pe.count] <= EARLY and _seen(attempt, pe, model, size, properties, clock, looked, i):
            return attempt
    cands: dict[int, Lemma] = {}
    learned: list[z3.BoolRef] = []  # the previous size's lemmas, as PDR found them
    # sets of bounded integers: "contains the value a variable holds" cannot be generalized
    # from lemmas about concrete values, so it is proposed directly (`checker.param.membership`)
    for g in membership_candidates(pe, ground.bound, ground.ibound, "a template"):
        cands.setdefault(g.body.get_id(), g)
    # an optional bound set (max_plans = 6): the lemmas of the model without it, as candidates
    relaxed, origin, cutoff = relaxed_candidates(pe, ground, model, properties, clock, sizes, attempt.budgets)
    if not relaxed and cutoff is None and origin != "no bound to lift":
        attempt.steps.append(f"no lemmas from the model {origin}")
    if relaxed:
        for g in relaxed:
            cands.setdefault(g.body.get_id(), g)
        kept = houdini(pe, ground, list(cands.values()), clock, attempt.dropped)
        failure = None if kept is None else implies_properties(pe, ground, kept, clock)
        attempt.steps.append(f"{origin}: {len(relaxed)} ∀-lemmas, {len(kept or [])} of {len(cands)} inductive")
        if kept is not None and failure is None:
            attempt.lemmas, attempt.implied, attempt.cutoff, attempt.at = without_implied(kept), True, cutoff, origin
            return attempt
    for size in sizes:
        k, at = size[pe.count], ", ".join(f"{n}={v}" for n, v in size.items())
        if looks and _seen(attempt, pe, model, size, properties, clock, looked, sizes.index(size)):
            return attempt
        attempt.sizes = dict(size)
        small = Encoding(model.model.build(**(model.param_dict() | size)), sets=sets)
        # as the per-instance ladder does: the smaller size's lemmas that are inductive here
        # start Spacer off (it returns only what it adds; they are kept as candidates too)
        guesses = instantiate(learned, small) + instance_facts(pe, small)
        cover = houdini_instance(small, Obligations(small, properties), guesses, clock) or []
        attempt.small = small
        budget = SizeBudget(POLICY, clock, at)
        while True:
            tried = budget.clock()
            answer = within(tried, lambda: _spacer(small, properties, tried, cover=cover, options=SPACER))  # noqa: B023
            status, found = answer or (z3.unknown, "timeout")
            if status == z3.sat:
                attempt.violated_at, attempt.at, attempt.depth = k, at, int(found)  # type: ignore[call-overload]
                attempt.found_by = "PDR, confirmed by BMC"
                attempt.budgets += budget.notes
                return attempt
            if status == z3.unsat:
                break
            # Spacer is slow to refute (the broken fencing variant: minutes at 2 Enactors);
            # BMC finds such a violation in seconds, and replays it
            violated = None
            if k > 1:
                bmc = budget.clock()
                violated = within(bmc, lambda: Base(small).search(properties, BMC_DEPTH, bmc))  # noqa: B023
            if violated:
                attempt.violated_at, attempt.at = k, at
                attempt.violations = {n: d for n, (d, _) in violated.items()}
                attempt.found_by = "BMC, after PDR's budget ran out"
                attempt.budgets += budget.notes
                return attempt
            if not budget.retry(tried):  # slow is no reason to grow the instance: the same size, longer
                break
        attempt.budgets += budget.notes
        if status != z3.unsat:
            attempt.unknown = f"PDR at {at}: {str(found).splitlines()[0][:200]}"
            spent = f" ({seconds(budget.budget)} CPU)" if budget.budget is not None and tried.spent() else ""
            attempt.steps.append(f"{at}: PDR gave no answer in its budget{spent}")
            if clock.expired():
                return attempt
            continue  # no lemmas from this size; a larger one may still show a violation
        fresh = 0
        learned = cover + conjuncts(found)  # type: ignore[arg-type]
        for lemma in learned:
            for g in generalize(pe, small, lemma, at, ground):
                if g.body.get_id() not in cands:
                    cands[g.body.get_id()] = g
                    fresh += 1
        dropped: list[str] = []
        kept = houdini(pe, ground, list(cands.values()), clock, dropped)
        if kept is None:
            attempt.unknown = "timeout"
            return attempt
        failure = implies_properties(pe, ground, kept, clock)
        attempt.steps.append(f"{at}: {fresh} new ∀-lemmas, {len(kept)} of {len(cands)} inductive")
        attempt.dropped, attempt.failure = dropped, failure or ""
        if failure is None:
            attempt.lemmas, attempt.implied, attempt.cutoff, attempt.at = without_implied(kept), True, k, at
            return attempt
        if clock.expired():
            attempt.unknown = "timeout"
            return attempt
    return attempt


def _seen(
    attempt: Attempt,
    pe: ParamEncoding,
    model: ModelInstance,
    size: dict[str, int],
    properties: list[str],
    clock: Clock,
    looked: set[int],
    i: int,
) -> bool:
    """Look at ``size`` (the ``i``-th of the ladder) once; True, with ``attempt`` saying where,
    if breadth-first search found a property violated there (a replayed counterexample)."""
    if i in looked:
        return False
    looked.add(i)
    seen = look(model, size, properties, clock)
    if seen is None:
        return False
    attempt.violated_at, attempt.sizes = size[pe.count], dict(size)
    attempt.at = ", ".join(f"{n}={v}" for n, v in size.items())
    attempt.violations = dict(seen.depths)
    attempt.found_by = f"breadth-first search of {seen.states} states"
    attempt.steps.append(f"{attempt.at}: breadth-first search found a violation in {seen.states} states")
    return True
