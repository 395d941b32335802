"""Finite sorts as lists of values, and the limit on how many values raceproof enumerates
for one declaration (a set's possible elements, a map's keys, an array's length, a
component's instances): beyond it a model is refused at the parameter that set the size; and
an argument's declared domain (of an action or an `@initial` hook) as its list of values."""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from .types import BoolSort, EnumSort, IntSort, ScalarSort, StateDecl

#: the most values raceproof enumerates for one declaration: the elements a set may hold, a
#: map's keys, an array's length, a component's instances. Beyond it a model (``max_plans =
#: 10**9``) would build lists and solver variables until memory runs out: refused instead.
MAX_ENUMERATED = 10_000


def too_large(err: ModelError, what: str, dim: Any) -> ModelError:
    """``err``, explained, and blaming the parameter that set the size (its spec line)."""
    param = dim if isinstance(dim, str) else None
    by = f" (set by parameter '{param}': lower it)" if param else ""
    err.message += f": {what} is more than the {MAX_ENUMERATED:,} raceproof enumerates{by}"
    err.args = (err.message,)
    err.param = param
    return err


def check_enumerable(decl: StateDecl, what: str, sort: ScalarSort, scalar: Any) -> None:
    if isinstance(sort, IntSort) and sort.finite:
        count = sort.hi - sort.lo + 1  # type: ignore[operator]
        if count > MAX_ENUMERATED:
            # the bound given by a parameter's name is the one to blame (max first)
            dim = next(
                (b for b in (getattr(scalar, "max", None), getattr(scalar, "min", None)) if isinstance(b, str)), None
            )
            raise too_large(decl.fail(f"{what} range over {sort.describe()}"), f"{count:,} values", dim)


def finite_values(sort: ScalarSort) -> list[Any]:
    """The values of a finite scalar sort, in the order the symbolic encoding uses."""
    if isinstance(sort, BoolSort):
        return [False, True]
    if isinstance(sort, EnumSort):
        return list(sort.names)
    assert isinstance(sort, IntSort) and sort.finite
    return list(sort.values())


def domain_values(value: Any, arg: str, owner: str, file: str | None, line: int | None) -> list[Any]:
    """The values of argument ``arg``'s resolved domain ``value``: an int n is ``range(n)``, else
    any collection; anything else is a model error at ``owner``'s declaration (``file``:``line``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = range(value)
    try:
        return list(value)
    except TypeError:
        raise ModelError(f"{owner}: the domain of '{arg}' is {value!r}, not a collection", file, line) from None
