"""Stale reads of a counterexample: the rules are in `checker.explain`'s docstring; this is them.

Each claim is checked on the trace before it is made: the read/write sets come from
re-running every step concretely (`runtime.observe`), and the counterfactual conditions
(a check that would now fail, a write that ignored a change) re-run one step on a state
with one slot replaced. A condition that cannot be shown (a re-run that raises, say) makes
no claim.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from .lang.model import Transition
from .lang.runtime import Access, observe
from .trace import Trace
from .values import show


@dataclass
class StaleRead:
    reader: str
    var: str
    read_step: int
    read_action: str
    #: True: a stale check (the guard read went stale and was acted on); False: a lost update
    in_guard: bool
    seen: Any  # v's value when the reader read it
    writer: str
    write_step: int
    write_action: str
    written: Any  # v's value after the writer's step
    act_step: int
    act_action: str
    current: Any  # v's value just before the act
    #: a stale check only: the act read v itself (in its body), so it acted on the check, not on the old value
    reread: bool = False
    #: plain sentences, most important first
    sentences: list[str] = field(default_factory=list)
    headline: str = ""


# ---------------------------------------------------------------------------- words
def action_doc(t: Transition) -> str:
    """The first line of an action's docstring, as a lower-case clause without its period."""
    doc = (inspect.getdoc(t.action.fn) or "").strip().splitlines()
    if not doc:
        return ""
    line = doc[0].rstrip(".")
    if len(line) > 1 and line[1].islower():
        line = line[0].lower() + line[1:]
    return line


def what(t: Transition) -> str:
    """``enactor1's `pick` (take the newest plan ...)``.

    Action names are quoted in backticks wherever a sentence uses them: a name is code, not a
    word, so an action called ``check`` or ``read`` does not run into the sentence around it
    (Markdown shows them as code, HTML as ``<code>``, the terminal as they are).
    """
    doc = action_doc(t)
    return f"{t.instance.name}'s {quoted(t.label)}" + (f" ({doc})" if doc else "")


def quoted(name: str) -> str:
    return f"`{name}`"


# ---------------------------------------------------------------------------- the analysis
class _Steps:
    """A trace with each step's accesses, and the facts the rules are made of."""

    def __init__(self, trace: Trace):
        self.trace, self.model, self.states, self.steps = trace, trace.model, trace.states, trace.transitions
        self.acc: list[Access] = [observe(self.model, t, self.states[n]) for n, t in enumerate(self.steps)]
        self.shared = self._shared_slots()

    def _shared_slots(self) -> set[int]:
        """Slots of a store, and slots of an instance that another instance reads or assigns."""
        shared = {s for s, slot in enumerate(self.model.slots) if slot.var.owner.is_store}
        for t, a in zip(self.steps, self.acc, strict=True):
            shared |= {s for s in a.guard | a.body | a.writes if self.model.slots[s].var.owner is not t.instance}
        return shared

    def access(self, t: int) -> Access:
        return self.acc[t - 1]

    def reads(self, t: int) -> frozenset[int]:
        return self.acc[t - 1].guard | self.acc[t - 1].body

    def changes(self, t: int, v: int) -> bool:
        return self.states[t - 1][v] != self.states[t][v]

    def acts(self, t: int) -> bool:
        return bool(self.acc[t - 1].writes & self.shared)

    def rerun(self, t: int, v: int, value: Any) -> Access | None:
        """Step ``t``'s transition re-run on the state before it with ``v`` replaced by ``value``
        (None if the re-run fails: then nothing can be shown with it)."""
        probe = list(self.states[t - 1])
        probe[v] = value
        try:
            return observe(self.model, self.steps[t - 1], tuple(probe))
        except Exception:  # noqa: BLE001 - model code run on a state no trace reached may raise anything
            return None

    def check_fails(self, i: int, v: int, value: Any) -> bool:
        """Step ``i``'s action, re-run with ``v = value``, is disabled (its check would not pass)."""
        again = self.rerun(i, v, value)
        return again is not None and again.next is None

    def act_after(self, i: int, j: int, v: int) -> int | None:
        """Rule W: P's first acting step ``k > j`` in a window from ``i`` that follows from ``i``."""
        p = self.steps[i - 1].instance
        own = {s for s, slot in enumerate(self.model.slots) if slot.var.owner is p} - self.shared
        carried = set(self.access(i).writes & own)  # P's private memory of what step i found
        for t in range(i + 1, len(self.steps) + 1):
            if self.steps[t - 1].instance is not p:
                continue
            reads = self.reads(t)
            if t > j and self.acts(t):
                return t if reads & carried else None
            if v in reads or v in self.access(t).writes:
                return None  # P looked again, or set the value itself: a later window starts there
            if reads & carried:
                carried |= self.access(t).writes & own
        return None


