"""Which replicated components are interchangeable, decided on the model's semantics.

Symmetry reduction (BMC's "of identical replicas only the lowest-numbered moves", the
explicit engine's "one state per class of states equal up to permuting replicas") is sound
only when permuting the replicas of a component is an *automorphism* of everything a run
looks at: it maps the initial state to itself, every step to a step (the same action with
the same arguments, run by the permuted replica), and leaves every checked property's
value unchanged. Reading model code for tell-tale syntax (``self.id``, ``sys.worker[0]``)
cannot decide that: iteration order (``for c in sys.client``, a first-match scan),
``list(...)[0]``, tuple unpacking, ``zip``, ``enumerate`` and ``self.name`` comparisons all
single replicas out without either.

So the question is put to z3, on the symbolic encoding (`checker.encoding`) that BMC and
the proofs already use. The adjacent transpositions (r1 r2), (r2 r3), ... generate all
permutations of a component's replicas, and automorphisms compose, so it is enough that
each transposition σ, which swaps the two replicas' state slots, satisfies for every
state x within the declared types:

- init: σ(init) = init (a concrete comparison);
- every transition t and its twin σt (same action and arguments, the swapped instance
  where t's instance is one of the two): ``guard_σt(σx) ⇔ guard_t(x)``; where enabled,
  ``next_σt(σx) = σ(next_t(x))``; and its range checks fail alike (a model error stays one);
- every property P of the run: ``P(σx) ⇔ P(x)`` (``A(σx, σx') ⇔ A(x, x')`` for action
  invariants), range checks included.

A pair of terms that are the same after substitution (or after ``z3.simplify``) needs no
solver call; the rest go to one query per transposition, whose model names the step or
property that breaks symmetry. A solver answer of ``unknown`` counts as "not symmetric".
σ renames `Ref` values together with the replicas (`checker.replica_perm`): a stored
``Ref("worker")``, a map keyed by it, a set of them and an action argument ranging over them
are mapped by σ, so storing ``self.ref`` keeps replicas interchangeable. A replica's *number*
(``self.id``, an ``Int`` owner, an argument ranging over numbers) is not renamed, and makes a
check fail, conservatively.

Results are cached per `ModelInstance` (steps per component; properties per component and
property), so a run that checks another set of properties only pays for the new ones.
The syntactic notes of `ModelInstance.note_asymmetry` are kept as explanations only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import z3

from .encoding import Encoding, substitute
from .errors import ModelError, RaceproofError
from .lang.model import Instance, ModelInstance, Transition
from .lang.refs import Ref
from .replica_perm import MAX_PERMUTATIONS, SlotAction, referenced, transposition

#: per solver query; ``unknown`` (also on timeout) means "not symmetric"
SOLVER_TIMEOUT_MS = 10_000

Pairs = list[tuple[z3.ExprRef, z3.ExprRef]]


@dataclass
class SymmetryDecision:
    """What a run may reduce: ``groups`` (replicas of each reduced component), the reduced
    components' names, and for every other replicated component why not."""

    groups: list[list[Instance]] = field(default_factory=list)
    not_reduced: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def reduced(self) -> list[str]:
        return [g[0].attr for g in self.groups]

    def as_json(self) -> dict[str, Any]:
        """What results carry (``extra["symmetry_reduction"]``) and ``--json`` prints."""
        return {
            "reduced": self.reduced,
            "not_reduced": dict(self.not_reduced),
            "check_seconds": round(self.seconds, 4),
            "summary": self.summary(),
        }

    def summary(self) -> str:
        """One line for the text output ("" when the model has no replicas)."""
        parts = [f"{g[0].attr} reduced ({len(g)} interchangeable replicas)" for g in self.groups]
        parts += [f"{attr} not reduced: {why}" for attr, why in self.not_reduced.items()]
        return "symmetry: " + "; ".join(parts) if parts else ""


def replica_groups(model: ModelInstance) -> dict[str, list[Instance]]:
    """Every replicated component with at least two replicas: attr -> replicas in order."""
    groups: dict[str, list[Instance]] = {}
    for inst in model.instances:
        if inst.id is not None:
            groups.setdefault(inst.attr, []).append(inst)
    return {attr: g for attr, g in groups.items() if len(g) > 1}


def no_symmetry(model: ModelInstance, why: str) -> SymmetryDecision:
    """The decision of a run that does not reduce at all (``--no-symmetry``)."""
    return SymmetryDecision([], {attr: why for attr in replica_groups(model)})


