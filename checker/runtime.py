"""Running model code: one action, or one property, under one interpretation.

`Frame` is the state of one execution: the slot values it reads and writes, the guards
collected by `require`, the conditions of enclosing `when` blocks, and the range checks of
bounded writes. The views (`InstanceView`, `SystemView`, `ArrayView`, `SetView`) are what
model code sees as ``self`` and ``sys``; they turn attribute access into slot reads and writes.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import z3

from . import intervals
from .errors import ModelError, RaceproofError, error_at_caller, model_frame, model_location_from_traceback
from .model import Instance, ModelInstance, Transition, Var, finite_values
from .terms import Concrete, Interp, SetLike, Symbolic, Term, lift, py_kind, sort_kind
from .types import EnumSort, IntSort, SetSort


class Disabled(Exception):
    """Raised by `require` under the concrete interpretation: the action cannot fire."""


@dataclass
class RangeCheck:
    ok: Any  # raw bool: the written value is within its declared type
    message: str
    file: str | None
    line: int | None


@dataclass
class Frame:
    model: ModelInstance
    interp: Interp
    state: list[Any]
    writable: bool = True
    guards: list[Any] = field(default_factory=list)
    conds: list[Any] = field(default_factory=list)
    checks: list[RangeCheck] = field(default_factory=list)
    #: when not None, every slot read, in order (see `observe`); reporting only, never the engines
    reads: list[int] | None = None
    #: how many of ``reads`` happened before the latest `require`: the guard's reads
    guard_mark: int = 0
    #: when not None, every slot assigned (a masked `when` assigns nothing)
    writes: list[int] | None = None

    # -- reads and writes of slots
    def read(self, slot: int) -> Any:
        if self.reads is not None:
            self.reads.append(slot)
        return self.state[slot]

    def write(self, slot: int, raw: Any) -> None:
        if not self.writable:
            raise error_at_caller(ModelError, "properties only read state; this one assigns to it")
        if self.writes is not None and not self.masked():
            self.writes.append(slot)
        if self.conds:
            raw = _ite_raw(self.interp, self._cond(), raw, self.state[slot])
        self.state[slot] = raw

    def _cond(self) -> Any:
        return self.interp.and_(list(self.conds))

    def masked(self) -> bool:
        """Concretely inside a `when` block whose condition is false: nothing there takes effect."""
        return isinstance(self.interp, Concrete) and bool(self.conds) and not self._cond()

    def defer_error(self, message: str) -> None:
        """Concretely, a read that is undefined here: a state key outside an array's keys, a
        division by 0. Symbolically that is a range check, an error only on a step that fires
        (a later `require` may yet disable the action) and never under a false `when`; so it
        is recorded the same way here, and `fire` raises it only if the action is enabled.
        The caller goes on with a don't-care value."""
        self.check_range(False, message)

    def check_range(self, ok: Any, message: str) -> None:
        """Record that a write must stay within its declared type (see `RangeCheck`).

        A recorded check is an error only if the step fires (`fire`; the symbolic engines
        query ``guard & ~ok``), never at the write itself. Why: a step is one atomic
        transition, and a step whose guard fails has no successor, so nothing it wrote is
        ever a state that a property, a trace or another step could see; an error there
        would report a behaviour the model does not have. A `require` after the write
        judges the values as the action has made them, the out-of-range one included
        (``self.x = self.x + 1`` then ``require(self.x <= 3)`` states the bound as a guard,
        and disables the step at 3). Undefined reads follow the same rule (`defer_error`),
        so BMC, the proofs, both explicit backends and the concrete replay agree
        (tests/test_range_writes.py). The README's model section states the rule.
        """
        if self.conds:
            ok = self.interp.or_([self.interp.not_(self._cond()), ok])
        if isinstance(self.interp, Concrete) and ok:
            return
        err = error_at_caller(ModelError, message)
        self.checks.append(RangeCheck(ok, message, err.file, err.line))


def _ite_raw(interp: Interp, c: Any, a: Any, b: Any) -> Any:
    if isinstance(a, tuple):  # a finite set under the symbolic interpretation
        return tuple(interp.ite(c, x, y) for x, y in zip(a, b, strict=True))
    return interp.ite(c, a, b)


_STACK: list[Frame] = []


def defer_error(message: str) -> None:
    """See `Frame.defer_error` (for the concrete interpretation's operators)."""
    current_frame("an undefined operation").defer_error(message)


