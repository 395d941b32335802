"""The counting reading: a model's interchangeable units (replicas, or the indices of
parameter-sized arrays) as counters, one per local state, for every number of units.

A *unit* is a replica of a component whose count is the parameter (DWFM's ``worker``), or
one index of the arrays the parameter sizes together with the actions over it (NLB's
``az``: ``propagated[az]``, ``check_passes[az]``, ``az_in_dns[az]``). When a unit's local
state is finite (the set ``L`` of its values), a state of the system is, up to a
permutation of the units, the shared state and ``N[s]`` = how many units are in local
state ``s``; ``Σ_s N[s]`` is the parameter. That reading is exact (the counter system is
bisimilar to the model at every size) when the code treats the units alike, and this
module derives it from the model's own action code, as follows.

The model is built at size 2: unit 1 is the *actor* (the replica running its action, or
index 0 of an action over the parameter), unit 2 the *representative* ``w``. While the
ordinary symbolic interpretation (`checker.encoding`) runs the actions and properties:

- iterating the units (``for w in sys.worker``, ``for x in sys.az_in_dns``) yields ``w``
  alone, once. Inside an aggregate (``sum_of``, ``count_of``, ``any_of``, ``all_of``) the
  element's value ``f(w)``, a term over ``w``'s slots, the shared state and the actor,
  becomes ``Σ_s N[s]·f(s)`` (``count_of``: ``Σ_s ite(f(s), N[s], 0)``; ``any_of``:
  ``∨_s N[s] > 0 ∧ f(s)``; ``all_of``: ``∧_s N[s] > 0 → f(s)``), ``f(s)`` the term with
  ``w``'s slots replaced by the values of ``s``. A loop outside an aggregate must write
  ``w``'s state: a for-all update ``w.x = g(w, shared)``, read as
  ``N'[t] = Σ_s ite(g(s) = t, N[s], 0)``.
- a replica's step moves one unit: per class ``a`` with ``N[a] > 0``, the actor's slots
  replaced by ``a``, ``N[a]`` loses one and the class of the actor's next state gains one.

Why this is the model at every size ``n`` (the argument; the checks below make its
premises true or refuse): at size ``n`` the model's code computes an aggregate as the fold
of one Python expression evaluated at each unit's view; a view reads only that unit's
slots (its own state), so the value at unit ``i`` is ``f(l_i)`` with one ``f`` for all
``i``, and the fold of ``n`` values depends only on how many units are in each class. A
step of unit ``i`` reads its own state, the shared state and such aggregates, so its
guard and effect are the same function of ``(shared, l_i, N)`` for every ``i``. What could
break that, and is refused with the model line: a unit picked by number (``sys.worker[0]``),
``len(...)`` of the units, ``self.id``/``.name``/``.ref``, the parameter's value, a step of
one unit that changes another, a value of ``w`` escaping an aggregate or loop (a builtin
``sum`` or a hand-written accumulation), a loop over the units that writes nothing, nested
iterations over the units, an aggregate read after a unit's state was written in the same
step, non-uniform initial states, and a model whose shared state, actions or initial
values change with the size beyond the units (compared at sizes 2 and 3). The units must be iterated directly
(`_Direct`: an ``enumerate``/``zip`` around them, which would carry a position, is refused).
Residual: Python state carried across iterations by other means (a counter in a closure)
is invisible to these checks; `checker.param.counting_check` therefore also compares the counter system with
the model's own encoding, transition by transition, at sizes 1..4 and every size the model
declares, and refuses on any difference.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import z3

from ..encoding import Encoding, substitute
from ..lang import aggregates, terms, views
from ..lang.containers import ArrayView
from ..lang.model import Instance, ModelInstance, Transition
from ..lang.runtime import fire_symbolic
from ..lang.terms import Term, lift
from ..lang.types import BoolSort, EnumSort, IntSort
from .watch import _code, where

MAX_CLASSES = 512  # local states of one unit: beyond it, counters are refused (too many)


class CountRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Units:
    """Which slots make up a unit, in a model built at some size."""

    param: str
    attr: str | None  # the replicated component, or None: indices of arrays
    arrays: list[str]  # the parameter-sized arrays (indices), in declaration order
    args: dict[tuple[str, str], str]  # (instance, action) -> its argument over the parameter

    def slots(self, model: ModelInstance, unit: int) -> list[int]:
        """The slots of unit ``unit`` (0-based), in one order for every unit."""
        if self.attr is not None:
            inst = [i for i in model.instances if i.attr == self.attr][unit]
            return [s for v in inst.vars.values() for s in v.slots]
        return [model.var_by_name[a].slots[unit] for a in self.arrays]

    def names(self, model: ModelInstance) -> list[str]:
        if self.attr is not None:
            inst = next(i for i in model.instances if i.attr == self.attr)
            return [n if len(v.slots) == 1 else f"{n}[{k}]" for n, v in inst.vars.items() for k in range(len(v.slots))]
        return list(self.arrays)

    def unit_of(self, t: Transition) -> int | None:
        """The unit running ``t`` (0-based), or None: a step of no unit."""
        if self.attr is not None:
            return t.instance.id - 1 if t.instance.attr == self.attr and t.instance.id is not None else None
        arg = self.args.get((t.instance.name, t.action.name))
        return None if arg is None else t.args[arg]

    def label(self, t: Transition) -> str:
        """``t``'s name without its unit: the same for every unit."""
        arg = self.args.get((t.instance.name, t.action.name))
        args = [f"{k}={v}" for k, v in t.args.items() if k != arg]
        name = t.instance.attr if self.attr is not None and t.instance.attr == self.attr else t.instance.name
        return f"{name}.{t.action.name}" + (f"({', '.join(args)})" if args else "")


