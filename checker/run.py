"""Running a spec: build the model, pick the engine, attach the expectations."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from .coverage import spec_coverage
from .encoding import Encoding
from .engines.bmc import run_bmc
from .engines.bmc_coverage import bmc_coverage
from .engines.explicit import run_explicit
from .engines.graph import run_graph
from .engines.prove import prove
from .errors import SpecError
from .model import GRAPH_KINDS, ModelInstance
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


@dataclass
class EngineChoice:
    engine: str  # "explicit" or "bmc"
    why: str


def unbounded_state(model: ModelInstance, encoding: Encoding | None = None) -> list[str]:
    """The state variables (slots) that make the instance infinite: an unbounded sort that
    some action writes. Decided from the model's sorts and its actions' writes (a slot no
    action writes keeps its initial value), never from the spec: an empty list means every
    reachable state is drawn from finitely many, so breadth-first search ends."""
    unbounded = [i for i, slot in enumerate(model.slots) if not getattr(slot.sort, "finite", True)]
    if not unbounded:
        return []
    enc = encoding or Encoding(model)

    def written(i: int) -> bool:
        cur = enc.x[i]
        for _, step in enc.fired:
            nxt = step.next[i]
            if isinstance(cur, tuple):  # an unbounded int set held as an interval: (lo, hi)
                if not all(z3.eq(a, b) for a, b in zip(nxt, cur, strict=True)):
                    return True
            elif not z3.eq(nxt, cur):
                return True
        return False

    return [f"{model.slots[i].name} ({model.slots[i].sort.describe()})" for i in unbounded if written(i)]


def choose_engine(model: ModelInstance, requested: str, depth: int) -> EngineChoice:
    """The engine for properties that are not proved and not graph properties.

    ``auto``: exhaustive explicit search when the instance is finite (a complete answer,
    shortest traces, and fast on deep traces), BMC to ``depth`` when it is not. A requested
    engine is run as asked, with a note where it cannot give a complete answer."""
    if requested == "bmc":
        return EngineChoice("bmc", f"bmc (requested): behaviours of up to {depth} steps (a bounded answer)")
    infinite = unbounded_state(model)
    shown = ", ".join(infinite[:3]) + (f" and {len(infinite) - 3} more" if len(infinite) > 3 else "")
    if requested == "explicit":
        if infinite:
            return EngineChoice(
                "explicit", f"explicit (requested): unbounded state {shown}; the search ends only if finitely "
                "many states are reachable (else at max_states or the timeout, inconclusive)"
            )  # fmt: skip
        return EngineChoice("explicit", "explicit (requested): exhaustive search of this finite instance")
    if infinite:
        return EngineChoice("bmc", f"bmc (auto): unbounded state {shown}; behaviours of up to {depth} steps")
    return EngineChoice("explicit", "explicit (auto): every state variable is bounded: exhaustive search")


def _check_names(spec: Spec, model: ModelInstance, names: list[str]) -> None:
    for name in names:
        if name not in model.properties:
            known = ", ".join(model.properties)
            raise SpecError(
                f"unknown property '{name}' (this model has: {known})", str(spec.path), spec.line("", "model")
            )


def requested_engine(spec: Spec, engine: str | None, max_states: int | None, max_counterexamples: int = 1) -> str:
    """The engine asked for: ``engine`` (the command line's), else the one an engine-specific
    option implies on a spec whose engine is auto (``--max-states``: an explicit search;
    ``--max-counterexamples`` N > 1: BMC), else the spec's."""
    if engine is not None:
        return engine
    if spec.engine == "auto" and max_states is not None:
        return "explicit"
    if spec.engine == "auto" and max_counterexamples > 1:
        return "bmc"
    return spec.engine


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
    shortest counterexamples per property."""
    names = properties or spec.properties
    model = spec.build()
    _check_names(spec, model, names)
    bound = spec.depth if depth is None else depth
    requested = requested_engine(spec, engine, max_states, max_counterexamples)
    limit = time_limit(timeout, spec)
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
        sr = _with_graph(spec, model, names, graph, other, cap, limit, requested, started)
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
        sr = prove_spec(spec, to_prove, timeout=timeout, coverage=not rest)
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
        results = run_explicit(model, names, cap, limit, symmetry=symmetry, progress=progress)
        bound = max((r.extra.get("depth", 0) for r in results), default=0)
    else:
        results = run_bmc(
            model,
            names,
            bound,
            limit,
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
) -> SpecResult:
    """Prove the spec's invariants and action invariants for every reachable state (any
    number of steps, unbounded data where the model leaves it unbounded); its `reachable`
    properties, which no invariant can prove, are looked for by BMC to the spec's bound.
    Action coverage (with ``coverage``) is BMC's to the spec's bound: a proof says nothing
    about which actions fire."""
    model = spec.build()
    names = properties or spec.properties
    _check_names(spec, model, names)
    started = time.monotonic()
    graph = [n for n in names if model.properties[n].kind in GRAPH_KINDS]
    safety = [n for n in names if model.properties[n].kind != "reachable" and n not in graph]
    witnesses = [n for n in names if n not in safety and n not in graph]
    limit = time_limit(timeout, spec)
    found = prove(model, safety, engine, limit, certificate) if safety else []
    if witnesses:
        found += run_bmc(model, witnesses, spec.depth, limit, coverage=coverage)
    if graph:  # a finite instance's state graph: HOLDS for this instance, never PROVED
        found += _graph_results(model, graph, spec.max_states, limit, f"prove ({engine})")
    results = [next(r for r in found if r.name == n) for n in names]
    for r in results:
        r.expected = spec.expect.get(r.name)
    record = None
    if coverage and not witnesses:  # no BMC run to reuse: a cheap one of its own
        record = bmc_coverage(Encoding(model), spec.depth, started + limit if limit else None)
    sr = SpecResult(spec, results, time.monotonic() - started, spec.depth, f"prove ({engine})")
    sr.requested_engine = f"prove ({engine})"
    sr.engine_why = [f"{', '.join(safety)}: a proof for every reachable state (prove, engine {engine})"] * bool(safety)
    if witnesses:
        sr.engine_why.append(f"{', '.join(witnesses)}: witnesses looked for by bmc to depth {spec.depth}")
    if graph:
        sr.engine_why.append(f"{', '.join(graph)}: explicit state graph of this instance")
    sr.coverage = spec_coverage(results, record) if coverage else None
    return sr


def _graph_results(
    model: ModelInstance, names: list[str], cap: int | None, limit: float | None, engine: str
) -> list[PropertyResult]:
    """recoverable/eventually on the explicit state graph, noting when the spec asked for another engine."""
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