def current_frame(what: str) -> Frame:
    if not _STACK:
        raise error_at_caller(ModelError, f"{what} can only be used inside an action or property")
    return _STACK[-1]


@contextlib.contextmanager
def _running(frame: Frame) -> Iterator[Frame]:
    _STACK.append(frame)
    try:
        yield frame
    finally:
        _STACK.pop()


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


# ---------------------------------------------------------------------------- views
def _read_var(frame: Frame, var: Var) -> Any:
    if var.shape == "scalar":
        return Term(frame.interp, frame.read(var.slots.start), sort_kind(var.sort))  # type: ignore[arg-type]
    if var.shape in ("array", "map"):
        return ArrayView(frame, var)
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
    else:
        raise error_at_caller(ModelError, f"'{var.name}' is a set: change it with .add, .discard or .discard_if")


def _write_scalar(frame: Frame, var: Var, slot: int, value: Any) -> None:
    sort = var.sort
    kind = sort_kind(sort)  # type: ignore[arg-type]
    if isinstance(value, SetLike | ArrayView):
        raise error_at_caller(ModelError, f"'{var.name}' holds a single {sort.describe()}, not a collection")
    given = value.kind if isinstance(value, Term) else py_kind(value)
    if given != kind:
        raise error_at_caller(ModelError, f"'{var.name}' is a {sort.describe()}; cannot assign {value!r}")
    if isinstance(sort, EnumSort) and isinstance(value, str) and value not in sort.names:
        raise error_at_caller(ModelError, f"'{value}' is not one of {var.name}'s values {sort.describe()}")
    raw = lift(frame.interp, value)
    ok = _in_sort(frame.interp, sort, raw)
    if ok is not None:
        frame.check_range(ok, f"'{var.name}' is a {sort.describe()}: this assignment leaves that range")
    frame.write(slot, raw)


def _in_sort(interp: Interp, sort: Any, raw: Any) -> Any:
    """A raw bool saying ``raw`` is within ``sort``, or None if every value of its kind is."""
    if isinstance(sort, IntSort):
        parts = []
        if sort.lo is not None:
            parts.append(interp.binop("ge", raw, interp.const(sort.lo)))
        if sort.hi is not None:
            parts.append(interp.binop("le", raw, interp.const(sort.hi)))
        return interp.and_(parts) if parts else None
    if isinstance(sort, EnumSort):
        if isinstance(interp, Concrete):
            return raw in sort.names
        return interp.or_([interp.binop("eq", raw, interp.const(n)) for n in sort.names])
    return None


class InstanceView:
    """``self`` inside an action; also what ``sys.<component>`` returns."""

    __slots__ = ("_frame", "_inst")

    def __init__(self, frame: Frame, inst: Instance):
        object.__setattr__(self, "_frame", frame)
        object.__setattr__(self, "_inst", inst)

    @property
    def id(self) -> int | None:
        """1-based number of a replicated instance (None for a single one)."""
        _note_asymmetry(self._frame, self._inst.attr, "reads .id")
        return self._inst.id

    @property
    def name(self) -> str:
        return self._inst.name

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


def _as_term(interp: Interp, value: Any, kind: str) -> Term:
    if isinstance(value, Term):
        return value
    if py_kind(value) != kind:
        raise error_at_caller(ModelError, f"default {value!r} is not a {kind}")
    return Term(interp, lift(interp, value), kind)


#: `ArrayView._position` of a state key outside the keys, under the concrete interpretation
_OUTSIDE = -1


