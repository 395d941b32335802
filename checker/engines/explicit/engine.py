"""Explicit-state model checking: breadth-first search of the reachable states.

Unlike BMC, an exhausted search covers every depth: a property that holds then holds in
every reachable state of this (finite) instance, and a `reachable` property without a
witness is unreachable. Breadth-first order makes every counterexample and witness a
shortest one; each is rebuilt from parent pointers, replayed concretely and confirmed.

Two searches implement it (`explicit_matrix`, `explicit_tuples`); ``run_explicit`` picks
the numpy one whenever the model compiles to numpy columns (`explicit_compile`) and falls
back to `runtime.fire` one state at a time otherwise. Symmetry reduction (on by default)
stores one state per class of states equal up to permuting interchangeable replicas
(`explicit_symmetry`): those of the components `checker.symmetry` proves interchangeable
for the properties of this run.
"""

from __future__ import annotations

import time

from ...coverage import action_coverage, counts_by_action
from ...deadline import current, is_timeout, timeout_reason
from ...encoding import Encoding
from ...errors import ModelError
from ...lang.declare import GRAPH_KINDS
from ...lang.model import ModelInstance
from ...lang.runtime import CONCRETE, evaluate
from ...results import PropertyResult, Verdict
from ...symmetry import SymmetryDecision, no_symmetry
from ...symmetry import decide as decide_symmetry
from .common import Progress, Search, current_rss, peak_rss
from .tuples import TupleSearch
from .vectors import Vectors

# The compiled search (`compile`, `matrix`, `scaling`) and numpy with it are imported where a
# model has a numeric form (`Vectors.numeric`): one with an unbounded set, such as the DNS
# model's plan store, is searched in plain Python, and `prove`'s first look at it never loads
# numpy (a tenth of such a proof's CPU). An import cycle in them still fails loudly, at the
# first search of a model that compiles (every test of the numpy backend).


def run_explicit(
    model: ModelInstance,
    properties: list[str],
    max_states: int | None = None,
    timeout: float | None = None,
    symmetry: bool = True,
    progress: Progress | None = None,
    backend: str = "auto",
    workers: int | str | None = None,
    ray: str | None = None,
    encoding: Encoding | None = None,
) -> list[PropertyResult]:
    """Check ``properties`` by exhaustive breadth-first search (engine ``"explicit"``).

    ``max_states`` caps the distinct (canonical) states stored and ``timeout`` the seconds;
    hitting either first makes every open property UNKNOWN. ``progress(depth, states,
    open_properties, frontier)`` is called as each BFS level starts. ``backend`` is ``"auto"``,
    ``"numpy"`` (an error if the model does not compile) or ``"python"``. The search stops
    once every property has an answer; each result's ``extra`` holds the counts (states,
    transitions_fired, depth, exhaustive, bytes_per_state, search_seconds, ...) and the
    action coverage (``extra["coverage"]``, see `checker.coverage`).

    ``workers`` (an int, or ``"auto"``: all cores once the search outgrows one process) and
    ``ray`` (``"auto"`` or a cluster address) partition the search (`checker.engines.scaling`);
    None takes the setting of the enclosing `scaling.scale_out` (one process by default).
    ``encoding``: `Encoding(model)` if the caller built it already (`engine_choice`), else it is built here.
    """
    if backend not in ("auto", "numpy", "python"):
        raise ValueError(f"backend must be auto, numpy or python, not {backend!r}")
    if max_states is not None and max_states < 1:
        raise ValueError(f"max_states must be at least 1, not {max_states}")
    started = time.monotonic()
    for name in properties:
        if name not in model.properties:
            known = ", ".join(model.properties) or "none"
            raise ModelError(f"the model has no property '{name}' (it has: {known})")
    graph = [n for n in properties if model.properties[n].kind in GRAPH_KINDS]
    if graph:  # recoverable/eventually: the whole state graph, built by `graph_build`
        from ..graph import run_graph  # (only here: most searches never build the graph)

        rest = [n for n in properties if n not in graph]
        found = run_graph(model, graph, max_states, timeout, backend)
        if rest:
            found += run_explicit(model, rest, max_states, timeout, symmetry, progress, backend)
        return [next(r for r in found if r.name == n) for n in properties]
    # Every action and property once, symbolically and on the initial state: located model
    # errors before any search, and the encoding that decides symmetry (`checker.symmetry`).
    enc = encoding if encoding is not None and encoding.model is model and encoding.sets == "array" else Encoding(model)
    for name in properties:
        enc.prop(name, enc.x, enc.x_next)
        kind = model.properties[name].kind
        evaluate(model, CONCRETE, name, *([model.init] * (2 if kind == "action_invariant" else 1)))
    if symmetry:
        decision = decide_symmetry(enc, properties)
    else:
        decision = no_symmetry(model, "symmetry reduction turned off for this run")
    search = Search(model, list(properties), max_states, started + timeout if timeout else None, progress)
    compiled, note = None, ""
    # (no numeric form: `Compiled` would raise Untranslatable first thing, as it still does for "numpy")
    if backend == "numpy" or (backend == "auto" and Vectors(model).numeric):
        from .bounds import Exceeds
        from .compile import Compiled, Untranslatable

        try:
            compiled = Compiled(model, list(properties), enc)
        except Exceeds as err:  # int64 would not be exact: exact Python integers, and say so
            note = err.note
        except Untranslatable:
            if backend == "numpy":
                raise
    search_started, search_cpu, rss_before = time.monotonic(), time.process_time(), current_rss()
    try:
        if compiled is not None:
            from ..scaling import search_scaled

            search = search_scaled(compiled, search, decision.groups, workers, ray)
        elif note:
            from .matrix import search_exactly

            search = search_exactly(compiled, search, decision.groups, note)
        else:
            TupleSearch(search, decision.groups).run()
    except BaseException as exc:  # the deadline's hard stop (`checker.deadline`): what was found stands
        if not is_timeout(exc):
            raise
        search.stop, search.exhaustive = timeout_reason(current(), exc), False
    search.search_seconds = time.monotonic() - search_started
    search.search_cpu_seconds = time.process_time() - search_cpu
    search.rss_growth = max(0, peak_rss() - rss_before)  # this process; a partitioned search adds its workers'
    return _results(search, time.monotonic() - started, [t.index for t, _ in enc.fired], decision)


