"""The declaration of a bounded sequence, ``Seq(elem, capacity)``, and its slot layout.

A sequence is lowered to plain slots, so every engine (explicit, BMC, induction, PDR, the
parameterized prover, simulation) handles it without knowing sequences exist: ``capacity``
element slots followed by one length slot (an Int 0..capacity). The layout is *canonical*:
a slot at or beyond the length always holds the element sort's default value
(`types.scalar_default`), and every operation that shrinks a sequence resets the slots it
frees (`checker.lang.sequences`). So one sequence value is exactly one state, and the
distinct-state counts are those of a tool (TLC) that stores the sequence itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ModelError, error_at_caller
from .types import Dim, IntSort, Scalar, ScalarSort, StateDecl, resolve, scalar_default


class Seq(StateDecl):
    """A sequence of at most ``capacity`` scalars (``capacity``: int, parameter name or function).

    ``init`` is a list of elements (or a function of the parameters returning one); empty by
    default. Appending beyond the capacity is a model error at that line, on a step that fires.
    """

    def __init__(self, elem: Scalar, capacity: Dim, init: Iterable[Any] | Callable[[Any], Iterable[Any]] = ()) -> None:
        super().__init__()
        if not isinstance(elem, Scalar):
            raise error_at_caller(ModelError, "Seq(...) holds scalars: Bool(), Int(...) or Enum(...)")
        self.elem, self.capacity, self.init = elem, capacity, init

    def resolve_capacity(self, params: Any) -> int:
        capacity = resolve(self.capacity, params, self)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise self.fail(f"capacity {capacity!r} is not a non-negative int")
        return capacity

    def resolve_init(self, params: Any, sort: ScalarSort, capacity: int) -> list[Any]:
        """The initial slot values: the elements, padded with the default, then the length."""
        given = resolve(self.init, params, self)
        try:
            values = list(given)
        except TypeError:
            raise self.fail(f"initial value {given!r} is not a list of elements") from None
        if len(values) > capacity:
            raise self.fail(f"initial value has {len(values)} elements, the capacity is {capacity}")
        for v in values:
            if not sort.check(v):
                raise self.fail(f"initial element {v!r} is not a {sort.describe()}")
        return (
            [str(v) if isinstance(v, str) else v for v in values]
            + padding(sort, capacity - len(values))
            + [len(values)]
        )


def padding(sort: ScalarSort, count: int) -> list[Any]:
    """What the slots beyond a sequence's length hold (the canonical layout)."""
    return [scalar_default(sort)] * count


def length_sort(capacity: int) -> IntSort:
    return IntSort(0, capacity)


def contents(slots: range, state: tuple[Any, ...] | list[Any]) -> list[Any]:
    """The elements of the sequence laid out in ``slots`` (elements, then the length)."""
    length = state[slots[-1]]
    return [state[i] for i in slots[:-1][:length]]


def slot_values(sort: ScalarSort, slots: range, elements: list[Any]) -> list[Any] | None:
    """The slot values of a sequence with ``elements`` (None if it does not fit the capacity)."""
    capacity = len(slots) - 1
    if len(elements) > capacity:
        return None
    return list(elements) + padding(sort, capacity - len(elements)) + [len(elements)]


def absent(slots: range, slot: int, state: tuple[Any, ...] | list[Any]) -> bool:
    """Whether ``slot`` is an element slot at or beyond the length of the sequence in ``slots``
    (a don't-care padding value that explanations leave out)."""
    return slot != slots[-1] and slot - slots.start >= state[slots[-1]]


def changed(var: Any, slot: int, before: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
    """Whether a step changed ``slot`` of ``var`` as people see it: its value, or for a
    sequence's element also whether it is in the sequence (it enters with the default value)."""
    if before[slot] != after[slot]:
        return True
    return var.shape == "seq" and absent(var.slots, slot, before) != absent(var.slots, slot, after)
