"""What model code sees as ``self`` and ``sys``: `InstanceView`, `SystemView` (with `Params` and
`Replicas`) turn attribute access into slot reads and writes of the running `Frame`."""

from __future__ import annotations

import weakref
from typing import Any

from ..errors import ModelError, error_at_caller
from .containers import ArrayView, SetView
from .frame import Frame, _write_scalar
from .model import Instance, ModelInstance, Var
from .ref_views import ref_of, replica_by_ref
from .seqview import SeqView, assign
from .terms import Term, sort_kind


# ---------------------------------------------------------------------------- views
def _read_var(frame: Frame, var: Var) -> Any:
    if var.shape == "scalar":
        return Term(frame.interp, frame.read(var.slots.start), sort_kind(var.sort))  # type: ignore[arg-type]
    if var.shape in ("array", "map"):
        return ArrayView(frame, var)
    if var.shape == "seq":
        return SeqView(frame, var)
    return SetView(frame, var)


def _write_var(frame: Frame, var: Var, value: Any) -> None:
    if var.shape == "scalar":
        _write_scalar(frame, var, var.slots.start, value)
    elif var.shape in ("array", "map"):
        if isinstance(value, dict) and var.shape == "map":
            value = [value[k] if k in value else ArrayView(frame, var)[k] for k in var.keys]
        values = list(value) if isinstance(value, list | tuple | ArrayView) else None
        if values is None or len(values) != len(var.slots):
            raise error_at_caller(ModelError, f"'{var.name}' is an array of {len(var.slots)}; assign its elements")
        for slot, v in zip(var.slots, values, strict=True):
            _write_scalar(frame, var, slot, v)
    elif var.shape == "seq":
        assign(frame, var, value)
    else:  # a set value of the same element type (`checker.lang.setops`)
        SetView(frame, var)._assign(value)


class InstanceView:
    """``self`` inside an action; also what ``sys.<component>`` returns."""

    __slots__ = ("_frame", "_inst")

    def __init__(self, frame: Frame, inst: Instance):
        object.__setattr__(self, "_frame", frame)
        object.__setattr__(self, "_inst", inst)

    @property
    def id(self) -> int | None:
        """1-based number of a replicated instance (None for a single one)."""
        _note_asymmetry(
            self._frame,
            self._inst.attr,
            "reads .id, a number no permutation renames: store or compare self.ref instead",
        )
        return self._inst.id

    @property
    def name(self) -> str:
        return self._inst.name

    @property
    def ref(self) -> Term:
        """This replica as a `Ref` value: storing or comparing it keeps replicas interchangeable."""
        return ref_of(self._frame, self._inst)

    def __getattr__(self, name: str) -> Any:
        inst = self._inst
        var = inst.vars.get(name)
        if var is not None:
            return _read_var(self._frame, var)
        attr = getattr(type(inst.component), name, None)
        if callable(attr) and not hasattr(attr, "_rp_action"):
            return attr.__get__(self)  # a helper method: runs inside this frame
        raise error_at_caller(ModelError, f"'{inst.name}' has no state variable or method '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        var = self._inst.vars.get(name)
        if var is None:
            raise error_at_caller(
                ModelError, f"'{self._inst.name}' has no state variable '{name}' (declare it on the class)"
            )
        _write_var(self._frame, var, value)

    def __bool__(self) -> bool:
        return True


def _note_asymmetry(frame: Frame, attr: str, what: str) -> None:
    """Remember where model code singled a replica out: an explanation, never the decision."""
    err = error_at_caller(ModelError, "")
    frame.model.note_asymmetry(attr, f"{err.where() or 'model code'} {what}")


class Replicas(tuple):
    """``sys.<component>`` for a replicated component: iterate it, or index it. An index is
    noted (`ModelInstance.note_asymmetry`) only to explain, in the output, why the replicas
    were not reduced: whether they are interchangeable is decided by `checker.symmetry`."""

    def __new__(cls, frame: Frame, attr: str, views: list[InstanceView]) -> Replicas:
        self = super().__new__(cls, views)
        self._frame, self._attr = frame, attr
        return self

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, Term | str):  # a `Ref` value (symmetric), not a replica number
            return replica_by_ref(self._frame, self._attr, list(self), index)
        _note_asymmetry(self._frame, self._attr, f"picks {self._attr}[{index!r}]")
        return super().__getitem__(index)


class Params:
    """Read-only view of the parameters (plain Python values: branching on them is fine)."""

    __slots__ = ("_values",)

    def __init__(self, values: Any):
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._values, name)
        except AttributeError:
            raise error_at_caller(ModelError, f"the model has no parameter '{name}'") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise error_at_caller(ModelError, "parameters are read-only")


# Per model: ``sys.<attr>`` -> its instance (a single component) or its replicas' instances.
_MEMBERS: weakref.WeakKeyDictionary[ModelInstance, dict[str, Instance | list[Instance]]] = weakref.WeakKeyDictionary()


def _members(model: ModelInstance) -> dict[str, Instance | list[Instance]]:
    found = _MEMBERS.get(model)
    if found is None:
        single: dict[str, Instance | list[Instance]] = {}
        replicas: dict[str, list[Instance]] = {}
        for inst in model.instances:
            if inst.id is None:
                single[inst.attr] = inst
            else:
                replicas.setdefault(inst.attr, []).append(inst)
        found = _MEMBERS[model] = {**single, **replicas}
    return found


class SystemView:
    """``sys`` inside actions and properties: shared state, components, ``params``.

    Made for every step and property evaluation, so its component views are made on first
    access: an action reads one or two of them, and building a view for every instance of
    the model was a fifth of the explicit engine's fallback search."""

    __slots__ = ("_frame", "_members", "params")

    def __init__(self, frame: Frame):
        object.__setattr__(self, "_frame", frame)
        object.__setattr__(self, "_members", {})
        object.__setattr__(self, "params", Params(frame.model.params))

    def __getattr__(self, name: str) -> Any:
        member = self._members.get(name)
        if member is not None:
            return member
        frame = self._frame
        found = _members(frame.model).get(name)
        if found is not None:
            if isinstance(found, list):
                member = Replicas(frame, name, [InstanceView(frame, inst) for inst in found])
            else:
                member = InstanceView(frame, found)
            self._members[name] = member
            return member
        var = frame.model.var_by_name.get(name)
        if var is not None and var.owner.is_store:
            return _read_var(frame, var)
        raise error_at_caller(ModelError, f"the system has no component or shared state named '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        var = self._frame.model.var_by_name.get(name)
        if var is None or not var.owner.is_store:
            raise error_at_caller(ModelError, f"the system has no shared state named '{name}'")
        _write_var(self._frame, var, value)
