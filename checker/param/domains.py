"""Actions with an argument over a parameter-sized domain (``@action(cell="cells")``): one
step per index, for every size at once.

An instance of size ``k`` has one transition per index ``0..k-1`` (a *family*). The
parameterized encoding keeps one member and runs it with the argument a symbolic index
``at!``, chosen by the step (existentially, like the acting replica) within ``0 <= at! < E``.
The families are found from the model built at two sizes; that reading is then checked
against the model at every size, member by member (`checker.param.sizes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from ..lang.frame import current_frame
from ..lang.model import ModelInstance, Transition
from ..lang.terms import Term

CHOSEN = "at!"  # the step's chosen index ("!": in no state name)


@dataclass(frozen=True)
class Family:
    """The transitions of one instance's action that differ only in the index argument ``arg``."""

    instance: str
    action: str
    arg: str
    others: tuple[tuple[str, Any], ...]  # the other arguments, fixed


class FamilyRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def index_arg(t: Any, param: str) -> str | None:
    """The argument of ``t``'s action whose domain is ``param`` (None: it has none)."""
    found = [a for a, d in t.action.domains.items() if isinstance(d, str) and d == param]
    if len(found) > 1:
        raise FamilyRefused(f"action {t.action.name} takes {len(found)} arguments over '{param}' (one is read)")
    return found[0] if found else None


def key_of(t: Any, param: str) -> tuple[Family | str, int | None]:
    """The family of ``t`` and its index (or its label and None, outside any family)."""
    t = getattr(t, "member", t)  # a `ChosenStep`: the member it runs
    inst = getattr(t.instance, "_real", t.instance)  # not the watched view: its name is no read of the model's
    arg = index_arg(t, param)
    if arg is None:
        return f"{inst.name}.{t.label}", None
    others = tuple((a, v) for a, v in t.args.items() if a != arg)
    return Family(inst.name, t.action.name, arg, others), t.args[arg]


def families(models: list[ModelInstance], sizes: tuple[int, ...], param: str) -> set[Family]:
    """The families of the models built at ``sizes``: the same transitions but for the members
    of each family, which are exactly the indices ``0..size-1``."""
    seen: list[dict[Family | str, list[int | None]]] = []
    for m, k in zip(models, sizes, strict=True):
        found: dict[Family | str, list[int | None]] = {}
        for t in m.transitions:
            key, j = key_of(t, param)
            found.setdefault(key, []).append(j)
        for key, members in found.items():
            if isinstance(key, Family) and sorted(members) != list(range(k)):  # type: ignore[type-var]
                raise FamilyRefused(f"{key.instance}.{key.action} has not one step per index 0..{k - 1}")
        seen.append(found)
    if set(seen[0]) != set(seen[1]):
        raise FamilyRefused(f"the actions other than those over '{param}' depend on '{param}'")
    return {key for key in seen[0] if isinstance(key, Family)}


class ChosenStep:
    """A family's member 0 run with its index argument the step's symbolic choice ``at!``
    (and the guard ``0 <= at! < E``); otherwise the transition it wraps."""

    def __init__(self, t: Transition, arg: str, chosen: z3.ArithRef, in_range: Any):
        self.member, self._arg, self._chosen, self._in_range = t, arg, chosen, in_range
        self.index, self.instance, self.action = t.index, t.instance, t.action
        others = ", ".join(f"{a}={v}" for a, v in t.args.items() if a != arg)
        self.label = f"{t.action.name}({', '.join(filter(None, [f'{arg}=i', others]))})"
        inst = getattr(t.instance, "_real", t.instance)
        self.shown = f"{inst.name}.{self.label}"

    @property
    def args(self) -> dict[str, Any]:
        frame = current_frame("an action's argument")
        frame.guards.append(self._in_range(self._chosen))  # the step chooses an index of the arrays
        return {**self.member.args, self._arg: Term(frame.interp, self._chosen, "int")}

    def __str__(self) -> str:
        return self.shown


def choose(transitions: list[Any], param: str, found: set[Family], chosen: z3.ArithRef, in_range: Any) -> list[Any]:
    """The template model's transitions with each family as its member 0, choosing its index."""
    out = []
    for t in transitions:
        key, j = key_of(t, param)
        if not isinstance(key, Family):
            out.append(t)
        elif key in found and j == 0:
            out.append(ChosenStep(t, key.arg, chosen, in_range))
    return out
