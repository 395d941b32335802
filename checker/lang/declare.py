"""What a model author declares: parameters (`Param`), actions (`@action`), properties
(`@invariant`, `@action_invariant`, `@reachable`, `@recoverable`, `@eventually`) and components
(`Process`, `Store`). `checker.lang.model` resolves them into a `ModelInstance`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError, error_at_caller
from .namespace import DeclaringMeta
from .types import (
    StateDecl,
)


# ---------------------------------------------------------------------------- parameters
class Param:
    """A model parameter with a default, a type, and optional bounds or choices.

    ``default=None`` with ``type=int`` makes an optional parameter ("none = unbounded").
    """

    def __init__(
        self,
        default: Any,
        *,
        type: type | None = None,  # noqa: A002
        min: int | None = None,  # noqa: A002
        max: int | None = None,  # noqa: A002
        choices: Iterable[Any] | None = None,
        help: str = "",  # noqa: A002
    ):
        self.default = default
        self.type = type if type is not None else builtin_type(default)
        self.min, self.max = min, max
        self.choices = tuple(choices) if choices is not None else None
        self.help = help
        self.name = "?"
        where = error_at_caller(ModelError, "")  # where it is declared, for error messages
        self.file, self.line = where.file, where.line

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def validate(self, value: Any) -> str | None:
        """None if ``value`` is acceptable, else what is wrong with it."""
        if value is None:
            return None if self.default is None else f"parameter '{self.name}' needs a value"
        if self.type is int and (isinstance(value, bool) or not isinstance(value, int)):
            return f"parameter '{self.name}' must be an integer, got {value!r}"
        if self.type is not int and self.type is not None and not isinstance(value, self.type):
            return f"parameter '{self.name}' must be a {self.type.__name__}, got {value!r}"
        if self.min is not None and value < self.min:
            return f"parameter '{self.name}' must be at least {self.min}, got {value!r}"
        if self.max is not None and value > self.max:
            return f"parameter '{self.name}' must be at most {self.max}, got {value!r}"
        if self.choices is not None and value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            return f"parameter '{self.name}' must be one of {options}; got {value!r}"
        return None

    def describe(self) -> str:
        kind = self.type.__name__ if self.type else "any"
        parts = [kind, f"default {self.default!r}"]
        if self.min is not None:
            parts.append(f">= {self.min}")
        if self.max is not None:
            parts.append(f"<= {self.max}")
        if self.choices:
            parts.append("one of " + "|".join(map(str, self.choices)))
        return ", ".join(parts)


def builtin_type(value: Any) -> type | None:
    if value is None:
        return None
    return bool if isinstance(value, bool) else type(value)


# ---------------------------------------------------------------------------- actions
@dataclass
class ActionDecl:
    name: str
    fn: Callable[..., Any]
    domains: dict[str, Any]
    fair: bool
    file: str
    line: int


def action(fn: Callable[..., Any] | None = None, /, *, fair: bool = False, **domains: Any) -> Any:
    """Mark a component method as an atomic step: ``def name(self, sys, **args)``.

    Keyword arguments give each argument's finite domain: an int n (0..n-1), the name of
    an int parameter (0..value-1), an iterable, or a function of the parameters. The
    engines treat every combination of arguments as its own transition.
    """

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(f).parameters)
        missing = [d for d in domains if d not in params]
        if missing:
            raise error_at_caller(ModelError, f"action '{f.__name__}' has no argument named {missing[0]!r}")
        code = f.__code__
        f._rp_action = ActionDecl(f.__name__, f, dict(domains), fair, code.co_filename, code.co_firstlineno)  # type: ignore[attr-defined]
        return f

    return wrap(fn) if fn is not None else wrap


# ---------------------------------------------------------------------------- properties
@dataclass
class PropertyDecl:
    name: str
    kind: str  # "invariant" | "action_invariant" | "reachable" | "recoverable" | "eventually"
    fn: Callable[..., Any]
    doc: str
    file: str
    line: int


def _property(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        code = fn.__code__
        doc = inspect.getdoc(fn) or ""
        fn._rp_property = PropertyDecl(fn.__name__, kind, fn, doc, code.co_filename, code.co_firstlineno)  # type: ignore[attr-defined]
        return fn

    return deco


invariant = _property("invariant")
"""``@invariant def name(sys) -> bool``: holds in every reachable state."""
action_invariant = _property("action_invariant")
"""``@action_invariant def name(old, new) -> bool``: holds across every step."""
reachable = _property("reachable")
"""``@reachable def name(sys) -> bool``: some reachable state satisfies it (a witness)."""
recoverable = _property("recoverable")
"""``@recoverable def name(sys) -> bool``: from every reachable state a state satisfying it is
still reachable (AG EF good). Checked on the explicit state graph of a finite instance."""
eventually = _property("eventually")
"""``@eventually def name(sys) -> bool``: every infinite path that is weakly fair to the
actions declared ``@action(fair=True)`` reaches a state satisfying it (AF good). Checked on
the explicit state graph; a violation is a lasso (a prefix and a cycle that repeats forever).
Paths that end in a deadlock count as repeating their last state."""

#: property kinds that need the whole state graph (the explicit engine), not one trace
GRAPH_KINDS = frozenset({"recoverable", "eventually"})


# ---------------------------------------------------------------------------- components
class Component(metaclass=DeclaringMeta):
    """A part of the system with its own state and actions; declare it on a `Model`.

    ``count`` (int, parameter name or function) makes N instances, named ``<attr>1`` ..
    ``<attr>N``; leave it out for a single instance named ``<attr>``. The engines explore
    one of each set of interchangeable choices of replicas only where swapping replicas
    provably changes nothing the run looks at (`checker.symmetry` asks z3, for the
    initial state, every step and every checked property); ``symmetric=False`` turns the
    reduction off for the component whatever that check finds.
    """

    #: state variables are named "<instance>.<var>"; a `Store` names them "<var>"
    global_names = False

    def __init__(self, count: Any = None, *, symmetric: bool = True):
        self.count = count
        self.symmetric = symmetric
        self.attr = "?"
        where = error_at_caller(ModelError, "")  # where it is declared, for error messages
        self.file, self.line = where.file, where.line

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name

    @classmethod
    def state_decls(cls) -> dict[str, StateDecl]:
        decls: dict[str, StateDecl] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, StateDecl):
                    decls[name] = value
        return decls

    @classmethod
    def action_decls(cls) -> list[ActionDecl]:
        found: dict[str, ActionDecl] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                decl = getattr(value, "_rp_action", None)
                if decl is not None:
                    found[name] = decl
        return list(found.values())


class Process(Component):
    """An active component (Planner, Enactor): its state is private, named per instance."""


class Store(Component):
    """A shared store (Route53, the plan store): its state variables carry their own names."""

    global_names = True
