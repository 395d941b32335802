"""Running model code: one action, or one property, under one interpretation.

The model-facing guards (`require`, `when`) and the entry points that run an action or a
property (`fire`, `fire_symbolic`, `observe`, `evaluate`). One execution is a `Frame`
(`checker.lang.frame`); what model code sees as ``self`` and ``sys`` are the views of
`checker.lang.views` and `checker.lang.containers`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import z3

from ..errors import ModelError, RaceproofError, error_at_caller, model_frame, model_location_from_traceback
from .containers import ArrayView, SetView
from .frame import Disabled, Frame, RangeCheck, _running, current_frame
from .interp import Concrete, Interp, Symbolic
from .model import ModelInstance, Transition
from .terms import Term
from .views import InstanceView, SystemView


# ---------------------------------------------------------------------------- model-facing API
def require(cond: Any) -> None:
    """The action can fire only if ``cond`` holds (in the state as the action has made it)."""
    frame = current_frame("require(...)")
    if not frame.writable:  # a property: a guard there would be silently ignored symbolically
        raise error_at_caller(
            ModelError, "require(...) is for actions; a property returns a bool (use implies(cond, ...))"
        )
    if isinstance(cond, Term):
        if cond.kind != "bool":
            raise error_at_caller(ModelError, "require(...) needs a boolean condition")
        raw = cond.raw
    elif isinstance(cond, bool):
        raw = frame.interp.const(cond)
    else:
        raise error_at_caller(ModelError, f"require(...) needs a boolean condition, got {cond!r}")
    if frame.conds:
        raw = frame.interp.or_([frame.interp.not_(frame._cond()), raw])
    if frame.reads is not None:
        frame.guard_mark = len(frame.reads)
    if isinstance(frame.interp, Concrete):
        if not raw:
            raise Disabled
    elif z3.is_false(raw):
        raise Disabled  # statically false (e.g. a parameter): prune the transition
    else:
        frame.guards.append(raw)


@contextlib.contextmanager
def when(cond: Any) -> Iterator[None]:
    """Updates (and requires) inside the block take effect only if ``cond`` holds."""
    frame = current_frame("when(...)")
    if isinstance(cond, bool):
        raw = frame.interp.const(cond)
    elif isinstance(cond, Term) and cond.kind == "bool":
        raw = cond.raw
    else:
        raise error_at_caller(ModelError, f"when(...) needs a boolean condition, got {cond!r}", 3)
    frame.conds.append(raw)
    try:
        yield
    finally:
        frame.conds.pop()


# ---------------------------------------------------------------------------- executing
@dataclass
class SymbolicStep:
    """One transition run over symbolic state: fires iff ``guard``; then the state is ``next``."""

    guard: Any
    next: list[Any]
    checks: list[RangeCheck]


def _call(model: ModelInstance, what: str, fn: Callable[[], Any]) -> Any:
    """Run model code, turning its exceptions into located `ModelError`s."""
    try:
        return fn()
    except (Disabled, RaceproofError):
        raise
    except RecursionError as exc:
        file, line = model_location_from_traceback(exc.__traceback__)
        raise ModelError(f"{what}: infinite recursion in model code", file, line) from None
    except (Exception, SystemExit) as exc:  # any other error is a bug in the model, reported at its line
        file, line = model_location_from_traceback(exc.__traceback__)
        raise ModelError(f"{what} raised {type(exc).__name__}: {exc}", file, line) from exc


def _run_action(frame: Frame, t: Transition) -> None:
    inst = InstanceView(frame, t.instance)
    system = SystemView(frame)
    for arg, spec in t.action.domains.items():
        if hasattr(spec, "choice_values"):  # a pick from a set: only its members (`checker.lang.choice`)
            _call(frame.model, f"action {t}", lambda spec=spec, arg=arg: require(spec.guard(inst, system, t.args[arg])))
    _call(frame.model, f"action {t}", lambda: t.action.fn(inst, system, **t.args))


def fire(model: ModelInstance, t: Transition, state: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Concrete step: the successor of ``state`` under ``t``, or None if ``t`` is disabled."""
    frame = Frame(model, CONCRETE, list(state))
    with _running(frame):
        try:
            _run_action(frame, t)
        except Disabled:
            return None
    if frame.checks:
        check = frame.checks[0]
        raise ModelError(f"action {t}: {check.message}", check.file, check.line)
    return tuple(frame.state)


