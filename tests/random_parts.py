"""The building blocks of the random models (see `tests.random_models`): what a model holds,
and the two writers (the raceproof source and the plain reference text, kept in step)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENUM_POOL = ("a", "b", "c")
PARAM_PREFIX = "n_"
BIG_INITS = (3_000_000_000, 4_000_000_000, 2**40)
BIG_LIMIT = 10**19  # beyond int64 (9.2e18)
PX = tuple[str, str]  # (raceproof text, plain text)


# ---------------------------------------------------------------------------- what a model holds
@dataclass
class VarInfo:
    name: str  # attribute name on its component
    kind: str  # int | uint | big | bool | enum | array | map | set | uset | seq
    comp: CompInfo
    lo: int | None = 0  # ints, array/map values, set elements
    hi: int | None = 1
    names: tuple[str, ...] = ()  # enums; map keys
    size: int = 0  # arrays; a seq's capacity
    size_param: bool = False
    init: Any = None
    #: a choice of initial values (``init`` is the first): several initial states
    choice: tuple[Any, ...] | None = None

    @property
    def scalar(self) -> bool:
        return self.kind in ("int", "uint", "big", "bool", "enum")

    @property
    def intlike(self) -> bool:
        return self.kind in ("int", "uint", "big")


@dataclass
class CompInfo:
    attr: str
    store: bool
    count: int | None  # None: a single instance
    count_param: bool = False
    vars: list[VarInfo] = field(default_factory=list)

    @property
    def replicated(self) -> bool:
        return self.count is not None

    @property
    def instances(self) -> list[str]:
        return [f"{self.attr}{i}" for i in range(1, self.count + 1)] if self.count else [self.attr]


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.indent + text) if text else "")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class Pair:
    """Two writers kept at the same nesting: the model's and the plain reference's."""

    def __init__(self) -> None:
        self.rp, self.py = Writer(), Writer()

    def line(self, rp: str, py: str) -> None:
        self.rp.line(rp)
        self.py.line(py)

    def push(self) -> None:
        self.rp.indent += 1
        self.py.indent += 1

    def pop(self) -> None:
        self.rp.indent -= 1
        self.py.indent -= 1


def spec_of(v: VarInfo) -> tuple[Any, ...]:
    """The plain range spec of a variable (of its elements, for collections)."""
    if v.kind in ("int", "uint", "big", "array", "map", "set", "seq"):
        return ("int", v.lo, v.hi)
    if v.kind == "uset":
        return ("int", None, None)
    if v.kind == "bool":
        return ("bool",)
    return ("enum", v.names)
