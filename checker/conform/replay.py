"""`raceproof replay`: run a counterexample on the real implementation, step by step.

The trace (ITF, as `raceproof check --itf` writes it) names its model and parameters; its
steps are matched to the model's transitions. Each step is performed on the implementation
through the adapter, and after it the real state is observed and compared, through the
adapter's declared mapping, with the model's state after the same step. The outcome is one of:

- ``reproduced``: the implementation followed the model through every step, and the trace's
  property is violated in the *observed* state (evaluated on the real values, not the model's);
- ``diverged``: at some step the implementation did something the model did not (or the
  reverse): the first such step, with both states;
- ``not reproduced``: the implementation followed the model, and the property holds in the
  real final state (e.g. a fixed variant on the interleaving that broke the original).

Parameters can be overridden (``variant=version_cas``) to run the same interleaving on
another variant; the model is then replayed with those parameters too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..lang.initial import matching_initial
from ..lang.model import ModelInstance, Transition
from ..lang.runtime import CONCRETE, evaluate, fire
from ..registry import load_model
from ..report.itf_input import ItfError, decode, read_itf
from .adapter import AdapterFailure, observed_state
from .session import Observed, Session, running
from .values import fmt

REPRODUCED, DIVERGED, NOT_REPRODUCED = "reproduced", "diverged", "not reproduced"


@dataclass
class ReplayStep:
    index: int
    transition: Transition | None  # None for the initial state
    model_values: dict[str, Any]
    observed: Observed
    fired: bool = True
    detail: str = ""


@dataclass
class ReplayResult:
    trace: str
    model: ModelInstance
    prop: str | None
    kind: str
    steps: list[ReplayStep] = field(default_factory=list)
    outcome: str = NOT_REPRODUCED
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    overridden: dict[str, Any] = field(default_factory=dict)
    mapping: dict[str, str | None] = field(default_factory=dict)


def load_trace(path: str | Path, overrides: dict[str, Any]) -> tuple[ModelInstance, list[Transition], dict[str, Any]]:
    """The model (with ``overrides`` on the trace's parameters) and the trace's steps."""
    data = read_itf(path)
    meta = data.get("#meta") if isinstance(data.get("#meta"), dict) else {}
    ref = meta.get("model_ref")
    if not ref:
        raise ItfError(
            "this ITF names no raceproof model (#meta.model_ref): replay needs the model it came from", str(path)
        )
    cls = load_model(str(ref))
    params = dict(meta.get("params") or {})
    unknown = [k for k in overrides if k not in cls.params()]
    if unknown:
        raise SpecError(f"--param {unknown[0]}: model '{ref}' has no such parameter (it has {', '.join(cls.params())})")
    params |= overrides
    model = cls.build(**params)
    transitions = []
    for n, state in enumerate(data["states"][1:], start=1):
        smeta = state.get("#meta") if isinstance(state, dict) and isinstance(state.get("#meta"), dict) else {}
        process, action = smeta.get("process"), smeta.get("action")
        found = [t for t in model.transitions if t.instance.name == process and t.label == action]
        if len(found) != 1:
            raise ItfError(f"state {n}: the model '{ref}' has no step {process}.{action}", str(path))
        transitions.append(found[0])
    start: tuple[Any, ...] | None = model.init
    if model.several_inits and not overrides:  # the file's state 0 says which initial state
        first = data["states"][0] if data["states"] else {}
        given = {
            name: decode(raw, f"states[0].{name}", str(path))
            for name, raw in (first.items() if isinstance(first, dict) else ())
            if name != "#meta" and name in model.var_by_name
        }
        start = matching_initial(model, given)
        if start is None:
            raise ItfError("state 0 of the file is none of the model's initial states", str(path))
    states = [start]
    for n, t in enumerate(transitions, start=1):
        nxt = fire(model, t, states[-1])
        if nxt is None:
            given = ", ".join(f"{k}={v}" for k, v in overrides.items())
            raise ItfError(
                f"step {n} ({t}) is not possible in the model" + (f" with {given}" if given else ""), str(path)
            )
        states.append(nxt)
    if not overrides:  # the file's states must be the model's: else the trace is not this model's
        for n, (state, mine) in enumerate(zip(data["states"], states, strict=True)):
            values = model.describe_state(mine)
            for name, raw in state.items():
                if name == "#meta" or name not in values:
                    continue
                value = decode(raw, f"states[{n}].{name}", str(path))
                value = sorted(value) if isinstance(value, frozenset) else value
                if value != values[name]:
                    raise ItfError(
                        f"state {n}: '{name}' is {value!r} in the file but {values[name]!r} in the model's replay",
                        str(path),
                    )
    return model, transitions, meta, start


def replay_on(
    path: str | Path, adapter_cls: type, ref: str, options: dict[str, str], overrides: dict[str, Any]
) -> ReplayResult:
    model, transitions, meta, start = load_trace(path, overrides)
    kind = str(meta.get("kind") or "violation")
    if kind not in ("violation", "witness"):
        raise ItfError(f"a {kind} trace cannot be replayed (only violations and witnesses: finite traces)", str(path))
    prop = meta.get("property") if meta.get("property") in model.properties else None
    result = ReplayResult(str(path), model, prop, kind, params=model.param_dict(), overridden=dict(overrides))
    session = Session(model, adapter_cls, ref, options)
    result.mapping = session.mapping
    with running(session):
        session.reset()
        state = start
        seen = session.observe(state)
        result.steps.append(ReplayStep(0, None, model.describe_state(state), seen))
        if not seen.agrees:
            return _diverged(result, 0, seen)
        real_states = [observed_state(model, state, seen.obs, session.mapping)]
        for n, t in enumerate(transitions, start=1):
            outcome = session.step(t)
            state = fire(model, t, state)
            assert state is not None  # checked by load_trace
            seen = session.observe(state)
            result.steps.append(ReplayStep(n, t, model.describe_state(state), seen, outcome.fired, outcome.detail))
            if not outcome.fired:
                result.outcome = DIVERGED
                result.message = (
                    f"diverged at step {n}: the model takes {t} but the implementation did not ({outcome.detail})"
                )
                return result
            if not seen.agrees:
                return _diverged(result, n, seen)
            real_states.append(observed_state(model, state, seen.obs, session.mapping))
        _judge(result, session, real_states)
    return result


def _diverged(result: ReplayResult, n: int, seen: Observed) -> ReplayResult:
    result.outcome = DIVERGED
    parts = [f"{m.var}: model {m.model!r}, implementation {m.real!r}" for m in seen.mismatches] + seen.problems
    where = "in the initial state" if n == 0 else f"at step {n}"
    result.message = f"diverged {where}: " + "; ".join(parts)
    return result


def _judge(result: ReplayResult, session: Session, observed: list[tuple[Any, ...] | None]) -> None:
    """Evaluate the trace's property on the observed states (the real values where mapped)."""
    model, prop, n = result.model, result.prop, len(result.steps) - 1
    if prop is None:
        result.outcome = NOT_REPRODUCED
        result.message = f"the implementation followed the model through all {n} steps (the trace names no property)"
        return
    real: list[tuple[Any, ...]] = []
    for state in observed:
        if state is None:
            raise AdapterFailure("an observation does not fit its model variable's shape")
        real.append(state)
    kind = model.properties[prop].kind
    states = (real[-2:] if len(real) > 1 else [real[-1], real[-1]]) if kind == "action_invariant" else [real[-1]]
    blind = session.unmapped_reads(prop, *states)
    if blind:
        raise AdapterFailure(
            f"property '{prop}' reads {', '.join(blind)}, which the adapter does not observe: "
            "the real state cannot show whether it holds"
        )
    holds = bool(evaluate(model, CONCRETE, prop, *states))
    if holds != (result.kind == "witness"):
        result.outcome = NOT_REPRODUCED
        verdict = "holds" if result.kind == "violation" else "is still false"
        variant = ", ".join(f"{k}={v}" for k, v in result.overridden.items())
        result.message = (
            f"not reproduced: the implementation followed the model through all {n} steps"
            + (f" ({variant})" if variant else "")
            + f", and {prop} {verdict} in the real final state"
        )
        summary = session.summary(result.steps[-1].observed.obs)
        if summary:
            result.message += f": {summary}"
        return
    result.outcome = REPRODUCED
    evidence = session.evidence(prop, result.steps[-1].observed.obs)
    if evidence:
        result.message = f"reproduced: {evidence} after step {n}"
    else:
        what = "holds" if result.kind == "witness" else "is violated"
        values = [model.describe_state(s) for s in states]
        read = []
        for name in session.reads(prop, *states):
            shown = [fmt(v[name]) for v in values]
            read.append(f"{name} {shown[0]} → {shown[1]}" if len(shown) == 2 else f"{name} = {shown[0]}")
        across = f"across step {n}" if kind == "action_invariant" else f"after step {n}"
        result.message = f"reproduced: {prop} {what} in the real states {across} ({'; '.join(read)})"
    if kind == "recoverable":  # replay shows the bad state; that no step leaves it is the model's finding
        result.message += f" (that nothing recovers from it is what the model checker found: {prop})"