def build(model: ModelInstance, param: str, n: int) -> ModelInstance:
    """The model with ``param`` = ``n``, outside its declared range too (the checks use sizes it excludes)."""
    return ModelInstance(model.model, SimpleNamespace(**(model.param_dict() | {param: n})))


def find_units(model: ModelInstance, param: str) -> Units:
    comps = [a for a, c in model.model.components().items() if c.count == param]
    if comps:
        if len(comps) > 1:
            raise CountRefused(f"'{param}' counts several components ({', '.join(comps)}): one at a time")
        return Units(param, comps[0], [], {})
    small, big = build(model, param, 2), build(model, param, 3)
    arrays = [v.name for v in small.vars if v.shape == "array" and v.owner.is_store
              and len(v.slots) == 2 and len(big.var_by_name[v.name].slots) == 3]  # fmt: skip
    if not arrays:
        raise CountRefused(f"'{param}' neither counts a component's replicas nor sizes an array")
    args: dict[tuple[str, str], str] = {}
    for t in small.transitions:
        for arg, spec in t.action.domains.items():
            if spec == param:
                args[(t.instance.name, t.action.name)] = arg
    return Units(param, None, arrays, args)


def classes_of(model: ModelInstance, units: Units, interp: Any) -> list[tuple[z3.ExprRef, ...]]:
    """Every local state of a unit: the product of its slots' finite sorts."""
    values: list[list[z3.ExprRef]] = []
    for slot in units.slots(model, 0):
        var = model.slots[slot].var
        sort = var.sort
        if isinstance(sort, BoolSort):
            values.append([z3.BoolVal(False), z3.BoolVal(True)])
        elif isinstance(sort, IntSort) and sort.finite:
            assert sort.lo is not None and sort.hi is not None
            values.append([z3.IntVal(k) for k in range(sort.lo, sort.hi + 1)])
        elif isinstance(sort, EnumSort):
            values.append([interp.const(k) for k in sort.names])
        else:
            raise CountRefused(f"'{var.name}' of a {units.param} unit has no finite range: no counters for it")
    total = 1
    for v in values:
        total *= len(v)
    if total > MAX_CLASSES:
        raise CountRefused(f"a {units.param} unit has {total} local states (at most {MAX_CLASSES} counters)")
    return list(itertools.product(*values))


@dataclass
class _Aggregate:
    name: str
    frame: Any = None  # the frame it read a unit in: set when it iterates the units
    before: list[Any] | None = None  # the frame's state then (an aggregate writes nothing)


