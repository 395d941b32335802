"""The report-side view of a trace: what every renderer draws, whatever the trace came from.

A live `checker.trace.Trace` (with its model) and an ITF file (ours, Apalache's or Quint's,
without a model) both become a `TraceView`: the states as plain values per variable, who
took each step and with which action, the property and its kind, a lasso's loop index,
and, when the model is at hand, the stale-read explanation and the parts of the property
that failed (`checker.explain`). Values are Python values: ints, bools, strings, lists
(arrays, sequences), tuples (ITF tuples), frozensets (sets) and dicts (maps, records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..explain import Part, StaleRead, explain
from ..trace import Trace
from ..values import order as _order
from ..values import show

#: one value as people write it (`checker.values.show`)
fmt = show

#: the participant that owns the variables no instance owns (foreign ITF)
STATE = "state"


@dataclass
class Participant:
    name: str
    kind: str  # "process" | "store" | "state"
    vars: list[str]
    doc: str = ""


@dataclass
class Step:
    index: int  # 0 is the initial state
    instance: str | None
    action: str  # "init" for state 0
    values: dict[str, Any]
    doc: str = ""  # the action's docstring, first line


@dataclass
class Change:
    var: str  # "plans", "endpoint_plan[0]", "enactor1.pc"
    old: Any
    new: Any
    note: str = ""  # for sets: "+3, −1"


@dataclass
class TraceView:
    steps: list[Step]
    participants: list[Participant]
    owner: dict[str, str]  # variable -> participant name
    prop: str | None = None
    property_kind: str | None = None
    property_doc: str = ""
    kind: str = "violation"  # "violation" | "witness" | "cti" | "lasso"
    loop: int | None = None
    source: str = ""
    replayed: bool = False
    stale: list[StaleRead] = field(default_factory=list)
    failure: list[Part] = field(default_factory=list)
    #: how the explanation was computed, or why there is none
    basis: str = ""
    #: parts of the explanation that could not be computed, and why (`checker.explain.explain`)
    notes: list[str] = field(default_factory=list)
    #: the live trace this view was made from (None when read from a file)
    origin: Trace | None = None
    #: this is counterexample ``number`` of ``of`` to the same property (``--max-counterexamples``)
    number: int = 1
    of: int = 1
    #: variables left out of whole-state displays: arrays of size zero (``[]`` in every state)
    hidden: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.steps) - 1

    @property
    def vars(self) -> list[str]:
        return list(self.steps[0].values) if self.steps else []

    def changes(self, i: int) -> list[Change]:
        """What step ``i`` (>= 1) changed, arrays and maps element by element."""
        return diff(self.steps[i - 1].values, self.steps[i].values)

    def touched(self, i: int) -> list[str]:
        """The participants whose variables step ``i`` changed (in participant order)."""
        names = {self.owner.get(c.var.split("[")[0], STATE) for c in self.changes(i)}
        return [p.name for p in self.participants if p.name in names]

    @property
    def title(self) -> str:
        """``Counterexample to P``; one of several is numbered: ``Counterexample 2 of 3 to P``."""
        noun, link = {
            "witness": ("Witness", "for"),
            "cti": ("Counterexample to induction", "for"),
            "lasso": ("Lasso", "violating"),
        }.get(self.kind, ("Counterexample" if self.kind == "violation" else "Trace", "to"))
        if self.of > 1:
            noun += f" {self.number} of {self.of}"
        return f"{noun} {link} {self.prop}" if self.prop else noun

    def shown(self, values: dict[str, Any]) -> dict[str, Any]:
        """A state without the variables that carry no information (`hidden`)."""
        return {k: v for k, v in values.items() if k not in self.hidden} if self.hidden else values

    @property
    def verdict_sentence(self) -> str:
        n = len(self)
        if self.prop is None:
            return ""
        if self.kind == "witness":
            return f"{self.prop} holds in state {n}."
        if self.kind == "lasso" and self.loop is not None and self.loop >= n:
            return f"{self.prop} never becomes true: in state {n} no action is enabled, so it stays there forever."
        if self.kind == "lasso" and self.loop is not None:
            return (
                f"{self.prop} never becomes true: after step {n} the trace returns to state {self.loop} "
                f"and repeats steps {self.loop + 1}..{n} forever."
            )
        if self.property_kind == "recoverable":
            return (
                f"{self.prop} is false in state {n}, and no state where it holds is reachable from there: "
                "nothing in the model can recover."
            )
        if self.property_kind == "action_invariant":
            return f"{self.prop} is false across step {n}."
        return f"{self.prop} is false in state {n}."

    @property
    def deadlock(self) -> bool:
        """A lasso that stays put: its last state enables nothing (``loop == len``)."""
        return self.kind == "lasso" and self.loop is not None and self.loop >= len(self)

    @property
    def loop_sentence(self) -> str:
        """What happens after the last step of a lasso ("" for other traces)."""
        if self.loop is None:
            return ""
        n = len(self)
        if self.deadlock:
            return f"After step {n} no action is enabled: the trace stays in state {n} forever."
        return f"After step {n} the trace returns to state {self.loop} and repeats steps {self.loop + 1}..{n} forever."

    def phase(self, stale: StaleRead) -> str:
        """Where a lasso's stale read acted: before the cycle (how it got there) or in it ("" otherwise).

        A liveness counterexample is about its cycle, but a stale read in the prefix may be
        what put the system where the cycle cannot recover, so both are shown, labelled.
        """
        if self.loop is None or self.deadlock:
            return ""
        return "in the repeating cycle" if stale.act_step > self.loop else "in the prefix, before the cycle"

    def in_cycle(self, i: int) -> bool:
        """Whether step ``i`` (the transition into state i) is part of a lasso's repeating cycle."""
        return self.loop is not None and i > self.loop


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
            out.extend(Change(f"{name}[{k}]", o, n) for k, (o, n) in enumerate(zip(old, new, strict=True)) if o != n)
        elif isinstance(old, dict) and isinstance(new, dict) and old.keys() == new.keys():
            out.extend(Change(f"{name}[{_key(k)}]", old[k], new[k]) for k in new if old[k] != new[k])
        elif isinstance(old, frozenset) and isinstance(new, frozenset):
            added = [f"+{fmt(v)}" for v in sorted(new - old, key=_order)]
            removed = [f"−{fmt(v)}" for v in sorted(old - new, key=_order)]
            out.append(Change(name, old, new, ", ".join(added + removed)))
        else:
            out.append(Change(name, old, new))
    return out