def decide(enc: Encoding, properties: Iterable[str] | None = None) -> SymmetryDecision:
    """Which replicated components of ``enc.model`` a run checking ``properties`` may
    reduce (None: every property of the model, the safe choice when the caller does not
    know what will be checked)."""
    model = enc.model
    names = list(model.properties) if properties is None else list(dict.fromkeys(properties))
    started = time.perf_counter()
    facts: dict[tuple[str, ...], str | None] = model.symmetry_facts
    out = SymmetryDecision()
    refs = referenced(model)
    tried = 1  # permutations the explicit engine's canonical form tries per state (groups with Refs)
    for attr, replicas in replica_groups(model).items():
        if not replicas[0].component.symmetric:
            out.not_reduced[attr] = "declared symmetric=False"
            continue
        if attr in refs and tried * math.factorial(len(replicas)) > MAX_PERMUTATIONS:
            out.not_reduced[attr] = (
                f"{len(replicas)} replicas that Refs point at ({refs[attr]}) make more than "
                f"{MAX_PERMUTATIONS} permutations for the canonical form to try"
            )
            continue
        key = ("steps", attr)
        if key not in facts:
            facts[key] = _steps_reason(enc, replicas)
        why = facts[key]
        for name in names:
            if why is not None:
                break
            key = ("property", attr, name)
            if key not in facts:
                facts[key] = _property_reason(enc, replicas, name)
            why = facts[key]
        if why is None:
            out.groups.append(replicas)
            tried *= math.factorial(len(replicas)) if attr in refs else 1
        else:
            note = model.asymmetry.get(attr)
            out.not_reduced[attr] = why + (f" (model code: {note})" if note else "")
    out.seconds = time.perf_counter() - started
    model.symmetry_seconds += out.seconds
    return out


# ---------------------------------------------------------------------------- one transposition
def _pairs(enc: Encoding, state: list[Any], perm: SlotAction) -> Pairs:
    """Substitution pairs that turn a term over ``state`` into the same term over σ(state):
    the replicas' slots swapped, `Ref` values to them renamed (`checker.replica_perm`)."""
    image = perm.z3_image(enc.model, enc.interp.const, state)
    return [
        (p, q)
        for old, new in zip(state, image, strict=True)
        if old is not new
        for p, q in zip(enc.flat([old]), enc.flat([new]), strict=True)
    ]


def _twins(model: ModelInstance, perm: SlotAction) -> dict[int, Transition | None]:
    """Each transition's image under the swap: the same action, run by the other replica when
    it is run by one of the two, with its `Ref` arguments to them renamed."""

    def key(t: Transition, rename: dict[str, str]) -> tuple[str, str, str]:
        args = {k: rename.get(v, v) if _ref_arg(t, k, perm.attr) else v for k, v in t.args.items()}
        return (rename.get(t.instance.name, t.instance.name), t.action.name, repr(args))

    by_key = {key(t, {}): t for t in model.transitions}
    return {t.index: by_key.get(key(t, perm.rename)) for t in model.transitions}


def _where(file: str, line: int) -> str:
    return ModelError("", file, line).where()


def _at(t: Transition) -> str:
    """Where a step's action is written, for the reasons the output prints."""
    return f"action {t.action.name} at {_where(t.action.file, t.action.line)}"


def _ref_arg(t: Transition, arg: str, attr: str) -> bool:
    dom = t.action.domains.get(arg)
    return isinstance(dom, Ref) and dom.target == attr


class _Mismatches:
    """Labelled conditions under which a swapped term differs from its counterpart."""

    def __init__(self) -> None:
        self.items: list[tuple[str, z3.BoolRef]] = []
        #: label -> where the model code behind it is written
        self.where: dict[str, str] = {}

    def differ(
        self, label: str, left: z3.ExprRef, right: z3.ExprRef, when: z3.BoolRef | None = None, where: str = ""
    ) -> None:
        if _same(left, right):
            return
        cond = left != right
        self.items.append((label, cond if when is None else z3.And(when, cond)))
        if where:
            self.where.setdefault(label, where)


def _same(left: z3.ExprRef, right: z3.ExprRef) -> bool:
    """Structurally equal, as they stand or after simplification: no solver needed."""
    if z3.eq(left, right):
        return True
    return z3.eq(z3.simplify(left), z3.simplify(right))


