"""Why a counterexample happened: the check that went stale, and the parts of the property that failed.

Everything here is computed from the model's own code, re-run concretely step by step with
`runtime.observe`, which records which state slots each step reads and assigns. Nothing
depends on a particular model: the sentences are made of instance, action and variable
names and the first line of each action's docstring. An explanation is a claim about the
trace: it is made only when every condition of its rule below holds on the trace, shown
by those records and by re-running single steps; when one cannot be shown, nothing is said
(the failing parts of the property, which are plain facts, still name the steps that last
changed what they read). The stale-read rules are implemented in `checker.stale_reads`.

Facts, for a trace of states ``s0 .. sn`` where step ``t`` (1-based) leads from ``s(t-1)``
to ``st`` and is taken by one instance:

* step ``t`` *reads* slot ``v`` if its action reads it: a *guard read* before the action's
  last `require` (what its enabledness depends on), a *body read* after it. It *assigns*
  ``v`` if it writes it outside any `when` block whose condition is false (a failed
  compare-and-set assigns nothing). It *changes* ``v`` if ``s(t-1)[v] != st[v]``.
* A slot is *shared* if it belongs to a `Store`, or some other instance reads or assigns it
  in the trace; P's other slots are its *private* state. Step ``t`` *acts* if it assigns a
  shared slot.
* *Re-running* step ``t`` *with* ``v = x``: its transition on ``s(t-1)`` with slot ``v``
  replaced by ``x`` (a counterfactual of one step; a re-run that raises shows nothing).
* **W (window).** For a step ``i`` of P, a later step ``k`` of P is *the act after* ``j`` if
  it is P's first acting step after ``j``; no step of P strictly between ``i`` and ``k``
  reads or assigns ``v`` (P looked again, or knows what it set); and ``k`` *follows from*
  ``i`` through P's private state: it reads a private slot that step ``i`` assigned, or
  that a step of P in between assigned after reading such a slot (``pick`` sets ``pc``,
  ``apply`` requires it). An act that reads nothing step ``i`` left behind did not rely on
  it: a store's one-step actions have no window however they interleave.
* **R.** A step that assigns ``v`` is never the read of a claim about ``v``: it checked and
  acted on ``v`` atomically (a compare-and-set, a consuming receive that takes an item).
  What happens to ``v`` afterwards does not make that check stale.

A **stale check** ``(P, v, i, j, k)``; all of:

* C1. step ``i`` is P's, its guard reads ``v`` (seeing ``a = s(i-1)[v]``), and it does not
  assign ``v`` (R);
* C2. step ``j`` is the first step after ``i`` of another instance Q that changes ``v`` to a
  value ``b`` such that step ``i`` re-run with ``v = b`` is disabled: the check would no
  longer pass (a change the check still accepts is not one);
* C3. step ``k`` is the act after ``j`` (W);
* C4. with ``c = s(k-1)[v]``: ``c != a``, and step ``i`` re-run with ``v = c`` is disabled (a
  value that came back, or that the check accepts again, by the time P acts is not stale;
  a later change may then start another window);
* C5. step ``k``'s guard does not read ``v``: an act that checks ``v`` again in its own
  guard did not rely on the earlier check for it (whether its own check is right is
  another matter, and no stale read).

Then "the check P made at step i went stale" when Q changed ``v`` at step ``j``, and P acted
on it at step ``k``. "P acted on *the old value*" is said only if step ``k`` does not read
``v`` at all; if it read ``v`` in its body (a read-modify-write of the current value, a
transaction that reads the record), P acted on *the stale check*, and its guard did not
look at ``v`` again (C5).

A **lost update** ``(P, v, i, j, k)``; all of:

* L1. step ``i`` is P's, reads ``v`` (guard or body; ``a = s(i-1)[v]``) and does not assign it;
* L2. step ``j`` is the first step after ``i`` of another instance Q that changes ``v``;
* L3. step ``k`` is the act after ``j`` (W), and assigns ``v``;
* L4. ``s(k-1)[v] != a``;
* L5. step ``k`` re-run with ``v = a`` is enabled and assigns ``v`` the same value it did:
  the write does not depend on ``v``'s current value, so Q's change is overwritten. A
  read-modify-write that reads ``v`` again (``sys.value = sys.value + 1``) counts the
  change and is no lost update.

A guard read that makes a stale check is not also reported as a lost update; one claim per
(reader, variable, act), the earliest read.

**X (a consequence).** The act at ``k`` wrote a value ``x`` into a slot ``w``, and a step
``m > i`` of an instance other than P removed ``x`` from a set: the act's value is gone from
where it must be (the first such step after ``k``, else the last before it). A fact, added
to a stale read's sentences.

The **failure** of a property is found by evaluating it concretely on the last state (two
for an action invariant) while recording reads: the parts of its outermost `all_of` that
are false (every part of a false `any_of`), each with its bindings, the slots it read, and
the step that last changed each of them. The outermost fold is the one the property
returns, known only when every ``return`` is a direct call of one; otherwise (``a & b``, a
helper's value) the whole property is the one part shown.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .lang import terms
from .lang.frame import Frame
from .lang.runtime import CONCRETE, evaluate_in
from .lang.seqdecl import absent, changed
from .lang.terms import Term
from .stale_reads import StaleRead, action_doc, stale_reads
from .trace import Trace
from .values import show


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
    #: what could not be explained, and why (the report says so instead)
    notes: list[str] = field(default_factory=list)


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


def _truth(value: Any) -> bool:
    """A part's concrete value as a Python bool (a concrete term's raw value is a plain bool)."""
    return bool(_raw(value))


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
                var = model.slots[s].var
                if var.shape == "seq" and absent(var.slots, s, states[n]):
                    continue  # padding beyond a sequence's length: not part of its value
                out[prefixes[n] + model.slots[s].name] = states[n][s]
        return out

    if value:  # e.g. a lasso whose last state satisfies the property: nothing is false here
        return []
    outer = _outer_fold(prop.fn, observer.records)
    if outer is not None and outer.name == "any_of" and any(_truth(p[0]) for p in outer.parts):
        outer = None  # a true any_of is not what made the property false: say only what is certain
    if outer is not None and outer.name == "all_of" and all(_truth(p[0]) for p in outer.parts):
        outer = None
    if outer is None:
        whole = {n: f.reads or [] for n, f in enumerate(frames)}
        parts = [Part(_source(prop.fn) or trace.property, value, {}, reads_of(whole))]
    else:
        texts = _generator_texts(prop.fn)
        listed = _listed_texts(prop.fn, outer.name, len(outer.parts))
        # positions, never `list.index`: parts are terms, and `==` on terms builds a term
        chosen = [(n, p) for n, p in enumerate(outer.parts, start=1) if outer.name != "all_of" or not _truth(p[0])]
        parts = [
            Part(
                (texts.get(code.co_firstlineno, "") if code else listed.get(n, "")) or f"part {n} of {outer.name}",
                _raw(val),
                {k: _raw(b) for k, b in bindings.items()},
                reads_of(reads),
            )
            for n, (val, reads, bindings, code) in chosen
        ]
    for part in parts:
        for name in part.reads:
            bare = name.removeprefix("old.").removeprefix("new.")
            slot = next(s for s, sl in enumerate(model.slots) if sl.name == bare)
            upto = last - 1 if name.startswith("old.") else last
            var = model.slots[slot].var
            t = next((t for t in range(upto, 0, -1) if changed(var, slot, trace.states[t - 1], trace.states[t])), None)
            if t is not None:
                part.last_changed[name] = (t, trace.transitions[t - 1].instance.name, trace.transitions[t - 1].label)
    return parts


def _outer_fold(fn: Any, records: list[_Record]) -> _Record | None:
    """The `all_of`/`any_of` whose value the property returns, or None if that is not certain.

    It is certain when every ``return`` of the property returns a call of one of them
    directly: the arguments of that call are evaluated before it (folds over a list, or
    helpers), so it is the last fold at the top level to start. A property that combines
    folds (``all_of(..) & any_of(..)``) or returns a helper's value has no outer fold here.
    """
    tree = _tree(fn)
    if tree is None:
        return None
    returns = [n.value for n in ast.walk(tree) if isinstance(n, ast.Return)]
    names = {_fold_name(r) for r in returns}
    top = [r for r in records if r.depth == 0]
    if not returns or None in names or not top or top[-1].name not in names:
        return None
    return top[-1]


def _fold_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Call):
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name in ("all_of", "any_of"):
            return name
    return None


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


def _listed_texts(fn: Any, fold: str, count: int) -> dict[int, str]:
    """Part number -> source, when ``fn`` calls ``fold`` exactly once, on a list or tuple of ``count`` items.

    ``all_of([a, b])`` evaluates its items before the call, so they cannot be told apart by
    their code object; the source is certain only when that call is the one call of its kind.
    """
    tree = _tree(fn)
    if tree is None:
        return {}
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) == fold
    ]
    if len(calls) != 1 or len(calls[0].args) != 1 or not isinstance(calls[0].args[0], ast.List | ast.Tuple):
        return {}
    items = calls[0].args[0].elts
    if len(items) != count or any(isinstance(e, ast.Starred) for e in items):
        return {}
    return {n: ast.unparse(e) for n, e in enumerate(items, start=1)}


def _tree(fn: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None


def explain(trace: Trace) -> Explanation:
    """The stale reads and failing parts of ``trace``; never raises.

    The explanation is a report's extra: whatever goes wrong computing it (model code that
    behaves differently when re-run, an unforeseen shape of property) drops that half of the
    explanation with a note in ``basis``, and the verdict and trace are reported as they are.
    """
    notes: list[str] = []
    stale: list[StaleRead] = []
    failure: list[Part] = []
    try:
        stale = stale_reads(trace)
    except Exception as exc:  # noqa: BLE001 - see the docstring: a report must survive its explanation
        notes.append(f"no stale-read explanation: computing it failed ({_brief(exc)})")
    try:
        failure = failing_parts(trace)
    except Exception as exc:  # noqa: BLE001
        notes.append(f"the false parts of the property are not shown: finding them failed ({_brief(exc)})")
    return Explanation(stale, failure, notes=notes)


def _brief(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["Explanation", "Part", "StaleRead", "action_doc", "explain", "failing_parts", "show", "stale_reads"]