class ArrayView:
    """A state array (keys 0..n-1) or map (keys of an Enum or bounded Int): index it with a
    Python key or a state value; assign its elements."""

    __slots__ = ("_frame", "_var")

    def __init__(self, frame: Frame, var: Var):
        self._frame, self._var = frame, var

    def __len__(self) -> int:
        return len(self._var.slots)

    def __iter__(self) -> Iterator[Term]:
        """The values, in key order (iterating a map gives its values, unlike a dict)."""
        return (self._at(i) for i in range(len(self)))

    def keys(self) -> list[Any]:
        return list(self._var.keys)

    def items(self) -> list[tuple[Any, Term]]:
        return [(k, self._at(i)) for i, k in enumerate(self._var.keys)]

    def _at(self, position: int) -> Term:
        return Term(self._frame.interp, self._frame.read(self._var.slots[position]), sort_kind(self._var.sort))  # type: ignore[arg-type]

    def _outside(self, key: Any) -> str:
        keys = self._var.keys
        shown = f"0..{len(keys) - 1}" if self._var.shape == "array" else ", ".join(map(str, keys))
        return f"key {key!r} is outside '{self._var.name}' ({shown})"

    def _position(self, key: Any) -> int | None:
        """The slot position of a constant key, or None if the key is a state value."""
        state_key = isinstance(key, Term)
        if isinstance(key, Term):
            if key.kind != self._var.key_kind:
                raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by {self._var.key_kind}, got {key!r}")
            if key.interp is not self._frame.interp:
                raise error_at_caller(ModelError, "values from two different executions were mixed")
            if not isinstance(self._frame.interp, Concrete):
                return None
            key = key.raw
        if py_kind(key) != self._var.key_kind:
            raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by {self._var.key_kind}, got {key!r}")
        for i, k in enumerate(self._var.keys):
            if k == key and type(k) is type(key):
                return i
        if state_key:  # an error only if the step fires (see Frame.defer_error)
            self._frame.defer_error(self._outside(key))
            return _OUTSIDE
        raise error_at_caller(ModelError, self._outside(key))

    def _matches(self, key: Term) -> list[Any]:
        """Per slot position, the raw condition "the symbolic key is this position's key"."""
        interp = self._frame.interp
        matches = [interp.binop("eq", key.raw, interp.const(k)) for k in self._var.keys]
        self._frame.check_range(interp.or_(matches), f"a key of '{self._var.name}' is outside its keys")
        return matches

    def __getitem__(self, key: Any) -> Term:
        position = self._position(key)
        if position == _OUTSIDE:  # the symbolic read's don't-care value: the last slot's
            return self._at(len(self) - 1)
        if position is not None:
            return self._at(position)
        interp, slots = self._frame.interp, self._var.slots
        matches = self._matches(key)
        raw = self._frame.read(slots[-1])
        for i in range(len(slots) - 2, -1, -1):
            raw = interp.ite(matches[i], self._frame.read(slots[i]), raw)
        return Term(interp, raw, sort_kind(self._var.sort))  # type: ignore[arg-type]

    def get(self, key: Any, default: Any) -> Term:
        """The value at ``key``, or ``default`` where ``key`` is not one of the keys: a read
        that is guarded by the key's range (``a[i]`` outside the keys is a model error)."""
        interp = self._frame.interp
        if not isinstance(key, Term):
            inside = any(k == key and type(k) is type(key) for k in self._var.keys)
            return self[key] if inside else _as_term(interp, default, sort_kind(self._var.sort))  # type: ignore[arg-type]
        if key.kind != self._var.key_kind:
            raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by {self._var.key_kind}, got {key!r}")
        raw = lift(interp, default)
        for i in range(len(self._var.keys) - 1, -1, -1):
            match = interp.binop("eq", key.raw, interp.const(self._var.keys[i]))
            raw = interp.ite(match, self._frame.read(self._var.slots[i]), raw)
        return Term(interp, raw, sort_kind(self._var.sort))  # type: ignore[arg-type]

    def __setitem__(self, key: Any, value: Any) -> None:
        frame, var = self._frame, self._var
        position = self._position(key)
        if position == _OUTSIDE:  # as symbolically, where no key matches: nothing is written
            return
        if position is not None:
            _write_scalar(frame, var, var.slots[position], value)
            return
        for match, slot in zip(self._matches(key), var.slots, strict=True):
            frame.conds.append(match)
            try:
                _write_scalar(frame, var, slot, value)
            finally:
                frame.conds.pop()


