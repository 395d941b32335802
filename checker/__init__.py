"""raceproof: find races in distributed control planes, and prove their fixes.

The model API, re-exported for model authors::

    from checker import Model, Process, Store, Param, Int, Bool, Enum, Array, Map, Set, Seq, Ref
    from checker import action, initial, require, when, ite, all_of, any_of, sum_of, count_of, implies
    from checker import invariant, action_invariant, reachable, recoverable, eventually
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lang.aggregates import count_of, sum_of
    from .lang.declare import (
        Param,
        Process,
        Store,
        action,
        action_invariant,
        eventually,
        invariant,
        reachable,
        recoverable,
    )
    from .lang.initial import initial
    from .lang.model import Model
    from .lang.refs import Ref
    from .lang.runtime import require, when
    from .lang.seqdecl import Seq
    from .lang.terms import all_of, any_of, implies, ite, max_, min_
    from .lang.types import Array, Bool, Enum, Int, Map, Set

# The model API is imported on first use (PEP 562), not with the package: commands that never
# touch a model (a fully cached `raceproof gate`, the pytest plugin in a normal pytest run)
# must not pay for importing z3 and numpy.
_EXPORTS = {
    "Model": ".lang.model",
    "initial": ".lang.initial",
    **dict.fromkeys(
        ("Param", "Process", "Store", "action", "action_invariant", "eventually", "invariant", "reachable",
         "recoverable"),
        ".lang.declare",
    ),
    **dict.fromkeys(("require", "when"), ".lang.runtime"),
    **dict.fromkeys(("all_of", "any_of", "implies", "ite", "max_", "min_"), ".lang.terms"),
    **dict.fromkeys(("Array", "Bool", "Enum", "Int", "Map", "Set"), ".lang.types"),
    "Seq": ".lang.seqdecl",
    "Ref": ".lang.refs",
    "choose": ".lang.choice",
    **dict.fromkeys(("sum_of", "count_of"), ".lang.aggregates"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'checker' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


__version__ = "0.1.0"

__all__ = [
    "Array", "Bool", "Enum", "Int", "Map", "Model", "Param", "Process", "Ref", "Seq", "Set", "Store",
    "action", "action_invariant", "all_of", "any_of", "choose", "count_of", "eventually", "implies", "initial",
    "invariant", "ite",
    "max_", "min_", "reachable", "recoverable", "require", "sum_of", "when",
]  # fmt: skip
