"""Traces: labelled sequences of states, and their concrete replay.

A trace is never reported on the solver's word alone. `replay` re-runs the labelled
transitions with the concrete interpretation from the initial state; `Trace.confirm`
then evaluates the property concretely on the replayed states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import InternalError
from .model import ModelInstance, Transition
from .runtime import CONCRETE, evaluate, fire


@dataclass
class Change:
    var: str
    old: Any
    new: Any


@dataclass
class Trace:
    model: ModelInstance
    states: list[tuple[Any, ...]]
    transitions: list[Transition]
    property: str | None = None
    kind: str = "violation"  # "violation" | "witness" | "cti" | "lasso"
    notes: dict[str, Any] = field(default_factory=dict)
    #: a lasso's cycle: after the last state the trace returns to ``states[loop]`` and repeats
    #: ``transitions[loop:]`` forever (for ``eventually``); None for a finite trace
    loop: int | None = None

    def __len__(self) -> int:
        """The number of steps."""
        return len(self.transitions)

    def values(self, i: int) -> dict[str, Any]:
        return self.model.describe_state(self.states[i])

    def changes(self, i: int) -> list[Change]:
        """What step ``i`` (1-based: the transition into state i) changed."""
        before, after = self.values(i - 1), self.values(i)
        out = []
        for name, new in after.items():
            old = before[name]
            if old == new:
                continue
            var = self.model.var_by_name[name]
            if var.shape == "array":
                out.extend(
                    Change(f"{name}[{k}]", o, n) for k, (o, n) in enumerate(zip(old, new, strict=True)) if o != n
                )
            elif var.shape == "map":
                out.extend(Change(f"{name}[{k}]", old[k], new[k]) for k in new if old[k] != new[k])
            else:
                out.append(Change(name, old, new))
        return out

    def confirm(self) -> None:
        """Check concretely that the trace shows what it claims, else raise InternalError."""
        if self.property is None:
            return
        prop = self.model.properties[self.property]
        last = self.states[-1]
        if prop.kind == "action_invariant":
            if len(self.states) < 2:
                raise InternalError(f"counterexample to '{self.property}' has no step")
            holds = evaluate(self.model, CONCRETE, self.property, self.states[-2], last)
        else:
            holds = evaluate(self.model, CONCRETE, self.property, last)
        expected = prop.kind == "reachable"
        if bool(holds) != expected:
            what = "witness of" if expected else "counterexample to"
            raise InternalError(f"the {what} '{self.property}' does not hold up under concrete replay")


def replay(model: ModelInstance, transitions: list[Transition]) -> list[tuple[Any, ...]]:
    """Concrete states along ``transitions`` from the initial state; raises if one is disabled."""
    states = [model.init]
    for k, t in enumerate(transitions, start=1):
        nxt = fire(model, t, states[-1])
        if nxt is None:
            raise InternalError(f"replay: step {k} ({t}) is not enabled in the concrete model")
        states.append(nxt)
    return states
