"""Running a spec: build the model, pick the engine (`checker.engine_choice`), attach the expectations.

The engines other than the explicit search (BMC, the proof engines, the state graph) are
imported where they run: a check that the explicit search decides never loads them, which
is a good part of the time to a first answer on a small instance."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .coverage import spec_coverage
from .deadline import Deadline, doing, is_timeout, limit_of, run_within, timeout_reason
from .encoding import Encoding
from .engine_choice import choose_engine, requested_engine
from .engines.explicit import run_explicit
from .errors import ModelError, SpecError
from .lang.declare import GRAPH_KINDS
from .lang.model import ModelInstance
from .results import ExitCode, PropertyResult, Verdict, exit_code
from .spec import Spec


@dataclass
class SpecResult:
    spec: Spec
    results: list[PropertyResult]
    seconds: float
    depth: int
    engine: str
    #: actions fired / never fired and `reachable` properties not witnessed (`checker.coverage`)
    coverage: dict[str, Any] | None = None
    #: the engine asked for (the spec's or the command line's): auto, bmc, explicit, or prove (...)
    requested_engine: str = ""
    #: which engine decided which properties, and why (one line each, for people)
    engine_why: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.results)


def _check_names(spec: Spec, model: ModelInstance, names: list[str]) -> None:
    for name in names:
        if name not in model.properties:
            known = ", ".join(model.properties)
            raise SpecError(
                f"unknown property '{name}' (this model has: {known})", str(spec.path), spec.line("", "model")
            )


def time_limit(timeout: float | None, spec: Spec) -> float | None:
    """Seconds for the run: ``timeout`` (the command line's), else the spec's; None is no limit.
    An infinite timeout (``--timeout inf``, ``timeout = inf``) is no limit, overriding the spec's."""
    limit = timeout if timeout is not None else spec.timeout
    return None if limit is not None and math.isinf(limit) else limit


def check_spec(
    spec: Spec,
    depth: int | None = None,
    properties: list[str] | None = None,
    timeout: float | None = None,
    symmetry: bool = True,
    progress: Callable[..., None] | None = None,
    engine: str | None = None,
    max_states: int | None = None,
    max_counterexamples: int = 1,
) -> SpecResult:
    """Check a spec with the engine asked for (``engine``, else the spec's; ``auto`` by default).

    ``auto``: a proof (`prove_spec`) for properties the spec expects `proved`; for the others
    exhaustive explicit search when the instance is finite, else BMC to the bound. ``bmc`` or
    ``explicit`` run exactly that engine on every property (a request is never replaced: a
    property expected `proved` then gets that engine's honest verdict). recoverable/eventually
    always need the explicit state graph. ``max_counterexamples`` > 1 asks BMC for more
    shortest counterexamples per property. ``timeout`` (else the spec's) bounds the whole call,
    whatever the model code does (`checker.deadline`): what is not decided by then is UNKNOWN,
    saying what was running."""
    names = properties or spec.properties
    started = time.monotonic()
    limit = time_limit(timeout, spec)
    args = (spec, depth, names, timeout, symmetry, progress, engine, max_states, max_counterexamples)
    try:
        return run_within(limit, _check, *args)
    except BaseException as exc:
        if not is_timeout(exc):
            raise
        return _timed_out(spec, names, engine or spec.engine, limit, exc, started)


def _check(
    dl: Deadline,
    spec: Spec,
    depth: int | None,
    names: list[str],
    timeout: float | None,
    symmetry: bool,
    progress: Callable[..., None] | None,
    engine: str | None,
    max_states: int | None,
    max_counterexamples: int,
) -> SpecResult:
    doing("building the model")
    model = spec.build()
    _check_names(spec, model, names)
    bound = spec.depth if depth is None else depth
    requested = requested_engine(spec, engine, max_states, max_counterexamples)
    started = time.monotonic()
    cap = max_states if max_states is not None else spec.max_states
    # recoverable/eventually need the whole state graph: the explicit engine, whatever the spec's engine
    graph = [n for n in names if model.properties[n].kind in GRAPH_KINDS]
    if graph:
        rest = [n for n in names if n not in graph]
        other = (
            check_spec(spec, depth, rest, timeout, symmetry, progress, requested, max_states, max_counterexamples)
            if rest
            else None
        )
        sr = _with_graph(spec, model, names, graph, other, cap, dl.left(), requested, started)
        sr.requested_engine = requested
        sr.engine_why = (other.engine_why if other else []) + [
            f"{', '.join(graph)}: explicit state graph ({'a ' if len(graph) == 1 else ''}"
            f"{'/'.join(sorted({model.properties[n].kind for n in graph}))} propert{'y' if len(graph) == 1 else 'ies'}"
            ": no other engine checks these)"
        ]
        return sr
    # auto: properties the spec expects to be *proved* get a proof, not a bounded check
    to_prove = [n for n in names if spec.expect.get(n) == "proved"] if requested == "auto" else []
    if to_prove:
        rest = [n for n in names if n not in to_prove]
        sr = prove_spec(spec, to_prove, timeout=dl.left(), coverage=not rest)
        why = [f"{', '.join(to_prove)}: expected proved: a proof (prove, engine auto)"]
        if rest:
            other = check_spec(
                spec, depth, rest, timeout, symmetry, progress, requested, max_states, max_counterexamples
            )
            sr.results = [next(r for r in sr.results + other.results if r.name == n) for n in names]
            sr.depth, sr.engine = other.depth, f"prove + {other.engine}"
            sr.coverage = spec_coverage(sr.results)
            why += other.engine_why
        sr.seconds = time.monotonic() - started
        sr.requested_engine, sr.engine_why = requested, why
        return sr
    choice = choose_engine(model, requested, bound)
    if choice.engine == "explicit":
        doing("the explicit search")
        results = run_explicit(
            model, names, cap, dl.left(), symmetry=symmetry, progress=progress, encoding=choice.encoding
        )
        bound = max((r.extra.get("depth", 0) for r in results), default=0)
    else:
        from .engines.bmc import run_bmc

        doing(f"BMC (bound {bound})")
        results = run_bmc(
            model,
            names,
            bound,
            dl.left(),
            symmetry=symmetry,
            progress=progress,
            coverage=True,
            max_counterexamples=max_counterexamples,
        )
    for r in results:
        r.expected = spec.expect.get(r.name)
    sr = SpecResult(spec, results, time.monotonic() - started, bound, choice.engine, spec_coverage(results))
    sr.requested_engine = requested
    unused = depth is not None and choice.engine == "explicit"
    note = f" (the depth {depth} given is not used: no bound)" if unused else ""
    sr.engine_why = [f"{', '.join(names)}: {choice.why}{note}"]
    return sr


def prove_spec(
    spec: Spec,
    properties: list[str] | None = None,
    engine: str = "auto",
    timeout: float | None = None,
    certificate: str | None = None,
    coverage: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SpecResult:
    """Prove the spec's invariants and action invariants for every reachable state (any
    number of steps, unbounded data where the model leaves it unbounded); its `reachable`
    properties, which no invariant can prove, are looked for by BMC to the spec's bound, then
    (when that finds none) by explicit search, which has no bound; with ``engine="auto"`` the
    same BMC run also looks for shallow violations of the safety properties, and on a spec
    whose engine is ``explicit`` (a finite instance) an exhaustive search comes first: its
    HOLDS is complete for the instance, and only what it leaves open goes to the proof engines. Action coverage
    (with ``coverage``) is BMC's to the spec's bound: a proof says nothing about which actions
    fire. ``timeout`` (else the spec's) bounds the whole call; ``progress(text)`` is told
    each stage."""
    names = properties or spec.properties
    started = time.monotonic()
    limit = time_limit(timeout, spec)
    try:
        return run_within(limit, _prove, spec, names, engine, certificate, coverage, progress or (lambda _: None))
    except BaseException as exc:
        if not is_timeout(exc):
            raise
        return _timed_out(spec, names, f"prove ({engine})", limit, exc, started)


def _prove(
    dl: Deadline,
    spec: Spec,
    names: list[str],
    engine: str,
    certificate: str | None,
    coverage: bool,
    progress: Callable[[str], None],
) -> SpecResult:
    from .engines.bmc import run_bmc
    from .engines.bmc_coverage import bmc_coverage
    from .engines.first_look import first_look
    from .engines.prove import prove
    from .param.compact import add_compact

    doing("building the model")
    model = spec.build()
    _check_names(spec, model, names)
    started = time.monotonic()
    graph = [n for n in names if model.properties[n].kind in GRAPH_KINDS]
    safety = [n for n in names if model.properties[n].kind != "reachable" and n not in graph]
    witnesses = [n for n in names if n not in safety and n not in graph]
    found: list[PropertyResult] = []
    exhaustive_first = engine == "auto" and spec.engine == "explicit" and bool(safety or witnesses)
    if exhaustive_first:
        searched = _explicit_answers(model, safety + witnesses, spec.max_states, dl, progress, "finite instance")
        found += searched
        done = {r.name for r in searched}
        safety = [n for n in safety if n not in done]
        witnesses = [n for n in witnesses if n not in done]
    # A first look, breadth-first over a few hundred states (`checker.engines.first_look`):
    # shortest witnesses and shallow violations in a tenth of a second, before any solver runs. With
    # a named engine the safety properties are left to it (it is honoured).
    record: dict | None = None  # action coverage, when the first look saw every action fire
    looked = [] if exhaustive_first else witnesses + (safety if engine == "auto" else [])
    first_ran = False
    if looked:
        doing("a first breadth-first look")
        progress(f"first look: breadth-first search ({len(looked)} properties)")
        seen, record, first_ran = first_look(model, looked, _share(dl, 1 / 4))
        found += seen
        decided = {r.name for r in seen}
        safety = [n for n in safety if n not in decided]
    open_witnesses = [n for n in witnesses if n not in {r.name for r in found}]
    # Witnesses still open and state graphs next, each with a share of the time: they end (a
    # bound, a finite graph), while a proof engine that cannot prove would take all the time
    # there is. BMC to the spec's bound looks for the witnesses and, when the first look could
    # not run, on the same unrolling for shallow violations of the safety properties.
    ran_bmc = False
    bounded = open_witnesses + (safety if engine == "auto" and not first_ran else [])
    if bounded:
        doing(f"BMC (bound {spec.depth})")
        progress(f"BMC to depth {spec.depth} ({len(bounded)} properties)")
        by_bmc = run_bmc(model, bounded, spec.depth, _share(dl, 1 / 3), coverage=coverage and record is None)
        ran_bmc = True
        if first_ran and record is None:  # (else the results' own records are used, as before)
            record = next((r.extra["coverage"] for r in by_bmc if "coverage" in r.extra), None)
        violated = {r.name for r in by_bmc if r.verdict is Verdict.VIOLATED}
        found += [r for r in by_bmc if r.name in violated]
        safety = [n for n in safety if n not in violated]
        by_bmc = [r for r in by_bmc if r.name in open_witnesses]
        open_ = [r.name for r in by_bmc if r.verdict is Verdict.UNKNOWN]
        more = (
            _explicit_answers(model, open_, spec.max_states, dl, progress, "beyond the BMC bound", 1 / 2)
            if open_
            else []
        )
        better = {r.name: r for r in more}
        found += [better.get(r.name, r) for r in by_bmc]
    if graph:  # a finite instance's state graph: HOLDS for this instance, never PROVED
        doing(f"the state graph for {', '.join(graph)}")
        progress(f"state graph for {', '.join(graph)} (checked exhaustively, not proved)")
        found += _graph_results(model, graph, spec.max_states, _share(dl, 1 / 2 if safety else 1), f"prove ({engine})")
    if safety and dl.expired():  # no time left: do not start (and at once stop) engine processes
        reason = f"{dl.describe()} before the proof engines started"
        found += [PropertyResult(n, model.properties[n].kind, Verdict.UNKNOWN, engine, reason=reason) for n in safety]
    elif safety:
        doing(f"the proof engines ({engine}) on {', '.join(safety)}")
        progress(f"proof engines on {', '.join(safety)}")
        found += prove(model, safety, engine, dl.left(), certificate, progress=progress, bound=spec.depth)
    results = [next(r for r in found if r.name == n) for n in names]
    for r in results:
        r.expected = spec.expect.get(r.name)
    add_compact(model, results)  # a symmetric invariant also as ∀ lines, for the report
    if coverage and record is None and not ran_bmc and not dl.expired():  # no BMC run to reuse: one of its own
        doing("action coverage (BMC)")
        record = bmc_coverage(Encoding(model), spec.depth, dl.at)
    sr = SpecResult(spec, results, time.monotonic() - started, spec.depth, f"prove ({engine})")
    sr.requested_engine = f"prove ({engine})"
    sr.engine_why = [f"{', '.join(safety)}: a proof for every reachable state (prove, engine {engine})"] * bool(safety)
    if witnesses:
        how = "breadth-first search (first look)" + (f", then bmc to depth {spec.depth}" if ran_bmc else "")
        sr.engine_why.append(f"{', '.join(witnesses)}: witnesses looked for by {how}")
    if graph:
        sr.engine_why.append(f"{', '.join(graph)}: explicit state graph of this instance")
    sr.coverage = spec_coverage(results, record) if coverage else None
    return sr


_ANSWERED = (Verdict.VIOLATED, Verdict.HOLDS, Verdict.WITNESSED, Verdict.UNREACHABLE)


def _explicit_answers(
    model: ModelInstance,
    names: list[str],
    cap: int | None,
    dl: Deadline,
    progress: Callable[[str], None],
    why: str,
    share: float = 1.0,
) -> list[PropertyResult]:
    """The explicit engine's conclusive answers for ``names`` (a HOLDS only from an exhaustive
    search); nothing if the instance cannot be searched (e.g. a step the engine cannot run)."""
    from .engines.graph_build import DEFAULT_GRAPH_STATES

    doing(f"the explicit search ({why}) for {', '.join(names)}")

    def tell(depth: int, states: int, pending: list[str], frontier: int, *_: int) -> None:
        progress(f"explicit search, depth {depth}, {states:,} states, open: {', '.join(pending) or '-'}")

    try:
        results = run_explicit(model, names, cap or DEFAULT_GRAPH_STATES, _share(dl, share), progress=tell)
    except ModelError:
        return []  # e.g. a model the explicit engine cannot run: the other engines' answers stand
    kept = [r for r in results if r.verdict in _ANSWERED]
    for r in kept:
        r.engine = "explicit"
        r.reason = f"{r.reason}; explicit search ({why})" if r.reason else f"explicit search ({why})"
    return kept


def _share(dl: Deadline, fraction: float) -> float | None:
    """``fraction`` of the time left (None: no limit)."""
    left = dl.left()
    return None if left is None else max(left * fraction, 0.001)


def _timed_out(
    spec: Spec, names: list[str], engine: str, limit: float | None, exc: BaseException, started: float
) -> SpecResult:
    """Every property UNKNOWN: the deadline stopped the run before any engine could report."""
    reason = timeout_reason(getattr(exc, "deadline", None) or Deadline(limit_of(limit), None, ""), exc)
    decls = spec.model.property_decls()
    results = [
        PropertyResult(n, decls[n].kind if n in decls else "?", Verdict.UNKNOWN, engine, reason=reason) for n in names
    ]
    for r in results:
        r.expected = spec.expect.get(r.name)
        r.seconds = time.monotonic() - started
        r.extra["timeout"] = True
    return SpecResult(spec, results, time.monotonic() - started, spec.depth, engine, spec_coverage(results))


def _graph_results(
    model: ModelInstance, names: list[str], cap: int | None, limit: float | None, engine: str
) -> list[PropertyResult]:
    """recoverable/eventually on the explicit state graph, noting when the spec asked for another engine."""
    from .engines.graph import run_graph

    results = run_graph(model, names, cap, limit)
    for r in results:
        r.extra["requested_engine"] = engine
        if engine not in ("explicit", "auto") and r.verdict is Verdict.HOLDS:
            r.reason += f" (explicit state graph; {engine} does not check {r.kind} properties)"
    return results


def _with_graph(
    spec: Spec,
    model: ModelInstance,
    names: list[str],
    graph: list[str],
    other: SpecResult | None,
    cap: int | None,
    limit: float | None,
    engine: str,
    started: float,
) -> SpecResult:
    """Merge the graph properties' results (explicit engine) with the others' (``other``)."""
    found = _graph_results(model, graph, cap, limit, engine)
    if other is not None:
        found += other.results
    results = [next(r for r in found if r.name == n) for n in names]
    for r in results:
        r.expected = spec.expect.get(r.name)
    depth = other.depth if other else max((r.extra.get("depth", 0) for r in found), default=0)
    label = f"{other.engine} + explicit graph" if other else "explicit graph"
    coverage = other.coverage if other is not None else spec_coverage(results)
    return SpecResult(spec, results, time.monotonic() - started, depth, label, coverage)
