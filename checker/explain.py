"""Why a counterexample happened: the check that went stale, and the parts of the property that failed.

Everything here is computed from the model's own code, re-run concretely step by step with
`runtime.observe`, which records which state slots each step reads and assigns. Nothing
depends on a particular model: the sentences are made of instance, action and variable
names and the first line of each action's docstring.

Definitions, for a trace of states ``s0 .. sn`` where step ``t`` (1-based) leads from
``s(t-1)`` to ``st`` and is taken by one instance:

* step ``t`` *reads* slot ``v`` if its action reads it. A *guard read* happens before the
  action's last `require` (the check the step depends on); a *body read* after it.
* step ``t`` *changes* ``v`` if ``v`` differs between ``s(t-1)`` and ``st``.
* step ``t`` *acts* if it assigns a *shared* slot: a slot of a `Store`, or a slot of an
  instance that some other instance reads somewhere in the trace. An assignment inside a
  `when` block whose condition is false is no assignment (a failed compare-and-swap does
  not act).

A **stale read** is ``(P, v, i, j, k)`` with ``i < j < k`` where

1. step ``i`` is P's and reads ``v``, seeing the value ``a = v in s(i-1)``;
2. step ``j`` is the first step after ``i`` of another instance Q that changes ``v``;
3. step ``k`` is P's first acting step after ``j``; no step of P strictly between ``i`` and
   ``k`` reads ``v`` again or assigns it (P looked again, or knows the value it set); and
   ``k`` *follows from* ``i`` through P's private state (P's slots that are not shared): it
   reads such a slot that step ``i`` assigned, or that a step of P in between assigned after
   reading such a slot (``pick`` sets ``pc``, ``apply`` requires it). Then P acted on what it
   saw at ``i`` ("acted on the old value"). An act that does not look at what step ``i`` left
   behind relied on no earlier check: an instance without private state (a store, say),
   whose actions each check and act in one step, has no window however its steps interleave;
4. ``v``'s value just before ``k`` is not ``a`` (a value that came back is not stale);
5. for a guard read, the check really went stale: P's action of step ``i``, re-run on
   ``s(i-1)`` with ``v`` replaced by its value in ``s(k-1)``, is disabled. A change the check
   would still accept is not reported. For a body read (a value copied into P's state, as
   in a read-modify-write), the act at ``k`` must assign ``v`` itself: P writes back over
   the newer value (a lost update); a body read used only inside its own step is not one.

Reads by step ``k`` itself do not undo the window: they are the act's own business (the
guard decided earlier). A step whose write depends on a fresh read is conditional: when
the condition fails it assigns nothing and does not act.

A **consequence** of a stale read: the act at ``k`` wrote a value ``x`` into a slot ``w``,
and a step ``m`` (``m > i``) of an instance other than P removed ``x`` from a set: the
act's value is gone from where it must be (the first such step after ``k``, else the last
before it).

The **failure** of a property is found by evaluating it concretely on the last state (two
for an action invariant) while recording reads: the parts of its outermost `all_of` that
are false (every part of an `any_of`), each with its bindings and the slots it read.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import terms
from .model import ModelInstance, Transition
from .runtime import CONCRETE, Access, Frame, evaluate_in, observe
from .terms import Term
from .trace import Trace
from .values import show


@dataclass
class StaleRead:
    reader: str
    var: str
    read_step: int
    read_action: str
    in_guard: bool
    seen: Any
    writer: str
    write_step: int
    write_action: str
    written: Any  # v's value after the writer's step
    act_step: int
    act_action: str
    current: Any  # v's value just before the act
    #: plain sentences, most important first
    sentences: list[str] = field(default_factory=list)
    headline: str = ""


@dataclass
class Part:
    """One part of the failing property: its source, loop bindings, value, and the slots it read."""

    text: str
    value: Any
    bindings: dict[str, Any]
    reads: dict[str, Any]
    #: slot name -> (step, instance, action) of the last step that changed it
    last_changed: dict[str, tuple[int, str, str]] = field(default_factory=dict)


@dataclass
class Explanation:
    stale: list[StaleRead]
    failure: list[Part]
    basis: str = "read/write sets of each step, from re-running the model's actions"


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


def _what(t: Transition) -> str:
    """``enactor1's `pick` (take the newest plan ...)``.

    Action names are quoted in backticks wherever a sentence uses them: a name is code, not a
    word, so an action called ``check`` or ``read`` does not run into the sentence around it
    (Markdown shows them as code, HTML as ``<code>``, the terminal as they are).
    """
    doc = action_doc(t)
    return f"{t.instance.name}'s {_q(t.label)}" + (f" ({doc})" if doc else "")


def _q(name: str) -> str:
    return f"`{name}`"


# ---------------------------------------------------------------------------- stale reads
def _accesses(trace: Trace) -> list[Access]:
    """Per step (index t-1 for step t), what it read and assigned, re-run concretely."""
    return [observe(trace.model, t, trace.states[n]) for n, t in enumerate(trace.transitions)]


def _shared_slots(model: ModelInstance, trace: Trace, acc: list[Access]) -> set[int]:
    shared = {s for s, slot in enumerate(model.slots) if slot.var.owner.is_store}
    for t, a in zip(trace.transitions, acc, strict=True):
        for s in a.guard | a.body:
            if model.slots[s].var.owner is not t.instance:
                shared.add(s)
    return shared


def stale_reads(trace: Trace) -> list[StaleRead]:
    """Every stale read of ``trace`` (see the module docstring), in order of the acting step."""
    model, states, steps = trace.model, trace.states, trace.transitions
    if not steps:
        return []
    acc = _accesses(trace)
    shared = _shared_slots(model, trace, acc)
    found: list[StaleRead] = []
    n = len(steps)
    for i in range(1, n + 1):
        p = steps[i - 1].instance
        for v in sorted(acc[i - 1].guard | acc[i - 1].body):
            in_guard = v in acc[i - 1].guard
            seen = states[i - 1][v]
            j = next((j for j in range(i + 1, n + 1) if steps[j - 1].instance is not p and _changes(trace, j, v)), None)
            if j is None:
                continue
            k = _act_after(trace, acc, shared, p, v, i, j)
            if k is None or states[k - 1][v] == seen:
                continue
            if in_guard and not _check_went_stale(model, steps[i - 1], states[i - 1], v, states[k - 1][v]):
                continue
            if not in_guard and v not in acc[k - 1].writes:
                continue  # a copied value matters where P writes it back over the newer one
            found.append(_describe(trace, acc, shared, p.name, v, i, j, k, in_guard))
    found.sort(key=lambda s: (s.act_step, not s.in_guard, s.read_step))
    return _dedupe(found)


def _changes(trace: Trace, t: int, slot: int) -> bool:
    return trace.states[t - 1][slot] != trace.states[t][slot]


def _act_after(trace: Trace, acc: list[Access], shared: set[int], p: Any, v: int, i: int, j: int) -> int | None:
    """P's first acting step after ``j`` that follows from step ``i``, if P does not read or set ``v`` before it.

    "Follows from" (rule 3 of the module docstring): what step ``i`` saw reaches the act only
    through P's private state (a program counter, a copied value: P's slots no other instance
    touches; a shared slot is a fact anyone may update, not P's memory of its check).
    ``carried`` holds the private slots assigned by step ``i`` and by P's later steps that read
    such a slot; an act that reads none of them did not rely on step ``i``'s check: that check
    was used up in its own step.
    """
    own = {s for s, slot in enumerate(trace.model.slots) if slot.var.owner is p} - shared  # P's private memory
    carried = set(acc[i - 1].writes & own)
    for t in range(i + 1, len(trace.transitions) + 1):
        if trace.transitions[t - 1].instance is not p:
            continue
        a = acc[t - 1]
        reads = a.guard | a.body
        if t > j and a.writes & shared:
            return t if reads & carried else None
        if v in reads or v in a.writes:
            return None  # P looked again, or set the value itself: a later window starts here
        if reads & carried:
            carried |= a.writes & own
    return None


def _check_went_stale(model: ModelInstance, t: Transition, before: tuple[Any, ...], v: int, now: Any) -> bool:
    probe = list(before)
    probe[v] = now
    return observe(model, t, tuple(probe)).next is None


def _describe(
    trace: Trace, acc: list[Access], shared: set[int], reader: str, v: int, i: int, j: int, k: int, in_guard: bool
) -> StaleRead:
    model, states, steps = trace.model, trace.states, trace.transitions
    var = model.slots[v].name
    ti, tj, tk = steps[i - 1], steps[j - 1], steps[k - 1]
    seen, written, current = states[i - 1][v], states[j][v], states[k - 1][v]
    writer = tj.instance.name
    s = StaleRead(reader, var, i, ti.label, in_guard, seen, writer, j, tj.label, written, k, tk.label, current)
    if in_guard:
        s.headline = (
            f"The check {reader} made at step {i} ({_q(ti.label)}) went stale: it read {var} = {show(seen)}, "
            f"{writer}'s {_q(tj.label)} changed {var} to {show(written)} at step {j}, "
            f"and {reader} acted on the old value at step {k} ({_q(tk.label)})."
        )
        doc = action_doc(ti)
        first = (
            f"At step {i}, {reader} ran {_q(ti.label)}"
            + (f" ({doc})" if doc else "")
            + f": its check read {var} = {show(seen)}."
        )
        second = (
            f"At step {j}, {_what(tj)} changed {var} from {show(seen)} to {show(written)}: "
            f"{reader}'s check would no longer pass, so it went stale."
        )
    else:
        s.headline = (
            f"{reader} read {var} = {show(seen)} at step {i} ({_q(ti.label)}), {writer}'s {_q(tj.label)} changed "
            f"it to {show(written)} at step {j}, and {reader} acted on the old value at step {k} ({_q(tk.label)})."
        )
        first = f"At step {i}, {_what(ti)} read {var} = {show(seen)}."
        second = (
            f"At step {j}, {_what(tj)} changed {var} from {show(seen)} to {show(written)}: "
            f"the value {reader} had read was out of date."
        )
    wrote = [(w, states[k - 1][w], states[k][w]) for w in sorted(acc[k - 1].writes & shared)]
    did = ", ".join(
        f"{model.slots[w].name} {show(o)} → {show(nw)}"
        if o != nw
        else f"{model.slots[w].name} = {show(nw)} (unchanged)"
        for w, o, nw in wrote
    )
    third = f"At step {k}, {reader} acted on the old value: {_what(tk)} set {did}."
    s.sentences = [first, second, third, *_consequences(trace, reader, i, k, wrote)]
    return s


def _consequences(trace: Trace, reader: str, i: int, k: int, wrote: list[tuple[int, Any, Any]]) -> list[str]:
    """Another instance removed from a set a value the act wrote (see the module docstring)."""
    model, states, steps = trace.model, trace.states, trace.transitions
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
                f"Then, at step {m}, {_what(tm)} removed {show(x)} from {sname}: "
                f"the value {reader} had just written to {wname}."
            )
        else:
            out.append(
                f"{_what(tm)} had already removed {show(x)} from {sname} at step {m}, "
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


# ---------------------------------------------------------------------------- the failing property
@dataclass
class _Record:
    name: str
    depth: int
    parts: list[tuple[Any, dict[int, list[int]], dict[str, Any], Any]]  # value, reads per frame, bindings, code


class _FoldObserver:
    """Collects each all_of/any_of's parts one at a time, noting what each part read."""

    def __init__(self, frames: list[Frame]):
        self.frames = frames
        self.depth = 0
        self.records: list[_Record] = []

    def __call__(self, name: str, iterable: Iterable[Any]) -> tuple[Any, ...]:
        record = _Record(name, self.depth, [])
        self.records.append(record)
        self.depth += 1
        try:
            it = iter(iterable)
            while True:
                marks = [len(f.reads or []) for f in self.frames]
                try:
                    value = next(it)
                except StopIteration:
                    break
                reads = {n: (f.reads or [])[marks[n] :] for n, f in enumerate(self.frames)}
                bindings, code = {}, None
                if isinstance(iterable, types.GeneratorType) and iterable.gi_frame is not None:
                    code = iterable.gi_code
                    bindings = {
                        k: b for k, b in iterable.gi_frame.f_locals.items() if not k.startswith(".") and _plain(b)
                    }
                record.parts.append((value, reads, bindings, code))
        finally:
            self.depth -= 1
        return tuple(p[0] for p in record.parts)