@dataclass
class Reader:
    """The hooks in place while model code runs: they turn aggregates into counter terms and
    record (by transition) whatever would break the reading."""

    actor: list[z3.ExprRef]
    rep: list[z3.ExprRef]
    classes: list[tuple[z3.ExprRef, ...]]
    counts: list[z3.ArithRef]
    actor_slots: list[int]
    rep_slots: list[int]
    current: Any = "model"
    notes: dict[Any, list[str]] = field(default_factory=dict)
    stack: list[_Aggregate] = field(default_factory=list)
    loop: Any = None  # the frame of a loop over the units in progress

    def note(self, what: str) -> None:
        at = where()
        self.notes.setdefault(self.current, []).append(f"{at} {what}{_code(at)}")

    def _unwritten(self, frame: Any) -> bool:
        return all(z3.eq(frame.read(s), c) for s, c in zip(self.actor_slots + self.rep_slots, self.actor + self.rep,
                                                         strict=True))  # fmt: skip

    def iterate(self, value: Any, frame: Any) -> Iterator[Any]:
        """Iterating the units: the representative once."""
        if self.stack and self.stack[-1].frame is not None or self.loop is not None:
            self.note("iterates the units inside another iteration over them")
        if self.stack and self.stack[-1].frame is None:
            self.stack[-1].frame, self.stack[-1].before = frame, list(frame.state)
            if not self._unwritten(frame):
                self.note("reads an aggregate over the units after a unit's state was written in this step")
            yield value
            return
        self.loop = frame
        before = list(frame.state)
        yield value
        self.loop = None
        if any(
            not z3.eq(a, b) for k, (a, b) in enumerate(zip(before, frame.state, strict=True)) if k not in self.rep_slots
        ):
            self.note("writes state other than the units' own inside a loop over them (once per unit at any size)")
        if all(z3.eq(frame.read(s), c) for s, c in zip(self.rep_slots, self.rep, strict=True)):
            self.note("loops over the units without writing their state: use sum_of/count_of/any_of/all_of")

    def aggregate(self, name: str, items: Any) -> Any:
        self.stack.append(_Aggregate(name))
        try:
            # (not list(items): it asks an array passed whole, `sum_of(self.lit)`, for its length,
            # which would read as model code counting the units)
            values = [v for v in items]  # noqa: C416
        finally:
            agg = self.stack.pop()
        if agg.frame is not None and agg.before is not None:
            if any(not z3.eq(a, b) for a, b in zip(agg.before, agg.frame.state, strict=True)):
                self.note("writes state inside an aggregate over the units")
        if agg.frame is None:  # not over the units: the ordinary fold
            if name in ("any_of", "all_of"):
                return tuple(values)
            return (aggregates.sum_of if name == "sum_of" else aggregates.count_of)(*values) if values else 0
        interp = agg.frame.interp
        raw = lift(interp, values[0]) if values else None
        per = [substitute(raw, list(zip(self.rep, s, strict=True))) for s in self.classes] if raw is not None else []
        n = self.counts
        if name == "sum_of":
            return Term(interp, z3.Sum([n[k] * per[k] for k in range(len(per))]) if per else z3.IntVal(0), "int")
        if name == "count_of":
            return Term(interp, z3.Sum([z3.If(per[k], n[k], 0) for k in range(len(per))]) if per else z3.IntVal(0),
                        "int")  # fmt: skip
        if name == "any_of":
            return (Term(interp, z3.Or([z3.And(n[k] > 0, per[k]) for k in range(len(per))]), "bool"),)
        return (Term(interp, z3.And([z3.Implies(n[k] > 0, per[k]) for k in range(len(per))]), "bool"),)


class _Direct:
    """Iterating the units, consumed by a loop or generator expression and nothing between.

    ``enumerate(sys.worker)``, ``zip(...)`` and the like carry a unit's *position* into the
    code, which the representative (always the first position) cannot stand for; code that
    compares that position with a number k differs from the model only at sizes above k, past
    any comparison at small sizes. So, on the first step, whatever holds this iterator is
    looked at (the garbage collector's referrers: a ``for`` statement holds it on its frame's
    stack, which no object reports; a generator expression is a generator object); any other
    holder (an enumerate, zip, map, itertools or container object) is refused."""

    def __init__(self, inner: Iterator[Any], reader: Reader) -> None:
        self.inner, self.reader, self.looked = inner, reader, False

    def __iter__(self) -> _Direct:
        return self

    def __next__(self) -> Any:
        if not self.looked:
            self.looked = True
            holders = {type(h).__name__ for h in gc.get_referrers(self) if not isinstance(h, _LOOPS)}
            if holders:
                self.reader.note(
                    f"iterates the units through {', '.join(sorted(holders))}(...), which could carry a unit's "
                    "position: iterate them directly"
                )
        return next(self.inner)


