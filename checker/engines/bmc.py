"""Bounded model checking over the symbolic step executor.

The unrolling grows one step at a time on one incremental solver. At every depth each
open property is queried (under push/pop), so the first counterexample found for a
property is a shortest one. Each answer is decoded from the action oracles, replayed
concretely, compared slot by slot with the solver's states, and only then reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import z3

from ..deadline import current, is_timeout, timeout_reason
from ..encoding import Encoding
from ..errors import ModelError
from ..lang.declare import GRAPH_KINDS
from ..lang.frame import RangeCheck
from ..lang.model import ModelInstance
from ..lang.runtime import CONCRETE, evaluate
from ..results import PropertyResult, Verdict
from ..trace import Trace, normalize, replay
from .bmc_unroll import Unrolling
from .phases import announce


def _goal(enc: Encoding, u: Unrolling, name: str) -> z3.BoolRef | None:
    """What a trace of the current depth must satisfy to answer property ``name``."""
    prop = enc.model.properties[name]
    x = u.states[-1]
    if prop.kind == "invariant":
        return z3.Not(enc.prop(name, x))
    if prop.kind == "reachable":
        return enc.prop(name, x)
    if u.depth == 0:  # action invariants need a step
        return None
    return z3.Not(enc.prop(name, u.states[-2], x))


#: the least time BMC's coverage queries get after the check (see run_bmc)
COVERAGE_SECONDS = 10.0


def run_bmc(
    model: ModelInstance,
    properties: list[str],
    depth: int,
    timeout: float | None = None,
    encoding: Encoding | None = None,
    symmetry: bool = True,
    progress: Callable[[int, list[str]], None] | None = None,
    coverage: bool = False,
    max_counterexamples: int = 1,
    finite: bool = True,
) -> list[PropertyResult]:
    """Check ``properties`` on every trace of at most ``depth`` steps.

    ``progress(depth, open_properties)`` is called as each depth starts. With ``coverage``,
    each result's ``extra["coverage"]`` tells which actions can fire within ``depth`` steps
    (`bmc_coverage`, on the same solver). With ``max_counterexamples`` N > 1, a violated
    property gets up to N-1 more shortest counterexamples in ``extra["more_traces"]``, each
    with a different sequence of steps. ``finite``: bit-blast a model whose values are all
    bounded (`bmc_finite`); False keeps the arithmetic solver (the same answers, slower).
    """
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    enc = encoding or Encoding(model)
    for name in properties:  # evaluate each property once (located errors before any solving)
        prop = model.properties[name]
        if prop.kind in GRAPH_KINDS:  # one trace cannot show AG EF or a fair lasso
            raise ModelError(
                f"'{name}' is a {prop.kind} property: it needs the whole state graph (engine explicit)",
                prop.file,
                prop.line,
            )
        enc.prop(name, enc.x, enc.x_next)
    u = Unrolling(enc, symmetry, list(properties), finite=finite)
    results: dict[str, PropertyResult] = {}
    pending = list(properties)

    def finish(name: str, verdict: Verdict, **kw: object) -> None:
        kind = model.properties[name].kind
        results[name] = PropertyResult(name, kind, verdict, "bmc", seconds=time.monotonic() - started, **kw)  # type: ignore[arg-type]
        results[name].extra["solver_seconds"] = round(u.solver_seconds, 4)
        results[name].extra["symmetry_reduction"] = u.decision.as_json()
        pending.remove(name)

    exhausted = False
    hard_stop = False
    try:
        while pending:
            announce(f"bmc: depth {u.depth}")
            if progress is not None:
                progress(u.depth, list(pending))
            goals = {n: g for n in pending if (g := _goal(enc, u, n)) is not None}
            checks = _range_violations(enc, u, pending)
            # One query for "anything to report at this depth" saves a query per property at
            # the depths where nothing happens, which is most of them.
            status = u.query(z3.Or(list(goals.values()) + checks), deadline) if goals or checks else z3.unsat
            unknown = status == z3.unknown
            range_undecided = ""  # z3's reason, when a range error could not be ruled out at this depth
            # goals no trace of this length meets: true facts of every (reduced) trace from here on
            settled = list(goals.values()) if status == z3.unsat else []
            if status == z3.sat:
                found = u._model  # a trace of this depth that meets some goal or fails a range check
                if checks and not _raise_range_error(enc, u, pending, deadline):
                    unknown = True  # a range error not ruled out: never assume the states in range
                    range_undecided = u.solver.reason_unknown() or "unknown"
                for name, goal in goals.items():
                    if found is not None and z3.is_true(found.eval(goal, model_completion=True)):
                        # the joint query's trace meets this goal already: asking again would
                        # solve the deepest query twice (it is replayed and confirmed all the same)
                        u._model, u._goal, answer = found, goal, z3.sat
                    else:
                        answer = u.query(goal, deadline)
                    if answer == z3.sat:
                        kind = model.properties[name].kind
                        raw = u.trace(u.depth, name, "witness" if kind == "reachable" else "violation")
                        trace = normalize(raw)  # commuting steps in a canonical order (trace.normalize)
                        verdict = Verdict.WITNESSED if kind == "reachable" else Verdict.VIOLATED
                        wanted = max_counterexamples - 1 if kind != "reachable" else 0
                        more = _more_traces(u, goal, [raw, trace], wanted, deadline)
                        finish(name, verdict, depth=u.depth, trace=trace, checked=True)
                        if more:
                            results[name].extra["more_traces"] = more
                    elif answer == z3.unknown:
                        unknown = True
                    else:
                        settled.append(goal)
            if unknown or (deadline is not None and time.monotonic() >= deadline):
                why = u.solver.reason_unknown() or "timeout"
                if deadline is not None and time.monotonic() >= deadline and why in ("canceled", "unknown"):
                    why = "timeout"  # z3 interrupted at the deadline (`checker.deadline`), or no time left to ask
                if range_undecided and why != "timeout":  # no later depth may assume the states in range
                    why = f"an out-of-range write or read could not be ruled out (z3: {range_undecided})"
                for name in list(pending):
                    finish(name, Verdict.UNKNOWN, depth=max(u.depth - 1, 0), reason=f"{why} at depth {u.depth}")
                break
            # Every write so far is within its declared range, so the states are too: telling
            # the solver so helps it and loses nothing.
            u.add(enc.domain(u.states[-1]))
            # Likewise each property that held at this depth: no trace of this length violates
            # (or witnesses) it, and every longer trace passes through such a prefix (symmetry
            # breaking and the per-depth pruning are prefix-closed), so the property holds at this
            # state of every trace the solver will consider. Asserting it loses no trace and hands
            # the deeper queries the earlier depths' answers.
            for goal in settled:
                u.add(z3.Not(goal))
            if not pending or u.depth >= depth:
                break
            u.extend()
            if u.query(z3.BoolVal(True), deadline) == z3.unsat:
                exhausted = True  # no trace is this long: every behaviour was covered
                break
    except BaseException as exc:  # the deadline's hard stop (`checker.deadline`): what was found stands
        if not is_timeout(exc):
            raise
        hard_stop = True
        why = timeout_reason(current(), exc)
        for name in list(pending):
            finish(name, Verdict.UNKNOWN, depth=max(u.depth - 1, 0), reason=f"{why} at depth {u.depth}")
    reached = u.depth - 1 if exhausted else u.depth
    reduced = bool(u.decision.groups)
    rechecked = exhausted and bool(pending) and reduced
    if rechecked and not _ends_without_reduction(enc, reached, deadline, finite):
        exhausted = False  # only the symmetry-reduced behaviours end there: not a complete answer
    for name in list(pending):
        kind = model.properties[name].kind
        steps = f"{reached} step{'s' if reached != 1 else ''}"
        note = f"every behaviour ends within {steps}" if exhausted else f"no violation up to depth {reached}"
        if kind == "reachable":
            if exhausted:
                finish(name, Verdict.UNREACHABLE, depth=reached, reason="no witness: " + note, checked=True)
            else:
                finish(name, Verdict.UNKNOWN, depth=reached, reason=f"no witness up to depth {reached}")
        elif exhausted:  # every behaviour was covered, whatever its length: complete
            finish(name, Verdict.HOLDS, depth=reached, reason=note)
        else:  # a bounded pass: longer behaviours were not looked at
            finish(name, Verdict.HOLDS_TO_DEPTH, depth=reached, reason=note)
    depths = u.stats.as_json()
    for r in results.values():
        r.extra["symmetry"] = reduced
        r.extra["bmc_depths"] = depths
    if coverage and not hard_stop:
        from .bmc_coverage import bmc_coverage  # imported here: it builds on this module

        traces = [r.trace for r in results.values() if r.trace is not None]
        # Coverage is a by-product of the check: it gets as long as the check itself took (at
        # least COVERAGE_SECONDS), never the rest of a long timeout; an action it cannot decide in
        # that time is listed as undecided (on unbounded data its queries can be slow)
        budget = time.monotonic() + max(COVERAGE_SECONDS, time.monotonic() - started)
        cover_by = budget if deadline is None else min(deadline, budget)
        try:
            # the end counts for coverage's "every behaviour" only if it does not rest on the
            # reduction (else coverage asks, and re-checks, within its own time)
            ends_at = reached if exhausted and (rechecked or not reduced) else None
            record = bmc_coverage(enc, depth, cover_by, symmetry, u, traces, ends_at)
        except BaseException as exc:  # the hard stop in coverage: no verdict is lost, coverage is undecided
            if not is_timeout(exc):
                raise
            record = bmc_coverage(enc, 0, time.monotonic(), symmetry, None, traces, None)
        for r in results.values():
            r.extra["coverage"] = record
    return [results[n] for n in properties]


def _ends_without_reduction(enc: Encoding, steps: int, deadline: float | None, finite: bool) -> bool:
    """Whether no behaviour at all (without symmetry breaking) is longer than ``steps``: the
    reduced unrolling ran out of behaviours, and "every behaviour ends" must not rest on the
    reduction (a wrong symmetry would make it a wrong complete answer)."""
    u = Unrolling(enc, symmetry=False, finite=finite)
    for _ in range(steps + 1):
        u.add(enc.domain(u.states[-1]))
        u.extend()
    return u.query(z3.BoolVal(True), deadline) == z3.unsat


def _more_traces(
    u: Unrolling, goal: z3.BoolRef, first: list[Trace], wanted: int, deadline: float | None
) -> list[Trace]:
    """Up to ``wanted`` more counterexamples of the same length, each a different sequence
    of steps: each found sequence (the oracles) is blocked and the query solved again.
    ``first`` holds the trace already reported (as found, and normalized). A found trace is
    reported normalized when that gives a new sequence, else as found (many orders of the
    same steps normalize alike; each is still a different interleaving)."""
    found: list[Trace] = []
    blocked = list(first)
    if wanted and first[0].transitions != first[-1].transitions:
        found.append(first[0])  # the order the solver found is another interleaving already
    while len(found) < wanted:
        blocks = [z3.Or([o != t.index for o, t in zip(u.oracles, trace.transitions, strict=True)]) for trace in blocked]
        if u.query(z3.And(goal, *blocks), deadline) != z3.sat:
            break  # no other sequence of this length (or out of time): report what was found
        raw = u.trace(u.depth, first[-1].property, first[-1].kind)
        trace = normalize(raw)
        reported = {tuple(t.index for t in b.transitions) for b in [first[-1], *found]}
        found.append(trace if tuple(t.index for t in trace.transitions) not in reported else raw)
        blocked += [raw, trace]
    return found


def _prop_violations(enc: Encoding, u: Unrolling, names: list[str]) -> list[tuple[str, RangeCheck, z3.BoolRef]]:
    """Range checks of the properties evaluated at the newest state (or step)."""
    out = []
    for name in names:
        if enc.model.properties[name].kind == "action_invariant":
            if u.depth == 0:
                continue
            pairs = enc.prop_check_violations(name, u.states[-2], u.states[-1])
        else:
            pairs = enc.prop_check_violations(name, u.states[-1])
        out += [(name, c, v) for c, v in pairs]
    return out


def _range_violations(enc: Encoding, u: Unrolling, names: list[str]) -> list[z3.BoolRef]:
    found = [v for _, _, v in _prop_violations(enc, u, names)]
    if u.depth == 0:
        return found
    x, o, within = u.states[-2], u.oracles[-1], u.within[-1]
    # a transition outside the step's disjunction cannot fire there: its checks cannot fail
    return found + [enc.step_check(c, x, o) for c in enc.step_checks if within is None or c.transition.index in within]


def _raise_range_error(enc: Encoding, u: Unrolling, names: list[str], deadline: float | None) -> bool:
    """A write (or a property's read) outside a declared range at the newest step is a model
    error, reported at its line. Returns True when there is none, False when the solver could
    not tell (then nothing may assume the states in range)."""
    joint = u.query(z3.Or(_range_violations(enc, u, names)), deadline)
    if joint == z3.unsat:
        return True  # the joint query was satisfied by a property, not by a range error
    if joint == z3.unknown:
        return False
    for name, c, violated in _prop_violations(enc, u, names):
        if u.query(violated, deadline) == z3.sat:
            assert u._model is not None
            steps = [enc.decode_oracle(u._model, oo) for oo in u.oracles]
            states = replay(enc.model, steps, enc.initial_of(u._model, u.states[0]))
            kind = enc.model.properties[name].kind
            # evaluating concretely raises the located ModelError of the offending read
            evaluate(enc.model, CONCRETE, name, *(states[-2:] if kind == "action_invariant" else states[-1:]))
            raise ModelError(f"property '{name}': {c.message}", c.file, c.line)
    if u.depth == 0:
        return False  # the joint query found a range error that no single query confirmed
    x, o = u.states[-2], u.oracles[-1]
    for c in enc.step_checks:
        if u.query(enc.step_check(c, x, o), deadline) == z3.sat:
            assert u._model is not None
            steps = [enc.decode_oracle(u._model, oo) for oo in u.oracles]
            # replaying concretely raises the located ModelError of the offending write
            replay(enc.model, steps, enc.initial_of(u._model, u.states[0]))
            raise ModelError(f"action {c.transition}: {c.check.message}", c.check.file, c.check.line)
    return False  # as above: possible, not confirmed (an unknown answer)
