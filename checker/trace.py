"""Traces: labelled sequences of states, and their concrete replay.

A trace is never reported on the solver's word alone. `replay` re-runs the labelled
transitions with the concrete interpretation from the initial state; `Trace.confirm`
then evaluates the property concretely on the replayed states.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import InternalError
from .lang.model import ModelInstance, Transition
from .lang.runtime import CONCRETE, evaluate, fire


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

    def initial_note(self) -> str | None:
        """When the model has several initial states, which one this trace starts from."""
        model = self.model
        if self.kind == "cti" or not model.several_inits or not self.states:
            return None
        n = model.inits.index(self.states[0]) + 1 if self.states[0] in model.init_set else None
        which = f"initial state {n} of {len(model.inits)}" if n else f"one of {len(model.inits)} initial states"
        return f"starts from {which}: step 0 shows which of the model's initial choices"

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


def replay(
    model: ModelInstance, transitions: list[Transition], start: tuple[Any, ...] | None = None
) -> list[tuple[Any, ...]]:
    """Concrete states along ``transitions`` from ``start``, which must be one of the model's
    initial states (left out: the only one); raises if it is not, or if a step is disabled."""
    if start is None:
        if model.several_inits:
            raise InternalError("replay: the model has several initial states and the trace names none")
        start = model.init
    elif start not in model.init_set:
        raise InternalError("replay: the trace's first state is not an initial state of the model")
    states = [start]
    for k, t in enumerate(transitions, start=1):
        nxt = fire(model, t, states[-1])
        if nxt is None:
            raise InternalError(f"replay: step {k} ({t}) is not enabled in the concrete model")
        states.append(nxt)
    return states


def normalize(trace: Trace) -> Trace:
    """The same counterexample with its commuting steps in a canonical order.

    Two adjacent steps commute here when firing them the other way round is possible and
    reaches exactly the same state, without the property failing in between. Swapping them
    gives an equivalent trace (same steps, same outcome, same length), so among the orders a
    solver or a search may return, one is chosen: instances in model order, lower ones first.
    This makes reports stable from run to run, and a race reads in causal order: where a
    delayed write and a delete reach the same broken state either way, the write comes first
    and the delete is seen removing what was just written. For a `recoverable` counterexample
    the states in between must stay good too (stricter than needed: fewer swaps, never a
    wrong one). Witnesses, lassos and CTIs are returned unchanged (their shape carries
    meaning of its own).
    """
    if trace.kind != "violation" or trace.property is None or len(trace.transitions) < 2:
        return trace
    model = trace.model
    prop = model.properties[trace.property]
    rank = {inst.name: n for n, inst in enumerate(model.instances)}
    steps, states = list(trace.transitions), list(trace.states)

    def still_holds(before: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
        if prop.kind == "action_invariant":
            return bool(evaluate(model, CONCRETE, trace.property, before, after))
        return bool(evaluate(model, CONCRETE, trace.property, after))

    changed = True
    while changed:  # bubble sort under the commuting condition: each swap removes one inversion
        changed = False
        for i in range(len(steps) - 1):
            a, b = steps[i], steps[i + 1]
            if (rank[b.instance.name], b.index) >= (rank[a.instance.name], a.index):
                continue
            mid = fire(model, b, states[i])
            if mid is None or not still_holds(states[i], mid):
                continue
            end = fire(model, a, mid)
            if end is None or end != states[i + 2]:
                continue
            if i + 2 < len(steps) and not still_holds(mid, end):
                continue  # the property must still fail only at the end
            if i + 2 == len(steps) and still_holds(mid, end):
                continue  # ... and still fail there (an action invariant is judged across the step)
            steps[i], steps[i + 1], states[i + 1] = b, a, mid
            changed = True
    if steps == trace.transitions:
        return trace
    normal = Trace(
        model, replay(model, steps, trace.states[0]), steps, trace.property, trace.kind, notes=dict(trace.notes)
    )
    normal.confirm()
    return normal
