"""Lemmas for the counting proof guessed from small instances' states, kept only if inductive.

Spacer alone does not prove DWFM's ``queue_bounded`` under the drop-expired design (nor with
a longer timeout) in two minutes: the proof needs the queue's shape (every waiting item
still within its deadline) together with the bound on live requests, and Spacer's
generalization over 30 counters and a six-slot queue does not get there. The states of the
model at a few small sizes, enumerated concretely and read as counter states, show that
shape directly. Candidates over the counter system's state:

- each property read (those being proved, and others of the model read as helpers);
- a counter that is 0 in every state seen (a local state no unit reached), and a counter
  that is at most its largest value seen when that did not grow with the size;
- for each shared slot, and each pair of them, "the value (pair) is one of those seen".

Houdini then keeps the largest subset that is inductive on the counter system itself, for
every size from ``K`` on (initial states with ``Σ# ≥ K``), relative to the properties'
range checks: a candidate is a guess, and a wrong one is dropped, so guessing never makes
anything proved. The kept lemmas either imply the properties (the invariant is theirs) or
strengthen Spacer's query (its steps go between states that satisfy them, which every
reachable state does); either way the invariant the certificate re-checks contains them.
"""

from __future__ import annotations

import itertools
from typing import Any

import z3

from ..engines.obligations import Clock
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from .counting import build
from .counting_system import CounterSystem

SAMPLE_SIZES = 3  # the sizes K, K + 1, K + 2
SAMPLE_STATES = 20_000  # per size, at most: a larger instance is not sampled
MAX_PAIRS = 64  # a pair of shared slots with more distinct values seen is not a candidate

CounterState = tuple[tuple[Any, ...], tuple[int, ...]]  # shared values, counts


def _key(v: z3.ExprRef) -> Any:
    if z3.is_true(v):
        return True
    if z3.is_false(v):
        return False
    if z3.is_int_value(v):
        return v.as_long()
    raise ValueError(f"not a plain value: {v}")


def _value(cs: CounterSystem, v: Any) -> Any:
    return cs.model.enum_ids[v] if isinstance(v, str) else v


def sample(cs: CounterSystem, model: ModelInstance, lo: int, clock: Clock) -> list[list[CounterState]] | None:
    """Per size from ``lo`` on: the counter states of its reachable states (None: a size could
    not be enumerated, or a unit's state is no class of the reading)."""
    from ..engines.finite_proof import reachable_states  # the engines import the language; only this needs them

    try:
        classes = {tuple(_key(v) for v in c): k for k, c in enumerate(cs.classes)}
    except ValueError:
        return None
    out: list[list[CounterState]] = []
    for n in range(lo, lo + SAMPLE_SIZES):
        try:
            conc = build(model, cs.units.param, n)
            found = reachable_states(conc, SAMPLE_STATES, clock.deadline)
        except RaceproofError:
            return None
        if found is None:
            return out or None
        slot_of = {conc.slots[i].name: i for i in range(len(conc.slots))}
        shared = [slot_of[name] for name in cs.shared_names]
        units = [cs.units.slots(conc, i) for i in range(n)]
        seen: list[CounterState] = []
        for state in found[0]:
            counts = [0] * len(cs.classes)
            for unit in units:
                k = classes.get(tuple(_value(cs, state[s]) for s in unit))
                if k is None:
                    return None
                counts[k] += 1
            seen.append((tuple(_value(cs, state[i]) for i in shared), tuple(counts)))
        out.append(seen)
    return out


def candidates(cs: CounterSystem, sizes: list[list[CounterState]]) -> list[z3.BoolRef]:
    """The guesses, from the counter states seen at each sampled size (see the module's list)."""
    every = [s for seen in sizes for s in seen]
    out = list(cs.props.values())  # the properties read: those proved, and any read as helpers
    for k, c in enumerate(cs.counts):
        most = [max((counts[k] for _, counts in seen), default=0) for seen in sizes]
        if most[-1] == 0:
            out.append(c == 0)
        elif len(most) > 1 and most[-1] == most[-2]:
            out.append(c <= most[-1])
    plain = [i for i, v in enumerate(cs.shared) if v.sort() in (z3.IntSort(), z3.BoolSort())]

    def const(i: int, v: Any) -> z3.ExprRef:
        return z3.BoolVal(bool(v)) if cs.shared[i].sort() == z3.BoolSort() else z3.IntVal(int(v))

    for i in plain:
        values = sorted({shared[i] for shared, _ in every})
        out.append(z3.Or([cs.shared[i] == const(i, v) for v in values]))
    for i, j in itertools.combinations(plain, 2):
        pairs = sorted({(shared[i], shared[j]) for shared, _ in every})
        if len(pairs) <= MAX_PAIRS:
            out.append(z3.Or([z3.And(cs.shared[i] == const(i, a), cs.shared[j] == const(j, b)) for a, b in pairs]))
    return out


def houdini(
    cs: CounterSystem, properties: list[str], lo: int, guesses: list[z3.BoolRef], clock: Clock
) -> list[z3.BoolRef] | None:
    """The largest subset of ``guesses`` that holds initially (every size ``≥ lo``) and is
    preserved by every step from a state within the ranges where no range check fails; None
    if z3 gives no answer in time."""
    x2 = cs.primed()
    nxt = list(zip(cs.state(), x2, strict=True))
    solver = z3.Solver()
    left = clock.remaining_ms()
    if left is not None:
        solver.set(timeout=max(int(left), 1))
    solver.add(cs.init, cs.size >= lo, cs.dom)
    kept = []
    for g in guesses:
        answer = solver.check(z3.Not(g))
        if answer == z3.unknown:
            return None
        if answer == z3.unsat:
            kept.append(g)
    while True:
        solver = z3.Solver()
        left = clock.remaining_ms()
        if left is not None:
            solver.set(timeout=max(int(left), 1))
        solver.add(cs.dom, z3.Not(cs.bad(properties)), cs.trans(x2), *kept)
        dropped = False
        for g in list(kept):
            answer = solver.check(z3.Not(z3.substitute(g, *nxt)))
            if answer == z3.unknown:
                return None
            if answer == z3.sat:  # not preserved: drop it, and every other the same step breaks
                model = solver.model()
                broken = [h for h in kept if z3.is_false(model.eval(z3.substitute(h, *nxt), model_completion=True))]
                kept = [h for h in kept if h is not g and not any(h is b for b in broken)]
                dropped = True
                break
        if not dropped:
            return kept
