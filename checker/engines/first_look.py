"""`prove`'s first look: a short breadth-first search before any solver runs.

A proof needs a solver, but its companions rarely do: the witnesses of `reachable`
properties and the shallow violations of the invariants lie a few steps from the initial
state, and breadth-first search over the first few hundred states reaches them in a tenth
of a second (BMC to the spec's bound took 1.4-3.4 s on the DNS fixes). The search is capped
(`FIRST_LOOK_STATES`), so on an unbounded instance it stops early; only its conclusive
answers are used, each as strong as its evidence:

* WITNESSED and VIOLATED carry a trace that the explicit engine replayed concretely (and,
  breadth-first, a shortest one);
* UNREACHABLE only when the search exhausted the instance within the cap;
* an invariant that merely held in the states seen is *not* reported: it goes on to the
  proof engines as before (a HOLDS from this search would be no proof).

Its action coverage is used only when it saw every live action fire (then the record is
exact: what it lists fired, and it lists every action); otherwise the caller computes
coverage as before, by BMC to the spec's bound.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from ..lang.model import ModelInstance
from ..results import PropertyResult, Verdict
from .explicit import run_explicit

# Distinct (canonical) states the first look may store: on the DNS fixes (3 Enactors, 2
# endpoints) that is BFS depth 8-9, as deep as the spec's BMC bound of 8, in about 0.1 s CPU
# (its witnesses lie at depth 4 and 6, within the first 110 states). Deeper violations are
# the portfolio's BMC's, which runs at normal priority.
FIRST_LOOK_STATES = 500
_KEPT = (Verdict.WITNESSED, Verdict.VIOLATED, Verdict.UNREACHABLE)


def first_look(
    model: ModelInstance, names: list[str], timeout: float | None, max_states: int = FIRST_LOOK_STATES
) -> tuple[list[PropertyResult], dict[str, Any] | None, bool]:
    """(conclusive results, action coverage record or None, whether the search ran at all).

    A model the explicit engine cannot run (it raises a model error on some early state, or
    it has a step the engine does not execute) gives ``([], None, False)``: the other
    engines then decide everything, and report the error themselves where it is real.
    """
    if not names:
        return [], None, False
    try:
        results = run_explicit(model, names, max_states, timeout)
    except ModelError:
        return [], None, False
    kept = []
    for r in results:
        if r.verdict not in _KEPT:
            continue
        if r.verdict is Verdict.UNREACHABLE and not r.extra.get("exhaustive"):
            continue  # (the engine gives UNREACHABLE only when exhaustive; kept explicit here)
        r.engine = "explicit"
        looked = f"explicit search (first look, {r.extra.get('states', 0):,} states)"
        r.reason = f"{r.reason}; {looked}" if r.reason else looked
        kept.append(r)
    record = results[0].extra.get("coverage") if results else None
    if record is not None and record.get("undetermined"):
        record = None  # some action not seen firing yet: that needs the bounded search
    return kept, record, True
