"""How a permutation of one component's replicas acts on states, `Ref` values included.

For a permutation π of the replicas of component C, the image of a state moves each replica's
slots to π's replica, renames every `Ref` to C (a scalar, an array element, a map value) by π,
re-keys every map keyed by ``Ref(C)`` (π's key gets the value) and renames the elements of every
``Set(Ref(C))``. ``"none"`` names no replica and stays. Without `Ref`s to C this is the plain
swap of the replicas' slots that symmetry reduction has always used.

`SlotAction` is that image for one π, as data: where each slot's value goes (``target``) and
which slots hold names to rename. `checker.symmetry` applies it to z3 terms (is π an
automorphism of the model?), the explicit engine to concrete states and numpy matrices (a
canonical representative per orbit), and BMC's symmetry breaking to a state (``π(x) = x``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import z3

from .lang.finite import finite_values
from .lang.model import Instance, ModelInstance, Var
from .lang.refs import Ref, RefSort
from .lang.types import SetSort

#: the most permutations a canonical form may try per state (6 replicas of one component, or
#: e.g. 3 x 3 of two): beyond it the replicas that `Ref`s point at are not reduced (said so)
MAX_PERMUTATIONS = 720


def _refers(sort: Any, attr: str) -> bool:
    return isinstance(sort, RefSort) and sort.target == attr


def _keyed_by(var: Var, attr: str) -> bool:
    key = getattr(var.decl, "key", None)
    return isinstance(key, Ref) and key.target == attr


def referenced(model: ModelInstance) -> dict[str, str]:
    """Replicated components that some state or action argument refers to by `Ref`: attr ->
    the first such slot or argument (for the output)."""
    found: dict[str, str] = {}
    for var in model.vars:
        for sort in (var.sort, getattr(var.sort, "elem", None)):
            if isinstance(sort, RefSort):
                found.setdefault(sort.target, var.name)
        key = getattr(var.decl, "key", None)
        if isinstance(key, Ref):
            found.setdefault(key.target, var.name)
    for inst in model.instances:
        for act in type(inst.component).action_decls():
            for arg, dom in act.domains.items():
                if isinstance(dom, Ref):
                    found.setdefault(dom.target, f"argument '{arg}' of {inst.attr}.{act.name}")
    return found


@dataclass
class SlotAction:
    """π acting on states: slot ``s``'s value, renamed, lands in slot ``target[s]``."""

    attr: str
    rename: dict[str, str]  # replica name -> its image (only names π moves)
    target: list[int]
    ref_slots: frozenset[int]  # slots holding a Ref to ``attr``: their values are renamed
    set_slots: frozenset[int]  # slots holding a Set of Refs to ``attr``: their elements are renamed

    @property
    def source(self) -> list[int]:
        out = [0] * len(self.target)
        for s, t in enumerate(self.target):
            out[t] = s
        return out

    def value(self, slot: int, v: Any) -> Any:
        """A concrete value of ``slot`` (before moving) as π renames it."""
        if slot in self.ref_slots:
            return self.rename.get(v, v)
        if slot in self.set_slots:
            return frozenset(self.rename.get(e, e) for e in v)
        return v

    def apply(self, state: tuple[Any, ...]) -> tuple[Any, ...]:
        out: list[Any] = [None] * len(state)
        for s, v in enumerate(state):
            out[self.target[s]] = self.value(s, v)
        return tuple(out)

    def is_identity(self) -> bool:
        return not self.rename

    # -- z3
    def z3_value(self, model: ModelInstance, enum_const: Any, slot: int, v: Any) -> Any:
        """A z3 value of ``slot`` (an expression, or a finite set's tuple of bits) renamed by π."""
        if slot in self.ref_slots:
            out = v
            for a, b in self.rename.items():
                out = z3.If(v == enum_const(a), enum_const(b), out)
            return out
        if slot in self.set_slots:
            names = finite_values(model.slots[slot].sort.elem)  # type: ignore[union-attr]
            inverse = {b: a for a, b in self.rename.items()}
            return tuple(v[names.index(inverse.get(n, n))] for n in names)
        return v

    def z3_image(self, model: ModelInstance, enum_const: Any, state: list[Any]) -> list[Any]:
        """π(state) for a z3 state (a list of per-slot expressions or bit tuples)."""
        out: list[Any] = [None] * len(state)
        for s, v in enumerate(state):
            out[self.target[s]] = self.z3_value(model, enum_const, s, v)
        return out


def slot_action(model: ModelInstance, attr: str, rename: dict[str, str]) -> SlotAction:
    """The action on states of renaming ``attr``'s replicas by ``rename`` (a bijection)."""
    rename = {a: b for a, b in rename.items() if a != b}
    by_name = {inst.name: inst for inst in model.instances}
    target = list(range(len(model.slots)))
    ref_slots, set_slots = set(), set()
    for var in model.vars:
        owner = var.owner
        image = by_name[rename.get(owner.name, owner.name)] if owner.attr == attr else owner
        name = next(n for n, v in owner.vars.items() if v is var)
        tvar = image.vars[name]
        keyed = _keyed_by(var, attr)
        for pos, slot in enumerate(var.slots):
            tpos = tvar.keys.index(rename.get(var.keys[pos], var.keys[pos])) if keyed else pos
            target[slot] = tvar.slots[tpos]
            if _refers(var.sort, attr):
                ref_slots.add(slot)
            elif isinstance(var.sort, SetSort) and _refers(var.sort.elem, attr):
                set_slots.add(slot)
    return SlotAction(attr, rename, target, frozenset(ref_slots), frozenset(set_slots))


def transposition(model: ModelInstance, a: Instance, b: Instance) -> SlotAction:
    return slot_action(model, a.attr, {a.name: b.name, b.name: a.name})


def all_permutations(model: ModelInstance, groups: list[list[Instance]]) -> Iterator[list[SlotAction]]:
    """Every element of the product of the groups' symmetric groups, as one action per group
    (they act on different replicas and names, so in any order)."""
    per_group = [
        [slot_action(model, g[0].attr, dict(zip((i.name for i in g), p, strict=True)))
         for p in itertools.permutations([i.name for i in g])]
        for g in groups
    ]  # fmt: skip
    for combo in itertools.product(*per_group):
        yield [a for a in combo if not a.is_identity()]
