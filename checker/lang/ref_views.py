"""``self.ref`` and ``sys.<replicas>[ref]``: a replica chosen by a `Ref` value in model code.

Indexing the replicas with a `Ref` (a constant name or a state value) gives a `RefView`:
concretely the chosen replica's own view; symbolically (or when the value names no replica)
a view whose reads are ``ite`` chains over the replicas and whose writes are writes to every
replica, each guarded by "the reference is this one" (as a ``when`` block would guard it).
A value that names no replica (``"none"``) is an error only if the step fires, like an array
key outside the array (`Frame.defer_error`); the read's don't-care value is the last replica's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..errors import ModelError, error_at_caller
from .containers import ArrayView, SetView
from .frame import Frame
from .interp import Concrete
from .model import Instance, Var
from .terms import Term


def ref_of(frame: Frame, inst: Instance) -> Term:
    if inst.id is None:
        raise error_at_caller(ModelError, f"'{inst.name}' is not replicated: it has no .ref (only replicas do)")
    return Term(frame.interp, frame.interp.const(inst.name), "enum")


def replica_by_ref(frame: Frame, attr: str, views: list[Any], key: Any) -> Any:
    """``sys.<attr>[key]`` for a `Ref` value ``key`` (a replica name or a state value)."""
    names = [v.name for v in views]
    if isinstance(key, str):
        if key not in names:
            raise error_at_caller(ModelError, f"{attr}[{key!r}]: '{key}' is not one of {', '.join(names)}")
        return views[names.index(key)]
    if key.kind != "enum":
        raise error_at_caller(ModelError, f"{attr}[...] takes a Ref value or a replica number, got {key!r}")
    if key.interp is not frame.interp:
        raise error_at_caller(ModelError, "values from two different executions were mixed")
    interp = frame.interp
    where = f"{attr}[...] with a reference that names no replica"
    if isinstance(interp, Concrete):
        if key.raw in names:
            return views[names.index(key.raw)]
        frame.defer_error(f"{attr}[{key.raw!r}]: the reference names no replica")
        return RefView(frame, attr, [v._inst for v in views], [False] * len(views), key)
    matches = [interp.binop("eq", key.raw, interp.const(n)) for n in names]
    frame.check_range(interp.or_(matches), where)
    return RefView(frame, attr, [v._inst for v in views], matches, key)


@contextlib.contextmanager
def _guard(frame: Frame, match: Any) -> Iterator[None]:
    frame.conds.append(match)
    try:
        yield
    finally:
        frame.conds.pop()


def _chain(frame: Frame, matches: list[Any], terms: list[Term]) -> Term:
    """The term of the replica whose match holds (the last one's where none does)."""
    interp = frame.interp
    raw = terms[-1].raw
    for match, term in zip(reversed(matches[:-1]), reversed(terms[:-1]), strict=True):
        raw = interp.ite(match, term.raw, raw)
    return Term(interp, raw, terms[-1].kind)


class RefView:
    """The replica a symbolic `Ref` names: every replica, each under its own match."""

    __slots__ = ("_frame", "_attr", "_insts", "_matches", "_key")

    def __init__(self, frame: Frame, attr: str, insts: list[Instance], matches: list[Any], key: Term):
        for name, value in (("_frame", frame), ("_attr", attr), ("_insts", insts), ("_matches", matches)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_key", key)

    @property
    def ref(self) -> Term:
        return self._key

    @property
    def id(self) -> Any:
        raise error_at_caller(ModelError, f"{self._attr}[ref].id is not one number: compare .ref instead")

    @property
    def name(self) -> Any:
        raise error_at_caller(ModelError, f"{self._attr}[ref].name is not one name: compare .ref instead")

    def _vars(self, name: str) -> list[Var] | None:
        found = [inst.vars.get(name) for inst in self._insts]
        return None if found[0] is None else found  # type: ignore[return-value]

    def __getattr__(self, name: str) -> Any:
        found = self._vars(name)
        if found is None:
            attr = getattr(type(self._insts[0].component), name, None)
            if callable(attr) and not hasattr(attr, "_rp_action"):
                return attr.__get__(self)  # a helper method, reading through this view
            raise error_at_caller(ModelError, f"'{self._attr}' has no state variable or method '{name}'")
        frame = self._frame
        if found[0].shape == "scalar":
            from .views import _read_var  # views imports this module

            return _chain(frame, self._matches, [_read_var(frame, v) for v in found])
        if found[0].shape == "set":
            return _RefSet(self, [SetView(frame, v) for v in found])
        return _RefArray(self, [ArrayView(frame, v) for v in found])

    def __setattr__(self, name: str, value: Any) -> None:
        from .views import _write_var  # views imports this module

        found = self._vars(name)
        if found is None:
            raise error_at_caller(ModelError, f"'{self._attr}' has no state variable '{name}'")
        for match, var in zip(self._matches, found, strict=True):
            with _guard(self._frame, match):
                _write_var(self._frame, var, value)

    def __bool__(self) -> bool:
        return True


class _RefArray:
    """An array or map of the replica a `Ref` names."""

    def __init__(self, view: RefView, arrays: list[ArrayView]):
        self._view, self._arrays = view, arrays

    def __len__(self) -> int:
        return len(self._arrays[0])

    def keys(self) -> list[Any]:
        return self._arrays[0].keys()

    def __getitem__(self, key: Any) -> Term:
        return _chain(self._view._frame, self._view._matches, [a[key] for a in self._arrays])

    def get(self, key: Any, default: Any) -> Term:
        return _chain(self._view._frame, self._view._matches, [a.get(key, default) for a in self._arrays])

    def __iter__(self) -> Iterator[Term]:
        return (self[k] for k in self.keys())

    def items(self) -> list[tuple[Any, Term]]:
        return [(k, self[k]) for k in self.keys()]

    def __setitem__(self, key: Any, value: Any) -> None:
        for match, a in zip(self._view._matches, self._arrays, strict=True):
            with _guard(self._view._frame, match):
                a[key] = value


class _RefSet:
    """A set of the replica a `Ref` names."""

    def __init__(self, view: RefView, sets: list[SetView]):
        self._view, self._sets = view, sets

    def contains(self, value: Any) -> Term:
        return _chain(self._view._frame, self._view._matches, [s.contains(value) for s in self._sets])

    def is_empty(self) -> Term:
        return _chain(self._view._frame, self._view._matches, [s.is_empty() for s in self._sets])

    def _each(self, method: str, *args: Any) -> None:
        for match, s in zip(self._view._matches, self._sets, strict=True):
            with _guard(self._view._frame, match):
                getattr(s, method)(*args)

    def add(self, value: Any) -> None:
        self._each("add", value)

    def discard(self, value: Any) -> None:
        self._each("discard", value)

    def discard_if(self, pred: Any) -> None:
        self._each("discard_if", pred)
