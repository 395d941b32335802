"""The machine-readable result object of `raceproof check --json`."""

from __future__ import annotations

from typing import Any

from ..results import PropertyResult, Verdict
from ..run import SpecResult
from ..trace import Trace
from ..values import show as fmt


def trace_json(trace: Trace) -> dict[str, Any]:
    steps = []
    for i, state in enumerate(trace.states):
        t = trace.transitions[i - 1] if i else None
        steps.append({
            "step": i,
            "instance": t.instance.name if t else None,
            "action": t.action.name if t else "init",
            "args": t.args if t else {},
            "changes": [{"var": c.var, "old": fmt(c.old), "new": fmt(c.new)} for c in trace.changes(i)] if i else [],
            "state": {k: v for k, v in trace.model.describe_state(state).items()},
        })  # fmt: skip
    out = {"kind": trace.kind, "property": trace.property, "length": len(trace), "replayed": True, "steps": steps}
    if trace.model.several_inits and trace.kind != "cti":  # which of the model's initial states it starts from
        out["initial_states"] = len(trace.model.inits)
        if trace.states[0] in trace.model.init_set:
            out["initial_state"] = trace.model.inits.index(trace.states[0]) + 1
    if trace.loop is not None:  # a lasso: states[loop:] repeat forever (the last equals states[loop])
        out["loop"] = trace.loop
        out["deadlock"] = bool(trace.notes.get("deadlock"))
        if "shortest_cycle" in trace.notes:  # a shortest fair cycle, or one only shortened (`engines.fair_cycle`)
            out["shortest_cycle"] = bool(trace.notes["shortest_cycle"])
    return out


def result_json(r: PropertyResult) -> dict[str, Any]:
    return {
        "property": r.name,
        "kind": r.kind,
        "verdict": r.verdict.value,
        # false for a bounded pass (holds_to_depth) and for unknown: the answer depends on a bound or limit
        "complete": r.complete,
        "bound": r.bound,  # holds_to_depth: behaviours of up to this many steps were checked
        "expected": r.expected,
        # true / false; null: no expectation, or undecided (no verdict, or bounded where complete was expected)
        "meets_expectation": r.meets_expectation,
        "engine": r.engine,
        "depth": r.depth,
        "diameter": r.diameter,  # an exhaustive explicit search: the deepest breadth-first level
        "seconds": round(r.seconds, 3),
        "solver_seconds": r.extra.get("solver_seconds"),
        "checked": r.checked,
        "reason": r.reason,
        "trace": trace_json(r.trace) if r.trace is not None else None,
        # --max-counterexamples: the other shortest counterexamples, each a different sequence of steps
        "more_traces": [trace_json(t) for t in r.extra.get("more_traces", [])],
        # a proof's inductive invariant: as proved, and with symmetric conjuncts folded into ∀ lines
        "invariant": r.extra.get("invariant") if r.verdict is Verdict.PROVED else None,
        "invariant_compact": r.extra.get("invariant_compact") if r.verdict is Verdict.PROVED else None,
        "for_all": r.extra.get("for_all"),  # prove --for-all: the replica count proved for every value of
        # prove --for-all with counters (`checker.param.counting_run`): proved for every size from this one on
        "for_all_from": r.extra.get("for_all_from"),
        "for_all_invariant": r.extra.get("for_all_invariant"),
        # prove --for-all: the smallest size found violated (a replayed counterexample), e.g. {"azs": 2}; null: none
        # found. --for-all-strict exits 1 on it; without, this spec's own instance decides the exit code
        "for_all_violated_at": r.extra.get("for_all_violated_at"),
    }


def spec_json(sr: SpecResult) -> dict[str, Any]:
    return {
        "spec": str(sr.spec.path),
        "model": sr.spec.model_ref,
        # the file whose code was loaded, and where it was found (project, bundled, python path)
        "model_source": (
            {"file": sr.spec.model_origin(), "found_in": sr.spec.source.kind} if sr.spec.source is not None else None
        ),
        "params": sr.spec.params,
        "params_from_command_line": sorted(sr.spec.overrides),  # the names given with -P (over the spec's)
        "engine": sr.engine,
        "engine_requested": sr.requested_engine,
        "engine_why": sr.engine_why,
        "depth": sr.depth,
        "seconds": round(sr.seconds, 3),
        "exit_code": int(sr.exit_code),
        "results": [result_json(r) for r in sr.results],
        "coverage": sr.coverage,
        # which replicated components were reduced, and why the others were not (checker.symmetry)
        "symmetry": next((r.extra["symmetry_reduction"] for r in sr.results if "symmetry_reduction" in r.extra), None),
        # explicit search: stored states, bytes per state, peak RSS (with a partitioned search's workers)
        "search": next(({k: r.extra.get(k) for k in _SEARCH} for r in sr.results if "peak_rss_bytes" in r.extra), None),
    }


_SEARCH = (
    "states",
    "depth",
    "exhaustive",
    "bytes_per_state",
    "peak_rss_bytes",
    "peak_rss_growth_bytes",
    "peak_bytes_per_state",
    "backend",
    "scale_out",
    "workers_choice",
)
