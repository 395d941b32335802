"""The transition templates of the parameterized encoding (`checker.param.template`).

Replica 1's steps, with its slots read as the acting replica's array elements, and the
shared components' steps; every other replica's slots are untouched by a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import z3

from ..encoding import substitute
from ..lang.model import Instance
from .reading import Refused, const_ids
from .twins import twin_mismatch

if TYPE_CHECKING:
    from .template import ParamEncoding


@dataclass
class Template:
    """One transition, over the template state ``P0 -> P1``, acting replica ``actor``."""

    index: int  # the oracle's value for this transition
    label: str  # "enactor.pick", "planner.plan"
    replica: bool  # run by the acting replica
    guard: z3.BoolRef
    next_shared: list[z3.ExprRef]
    next_local: list[z3.ExprRef | None]  # the actor's new values (None: unchanged)
    violations: list[tuple[str, z3.BoolRef]]  # range checks: (message at line, guard & ~ok)


def templates(self: ParamEncoding) -> list[Template]:
    """One transition template per step of replica 1 and of the shared components (replica 2's
    steps are checked to be replica 1's with the replicas swapped: `checker.param.twins`)."""
    enc, attr = self.enc, self.attr
    own, other = self.replica_flat[1], self.replica_flat[2]
    own_ids = {c.get_id() for c in own}
    other_ids = {c.get_id() for c in other}
    flat_x = enc.flat(enc.x)
    twins: dict[tuple[str, str], tuple[Any, Any]] = {}
    out: list[Template] = []
    for t, step in enc.fired:
        inst: Instance = getattr(t.instance, "_real", t.instance)
        nxt = enc.flat(step.next)
        changed = {c.get_id() for c, v in zip(flat_x, nxt, strict=True) if not z3.eq(c, v)}
        arrays = self.arrays_next(step)
        changed |= {i for i, v in arrays.items() if v.get_id() != i}
        new = [v for c, v in zip(flat_x, nxt, strict=True) if c.get_id() in changed]
        new += [v for i, v in arrays.items() if v.get_id() != i]
        used = set().union(*(const_ids(e) for e in [step.guard, *[c.ok for c in step.checks], *new]))
        where = f"{inst.name}.{t.label}"
        if inst.attr == attr and inst.id == 2:
            twins[(t.label, "2")] = (t, step)
            continue
        if inst.attr == attr:
            twins[(t.label, "1")] = (t, step)
            if used & other_ids or changed & other_ids:
                raise Refused(f"{where} reads or writes {attr}2's state: replicas must only use their own")
        elif used & (own_ids | other_ids) or changed & (own_ids | other_ids):
            raise Refused(f"{where} reads or writes a replica's state (a quantified reading is not implemented)")
        pairs = self.at(self.p0, self.actor)
        value = {c.get_id(): v for c, v in zip(flat_x, nxt, strict=True)} | arrays
        out.append(
            Template(
                t.index,
                f"{inst.attr}.{t.label}",
                inst.attr == attr,
                substitute(step.guard, pairs),
                [substitute(value[c.get_id()], pairs) for c in self.shared],
                [substitute(value[c.get_id()], pairs) if c.get_id() in changed else None for c in own],
                [
                    (f"{c.message} ({c.file}:{c.line})", substitute(z3.And(step.guard, z3.Not(c.ok)), pairs))
                    for c in step.checks
                ],
            )
        )
    mismatch = twin_mismatch(self.enc, self.attr, self.replica_flat, twins, self.arrays_next)
    if mismatch is not None:
        raise Refused(mismatch)
    return out


def build_trans(self: ParamEncoding) -> z3.BoolRef:
    """The transition relation over ``P0 -> P1``: one case per template, chosen by the oracle."""
    o, l0, (g1, l1) = self.enc.oracle, self.p0[1], self.p1
    cases = []
    for t in self.templates:
        parts = [o == t.index, t.guard]
        parts += [n == v for n, v in zip(g1, t.next_shared, strict=True)]
        for cur, new, v in zip(l0, l1, t.next_local, strict=True):
            parts.append(new == (z3.Store(cur, self.actor, v) if v is not None else cur))
        cases.append(z3.And(parts))
    return z3.Or(cases) if cases else z3.BoolVal(False)
