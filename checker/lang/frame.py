"""One execution of model code: `Frame` holds the slot values it reads and writes, the guards
collected by `require`, the conditions of enclosing `when` blocks, and the range checks of
bounded writes; `current_frame` is the one running now."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModelError, error_at_caller
from .interp import Concrete, Interp
from .model import ModelInstance, Var
from .terms import SetLike, Term, lift, py_kind, sort_kind
from .types import EnumSort, IntSort


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

    def check_range(self, ok: Any, message: str, where: tuple[str | None, int | None] | None = None) -> None:
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
        conds = self.conds + LAZY_GUARDS if LAZY_GUARDS and not isinstance(self.interp, Concrete) else self.conds
        if conds:
            ok = self.interp.or_([self.interp.not_(self.interp.and_(list(conds))), ok])
        if isinstance(self.interp, Concrete) and ok:
            return
        if where is None:
            err = error_at_caller(ModelError, message)
            where = (err.file, err.line)
        self.checks.append(RangeCheck(ok, message, *where))


def _ite_raw(interp: Interp, c: Any, a: Any, b: Any) -> Any:
    if isinstance(a, tuple):  # a finite set under the symbolic interpretation
        return tuple(interp.ite(c, x, y) for x, y in zip(a, b, strict=True))
    return interp.ite(c, a, b)


_STACK: list[Frame] = []

#: symbolically, the conditions of the lazy branches being evaluated (`checker.lang.lazy`):
#: a check recorded inside one holds only where the branch is taken
LAZY_GUARDS: list[Any] = []


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


def _write_scalar(frame: Frame, var: Var, slot: int, value: Any) -> None:
    sort = var.sort
    kind = sort_kind(sort)  # type: ignore[arg-type]
    from .containers import ArrayView  # containers imports this module

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
