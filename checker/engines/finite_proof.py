"""A finite instance proved by its reachable set, before any proof engine runs.

When every reachable state of an instance can be enumerated (breadth-first, concretely, from
the initial states), the disjunction "the state is one of them" is an inductive invariant by
construction: it contains the initial states, and the successors of its states are its
states. If the properties hold in all of them, that is a proof, and a cheap one: the
alternating-bit protocol (84 states) took PDR about 20 s, this well under a second.

It is no more trusted than Spacer's invariants: the disjunction becomes the same SMT-LIB2
certificate (`checker.certificate`), re-checked by a fresh solver against the *symbolic*
step relation (initiation, consecution, safety) before anything is reported. So a
difference between the concrete search and the symbolic encoding can only make the check
fail (and the proof engines then run as before), never yield a wrong proof.

Only instances the engine-choice rules call finite are tried (`engine_choice.unbounded_state`:
no unbounded slot that an action writes), and the enumeration is capped (`FINITE_STATES`),
so on a large or infinite instance this costs at most a moment before the proof engines.
The invariant is reported as what it is (the reachable states, listed in the certificate),
not as conjuncts: a list of states is not an explanation.
"""

from __future__ import annotations

import time
from typing import Any

import z3

from .. import certificate as certs
from ..encoding import Encoding
from ..engine_choice import unbounded_state
from ..errors import ModelError
from ..lang.model import ModelInstance
from ..lang.runtime import fire
from ..results import PropertyResult, Verdict
from .obligations import unsupported_reason

ENGINE = "exhaustive"
# Concrete states enumerated at most (no symmetry reduction: the certificate speaks of the
# concrete states); each is one disjunct of the certificate's invariant.
FINITE_STATES = 2_000

State = tuple[Any, ...]


def reachable_states(model: ModelInstance, cap: int, deadline: float | None) -> list[State] | None:
    """Every reachable state, breadth-first from the initial ones; None past ``cap`` states or
    ``deadline`` (a `time.monotonic` value), or when a step raises a model error (a range
    check: that is a violation for the other engines to report, with its trace)."""
    states: list[State] = list(dict.fromkeys(model.inits))
    seen = set(states)
    head = 0
    while head < len(states):
        if head % 64 == 0 and deadline is not None and time.monotonic() >= deadline:
            return None
        state = states[head]
        head += 1
        for t in model.transitions:
            try:
                nxt = fire(model, t, state)
            except ModelError:
                return None
            if nxt is None or nxt in seen:
                continue
            if len(states) >= cap:
                return None
            seen.add(nxt)
            states.append(nxt)
    return states


def prove_finite(
    model: ModelInstance, names: list[str], timeout: float | None, cap: int = FINITE_STATES
) -> list[PropertyResult]:
    """PROVED results for ``names`` if the reachable set of this instance is small enough to
    enumerate and, as an invariant, passes the certificate re-check; else nothing."""
    started = time.monotonic()
    names = [n for n in dict.fromkeys(names) if unsupported_reason(model, n) is None]
    if not names or unbounded_state(model):
        return []
    deadline = None if timeout is None else started + timeout / 4
    states = reachable_states(model, cap, deadline)
    if states is None:
        return []
    enc = Encoding(model, sets="array")  # every set value has a constant (no interval required)
    for n in names:
        enc.prop(n, enc.x, enc.x_next)
    invariant = z3.Or([enc.equal(enc.x, enc.const_state(s)) for s in states])
    cert = certs.Certificate(enc, invariant, names, k=1, engine=ENGINE)
    left = None if timeout is None else max(timeout - (time.monotonic() - started), 0.01)
    check = certs.check(cert, left)
    if not check.ok:  # e.g. a property false in some reachable state: the other engines say which
        return []
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
    ]
