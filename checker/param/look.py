"""The ladder's first look: a short breadth-first search at a small size before PDR runs there.

A fix that does not hold is usually broken by two replicas racing, a few steps from the
initial state. Spacer is slow to refute such an instance (the stale-snapshot CAS: about a
minute at 2 Enactors before the ladder's BMC fallback found it), while breadth-first search
over the first few hundred states finds the violation in a tenth of a second, with a
shortest trace that the explicit engine replays concretely (`checker.engines.first_look`).

Only a violation is used: an invariant that held in the states seen proves nothing, and the
ladder goes on to PDR at that size as before. So the look can make a violated for-all spec
fast, and can never make anything proved.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine_choice import unbounded_state
from ..engines.obligations import Clock
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from ..results import Verdict

LOOK_STATES = 500  # per size: 0.05-0.1 s CPU on the DNS models (3 Enactors x 3 endpoints at most)
# A finite instance (no unbounded slot an action writes: `engine_choice.unbounded_state`) is
# looked at further: the broken DNS designs' deeper races (11-12 steps at 2 Enactors, about
# 1,300 states) lie past 500 states, and Spacer then spent its budget (about 75 s) before the
# ladder's BMC found them. On an infinite instance the look would only use its whole second.
LOOK_FINITE_STATES = 20_000
LOOK_SECONDS = 1.0  # per size, at most (the clock's deadline stays the hard limit)
EARLY = 2  # the sizes looked at before anything else (the relaxed model's search) runs: replica counts up to this


@dataclass
class Seen:
    """A violation the look found at one size: property -> the replayed trace's length."""

    depths: dict[str, int]
    states: int


def look(model: ModelInstance, size: dict[str, int], properties: list[str], clock: Clock) -> Seen | None:
    """The properties breadth-first search finds violated at ``size`` (the other parameters
    as in ``model``) within `LOOK_STATES` states, each with a replayed counterexample; None if
    it finds none (nothing is concluded from that). On a finite instance the look goes on to
    `LOOK_FINITE_STATES` states."""
    from ..engines.first_look import first_look  # the engines import the language; only this entry needs them

    left = clock.remaining_ms()
    timeout = LOOK_SECONDS if left is None else min(LOOK_SECONDS, left / 1000)
    if timeout <= 0:
        return None
    given = model.param_dict() | size
    if model.model.check_params(given):  # a size the model does not allow: nothing to look at
        return None
    try:
        instance = model.model.build(**given)
    except RaceproofError:  # the model fails at this size: the ladder's own engines report that
        return None
    cap = LOOK_STATES if unbounded_state(instance) else LOOK_FINITE_STATES
    kept, _, _ = first_look(instance, properties, timeout, cap)
    bad = {r.name: len(r.trace) for r in kept if r.verdict is Verdict.VIOLATED and r.checked and r.trace is not None}
    if not bad:
        return None
    return Seen(bad, max(int(r.extra.get("states", 0)) for r in kept))
