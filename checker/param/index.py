"""Arrays of a parameter's size (Route53's ``endpoint_plan[endpoints]``) for every size at once.

The arrays sized by the parameter become z3 arrays over the integers, of symbolic length
``E`` (the parameter, a constant of the encoding): the model's code runs once with
``sys.params.<param>`` = ``E``, a read ``a[k]`` = ``select(A, k)`` with the range check
``0 <= k < E``, a write ``a[k] = v`` = ``store(A, k, v)`` (under its `when` conditions),
and a declared bound ``max="<param>"`` (a cursor) = ``E``. A property that iterates such an
array (``all_of(... for p in sys.endpoint_plan)``) is read at one index ``ix``: a property
for every index ``0 <= ix < E``.

That reading is derived, so it is then *checked*, not trusted (`check_against`): for every
value the model allows the parameter (so the parameter must declare a maximum), the
encoding with ``E`` at that value is shown equal, step by step (guard, next state, range
checks), property by property and in its initial state, to the ordinary encoding of that
instance (its array elements ``a[k]`` read as ``select(A, k)``). Anything that differs, or
code that iterates such an array in an action, or sizes, initial values or action domains
that depend on the parameter otherwise, refuses with a reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import z3

from ..errors import ModelError, error_at_caller
from ..lang import views
from ..lang.frame import Frame, _in_sort
from ..lang.model import ModelInstance, Var
from ..lang.terms import Term, lift, sort_kind
from ..lang.types import IntSort
from .domains import CHOSEN, Family, FamilyRefused, families

PROBE = (2, 3)  # two sizes whose difference shows which arrays and bounds follow the parameter
IX = "ix!"  # the bound index of an iterated array ("!": in no state name)


class IndexRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Indexed:
    """The parameter ``param`` and the shared arrays of its size, as symbolic arrays."""

    param: str
    size: z3.ArithRef  # E
    lo: int
    hi: int  # the parameter's declared range: the reading is checked at each value
    arrays: dict[str, Var] = field(default_factory=dict)  # name -> the var in the template model
    bounded: set[str] = field(default_factory=set)  # scalar vars whose declared max is the parameter
    now: dict[str, z3.ArrayRef] = field(default_factory=dict)
    after: dict[str, z3.ArrayRef] = field(default_factory=dict)
    ix: z3.ArithRef = field(default_factory=lambda: z3.Int(IX))
    #: per frame (by its state list, which is the step's next state): the list itself, kept so that
    #: its id is not reused (a property's frame is dropped after reading; a later list at the same
    #: address was read as that frame, its primed arrays as the unprimed ones), and the arrays' terms
    frames: dict[int, tuple[object, dict[str, z3.ArrayRef]]] = field(default_factory=dict)
    iterated: list[str] = field(default_factory=list)  # where an action iterated an array
    families: set[Family] = field(default_factory=set)  # actions with an argument over the parameter
    chosen: z3.ArithRef = field(default_factory=lambda: z3.Int(CHOSEN))  # their step's index

    def in_range(self, k: z3.ArithRef) -> z3.BoolRef:
        return z3.And(k >= 0, k < self.size)

    def terms(self, state: object) -> dict[str, z3.ArrayRef]:
        """The arrays' current terms in the frame over ``state`` (new: empty)."""
        entry = self.frames.get(id(state))
        if entry is None or entry[0] is not state:
            entry = self.frames[id(state)] = (state, {})
        return entry[1]

    def terms_after(self, state: object) -> dict[str, z3.ArrayRef]:
        """The arrays' terms a frame over ``state`` wrote (none: empty), without adding one."""
        entry = self.frames.get(id(state))
        return entry[1] if entry is not None and entry[0] is state else {}


def find(model: ModelInstance, count: str, param: str) -> Indexed:
    """Which shared arrays and scalar bounds follow ``param``, from the model built at two
    sizes; anything else that changes with it refuses."""
    decl = model.model.params().get(param)
    if decl is None:
        raise IndexRefused(f"the model has no parameter '{param}'")
    if decl.max is None:
        raise IndexRefused(
            f"'{param}' declares no maximum: the parameterized reading of its arrays is checked against "
            "the model at every value the parameter may take"
        )
    lo = decl.min if decl.min is not None else 1
    if lo < 1 or any(k < lo or k > decl.max for k in PROBE):
        raise IndexRefused(f"'{param}' must allow the values {PROBE[0]}..{PROBE[1]} and none below 1")
    built = [model.model.build(**(model.param_dict() | {count: 2, param: k})) for k in PROBE]
    a, b = built
    try:  # actions over the parameter's domain: one step per index, the index chosen by the step
        chosen = families(built, PROBE, param)
    except FamilyRefused as exc:
        raise IndexRefused(exc.reason) from None
    out = Indexed(param, z3.Int(f"{param}!"), lo, decl.max, families=chosen)
    for va in a.vars:
        vb = b.var_by_name.get(va.name)
        if vb is None:
            raise IndexRefused(f"'{va.name}' exists for one value of '{param}' and not another")
        if len(va.slots) != len(vb.slots):
            if va.shape != "array" or (len(va.slots), len(vb.slots)) != PROBE:
                raise IndexRefused(f"'{va.name}' has a size that depends on '{param}' other than '{param}' itself")
            if not va.owner.is_store:
                raise IndexRefused(f"'{va.name}' is an array of '{param}' elements per replica (not implemented)")
            if not isinstance(va.sort, IntSort) or va.sort != vb.sort:
                raise IndexRefused(f"'{va.name}': only arrays of integers are read for every size")
            inits = {a.init[s] for s in va.slots} | {b.init[s] for s in vb.slots}
            if len(inits) != 1:
                raise IndexRefused(f"'{va.name}' starts with different elements: not read for every size")
            out.arrays[va.name] = va
            continue
        if va.sort != vb.sort:
            sa, sb = va.sort, vb.sort
            if isinstance(sa, IntSort) and isinstance(sb, IntSort) and sa.lo == sb.lo and (sa.hi, sb.hi) == PROBE:
                out.bounded.add(va.name)
                continue
            raise IndexRefused(f"the type of '{va.name}' depends on '{param}' other than as its maximum")
        if [a.init[s] for s in va.slots] != [b.init[s] for s in vb.slots]:
            raise IndexRefused(f"the initial value of '{va.name}' depends on '{param}'")
    if not out.arrays:
        raise IndexRefused(f"no shared array has '{param}' elements")
    return out


