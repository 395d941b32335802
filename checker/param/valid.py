"""The validity queries of the readings' checks: "this claim holds for every value of its
constants", shown by z3 answering unsat to its negation.

Only unsat counts; sat and unknown both mean "not shown", which refuses a reading (never
proves anything). An unknown answer is asked once more in a fresh z3 context: the main
context is shared with the engines' stop machinery (a watchdog, a stopped engine thread)
whose interrupt answers the next check "unknown" at once, and whether a reading is accepted
must not depend on such timing. The retry is the same question, so it cannot accept a claim
that z3 shows false.
"""

from __future__ import annotations

import logging

import z3

_log = logging.getLogger(__name__)


def valid(claim: z3.BoolRef, timeout_ms: int) -> bool:
    """Whether z3 shows ``claim`` valid within ``timeout_ms`` (wall-clock, z3's own timeout)."""
    status, reason = _check(z3.Not(claim), timeout_ms)
    if status == z3.unknown:
        ctx = z3.Context()
        status, reason = _check(z3.Not(claim).translate(ctx), timeout_ms, ctx)
        if status == z3.unknown:
            _log.warning("a reading's check was not decided (%s): read as not shown", reason)
    return status == z3.unsat


def _check(negated: z3.BoolRef, timeout_ms: int, ctx: z3.Context | None = None) -> tuple[z3.CheckSatResult, str]:
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", timeout_ms)
    solver.add(negated)
    status = solver.check()
    return status, solver.reason_unknown() if status == z3.unknown else ""