def _results(s: Search, seconds: float, live: list[int], decision: SymmetryDecision) -> list[PropertyResult]:
    counts = f"{s.states:,} distinct state{'s' if s.states != 1 else ''}"
    if s.exhaustive:
        scope = f"exhaustive: {counts}"
    else:
        why = f"stopped: {s.stop}" if s.stop else "stopped once every property had an answer"
        scope = f"explicit search to depth {s.depth}, {why}"
    # Counted over the stored representatives' edges: what fired, not how often concretely.
    coverage = action_coverage(s.model, live, counts_by_action(s.model, s.fired_by), s.exhaustive, scope)
    extra = {
        "states": s.states,
        "transitions_fired": s.fired,
        "depth": s.depth,
        "exhaustive": s.exhaustive,
        "bytes_per_state": round(s.bytes_per_state, 1),
        "symmetry": s.symmetry,
        "symmetry_reduction": decision.as_json(),
        "backend": s.backend,
        "states_per_second": round(s.states / seconds) if seconds > 0 else None,
        # the search alone, without building the encoding and compiling the steps
        "search_seconds": round(s.search_seconds, 4),
        "search_cpu_seconds": round(s.search_cpu_seconds, 4),
        "key_repacks": s.repacks,
        "peak_rss_bytes": peak_rss(),  # this process; a partitioned search adds its workers' (scale_out)
        "peak_rss_growth_bytes": s.rss_growth,  # the peak above this process's RSS when the search began
        "coverage": coverage,
    }
    if s.note:
        extra["backend_note"] = s.note
    if s.workers_choice:
        extra["workers_choice"] = s.workers_choice
    if s.scale_out:
        extra["scale_out"] = s.scale_out
        extra["peak_rss_bytes"] = s.scale_out["coordinator_peak_rss_bytes"] + sum(s.scale_out["worker_peak_rss_bytes"])
        extra["peak_rss_growth_bytes"] += s.scale_out["worker_rss_growth_bytes"]
    # what the search added to the peak, per stored state (the interpreter's and the model's
    # baseline excluded): the figure issue 15 bounds by 64 B; it depends on the allocator
    extra["peak_bytes_per_state"] = round(extra["peak_rss_growth_bytes"] / max(s.states, 1), 1)
    out = []
    for name in s.properties:
        kind = s.model.properties[name].kind
        r = PropertyResult(name, kind, Verdict.UNKNOWN, "explicit", seconds=seconds, extra=dict(extra))
        trace = s.found.get(name)
        if trace is not None:
            r.verdict = Verdict.WITNESSED if kind == "reachable" else Verdict.VIOLATED
            r.trace, r.depth, r.checked = trace, len(trace), True
        elif s.exhaustive:
            r.depth = s.depth
            if kind == "reachable":
                r.verdict, r.checked = Verdict.UNREACHABLE, True
                r.reason = f"no witness: exhaustive: {counts}"
            else:
                r.verdict, r.reason = Verdict.HOLDS, f"exhaustive: {counts}"
        else:
            r.depth = s.depth
            r.reason = f"{s.stop or 'search stopped'}: {counts} up to depth {s.depth}, {s.fired} transitions fired"
        if s.note:  # the reason is what the text and JSON reports show
            r.reason = f"{r.reason} ({s.note})" if r.reason else s.note
        out.append(r)
    return out
