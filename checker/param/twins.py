"""The two replicas are twins: replica 2's steps are replica 1's with the two replicas' slots
swapped, term for term. `checker.param.template` reads replica 1's steps as templates for
every replica, and refuses (with the reason given here) when the code singles one out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

from ..encoding import Encoding, substitute
from .valid import valid

SAME_TIMEOUT_MS = 10_000  # per pair of terms that are not the same syntactically


def twin_mismatch(
    enc: Encoding,
    attr: str,
    replica_flat: dict[int, list[z3.ExprRef]],
    twins: dict[tuple[str, str], tuple[Any, Any]],
    arrays_next: Callable[[Any], dict[int, z3.ExprRef]],
) -> str | None:
    """Where replica 2's steps are not replica 1's with the replicas' slots swapped, term for
    term (None: they all are). ``twins`` maps (label, "1" or "2") to each replica's (transition,
    step); ``arrays_next`` gives a step's parameter-sized arrays (`ParamEncoding.arrays_next`)."""
    own, other = replica_flat[1], replica_flat[2]
    swap = list(zip(own, other, strict=True)) + list(zip(other, own, strict=True))
    position = {c.get_id(): i for i, c in enumerate(enc.flat(enc.x))}
    labels = {label for label, _ in twins}
    for label in sorted(labels):
        if (label, "1") not in twins or (label, "2") not in twins:
            return f"{attr}.{label} is enabled for one replica and not the other"
        (_, s1), (_, s2) = twins[(label, "1")], twins[(label, "2")]
        n1, n2 = enc.flat(s1.next), enc.flat(s2.next)
        perm = list(range(len(n1)))
        for a, b in zip(own, other, strict=True):
            perm[position[a.get_id()]], perm[position[b.get_id()]] = position[b.get_id()], position[a.get_id()]
        pairs = [(s1.guard, s2.guard)] + [(n1[i], n2[perm[i]]) for i in range(len(n1))]
        a1, a2 = arrays_next(s1), arrays_next(s2)
        pairs += [(a1[i], a2[i]) for i in a1]
        pairs += [(c1.ok, c2.ok) for c1, c2 in zip(s1.checks, s2.checks, strict=False)]
        same = len(s1.checks) == len(s2.checks) and all(_same(e1, substitute(e2, swap)) for e1, e2 in pairs)
        if not same:
            return f"{attr}2.{label} is not {attr}1.{label} with the replicas swapped: the code singles one out"
    return None


def _same(a: z3.ExprRef, b: z3.ExprRef) -> bool:
    """``a`` and ``b`` are equal for every value of their constants: the same term, the same
    after simplification, or (e.g. lambdas whose bound variables are named apart) by z3."""
    if z3.eq(a, b) or z3.eq(z3.simplify(a), z3.simplify(b)):
        return True
    return valid(a == b, SAME_TIMEOUT_MS)  # unknown: not shown equal, so not the same