def stale_reads(trace: Trace) -> list[StaleRead]:
    """Every stale check and lost update of ``trace`` (rules in `checker.explain`), by acting step."""
    if not trace.transitions:
        return []
    facts = _Steps(trace)
    found: list[StaleRead] = []
    for i in range(1, len(trace.transitions) + 1):
        a = facts.access(i)
        for v in sorted((a.guard | a.body) - a.writes):  # rule R: a step that assigns v checked and acted at once
            claim = _stale_check(facts, i, v) if v in a.guard else None
            claim = claim or _lost_update(facts, i, v)
            if claim is not None:
                found.append(claim)
    found.sort(key=lambda s: (s.act_step, not s.in_guard, s.read_step))
    return _dedupe(found)


def _others_changes(facts: _Steps, i: int, v: int) -> list[int]:
    p = facts.steps[i - 1].instance
    after = range(i + 1, len(facts.steps) + 1)
    return [j for j in after if facts.steps[j - 1].instance is not p and facts.changes(j, v)]


def _stale_check(facts: _Steps, i: int, v: int) -> StaleRead | None:
    """Rules C1-C5 of `checker.explain`."""
    seen = facts.states[i - 1][v]
    for j in _others_changes(facts, i, v):
        if not facts.check_fails(i, v, facts.states[j][v]):
            continue  # C2: a change the check still accepts
        k = facts.act_after(i, j, v)
        if k is None:
            return None  # C3: no act relied on the check (or P looked again): later changes do not help
        current = facts.states[k - 1][v]
        if current == seen or not facts.check_fails(i, v, current):
            continue  # C4: by the act, the check would pass again
        if v in facts.access(k).guard:
            return None  # C5: the act checked v again itself
        return _describe_check(facts, v, i, j, k, reread=v in facts.access(k).body)
    return None


def _lost_update(facts: _Steps, i: int, v: int) -> StaleRead | None:
    """Rules L1-L5 of `checker.explain`."""
    seen = facts.states[i - 1][v]
    changes = _others_changes(facts, i, v)
    if not changes:
        return None
    j = changes[0]
    k = facts.act_after(i, j, v)
    if k is None or v not in facts.access(k).writes or facts.states[k - 1][v] == seen:
        return None  # L3, L4
    ignored = facts.rerun(k, v, seen)
    if ignored is None or ignored.next is None or v not in ignored.writes or ignored.next[v] != facts.states[k][v]:
        return None  # L5: the write took the current value into account
    return _describe_lost_update(facts, v, i, j, k)


def _base(facts: _Steps, v: int, i: int, j: int, k: int, in_guard: bool) -> StaleRead:
    states, steps = facts.states, facts.steps
    ti, tj, tk = steps[i - 1], steps[j - 1], steps[k - 1]
    return StaleRead(
        ti.instance.name, facts.model.slots[v].name, i, ti.label, in_guard, states[i - 1][v],
        tj.instance.name, j, tj.label, states[j][v], k, tk.label, states[k - 1][v],
    )  # fmt: skip


def _did(facts: _Steps, k: int) -> tuple[str, list[tuple[int, Any, Any]]]:
    """What the act at ``k`` set in shared state, in words, and as (slot, old, new)."""
    states = facts.states
    wrote = [(w, states[k - 1][w], states[k][w]) for w in sorted(facts.access(k).writes & facts.shared)]
    names = facts.model.slots
    did = ", ".join(
        f"{names[w].name} {show(o)} → {show(nw)}" if o != nw else f"{names[w].name} = {show(nw)} (unchanged)"
        for w, o, nw in wrote
    )
    return did, wrote