class SetView(SetLike):
    """A state set: ``contains``, ``add``, ``discard``, ``discard_if``, ``is_empty``."""

    __slots__ = ("_frame", "_var", "_slot", "_elem")

    def __init__(self, frame: Frame, var: Var):
        self._frame, self._var, self._slot = frame, var, var.slots.start
        assert isinstance(var.sort, SetSort)
        self._elem = var.sort.elem

    def _raw(self) -> Any:
        return self._frame.read(self._slot)

    def _elem_raw(self, value: Any, what: str) -> Any:
        kind = value.kind if isinstance(value, Term) else py_kind(value)
        if kind != sort_kind(self._elem):
            raise error_at_caller(
                ModelError, f"{self._var.name}.{what}: elements are {self._elem.describe()}, got {value!r}"
            )
        return lift(self._frame.interp, value)

    def _finite(self) -> bool:
        return isinstance(self._frame.interp, Symbolic) and isinstance(self._raw(), tuple)

    def _interval(self) -> bool:
        """Whether this (unbounded) set is encoded as an interval: see `checker.intervals`."""
        interp = self._frame.interp
        return isinstance(interp, Symbolic) and self._slot in interp.interval_slots

    def contains(self, value: Any) -> Term:
        interp, raw, x = self._frame.interp, self._raw(), self._elem_raw(value, "contains")
        if isinstance(interp, Concrete):
            return Term(interp, x in raw, "bool")
        if self._interval():
            return Term(interp, intervals.contains(raw, x), "bool")
        if self._finite():
            pairs = zip(finite_values(self._elem), raw, strict=True)
            return Term(interp, interp.or_([interp.and_([_eq(interp, x, v), bit]) for v, bit in pairs]), "bool")
        return Term(interp, z3.Select(raw, x), "bool")

    def add(self, value: Any) -> None:
        self._update(value, True, "add")

    def discard(self, value: Any) -> None:
        self._update(value, False, "discard")

    def _update(self, value: Any, present: bool, what: str) -> None:
        interp, raw, x = self._frame.interp, self._raw(), self._elem_raw(value, what)
        ok = _in_sort(interp, self._elem, x)
        if ok is not None and present:
            self._frame.check_range(ok, f"{self._var.name}.add: the element is outside {self._elem.describe()}")
        if isinstance(interp, Concrete):
            # an element outside a finite set's type is not added (an error if the step fires),
            # as symbolically, where it matches none of the set's bits
            new = raw | {x} if present and ok is not False else raw - {x}
        elif self._interval():
            new, exact = intervals.add(raw, x) if present else intervals.discard(raw, x)
            self._frame.check_range(exact, intervals.gap_message(self._var.name, what))
        elif self._finite():
            pairs = zip(finite_values(self._elem), raw, strict=True)
            new = tuple(interp.ite(_eq(interp, x, v), z3.BoolVal(present), bit) for v, bit in pairs)
        else:
            new = z3.Store(raw, x, present)
        self._frame.write(self._slot, new)

    def discard_if(self, pred: Callable[[Term], Any]) -> None:
        """Remove every element for which ``pred(element)`` holds (one atomic bulk delete)."""
        frame, interp, raw = self._frame, self._frame.interp, self._raw()
        kind = sort_kind(self._elem)

        def holds(raw_elem: Any) -> Any:
            result = pred(Term(interp, raw_elem, kind))
            if isinstance(result, bool):
                return interp.const(result)
            if not isinstance(result, Term) or result.kind != "bool":
                raise error_at_caller(ModelError, f"{self._var.name}.discard_if: the predicate must return a bool")
            return result.raw

        if isinstance(interp, Concrete):
            new = frozenset(v for v in raw if not holds(v))
        elif self._interval():
            g = z3.FreshInt("g")
            new = intervals.discard_if(raw, holds(g), g, self._slot, self._var.name)
        elif self._finite():
            values = finite_values(self._elem)
            new = tuple(
                interp.and_([bit, interp.not_(holds(interp.const(v)))]) for v, bit in zip(values, raw, strict=True)
            )
        else:
            g = z3.FreshInt("g")
            new = z3.Lambda([g], z3.And(z3.Select(raw, g), z3.Not(holds(g))))
        frame.write(self._slot, new)

    def is_empty(self) -> Term:
        interp, raw = self._frame.interp, self._raw()
        if isinstance(interp, Concrete):
            return Term(interp, not raw, "bool")
        if self._interval():
            return Term(interp, intervals.is_empty(raw), "bool")
        if self._finite():
            return Term(interp, interp.not_(interp.or_(list(raw))), "bool")
        raise error_at_caller(ModelError, f"is_empty() needs a set of a bounded type; '{self._var.name}' is unbounded")

    def __contains__(self, value: Any) -> bool:
        raise error_at_caller(ModelError, f"`x in {self._var.name}` cannot be a state value; use .contains(x)")

    def __bool__(self) -> bool:
        raise error_at_caller(ModelError, f"a set used as a Python bool; use {self._var.name}.is_empty()")


def _eq(interp: Interp, x: Any, v: Any) -> Any:
    return interp.binop("eq", x, interp.const(v))


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
    return result.raw


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
