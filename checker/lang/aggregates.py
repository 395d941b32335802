"""``sum_of`` and ``count_of``: sums over replicas (or any iterable) that every engine reads as a sum.

At a fixed size they are exactly Python's ``sum`` of the values (``count_of``: of
``ite(b, 1, 0)``), so the explicit, BMC, k-induction and PDR engines need nothing new. They
exist so that the counting reading (`checker.param.counting`) can tell a symmetric
aggregate over the replicas (one value per replica, added up) from arbitrary code that
iterates them: while it reads model code, ``HOOK`` is set and receives the iterable
unevaluated, and turns the sum into ``Σ_s N[s]·f(s)`` over the replicas' local states.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .terms import Term, ite

#: set only while `checker.param.counting` reads model code: (name, iterable) -> the aggregate
HOOK: Callable[[str, Any], Any] | None = None


def _items(values: tuple[Any, ...]) -> Any:
    if len(values) == 1 and not isinstance(values[0], Term | bool | int):
        return values[0]
    return iter(values)


def sum_of(*values: Any) -> Any:
    """The sum of the values (terms or ints); takes them, or one iterable of them."""
    return _fold("sum_of", values, lambda v: v)


def count_of(*values: Any) -> Any:
    """How many of the conditions hold; takes them, or one iterable of them."""
    return _fold("count_of", values, lambda b: ite(b, 1, 0))


def _fold(name: str, values: tuple[Any, ...], each: Any) -> Any:
    items = _items(values)
    if HOOK is not None:  # the counting reading (`checker.param.counting`) takes the items
        return HOOK(name, items)
    total: Any = 0
    for v in items:
        total = total + each(v)
    return total
