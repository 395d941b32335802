"""A finite instance proved by its reachable set, before any proof engine runs.

When every reachable state of an instance can be enumerated (breadth-first, concretely, from
the initial states), the disjunction "the state is one of them" is an inductive invariant by
construction: it contains the initial states, and the successors of its states are its
states. If the properties hold in all of them, that is a proof, and a cheap one: the
alternating-bit protocol (84 states) took PDR about 20 s, this well under a second. A
property false in one of them is violated: the explicit engine, on an instance now known to
be this small, finds its shortest trace as `check` would (the portfolio's BMC would start
only after PDR had had its time).

It is no more trusted than Spacer's invariants: the disjunction becomes the same SMT-LIB2
certificate (`checker.certificate`), re-checked by a fresh solver against the *symbolic*
step relation (initiation, consecution, safety) before anything is reported. So a
difference between the concrete search and the symbolic encoding can only make the check
fail (and the proof engines then run as before), never yield a wrong proof.

Only instances the engine-choice rules call finite are tried (`engine_choice.unbounded_state`:
no unbounded slot that an action writes), and the enumeration is capped (`FINITE_STATES`),
so on a large or infinite instance this costs at most a moment before the proof engines. A
finite instance past the cap is searched for violations by the explicit engine instead
(`SEARCH_STATES`, a share of the time): its counterexamples, shortest and replayed, are
reported; a property that held in every state it saw goes on to the proof engines.
The invariant is reported as what it is (the reachable states, listed in the certificate),
not as conjuncts: a list of states is not an explanation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import z3

from .. import certificate as certs
from ..encoding import Encoding
from ..engine_choice import unbounded_state
from ..errors import ModelError
from ..lang.model import ModelInstance
from ..lang.runtime import CONCRETE, evaluate, fire
from ..results import PropertyResult, Verdict
from .obligations import unsupported_reason

ENGINE = "exhaustive"
# Concrete states enumerated at most (no symmetry reduction: the certificate speaks of the
# concrete states); each is one disjunct of the certificate's invariant.
FINITE_STATES = 2_000
# Past that cap the instance is still finite, so the explicit engine (with symmetry reduction)
# looks for violations before the proof engines start: `check` finds the broken DNS designs'
# deeper races (9-12 steps, 1,000-3,000 canonical states) in a fraction of a second, where the
# portfolio's BMC started only after PDR had had its time (5 s to minutes). At most this many
# canonical states and `SEARCH_SHARE` of the time: a violation is reported with its replayed
# shortest trace, and a property that held in every state searched goes on to the proof engines
# (a search is no proof: nothing else is concluded from it).
SEARCH_STATES = 200_000
SEARCH_SHARE = 1 / 4
SEARCH_SECONDS = 5.0  # without a time limit

State = tuple[Any, ...]


def reachable_states(
    model: ModelInstance, cap: int, deadline: float | None, step_props: list[str] | None = None
) -> tuple[list[State], set[str]] | None:
    """Every reachable state, breadth-first from the initial ones, and which of the action
    invariants ``step_props`` some step breaks; None past ``cap`` states or ``deadline`` (a
    `time.monotonic` value), or when a step raises a model error (a range check: a violation
    for the other engines to report, with its trace)."""
    states: list[State] = list(dict.fromkeys(model.inits))
    seen = set(states)
    broken: set[str] = set()
    head = 0
    while head < len(states):
        if head % 64 == 0 and deadline is not None and time.monotonic() >= deadline:
            return None
        state = states[head]
        head += 1
        for t in model.transitions:
            try:
                nxt = fire(model, t, state)
                if nxt is None:
                    continue
                broken.update(n for n in step_props or () if n not in broken and not _holds(model, n, state, nxt))
            except ModelError:
                return None
            if nxt in seen:
                continue
            if len(states) >= cap:
                return None
            seen.add(nxt)
            states.append(nxt)
    return states, broken


def _one_of(enc: Encoding, states: list[State]) -> z3.BoolRef:
    """The invariant "the state is one of ``states``", as a tree over the slots in order (a trie: states that
    agree on the first slots share those equalities). The flat disjunction of one conjunction
    per state says the same, but z3 re-checked it 7x slower (1,823 states: 3.0 s against 0.4 s)."""

    def level(rows: list[State], i: int) -> z3.BoolRef:
        if i == len(enc.x):
            return z3.BoolVal(True)
        by_value: dict[Any, list[State]] = {}
        for row in rows:
            by_value.setdefault(row[i], []).append(row)
        parts = [
            z3.And(enc.equal([enc.x[i]], [enc._const_slot(i, value)]), level(group, i + 1))  # noqa: SLF001
            for value, group in by_value.items()
        ]
        return parts[0] if len(parts) == 1 else z3.Or(parts)

    return level(states, 0)


def _search_time(timeout: float | None, started: float) -> float:
    """The explicit search's seconds past the enumeration's cap: a share of what is left."""
    if timeout is None:
        return SEARCH_SECONDS
    return max(SEARCH_SHARE * (timeout - (time.monotonic() - started)), 0.01)


def _violations(model: ModelInstance, names: list[str], cap: int, timeout: float | None) -> list[PropertyResult]:
    """The shortest, replayed counterexamples to ``names`` by the explicit engine (at most ``cap``
    canonical states), as `check` finds them. (Its VIOLATED results only; anything else is left
    to the proof engines.)"""
    from .explicit import run_explicit  # (loaded by `prove`'s first look anyway)

    try:
        results = run_explicit(model, names, cap, timeout)
    except ModelError:
        return []
    kept = [r for r in results if r.verdict is Verdict.VIOLATED and r.checked]
    for r in kept:
        r.engine = "explicit"
        r.reason = f"{r.reason}; explicit search (finite instance)" if r.reason else "explicit search (finite instance)"
    return kept


def _holds(model: ModelInstance, name: str, *states: State) -> bool:
    return evaluate(model, CONCRETE, name, *states) is True


def prove_finite(
    model: ModelInstance,
    names: list[str],
    timeout: float | None,
    cap: int = FINITE_STATES,
    progress: Callable[[str], None] | None = None,
    encoding: Encoding | None = None,
) -> list[PropertyResult]:
    """PROVED results for ``names`` if the reachable set of this instance is small enough to
    enumerate and, as an invariant, passes the certificate re-check; VIOLATED ones, with the
    explicit engine's shortest replayed trace, for those false in a reachable state. A finite
    instance past ``cap`` gets the explicit engine's search for violations instead (VIOLATED
    results only; `SEARCH_STATES`); an infinite one nothing.
    ``progress(text)`` is told when the enumeration starts; ``encoding``: the model's, if the
    caller has one (to decide finiteness; the certificate gets its own, with every set an array)."""
    started = time.monotonic()
    names = [n for n in dict.fromkeys(names) if unsupported_reason(model, n) is None]
    if not names or unbounded_state(model, encoding):
        return []
    deadline = None if timeout is None else started + timeout / 4
    if progress is not None:
        progress(f"exhaustive: enumerating the reachable states (at most {cap:,})")
    steps = [n for n in names if model.properties[n].kind == "action_invariant"]
    try:
        found = reachable_states(model, cap, deadline, steps)
    except ModelError:  # a property that cannot be evaluated in some state (a range check)
        return []
    if found is None:  # past the cap or the deadline: a finite instance all the same
        return _violations(model, names, SEARCH_STATES, _search_time(timeout, started))
    try:
        states, broken = found
        # a property false somewhere is not proved here; the certificate covers the others
        false = [n for n in names if n in broken or (n not in steps and not all(_holds(model, n, s) for s in states))]
    except ModelError:  # a property that cannot be evaluated in some state (a range check)
        return []
    violated = _violations(model, false, max(len(states), 1) * 2, timeout) if false else []
    names = [n for n in names if n not in false]
    if not names:
        return violated
    try:
        enc = Encoding(model, sets="array")  # every set value has a constant (no interval required)
        for n in names:
            enc.prop(n, enc.x, enc.x_next)
        invariant = _one_of(enc, states)
    except (ModelError, ValueError):  # something the encoding cannot say: the proof engines will
        return violated
    cert = certs.Certificate(enc, invariant, names, k=1, engine=ENGINE)
    left = None if timeout is None else max(timeout - (time.monotonic() - started), 0.01)
    check = certs.check(cert, left)
    if not check.ok:  # the symbolic step relation disagrees with the concrete one: no proof here
        return violated
    seconds = time.monotonic() - started
    what = f"the {len(states):,} reachable states of this instance (enumerated exhaustively)"
    reason = f"inductive invariant: {what}, one disjunct each; {check.describe()}"
    lines = [f"the state is one of {what}; the certificate lists them"]
    return [
        PropertyResult(
            n,
            model.properties[n].kind,
            Verdict.PROVED,
            ENGINE,
            seconds=seconds,
            reason=reason,
            checked=True,
            extra={"invariant": lines, "certificate_text": cert.to_smtlib(), "k": 1, "reachable_states": len(states)},
        )
        for n in names
    ] + violated
