"""Running a spec: build the model, pick the engine, attach the expectations."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    """Check a spec with its engine (or ``engine``): ``bmc`` to the bound, or ``explicit``
    (exhaustive breadth-first search of a finite instance, up to ``max_states``).
    ``max_counterexamples`` > 1 asks BMC for more shortest counterexamples per property."""
    names = properties or spec.properties
    model = spec.build()
    _check_names(spec, model, names)
    bound = spec.depth if depth is None else depth
    engine = engine or spec.engine
    limit = time_limit(timeout, spec)
    started = time.monotonic()
    cap = max_states if max_states is not None else spec.max_states
    # recoverable/eventually need the whole state graph: the explicit engine, whatever the spec's engine
    graph = [n for n in names if model.properties[n].kind in GRAPH_KINDS]
    if graph:
        rest = [n for n in names if n not in graph]
        other = (
            check_spec(spec, depth, rest, timeout, symmetry, progress, engine, max_states, max_counterexamples)
            if rest
            else None
        )
        return _with_graph(spec, model, names, graph, other, cap, limit, engine, started)
    # Properties the spec expects to be *proved* get a proof, not a bounded check.
    to_prove = [n for n in names if spec.expect.get(n) == "proved"]
    if to_prove:
        rest = [n for n in names if n not in to_prove]
        sr = prove_spec(spec, to_prove, timeout=timeout, coverage=not rest)
        if rest:
            other = check_spec(spec, depth, rest, timeout, symmetry, progress, engine, max_states, max_counterexamples)
            sr.results = [next(r for r in sr.results + other.results if r.name == n) for n in names]
            sr.depth, sr.engine = other.depth, f"prove + {other.engine}"
            sr.coverage = spec_coverage(sr.results)
        sr.seconds = time.monotonic() - started
        return sr
    if engine == "explicit":
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
    return SpecResult(spec, results, time.monotonic() - started, bound, engine, spec_coverage(results))


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
    sr.coverage = spec_coverage(results, record) if coverage else None
    return sr


def _graph_results(
    model: ModelInstance, names: list[str], cap: int | None, limit: float | None, engine: str
) -> list[PropertyResult]:
    """recoverable/eventually on the explicit state graph, noting when the spec asked for another engine."""
    results = run_graph(model, names, cap, limit)
    for r in results:
        r.extra["requested_engine"] = engine
        if engine != "explicit" and r.verdict is Verdict.HOLDS:
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
