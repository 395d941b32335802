"""Nondeterministic initial states: declared choices and ``@initial`` hooks.

A model may start in more than one state, in two ways:

- a declaration names a *choice* of initial values: ``Int(init=range(0, 3))``,
  ``Int(init={0, 2})``, ``Bool(init=any)``, ``Enum("a", "b", init=any)`` (any of its names).
  An ``Array``/``Map`` element takes its choice independently per element (``init=range(2)``
  for every element, or a list/dict whose entries may themselves be choices);
- an ``@initial`` hook (a component method ``(self, sys, **args)`` or a model method
  ``(sys, **args)``, with keyword domains like `action`) runs once on every initial state
  of the declarations, for every combination of its arguments: each run that is not refused
  by `require` gives one initial state.

The initial states are enumerated (`initial_states`): they are finite by construction, and
more than `MAX_INITIAL` of them is a model error at the declaration or hook that made them
so many. The symbolic engines get them as one predicate (`checker.encoding.Encoding.init`).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ModelError, error_at_caller

if TYPE_CHECKING:
    from .model import ModelInstance

#: the most initial states raceproof enumerates (every engine starts from each of them)
MAX_INITIAL = 10_000


def is_choice(value: Any) -> bool:
    """Whether an ``init`` value is a choice of values rather than one value."""
    return value is any or isinstance(value, range | set | frozenset)


def choice_values(value: Any, domain: list[Any] | None) -> list[Any] | None:
    """The candidate values of a choice in a deterministic order (``domain``: the sort's values,
    in declaration order, None if infinite); None if ``value`` is not a choice."""
    if value is any:
        return None if domain is None else list(domain)
    if isinstance(value, range):
        return list(value)
    if isinstance(value, set | frozenset):
        if domain is not None and all(v in domain for v in value):
            return [v for v in domain if v in value]  # the declaration's order (enum names hash randomly)
        return sorted(value, key=lambda v: (type(v).__name__, v))
    return None


# ---------------------------------------------------------------------------- hooks
@dataclass
class InitialDecl:
    name: str
    fn: Callable[..., Any]
    domains: dict[str, Any]
    file: str
    line: int


def initial(fn: Callable[..., Any] | None = None, /, **domains: Any) -> Any:
    """Mark a method as an initial-state hook: ``def name(self, sys, **args)`` on a component
    (run for each of its instances) or ``def name(sys, **args)`` on the model.

    It runs once on every initial state of the declarations, for every combination of the
    arguments' domains (given like `action`'s); each run that `require` does not refuse is
    an initial state, with the hook's assignments made. A hook is not an action: it never
    runs again after the start."""

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(f).parameters)
        missing = [d for d in domains if d not in params]
        if missing:
            raise error_at_caller(ModelError, f"@initial '{f.__name__}' has no argument named {missing[0]!r}")
        code = f.__code__
        f._rp_initial = InitialDecl(f.__name__, f, dict(domains), code.co_filename, code.co_firstlineno)  # type: ignore[attr-defined]
        return f

    return wrap(fn) if fn is not None else wrap


def initial_decls(klass: type) -> list[InitialDecl]:
    found: dict[str, InitialDecl] = {}
    for k in reversed(klass.__mro__):
        for name, value in vars(k).items():
            decl = getattr(value, "_rp_initial", None)
            if isinstance(decl, InitialDecl):
                found[name] = decl
    return list(found.values())


# ---------------------------------------------------------------------------- enumeration
def initial_states(model: ModelInstance, choices: list[list[Any]]) -> tuple[tuple[Any, ...], ...]:
    """Every initial state: the product of the per-slot ``choices`` (slot order; the first
    choice of each slot first), then each ``@initial`` hook applied in turn."""
    total = 1
    for var in model.vars:
        for s in var.slots:
            total *= len(choices[s])
        if total > MAX_INITIAL:
            raise _too_many(var.decl.fail("initial values"), total)
    states = [tuple(s) for s in itertools.product(*choices)]
    for owner, decl in initial_hooks(model):
        states = _apply(model, owner, decl, states)
    return tuple(states)


def initial_hooks(model: ModelInstance) -> list[tuple[Any, InitialDecl]]:
    """(instance or None for the model, hook) in the order they run: components, then the model."""
    out: list[tuple[Any, InitialDecl]] = []
    for inst in model.instances:
        out += [(inst, d) for d in initial_decls(type(inst.component))]
    out += [(None, d) for d in initial_decls(model.model)]
    return out


def _apply(model: ModelInstance, owner: Any, decl: InitialDecl, states: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    from .frame import Disabled, Frame, _running  # the runtime imports the model: not at module level
    from .runtime import CONCRETE, _call
    from .views import InstanceView, SystemView

    names = list(decl.domains)
    domains = [_domain(model, decl, n) for n in names]
    where = f"@initial {owner.name + '.' if owner is not None else ''}{decl.name}"
    out: dict[tuple[Any, ...], None] = {}
    for state in states:
        for combo in itertools.product(*domains):
            args = dict(zip(names, combo, strict=True))
            frame = Frame(model, CONCRETE, list(state))
            with _running(frame):
                try:
                    system = SystemView(frame)
                    if owner is None:
                        _call(model, where, lambda: decl.fn(system, **args))  # noqa: B023 - called at once
                    else:
                        view = InstanceView(frame, owner)
                        _call(model, where, lambda: decl.fn(view, system, **args))  # noqa: B023
                except Disabled:
                    continue
            if frame.checks:
                check = frame.checks[0]
                raise ModelError(f"{where}: {check.message}", check.file, check.line)
            out[tuple(frame.state)] = None
            if len(out) > MAX_INITIAL:
                raise _too_many(ModelError(where, decl.file, decl.line), len(out), at_least=True)
    if not out:
        raise ModelError(
            f"{where}: require(...) refuses every start: the model has no initial state", decl.file, decl.line
        )
    return list(out)


def _domain(model: ModelInstance, decl: InitialDecl, arg: str) -> list[Any]:
    from .finite import domain_values  # finite imports types, which imports this module
    from .types import resolve

    value = resolve(decl.domains[arg], model.params)
    return domain_values(value, arg, f"@initial '{decl.name}'", decl.file, decl.line)


def _too_many(err: ModelError, count: int, at_least: bool = False) -> ModelError:
    more = "more than " if at_least else ""
    err.message += f": {more}{count:,} initial states, above the {MAX_INITIAL:,} raceproof enumerates"
    err.args = (err.message,)
    return err


def matching_initial(model: ModelInstance, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The first initial state whose variables agree with ``values`` (a state as
    `ModelInstance.describe_state` shows it, e.g. read from a trace file; sets may be any
    iterable); None if none does. Variables left out of ``values`` are not compared."""
    for state in model.inits:
        shown = model.describe_state(state)
        if all(_same(shown[k], v) for k, v in values.items() if k in shown):
            return state
    return None


def _same(mine: Any, theirs: Any) -> bool:
    if isinstance(theirs, set | frozenset):
        return set(mine) == set(theirs)
    return bool(mine == theirs)