def _describe_check(facts: _Steps, v: int, i: int, j: int, k: int, reread: bool) -> StaleRead:
    s = _base(facts, v, i, j, k, True)
    s.reread = reread
    ti, tj, tk = facts.steps[i - 1], facts.steps[j - 1], facts.steps[k - 1]
    p, var, before_j = s.reader, s.var, facts.states[j - 1][v]
    on = "the stale check" if reread else "the old value"
    s.headline = (
        f"The check {p} made at step {i} ({quoted(ti.label)}) went stale: it read {var} = {show(s.seen)}, "
        f"{s.writer}'s {quoted(tj.label)} changed {var} to {show(s.written)} at step {j}, "
        f"and {p} acted on {on} at step {k} ({quoted(tk.label)})."
    )
    doc = action_doc(ti)
    ran = f"{quoted(ti.label)}" + (f" ({doc})" if doc else "")
    first = f"At step {i}, {p} ran {ran}: its check read {var} = {show(s.seen)}."
    second = (
        f"At step {j}, {what(tj)} changed {var} from {show(before_j)} to {show(s.written)}: "
        f"{p}'s check would no longer pass, so it went stale."
    )
    did, wrote = _did(facts, k)
    if reread:
        third = (
            f"At step {k}, {p} acted on the stale check: {what(tk)} read {var} = {show(s.current)} itself "
            f"and set {did}; its guard did not look at {var} again."
        )
    else:
        third = f"At step {k}, {p} acted on the old value: {what(tk)} set {did}, without reading {var} again."
    s.sentences = [first, second, third, *_consequences(facts, p, i, k, wrote)]
    return s


def _describe_lost_update(facts: _Steps, v: int, i: int, j: int, k: int) -> StaleRead:
    s = _base(facts, v, i, j, k, False)
    ti, tj, tk = facts.steps[i - 1], facts.steps[j - 1], facts.steps[k - 1]
    p, var, before_j, wrote_v = s.reader, s.var, facts.states[j - 1][v], facts.states[k][v]
    s.headline = (
        f"{p} read {var} = {show(s.seen)} at step {i} ({quoted(ti.label)}), {s.writer}'s {quoted(tj.label)} changed "
        f"it to {show(s.written)} at step {j}, and {p} wrote {var} = {show(wrote_v)} at step {k} ({quoted(tk.label)}) "
        f"without taking that change into account: an update was lost."
    )
    did, wrote = _did(facts, k)
    s.sentences = [
        f"At step {i}, {what(ti)} read {var} = {show(s.seen)}.",
        f"At step {j}, {what(tj)} changed {var} from {show(before_j)} to {show(s.written)}.",
        f"At step {k}, {what(tk)} set {did}: it would have written the same had {var} still been {show(s.seen)}, "
        f"so the change made at step {j} was overwritten.",
        *_consequences(facts, p, i, k, wrote),
    ]
    return s


def _consequences(facts: _Steps, reader: str, i: int, k: int, wrote: list[tuple[int, Any, Any]]) -> list[str]:
    """Rule X of `checker.explain`: another instance removed from a set a value the act wrote."""
    model, states, steps = facts.model, facts.states, facts.steps
    out = []
    for w, _, x in wrote:
        if isinstance(x, frozenset | bool):
            continue
        removals = [
            (m, s)
            for m in range(i + 1, len(steps) + 1)
            if m != k and steps[m - 1].instance.name != reader
            for s, slot in enumerate(model.slots)
            if slot.var.shape == "set" and x in states[m - 1][s] and x not in states[m][s]
        ]
        if not removals:
            continue
        after = [r for r in removals if r[0] > k]
        m, s = after[0] if after else removals[-1]
        tm, wname, sname = steps[m - 1], model.slots[w].name, model.slots[s].name
        if m > k:
            out.append(
                f"Then, at step {m}, {what(tm)} removed {show(x)} from {sname}: "
                f"the value {reader} had just written to {wname}."
            )
        else:
            out.append(
                f"{what(tm)} had already removed {show(x)} from {sname} at step {m}, "
                f"before {reader} wrote it to {wname} at step {k}."
            )
    return out


def _dedupe(found: list[StaleRead]) -> list[StaleRead]:
    """One report per (reader, variable, act): the earliest read that went stale."""
    seen: set[tuple[str, str, int]] = set()
    out = []
    for s in found:
        key = (s.reader, s.var, s.act_step)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


__all__ = ["StaleRead", "action_doc", "quoted", "show", "stale_reads", "what"]