def _steps_reason(enc: Encoding, replicas: list[Instance]) -> str | None:
    """Why swapping two neighbouring replicas does not map init and every step onto
    themselves, or None if it does for every neighbouring pair."""
    model = enc.model
    steps = {t.index: step for t, step in enc.fired}
    # per transition, where its range checks fail (the same for every swap: built once)
    fails = {
        i: z3.Or([z3.And(step.guard, z3.Not(c.ok)) for c in step.checks]) if step.checks else z3.BoolVal(False)
        for i, step in steps.items()
    }
    domain: list[z3.BoolRef] = []
    for a, b in zip(replicas, replicas[1:], strict=False):
        perm = transposition(model, a, b)
        swapped = f"{a.name} and {b.name} are swapped"
        if not model.several_inits:
            image = perm.apply(model.init)
            for s, (mine, theirs) in enumerate(zip(model.init, image, strict=True)):
                if mine != theirs:
                    return f"the initial state changes when {swapped} ({model.slots[s].name})"
        else:  # several initial states: the swap must map the set of them onto itself
            for state in model.inits:
                image = perm.apply(state)
                if image not in model.init_set:
                    moved = next(
                        model.slots[s].name for s, (x, y) in enumerate(zip(state, image, strict=True)) if x != y
                    )
                    return f"the set of initial states changes when {swapped} ({moved})"
        twins = _twins(model, perm)
        pairs = _pairs(enc, enc.x, perm)
        found = _Mismatches()
        for t in model.transitions:
            twin = twins[t.index]
            if twin is None:
                return f"step {t} has no counterpart when {swapped}"
            _step_mismatches(enc, found, t, steps.get(t.index), steps.get(twin.index), perm, pairs)
            no_fail = z3.BoolVal(False)
            twin_fails = substitute(fails[twin.index], pairs) if twin.index in fails else no_fail
            found.differ(f"where {t} leaves a declared range", twin_fails, fails.get(t.index, no_fail), where=_at(t))
        domain = domain or [enc.domain(enc.x)]
        why = _refute(found, domain, swapped)
        if why is not None:
            return why
    return None


def _step_mismatches(
    enc: Encoding, found: _Mismatches, t: Transition, step: Any, twin: Any, perm: SlotAction, pairs: Pairs
) -> None:
    """``guard_twin(σx) ⇔ guard_t(x)`` and, where enabled, ``next_twin(σx) = σ(next_t(x))``."""
    guard = step.guard if step is not None else z3.BoolVal(False)
    twin_guard = substitute(twin.guard, pairs) if twin is not None else z3.BoolVal(False)
    found.differ(f"which states enable {t}", twin_guard, guard, where=_at(t))
    if step is None or twin is None:
        return  # one never fires: the guards above differ, or neither fires
    source = perm.source
    for s in range(len(enc.x)):
        src = source[s]
        theirs = twin.next[s]
        if theirs is enc.x[s] and step.next[src] is enc.x[src]:
            continue  # neither writes the slot: both leave it as it was
        mine = perm.z3_value(enc.model, enc.interp.const, src, step.next[src])  # σ(next_t(x)) at s
        what = f"what {t} writes to {enc.model.slots[src].name}"
        for m, th in zip(enc.flat([mine]), enc.flat([theirs]), strict=True):
            found.differ(what, substitute(th, pairs), m, when=guard, where=_at(t))


def _property_reason(enc: Encoding, replicas: list[Instance], name: str) -> str | None:
    """Why property ``name`` is not invariant under swapping neighbouring replicas, or None."""
    two = enc.model.properties[name].kind == "action_invariant"
    try:
        value = enc.prop(name, enc.x, enc.x_next)
    except RaceproofError as exc:
        return f"property '{name}' could not be encoded to check its symmetry ({exc.message})"
    fails = z3.Or([z3.Not(c.ok) for c in enc.prop_checks[name]])
    domain = [enc.domain(enc.x)] + ([enc.domain(enc.x_next)] if two else [])
    for a, b in zip(replicas, replicas[1:], strict=False):
        perm = transposition(enc.model, a, b)
        pairs = _pairs(enc, enc.x, perm) + (_pairs(enc, enc.x_next, perm) if two else [])
        found = _Mismatches()
        prop = enc.model.properties[name]
        at = f"property at {_where(prop.file, prop.line)}"
        found.differ(f"property '{name}'", substitute(value, pairs), value, where=at)
        found.differ(f"where property '{name}' reads outside a declared range", substitute(fails, pairs), fails)
        why = _refute(found, domain, f"{a.name} and {b.name} are swapped")
        if why is not None:
            return why
    return None


def _refute(found: _Mismatches, assumptions: list[z3.BoolRef], swapped: str) -> str | None:
    """None if no state makes any mismatch true; else what differs (``swapped`` says which swap)."""
    if not found.items:
        return None
    solver = z3.Solver()
    solver.set("timeout", SOLVER_TIMEOUT_MS)
    solver.add(*assumptions)
    solver.add(z3.Or([cond for _, cond in found.items]))
    status = solver.check()
    if status == z3.unsat:
        return None
    if status == z3.unknown:
        labels = ", ".join(dict.fromkeys(label for label, _ in found.items))
        return f"the solver could not decide whether {labels} change when {swapped} ({solver.reason_unknown()})"
    zmodel = solver.model()
    label = next(
        (label for label, cond in found.items if z3.is_true(zmodel.eval(cond, model_completion=True))),
        found.items[0][0],
    )
    where = found.where.get(label)
    return f"{label} changes when {swapped}" + (f" ({where})" if where else "")
