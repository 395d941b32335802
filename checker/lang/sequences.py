"""Bounded sequences as model code sees them, under either interpretation: the reads.

`SeqLike` holds what every sequence offers: `len`/`length`, `head`, indexing, `get`,
`contains`, `is_empty`, `all`/`any`, `select`, `concat`, `==`. `SeqValue` is a sequence
computed in model code (`select`, `concat`, a list literal), to be assigned to a state
sequence; `checker.lang.seqview.SeqView` is a state sequence (``self.q``, ``sys.channel``),
which adds the updates (`append`, `pop`, `tail`, element writes). Both work on raw values of
the running interpretation: Python values concretely, z3 terms symbolically, so BMC, the
proofs and the explicit engine (compiled from the symbolic encoding) interpret one action
body alike.

The slot layout is canonical (`checker.lang.seqdecl`): every operation keeps the slots at or
beyond the length at the element sort's default. Errors follow the rule of arrays (see
`Frame.check_range`): an append beyond the capacity, the head of an empty sequence, an index
outside the length are model errors at their line on a step that fires, never otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ModelError, error_at_caller
from .frame import Frame
from .interp import Concrete, Interp
from .terms import Term, lift, py_kind, sort_kind
from .types import ScalarSort, scalar_default


class SeqLike:
    """What a state sequence and a computed one share: the read-only operations.

    A subclass gives `_elem(i)` (the raw element in position i, 0 <= i < capacity),
    `_len()` (the raw length) and the fields below."""

    _interp: Interp
    _sort: ScalarSort
    _cap: int
    _what: str  # how messages name this sequence

    def _elem(self, i: int) -> Any: ...

    def _len(self) -> Any: ...

    # -- helpers
    @property
    def _kind(self) -> str:
        return sort_kind(self._sort)

    def _default(self) -> Any:
        return self._interp.const(scalar_default(self._sort))

    def _term(self, raw: Any, kind: str | None = None) -> Term:
        return Term(self._interp, raw, kind or self._kind)

    def _lt_len(self, i: Any) -> Any:
        """Raw "position i (a Python int or raw int) is inside the length"."""
        return self._interp.binop("lt", self._interp.const(i) if isinstance(i, int) else i, self._len())

    def _elem_raw(self, value: Any, what: str) -> Any:
        kind = value.kind if isinstance(value, Term) else py_kind(value)
        if kind != self._kind or isinstance(value, SeqLike):
            raise error_at_caller(
                ModelError, f"{self._what}.{what}: elements are {self._sort.describe()}, got {value!r}"
            )
        return lift(self._interp, value)

    def _frame(self) -> Frame:
        from .frame import current_frame

        return current_frame("a sequence operation")

    def value(self) -> SeqValue:
        """The whole sequence as a value (to assign, compare or combine)."""
        return SeqValue(self._interp, self._sort, [self._elem(i) for i in range(self._cap)], self._len(), self._what)

    # -- reads
    @property
    def length(self) -> Term:
        """The number of elements (a state value)."""
        return self._term(self._len(), "int")

    def len(self) -> Term:  # noqa: A003 - the sequence's own length, as in TLA+'s Len(s)
        """The number of elements (a state value); ``len(q)`` cannot be one."""
        return self.length

    def __len__(self) -> int:
        raise error_at_caller(
            ModelError,
            f"len({self._what}) would have to be a Python int, but the length is state: use {self._what}.len()",
        )

    def is_empty(self) -> Term:
        return self._term(self._interp.binop("eq", self._len(), self._interp.const(0)), "bool")

    def is_full(self) -> Term:
        return self._term(self._interp.binop("eq", self._len(), self._interp.const(self._cap)), "bool")

    def head(self) -> Term:
        """The first element; on an empty sequence a model error (if the step fires)."""
        self._frame().check_range(self._lt_len(0), f"{self._what}.head(): the sequence is empty")
        return self._term(self._elem(0) if self._cap else self._default())

    def __getitem__(self, index: Any) -> Term:
        """The element at position ``index`` (0-based; a Python int or a state int)."""
        interp, frame = self._interp, self._frame()
        if isinstance(index, Term) and index.kind == "int" and not isinstance(interp, Concrete):
            i = lift(interp, index)
            inside = interp.and_([interp.binop("ge", i, interp.const(0)), self._lt_len(i)])
            frame.check_range(inside, f"an index of '{self._what}' is outside its length")
            raw = self._default()
            for k in range(self._cap - 1, -1, -1):
                raw = interp.ite(interp.binop("eq", i, interp.const(k)), self._elem(k), raw)
            return self._term(raw)
        position = constant_position(index, self._what, self._cap)
        if position is None:  # a concrete state index outside the capacity
            frame.defer_error(f"index {lift(interp, index)!r} is outside '{self._what}' (capacity {self._cap})")
            return self._term(self._default())
        frame.check_range(self._lt_len(position), f"index {position} is outside '{self._what}' (its length)")
        return self._term(self._elem(position))

    def get(self, index: Any, default: Any) -> Term:
        """The element at ``index``, or ``default`` where ``index`` is outside the length: a read
        guarded by the length (``q[i]`` there is a model error)."""
        interp = self._interp
        fallback = self._elem_raw(default, "get")
        if isinstance(index, Term):
            if index.kind != "int":
                raise error_at_caller(ModelError, f"'{self._what}' is indexed by int positions, got {index!r}")
            i = lift(interp, index)
        elif isinstance(index, bool) or not isinstance(index, int):
            raise error_at_caller(ModelError, f"'{self._what}' is indexed by int positions (from 0), got {index!r}")
        else:
            i = interp.const(index)
        raw = fallback
        for k in range(self._cap - 1, -1, -1):
            here = interp.and_([interp.binop("eq", i, interp.const(k)), self._lt_len(k)])
            raw = interp.ite(here, self._elem(k), raw)
        return self._term(raw)

    def contains(self, value: Any) -> Term:
        interp, x = self._interp, self._elem_raw(value, "contains")
        return self._term(
            interp.or_(
                [interp.and_([self._lt_len(i), interp.binop("eq", self._elem(i), x)]) for i in range(self._cap)]
            ),
            "bool",
        )

    def _holds(self, pred: Callable[[Term], Any], i: int, what: str) -> Any:
        """The raw value of ``pred`` on element i, judged only where i is inside the length:
        an undefined read in ``pred`` on an absent element is no error (as concretely)."""
        frame = self._frame()
        frame.conds.append(self._lt_len(i))
        try:
            result = pred(self._term(self._elem(i)))
        finally:
            frame.conds.pop()
        if isinstance(result, bool):
            return self._interp.const(result)
        if not isinstance(result, Term) or result.kind != "bool":
            raise error_at_caller(ModelError, f"{self._what}.{what}: the predicate must return a bool")
        return result.raw

    def all(self, pred: Callable[[Term], Any]) -> Term:  # noqa: A003 - TLA+'s \A x \in Range(s)
        """Whether ``pred`` holds for every element."""
        interp = self._interp
        parts = self._each(pred, "all")
        return self._term(interp.and_([interp.or_([interp.not_(self._lt_len(i)), p]) for i, p in parts]), "bool")

    def any(self, pred: Callable[[Term], Any]) -> Term:  # noqa: A003 - TLA+'s \E x \in Range(s)
        """Whether ``pred`` holds for some element."""
        interp = self._interp
        parts = self._each(pred, "any")
        return self._term(interp.or_([interp.and_([self._lt_len(i), p]) for i, p in parts]), "bool")

    def _each(self, pred: Callable[[Term], Any], what: str) -> list[tuple[int, Any]]:
        if isinstance(self._interp, Concrete):  # only the elements there are (pred may index with them)
            return [(i, self._holds(pred, i, what)) for i in range(self._len())]
        return [(i, self._holds(pred, i, what)) for i in range(self._cap)]

    def select(self, pred: Callable[[Term], Any]) -> SeqValue:
        """The elements for which ``pred`` holds, in order (TLA+'s SelectSeq): a value to assign."""
        interp = self._interp
        if isinstance(interp, Concrete):
            kept = [self._elem(i) for i, ok in self._each(pred, "select") if ok]
            return SeqValue.of(interp, self._sort, kept, self._cap, self._what)
        # order-preserving compaction: element i goes to position "kept before i" if it is kept
        keep = [interp.and_([self._lt_len(i), p]) for i, p in self._each(pred, "select")]
        before: list[Any] = [interp.const(0)]
        for k in keep:
            before.append(interp.ite(k, interp.binop("add", before[-1], interp.const(1)), before[-1]))
        elems = []
        for j in range(self._cap):
            raw = self._default()
            for i in range(self._cap - 1, j - 1, -1):
                at_j = interp.and_([keep[i], interp.binop("eq", before[i], interp.const(j))])
                raw = interp.ite(at_j, self._elem(i), raw)
            elems.append(raw)
        return SeqValue(interp, self._sort, elems, before[-1], self._what)

    def concat(self, other: Any) -> SeqValue:
        """This sequence followed by ``other`` (TLA+'s ``\\o``): a value to assign, whose length
        is checked against the capacity of the sequence it is assigned to."""
        b = as_value(self._interp, self._sort, other, f"{self._what}.concat")
        interp, n = self._interp, self._cap + b._cap
        if isinstance(interp, Concrete):
            items = [self._elem(i) for i in range(self._len())] + [b._elem(i) for i in range(b._len())]
            return SeqValue.of(interp, self._sort, items, n, self._what)
        elems = []
        for j in range(n):
            # position j: this sequence's element j if j < len, else other's element j - len
            raw = self._default()
            for k in range(min(j, b._cap - 1), -1, -1):  # other's element k lands at j when len == j - k
                if j - k <= self._cap:
                    raw = interp.ite(interp.binop("eq", self._len(), interp.const(j - k)), b._elem(k), raw)
            if j < self._cap:
                raw = interp.ite(self._lt_len(j), self._elem(j), raw)
            elems.append(raw)
        return SeqValue(interp, self._sort, elems, interp.binop("add", self._len(), b._len()), self._what)

    def __eq__(self, other: Any) -> Term:  # type: ignore[override]
        b = as_value(self._interp, self._sort, other, f"{self._what} ==")
        interp = self._interp
        parts = [interp.binop("eq", self._len(), b._len())]
        # equal lengths and equal elements up to the shorter capacity, within the length (the
        # padding of two element types may differ)
        parts += [
            interp.or_([interp.not_(self._lt_len(i)), interp.binop("eq", self._elem(i), b._elem(i))])
            for i in range(min(self._cap, b._cap))
        ]
        return self._term(interp.and_(parts), "bool")

    def __ne__(self, other: Any) -> Term:  # type: ignore[override]
        return ~(self == other)

    __hash__ = None  # type: ignore[assignment]

    # -- refusing Python control flow
    def __bool__(self) -> bool:
        raise error_at_caller(ModelError, f"a sequence used as a Python bool; use {self._what}.is_empty()")

    def __contains__(self, value: Any) -> bool:
        raise error_at_caller(ModelError, f"`x in {self._what}` cannot be a state value; use .contains(x)")

    def __iter__(self) -> Any:
        raise error_at_caller(
            ModelError,
            f"a sequence's length is state, so Python cannot iterate '{self._what}': "
            "use .all(pred), .any(pred), .contains(x), .select(pred) or index it",
        )


class SeqValue(SeqLike):
    """A sequence computed in model code: raw elements (canonical: the default beyond the
    length) and a raw length. Assign it to a state sequence."""

    def __init__(self, interp: Interp, sort: ScalarSort, elems: list[Any], length: Any, what: str):
        self._interp, self._sort, self._elems, self._length, self._what = interp, sort, elems, length, what
        self._cap = len(elems)

    @classmethod
    def of(cls, interp: Interp, sort: ScalarSort, items: list[Any], capacity: int, what: str) -> SeqValue:
        """A value of these raw items (concretely: Python values), padded to ``capacity``."""
        capacity = max(capacity, len(items))
        pad = [interp.const(scalar_default(sort))] * (capacity - len(items))
        return cls(interp, sort, list(items) + pad, interp.const(len(items)), what)

    def _elem(self, i: int) -> Any:
        return self._elems[i]

    def _len(self) -> Any:
        return self._length

    def __repr__(self) -> str:
        return f"<seq {self._what}>"


def constant_position(index: Any, what: str, capacity: int) -> int | None:
    """A constant position (raising at the line if it can never be inside), or None for a
    concrete state index outside the capacity (an error only if the step fires)."""
    state_index = isinstance(index, Term)
    if state_index:
        if index.kind != "int":
            raise error_at_caller(ModelError, f"'{what}' is indexed by int positions, got {index!r}")
        index = index.raw
    if isinstance(index, bool) or not isinstance(index, int):
        raise error_at_caller(ModelError, f"'{what}' is indexed by int positions (from 0), got {index!r}")
    if 0 <= index < capacity:
        return index
    if state_index:
        return None
    raise error_at_caller(ModelError, f"index {index} is outside '{what}' (positions 0..{capacity - 1}, from 0)")


def as_value(interp: Interp, sort: ScalarSort, value: Any, what: str) -> SeqValue:
    """A sequence, list or tuple of elements as a `SeqValue` (the elements' types checked)."""
    if isinstance(value, SeqValue):
        return value
    if isinstance(value, SeqLike):
        if value._interp is not interp:
            raise error_at_caller(ModelError, "values from two different executions were mixed")
        if value._kind != sort_kind(sort):
            raise error_at_caller(ModelError, f"{what}: elements are {sort.describe()}, not {value._sort.describe()}")
        return value.value()
    if isinstance(value, list | tuple):
        raws = []
        for v in value:
            kind = v.kind if isinstance(v, Term) else py_kind(v)
            if kind != sort_kind(sort):
                raise error_at_caller(ModelError, f"{what}: elements are {sort.describe()}, got {v!r}")
            raws.append(lift(interp, v))
        return SeqValue.of(interp, sort, raws, len(raws), what)
    raise error_at_caller(ModelError, f"{what}: expected a sequence or a list of elements, got {value!r}")