def _key(k: Any) -> str:
    return fmt(k)


# ---------------------------------------------------------------------------- from a live trace
def _values(trace: Trace, i: int) -> dict[str, Any]:
    values = trace.values(i)
    for var in trace.model.vars:
        if var.shape == "set":  # describe_state lists sets sorted; a report shows them as sets
            values[var.name] = frozenset(values[var.name])
    return values


def from_trace(trace: Trace, source: str = "", explained: bool = True) -> TraceView:
    """The view of a replayed trace; with ``explained``, the stale reads and failing parts too."""
    from ..explain import action_doc

    model = trace.model
    participants = []
    owner: dict[str, str] = {}
    for inst in model.instances:
        kind = "store" if inst.is_store else "process"
        names = [v.name for v in inst.vars.values()]
        doc = (type(inst.component).__doc__ or "").strip().splitlines()
        participants.append(Participant(inst.name, kind, names, doc[0] if doc else ""))
        owner.update(dict.fromkeys(names, inst.name))
    steps = [Step(0, None, "init", _values(trace, 0))]
    for i, t in enumerate(trace.transitions, start=1):
        steps.append(Step(i, t.instance.name, t.label, _values(trace, i), action_doc(t)))
    prop = model.properties.get(trace.property) if trace.property else None
    view = TraceView(
        steps,
        participants,
        owner,
        trace.property,
        prop.kind if prop else None,
        prop.doc if prop else "",
        trace.kind,
        trace.loop,
        source,
        replayed=True,
        origin=trace,
    )
    # a zero-size array (e.g. per-endpoint state a variant switches off) is `[]` in every state
    view.hidden = frozenset(
        v.name for v in model.vars if v.shape == "array" and all(s.values[v.name] == [] for s in steps)
    )
    if explained and trace.kind in ("violation", "lasso"):
        found = explain(trace)
        view.stale, view.failure, view.basis, view.notes = found.stale, found.failure, found.basis, found.notes
    note = trace.initial_note()
    if note:
        view.notes = [note, *view.notes]
    return view
