"""Process identities as values: ``Ref("enactor")`` holds one replica of a replicated component.

A `Ref` is a scalar whose values are the replicas' names (``"enactor1"`` .. ``"enactorN"``),
plus ``"none"`` when declared ``Ref("enactor", none=True)``. Under both interpretations it is
an enum over those names (`RefSort` is an `EnumSort`), so every engine stores, compares,
prints and serialises it like any enum; what is new is that the symmetry reduction knows
which component its values name, and permutes them together with the replicas (see
`checker.replica_perm`). Unlike ``self.id`` (a number, which no permutation renames),
``self.ref`` and a stored `Ref` keep the replicas interchangeable.

The sort's names depend on the number of replicas, a parameter: a `Ref` is resolved while
its `ModelInstance` is built (`building`), the only time sorts are resolved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError, error_at_caller
from .types import EnumLiteral, EnumSort, Scalar, ScalarSort, resolve

#: the value of a ``Ref(..., none=True)`` that names no replica
NONE = "none"


@dataclass(frozen=True)
class RefSort(EnumSort):
    """The names of ``target``'s replicas (and `NONE` first when ``has_none``)."""

    target: str = ""
    has_none: bool = False

    @property
    def replicas(self) -> tuple[str, ...]:
        return self.names[1:] if self.has_none else self.names

    def describe(self) -> str:
        return f"Ref({self.target!r}" + (", none=True)" if self.has_none else ")")


class Ref(Scalar):
    """A reference to one replica of the replicated component declared as ``target`` on the
    model (its values are the replica names); ``none=True`` adds the value ``"none"``, then
    the default initial value. Without it the default is the first replica, which singles
    that replica out: the symmetry check then (rightly) finds the replicas not interchangeable
    unless every step treats the initial holder like any other."""

    def __init__(self, target: str, *, none: bool = False, init: Any = None) -> None:
        super().__init__(EnumLiteral(init) if isinstance(init, str) else init)
        if not isinstance(target, str) or not target:
            raise error_at_caller(ModelError, "Ref(...) takes the attribute name of a replicated component")
        self.target, self.none = target, bool(none)

    def sort(self, params: Any) -> RefSort:
        names = replica_names(self.target, params, self)
        return RefSort(((NONE,) if self.none else ()) + tuple(names), self.target, self.none)

    def default(self, sort: ScalarSort) -> str:
        assert isinstance(sort, EnumSort)
        if not sort.names:
            raise self.fail(f"Ref({self.target!r}) has no value: the component has no replicas")
        return sort.names[0]


# The model class whose `ModelInstance` is being built (sorts are resolved only then).
_BUILDING: list[Any] = []


@contextlib.contextmanager
def building(model_cls: Any) -> Iterator[None]:
    _BUILDING.append(model_cls)
    try:
        yield
    finally:
        _BUILDING.pop()


def replica_names(target: str, params: Any, where: Ref | None = None) -> list[str]:
    """The instance names of replicated component ``target`` of the model being built."""

    def fail(message: str) -> ModelError:
        return where.fail(message) if where is not None else ModelError(message)

    if not _BUILDING:
        raise fail(f"Ref({target!r}) can only be resolved while a model is built")
    comps = _BUILDING[-1].components()
    comp = comps.get(target)
    if comp is None:
        known = ", ".join(a for a, c in comps.items() if c.count is not None) or "none"
        raise fail(f"Ref({target!r}): the model has no component '{target}' (replicated components: {known})")
    count = resolve(comp.count, params)
    if count is None:
        raise fail(f"Ref({target!r}): '{target}' is a single component, not replicated (give it a count)")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise fail(f"Ref({target!r}): count {count!r} is not a non-negative int")
    names = [f"{target}{i}" for i in range(1, count + 1)]
    if NONE in names:
        raise fail(f"Ref({target!r}): a replica is named '{NONE}', the value of no replica")
    return names


def uses_refs(model_cls: Any) -> set[str]:
    """The components that a `Ref` of ``model_cls`` names (in state or in an action's domain)."""
    found: set[str] = set()
    for comp in model_cls.components().values():
        for decl in type(comp).state_decls().values():
            for part in (decl, *(getattr(decl, a, None) for a in ("elem", "key", "value"))):
                if isinstance(part, Ref):
                    found.add(part.target)
        for act in type(comp).action_decls():
            found |= {d.target for d in act.domains.values() if isinstance(d, Ref)}
    return found