@dataclass
class Access:
    """What one concrete step read and assigned, by slot (for reports: see `checker.explain`).

    ``guard`` holds the slots read before the action's last `require` (what its check
    depends on), ``body`` the slots read after it; ``writes`` the slots assigned outside any
    `when` block whose condition was false (an assignment may leave the value unchanged).
    """

    next: tuple[Any, ...] | None  # the successor, or None if the step is disabled
    guard: frozenset[int]
    body: frozenset[int]
    writes: frozenset[int]


def observe(model: ModelInstance, t: Transition, state: tuple[Any, ...]) -> Access:
    """`fire`, recording the slots the step reads (guard and body) and assigns."""
    frame = Frame(model, CONCRETE, list(state), reads=[], writes=[])
    nxt: tuple[Any, ...] | None = None
    with _running(frame):
        try:
            _run_action(frame, t)
            nxt = tuple(frame.state)
        except Disabled:
            pass
    reads, writes = frame.reads or [], frame.writes or []
    guard = frozenset(reads[: frame.guard_mark])
    return Access(nxt, guard, frozenset(reads[frame.guard_mark :]) - guard, frozenset(writes))


def fire_symbolic(model: ModelInstance, interp: Symbolic, t: Transition, state: list[Any]) -> SymbolicStep | None:
    """Symbolic step over ``state`` (raw z3 values); None if ``t`` can never fire."""
    frame = Frame(model, interp, list(state))
    with _running(frame):
        try:
            _run_action(frame, t)
        except Disabled:
            return None
    return SymbolicStep(interp.and_(frame.guards), frame.state, frame.checks)


def evaluate(
    model: ModelInstance,
    interp: Interp,
    prop_name: str,
    *states: list[Any] | tuple[Any, ...],
    checks: list[RangeCheck] | None = None,
) -> Any:
    """The raw bool value of a property over one state (two for action invariants).

    Range checks met while evaluating (a key outside an array, a division by zero) are
    appended to ``checks``: symbolic engines must query them like those of actions.
    """
    frames = [Frame(model, interp, list(s), writable=False) for s in states]
    shared: list[RangeCheck] = [] if checks is None else checks
    for f in frames:
        f.checks = shared
    return evaluate_in(model, prop_name, frames)


def evaluate_in(model: ModelInstance, prop_name: str, frames: list[Frame]) -> Any:
    """`evaluate` over frames the caller made (e.g. recording their reads, for reports)."""
    prop = model.properties[prop_name]
    interp = frames[0].interp
    views = [SystemView(f) for f in frames]
    with _running(frames[0]):
        try:
            result = _call(model, f"property '{prop_name}'", lambda: prop.fn(*views))
            if isinstance(result, Term):  # a result that may be undefined records its checks now
                raw = result.raw
        except Disabled:
            raise ModelError(
                f"property '{prop_name}' calls require(...); properties return a bool", prop.file, prop.line
            ) from None
    found = [c for f in frames for c in f.checks] if isinstance(interp, Concrete) else []
    if found:  # concretely, an undefined read in a property is an error at once
        raise ModelError(f"property '{prop_name}': {found[0].message}", found[0].file, found[0].line)
    if isinstance(result, bool):
        return interp.const(result)
    if not isinstance(result, Term) or result.kind != "bool":
        raise ModelError(f"property '{prop_name}' must return a bool, got {result!r}", prop.file, prop.line)
    return raw


def enabled(model: ModelInstance, state: tuple[Any, ...]) -> Iterator[tuple[Transition, tuple[Any, ...]]]:
    """Every transition enabled in ``state`` with its successor (concrete)."""
    for t in model.transitions:
        nxt = fire(model, t, state)
        if nxt is not None:
            yield t, nxt


CONCRETE = Concrete()

__all__ = [
    "ArrayView", "CONCRETE", "Disabled", "Frame", "InstanceView", "SetView", "SymbolicStep",
    "SystemView", "enabled", "evaluate", "evaluate_in", "fire", "observe", "Access", "fire_symbolic",
    "require", "when", "model_frame",
]  # fmt: skip
