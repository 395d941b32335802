"""Shortening a violation found by a random walk, soundly (`simulate`).

1. Cycles are cut out: where the walk visits a state twice, the steps in between are
   dropped; the result is still a real path to the same violating state (or edge).
2. A breadth-first search from the initial state (the explicit engine, with a state
   budget) looks for the property: as a violation exists within the walk's length, it finds
   a *shortest* one if the budget suffices, and says so; otherwise the shortened walk is
   kept, with the lower bound the search did prove.
"""

from __future__ import annotations

import time
from typing import Any

from ..lang.model import ModelInstance
from ..trace import Trace, normalize, replay


def shorten(model: ModelInstance, name: str, hit: Any, budget: int, deadline: float | None) -> tuple[Trace, str]:
    """The replayed walk, shortened (see the module's notes); and how short it is known to be."""
    kind = model.properties[name].kind
    what = "witness" if kind == "reachable" else "violation"
    steps = [model.transitions[t] for t in hit.steps]
    states = replay(model, steps, model.inits[hit.start])
    cut = len(steps) - 1 if kind == "action_invariant" else len(steps)  # the states whose order may shrink
    keep_states, keep_steps, at = [states[0]], [], {states[0]: 0}
    for i in range(1, cut + 1):
        j = at.get(states[i])
        if j is not None:  # a cycle: back to where this state was first reached
            for dropped in keep_states[j + 1 :]:
                del at[dropped]
            keep_states, keep_steps = keep_states[: j + 1], keep_steps[:j]
        else:
            at[states[i]] = len(keep_states)
            keep_states.append(states[i])
            keep_steps.append(steps[i - 1])
    if kind == "action_invariant":
        keep_steps.append(steps[-1])
    walk_trace = Trace(
        model, replay(model, keep_steps, states[0]), keep_steps, name, "witness" if kind == "reachable" else "violation"
    )
    walk_trace.confirm()
    walk_trace = normalize(walk_trace)
    from .explicit import run_explicit

    left = None if deadline is None else max(deadline - time.monotonic(), 0.1)
    bfs = run_explicit(model, [name], max_states=budget, timeout=left)[0]
    if bfs.trace is not None and len(bfs.trace) <= len(walk_trace):
        return bfs.trace, f"shortest: {len(bfs.trace)} steps (proved by breadth-first search)"
    proved = max(0, int(bfs.extra.get("depth", 0)) - 1)
    cycles = f", {hit.length - len(walk_trace)} steps of cycles cut" if hit.length > len(walk_trace) else ""
    return walk_trace, (
        f"{len(walk_trace)} steps{cycles}; not proved shortest (breadth-first search stopped after "
        f"{bfs.extra.get('states', 0):,} states: no {what} within {proved} steps)"
    )
