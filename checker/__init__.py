"""raceproof: find races in distributed control planes, and prove their fixes.

The model API, re-exported for model authors::

    from checker import Model, Process, Store, Param, Int, Bool, Enum, Array, Map, Set
    from checker import action, require, when, ite, all_of, any_of, implies
    from checker import invariant, action_invariant, reachable, recoverable, eventually
"""

from .model import (
    Model,
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
from .runtime import require, when
from .terms import all_of, any_of, implies, ite, max_, min_
from .types import Array, Bool, Enum, Int, Map, Set

__version__ = "0.1.0"

__all__ = [
    "Array", "Bool", "Enum", "Int", "Map", "Model", "Param", "Process", "Set", "Store",
    "action", "action_invariant", "all_of", "any_of", "eventually", "implies", "invariant", "ite",
    "max_", "min_", "reachable", "recoverable", "require", "when",
]  # fmt: skip
