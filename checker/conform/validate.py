"""`raceproof validate`: is a logged run of the implementation a behaviour of the model?

The log is JSON lines, one per step, as the implementation's instrumentation writes it:

    {"action": "apply", "instance": "enactor1", "args": {},
     "before": {"endpoint_plan[0]": 4, "enactor1.plan": 2},
     "after": {"endpoint_plan[0]": 2, "enactor1.cursor": 1}}

``before`` and ``after`` hold the values the step observed, named by model variables (an
array element as ``name[i]``, a set as a list); any variable a line does not name is unknown.
A missing ``instance`` means "some instance". The search (explicit, breadth-first) starts at
the model's initial state and keeps every model state consistent with the events so far:
for each event, the transitions of that action (and instance) that are enabled in a possible
state, agree with ``before`` there and with ``after`` in the successor. The log is a behaviour
of the model if some state survives every event; otherwise the first event that leaves none
is reported, with the states that were possible just before it and why each fails.
Steps are not assumed to happen unlogged, unless named (``--unlogged plan``, at most
``--max-unlogged N`` of them between two events): then the search also takes those steps,
for a component that writes no log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RaceproofError, read_input
from ..lang.model import ModelInstance, Transition, Var
from ..lang.runtime import CONCRETE, evaluate, fire
from ..lang.seqdecl import contents

_INDEXED = re.compile(r"^(?P<name>.+)\[(?P<key>[^\]]+)\]$")


class LogError(RaceproofError):
    """A log line that is not a well-formed event of this model (bad input: exit 2)."""


@dataclass
class Event:
    line: int
    action: str
    instance: str | None
    args: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    transitions: list[Transition] = field(default_factory=list)

    def describe(self) -> str:
        who = self.instance or "some instance"
        args = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{who}.{self.action}" + (f"({args})" if args else "")


@dataclass
class Validation:
    events: int
    consistent: bool
    rejected: Event | None = None
    possible: list[tuple[Any, ...]] = field(default_factory=list)  # the states just before the rejected event
    reasons: list[str] = field(default_factory=list)
    final: list[tuple[Any, ...]] = field(default_factory=list)
    too_many: bool = False
    #: invariants false in every final state that explains the log (the run reached a bad state)
    broken: list[str] = field(default_factory=list)


def _locate(model: ModelInstance, name: str) -> tuple[Var, Any]:
    """A logged name as (variable, element key or None)."""
    if name in model.var_by_name:
        return model.var_by_name[name], None
    m = _INDEXED.match(name)
    if m and m.group("name") in model.var_by_name:
        var = model.var_by_name[m.group("name")]
        raw = m.group("key")
        for key in var.keys:
            if str(key) == raw:
                return var, key
    raise KeyError(name)


def _value(model: ModelInstance, state: tuple[Any, ...], var: Var, key: Any) -> Any:
    if key is not None:
        return state[var.slots[var.keys.index(key)]]
    if var.shape == "set":
        return sorted(state[var.slots.start])
    if var.shape == "array":
        return [state[i] for i in var.slots]
    if var.shape == "seq":
        return contents(var.slots, state)
    if var.shape == "map":
        return {k: state[i] for k, i in zip(var.keys, var.slots, strict=True)}
    return state[var.slots.start]


def _differences(model: ModelInstance, state: tuple[Any, ...], logged: dict[str, Any]) -> list[str]:
    out = []
    for name, value in logged.items():
        var, key = _locate(model, name)
        mine = _value(model, state, var, key)
        theirs = sorted(value) if var.shape == "set" and key is None and isinstance(value, list) else value
        if mine != theirs:
            out.append(f"{name} is {mine!r} in the model, {theirs!r} in the log")
    return out


def read_log(path: str | Path, model: ModelInstance) -> list[Event]:
    text = read_input(path, LogError, "log")
    events = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LogError(f"not a JSON object: {exc.msg}", str(path), n) from None
        if not isinstance(data, dict) or not isinstance(data.get("action"), str):
            raise LogError("an event must be a JSON object with an 'action'", str(path), n)
        instance = data.get("instance")
        args = data.get("args") or {}
        before, after = data.get("before") or {}, data.get("after") or {}
        if not all(isinstance(x, dict) for x in (args, before, after)):
            raise LogError("'args', 'before' and 'after' must be objects", str(path), n)
        for name in [*before, *after]:
            try:
                _locate(model, name)
            except KeyError:
                raise LogError(f"'{name}' is not a variable of model '{model.model.__name__}'", str(path), n) from None
        event = Event(n, data["action"], instance, args, before, after)
        event.transitions = [
            t
            for t in model.transitions
            if t.action.name == event.action
            and (instance is None or t.instance.name == instance)
            and all(str(t.args.get(k)) == str(v) for k, v in args.items())
        ]
        if not event.transitions:
            raise LogError(f"the model has no step {event.describe()}", str(path), n)
        events.append(event)
    if not events:
        raise LogError("the log has no events", str(path))
    return events


def unlogged_steps(model: ModelInstance, names: list[str]) -> list[Transition]:
    """The transitions named ``action`` or ``instance.action``, which may run without a log line."""
    out = []
    for name in names:
        found = [t for t in model.transitions if name in (t.action.name, str(t))]
        if not found:
            raise LogError(f"--unlogged {name}: the model has no such action (e.g. 'plan' or 'planner.plan')")
        out.extend(t for t in found if t not in out)
    return out


def _with_unlogged(
    model: ModelInstance, frontier: set[tuple[Any, ...]], unlogged: list[Transition], most: int, max_states: int
) -> set[tuple[Any, ...]] | None:
    """``frontier`` and every state up to ``most`` unlogged steps away (None: more than ``max_states``)."""
    seen, layer = set(frontier), set(frontier)
    for _ in range(most):
        fresh = set()
        for state in layer:
            for t in unlogged:
                nxt = fire(model, t, state)
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    fresh.add(nxt)
        if len(seen) > max_states:
            return None
        if not fresh:
            break
        layer = fresh
    return seen


def validate(
    model: ModelInstance,
    events: list[Event],
    max_states: int = 100_000,
    unlogged: list[Transition] | None = None,
    max_unlogged: int = 0,
) -> Validation:
    """Search the model executions that explain ``events``; ``unlogged`` transitions may also run,
    at most ``max_unlogged`` of them between two events (e.g. a component that logs nothing)."""
    frontier: set[tuple[Any, ...]] = set(model.inits)  # the log may start from any initial state
    for k, event in enumerate(events):
        if unlogged and max_unlogged:
            widened = _with_unlogged(model, frontier, unlogged, max_unlogged, max_states)
            if widened is None:
                return Validation(k, False, too_many=True)
            frontier = widened
        successors: set[tuple[Any, ...]] = set()
        reasons: list[str] = []
        for state in sorted(frontier, key=repr):
            wrong = _differences(model, state, event.before)
            if wrong:
                reasons.append("before the step: " + "; ".join(wrong))
                continue
            for t in event.transitions:
                nxt = fire(model, t, state)
                if nxt is None:
                    reasons.append(f"{t} is not enabled")
                    continue
                wrong = _differences(model, nxt, event.after)
                if wrong:
                    reasons.append(f"after {t}: " + "; ".join(wrong))
                    continue
                successors.add(nxt)
        if not successors:
            return Validation(k, False, event, sorted(frontier, key=repr), reasons)
        if len(successors) > max_states:
            return Validation(k + 1, False, too_many=True)
        frontier = successors
    final = sorted(frontier, key=repr)
    broken = [
        name
        for name, prop in model.properties.items()
        if prop.kind == "invariant" and not any(evaluate(model, CONCRETE, name, s) for s in final)
    ]
    return Validation(len(events), True, final=final, broken=broken)