def prepare(ix: Indexed, model: ModelInstance) -> None:
    """The template model (built at `PROBE[0]`) with the bounds that follow the parameter as ``E``."""
    for name in ix.bounded:
        var = model.var_by_name[name]
        sort = dataclasses.replace(var.sort, hi=ix.size)  # type: ignore[type-var]
        var.sort = sort
        for s in var.slots:
            model.slots[s].sort = sort
    for name in list(ix.arrays):
        ix.arrays[name] = model.var_by_name[name]
        sort = z3.IntSort()
        ix.now[name] = z3.Array(f"{name}", z3.IntSort(), sort)
        ix.after[name] = z3.Array(f"{name}'", z3.IntSort(), sort)


class SymbolicArray:
    """A parameter-sized array as model code sees it, over the frame's z3 array term."""

    def __init__(self, ix: Indexed, frame: Frame, var: Var):
        self._ix, self._frame, self._var = ix, frame, var
        terms = ix.terms(frame.state)
        if var.name not in terms:
            # element 0's state constant says which state the frame reads (the arrays are never
            # written to the frame: its elements keep the constants it started with)
            primed = _name(frame.state[var.slots[0]]).endswith("'")
            terms[var.name] = (ix.after if primed else ix.now)[var.name]
        self._terms = terms

    def _key(self, key: Any) -> z3.ArithRef:
        if isinstance(key, Term):
            if key.kind != "int":
                raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by int, got {key!r}")
            raw = key.raw
        elif isinstance(key, int) and not isinstance(key, bool):
            raw = z3.IntVal(key)
        else:
            raise error_at_caller(ModelError, f"'{self._var.name}' is indexed by int, got {key!r}")
        self._frame.check_range(self._ix.in_range(raw), f"a key of '{self._var.name}' is outside its keys")
        return raw

    def __getitem__(self, key: Any) -> Term:
        raw = z3.Select(self._terms[self._var.name], self._key(key))
        return Term(self._frame.interp, raw, sort_kind(self._var.sort))  # type: ignore[arg-type]

    def __setitem__(self, key: Any, value: Any) -> None:
        frame, var = self._frame, self._var
        if not frame.writable:
            raise error_at_caller(ModelError, "properties only read state; this one assigns to it")
        k = self._key(key)
        raw = lift(frame.interp, value)
        ok = _in_sort(frame.interp, var.sort, raw)
        if ok is not None:
            frame.check_range(ok, f"'{var.name}' is a {var.sort.describe()}: this assignment leaves that range")
        cur = self._terms[var.name]
        if frame.conds:
            raw = z3.If(frame.interp.and_(list(frame.conds)), raw, z3.Select(cur, k))
        self._terms[var.name] = z3.Store(cur, k, raw)

    def __iter__(self) -> Iterator[Term]:
        """In a property: one element, at the bound index (the property then holds for
        every index). In an action: refused (a loop over the elements)."""
        if self._frame.writable:
            where = error_at_caller(ModelError, "").where() or "model code"
            self._ix.iterated.append(f"{where} iterates {self._var.name}")
            raise error_at_caller(ModelError, f"an action iterates '{self._var.name}'")
        yield self[Term(self._frame.interp, self._ix.ix, "int")]

    def __len__(self) -> int:
        raise error_at_caller(ModelError, f"len('{self._var.name}') depends on '{self._ix.param}'")


class Hooks:
    """While active: the template model's parameter-sized arrays are `SymbolicArray` views,
    and ``sys.params.<param>`` is ``E``."""

    def __init__(self, ix: Indexed, model: ModelInstance):
        self.ix, self.model = ix, model
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> Hooks:
        read, write = views._read_var, views._write_var
        ix, model = self.ix, self.model

        def read_var(frame: Frame, var: Var) -> Any:
            if frame.model is model and var.name in ix.arrays:
                return SymbolicArray(ix, frame, var)
            return read(frame, var)

        def write_var(frame: Frame, var: Var, value: Any) -> None:
            if frame.model is model and var.name in ix.arrays:
                raise error_at_caller(ModelError, f"'{var.name}' is assigned whole (not read for every size)")
            write(frame, var, value)

        self._saved = (read, write)
        views._read_var, views._write_var = read_var, write_var
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._saved is not None
        views._read_var, views._write_var = self._saved


class SymbolicParams:
    """The parameters, with ``param`` read as the term ``E`` inside model code."""

    def __init__(self, values: Any, param: str, size: z3.ArithRef):
        self._values, self._param, self._size = values, param, size

    def __getattr__(self, name: str) -> Any:
        if name == self._param:
            from ..lang.frame import current_frame

            frame = current_frame("a parameter")
            return Term(frame.interp, self._size, "int")
        return getattr(self._values, name)


def _name(e: Any) -> str:
    """A state constant's name (z3's printer is slow; it is called for every array access)."""
    return e.decl().name() if z3.is_const(e) else str(e)