def _plain(value: Any) -> bool:
    return isinstance(value, Term | int | str | bool)


def _raw(value: Any) -> Any:
    return value.raw if isinstance(value, Term) else value


def failing_parts(trace: Trace) -> list[Part]:
    """The parts of the violated property that are false in the last state (see the module docstring)."""
    if trace.property is None or trace.kind not in ("violation", "lasso"):
        return []
    model = trace.model
    prop = model.properties[trace.property]
    states = trace.states[-2:] if prop.kind == "action_invariant" else trace.states[-1:]
    if prop.kind == "action_invariant" and len(states) < 2:
        return []
    frames = [Frame(model, CONCRETE, list(s), writable=False, reads=[]) for s in states]
    observer = _FoldObserver(frames)
    terms.FOLD_OBSERVER = observer
    try:
        value = _raw(evaluate_in(model, trace.property, frames))
    finally:
        terms.FOLD_OBSERVER = None
    prefixes = ["old.", "new."] if len(frames) == 2 else [""]
    last = len(trace.states) - 1

    def reads_of(per_frame: dict[int, list[int]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for n, slots in per_frame.items():
            for s in dict.fromkeys(slots):
                out[prefixes[n] + model.slots[s].name] = states[n][s]
        return out

    if value:  # e.g. a lasso whose last state satisfies the property: nothing is false here
        return []
    outer = next((r for r in observer.records if r.depth == 0), None)
    if outer is None:
        whole = {n: f.reads or [] for n, f in enumerate(frames)}
        parts = [Part(_source(prop.fn) or trace.property, value, {}, reads_of(whole))]
    else:
        texts = _generator_texts(prop.fn)
        chosen = [p for p in outer.parts if not _raw(p[0])] if outer.name == "all_of" else outer.parts
        parts = [
            Part(
                texts.get(code.co_firstlineno, "") if code else f"part {outer.parts.index(p) + 1} of {outer.name}",
                _raw(val),
                {k: _raw(b) for k, b in bindings.items()},
                reads_of(reads),
            )
            for p in chosen
            for val, reads, bindings, code in [p]
        ]
    for part in parts:
        for name in part.reads:
            bare = name.removeprefix("old.").removeprefix("new.")
            slot = next(s for s, sl in enumerate(model.slots) if sl.name == bare)
            upto = last - 1 if name.startswith("old.") else last
            t = next((t for t in range(upto, 0, -1) if _changes(trace, t, slot)), None)
            if t is not None:
                part.last_changed[name] = (t, trace.transitions[t - 1].instance.name, trace.transitions[t - 1].label)
    return parts


def _source(fn: Any) -> str:
    """The expression a one-line property returns, e.g. ``sys.value == sys.params.procs``."""
    tree = _tree(fn)
    returns = [n for n in ast.walk(tree) if isinstance(n, ast.Return) and n.value is not None] if tree else []
    return ast.unparse(returns[0].value) if len(returns) == 1 else ""  # type: ignore[arg-type]


def _generator_texts(fn: Any) -> dict[int, str]:
    """First line of each generator expression in ``fn`` -> the source of its element."""
    tree = _tree(fn)
    if tree is None:
        return {}
    first = fn.__code__.co_firstlineno
    out: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.GeneratorExp):
            out.setdefault(first + node.lineno - 1, ast.unparse(node.elt))
    return out


def _tree(fn: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None


def explain(trace: Trace) -> Explanation:
    return Explanation(stale_reads(trace), failing_parts(trace))