_LOOPS = (types.GeneratorType, types.FrameType)


@contextlib.contextmanager
def hooks(reader: Reader, model: ModelInstance, units: Units) -> Iterator[None]:
    """The language's views and folds read through ``reader`` (restored on exit)."""
    rep_inst: Instance | None = None
    if units.attr is not None:
        rep_inst = [i for i in model.instances if i.attr == units.attr][1]
    old_replicas, old_fold, old_hook = views.Replicas, terms.FOLD_OBSERVER, aggregates.HOOK
    old_iter, old_len = ArrayView.__iter__, ArrayView.__len__
    old_props = {p: getattr(views.InstanceView, p) for p in ("id", "name", "ref")}
    old_params = model.params

    class CountedReplicas(views.Replicas):  # type: ignore[misc,valid-type]
        def __iter__(self) -> Iterator[Any]:
            if self._attr != units.attr:  # another component's replicas: as they are
                return tuple.__iter__(self)
            rep = next(v for v in tuple.__iter__(self) if v._inst is rep_inst)
            return _Direct(reader.iterate(rep, self._frame), reader)

        def __len__(self) -> int:
            if self._attr == units.attr:
                reader.note("counts the units with len(...)")
            return tuple.__len__(self)

        def __getitem__(self, index: Any) -> Any:
            if self._attr == units.attr:
                reader.note("picks one unit by its number or reference")
            return super().__getitem__(index)

    def array_iter(self: ArrayView) -> Iterator[Any]:
        if self._var.name in units.arrays:
            return _Direct(reader.iterate(self._at(1), self._frame), reader)
        return old_iter(self)

    def array_len(self: ArrayView) -> int:
        if self._var.name in units.arrays:
            reader.note("counts the units with len(...)")
        return old_len(self)

    class WatchedParams(SimpleNamespace):
        def __getattribute__(self, attr: str) -> Any:
            if attr == units.param:
                reader.note(f"reads the parameter '{attr}' (the number of units)")
            return super().__getattribute__(attr)

    def watched(prop: str) -> property:
        def get(view: Any) -> Any:
            if view._inst.attr == units.attr:
                reader.note(f"reads .{prop} of a unit (a number no permutation renames)")
            return old_props[prop].fget(view)

        return property(get)

    try:
        views.Replicas = CountedReplicas  # type: ignore[misc]
        terms.FOLD_OBSERVER = reader.aggregate
        aggregates.HOOK = reader.aggregate
        ArrayView.__iter__ = array_iter  # type: ignore[method-assign]
        ArrayView.__len__ = array_len  # type: ignore[method-assign]
        for p in old_props:
            setattr(views.InstanceView, p, watched(p))
        model.params = WatchedParams(**vars(old_params))
        yield
    finally:
        views.Replicas = old_replicas  # type: ignore[misc]
        terms.FOLD_OBSERVER = old_fold
        aggregates.HOOK = old_hook
        ArrayView.__iter__ = old_iter  # type: ignore[method-assign]
        ArrayView.__len__ = old_len  # type: ignore[method-assign]
        for p, v in old_props.items():
            setattr(views.InstanceView, p, v)
        model.params = old_params


class CountingEncoding(Encoding):
    """The ordinary symbolic encoding, telling the reader which transition runs."""

    reader: Reader

    def _fire_all(self) -> list[tuple[Transition, Any]]:
        fired: list[tuple[Transition, Any]] = []
        for t in self.model.transitions:
            self.reader.current = t.index
            step = fire_symbolic(self.model, self.interp, t, self.x)
            if self.reader.loop is not None:
                self.reader.note("leaves a loop over the units before its end")
                self.reader.loop = None
            if step is not None:
                fired.append((t, step))
        self.reader.current = "model"
        return fired
