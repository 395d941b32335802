"""Every replica count a model allows, instance by instance, where no parameterized reading exists.

A model may declare a small range for its replica count (DWFM: ``workers`` 1..2). When the
parameterized proof refuses the model (its code counts the replicas, or one step changes
every replica, as DWFM's clock tick ages every worker: a counting abstraction would then be
unsound, see the README), each count in that range is still a finite instance: its verdict
is the ordinary per-instance one. This states, per property, the verdict at every count the
model allows, which is a claim about every size the model admits, never a proof for any
larger N (the model does not have one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..lang.model import ModelInstance
from ..params import Override
from ..results import Verdict
from ..spec import Spec

MAX_COUNTS = 4  # counts in the declared range: more are left to the parameterized proof


def allowed_counts(model: ModelInstance, count: str) -> list[int] | None:
    """The replica counts the model allows, when it declares a range of at most MAX_COUNTS."""
    decl = model.model.params().get(count)
    if decl is None or decl.max is None:
        return None
    lo = max(decl.min if decl.min is not None else 1, 1)
    sizes = [n for n in range(lo, decl.max + 1) if not model.model.check_params(model.param_dict() | {count: n})]
    return sizes if 0 < len(sizes) <= MAX_COUNTS else None


def every_count(
    spec: Spec,
    model: ModelInstance,
    count: str,
    names: list[str],
    here: dict[str, Any],
    prove: Callable[..., Any],
    engine: str,
    timeout: float | None,
    violated: dict[str, dict[str, int]] | None = None,
) -> dict[str, str]:
    """Per property of ``names``: its verdict at every count the model allows ("" if that is
    not a small declared range), ``here`` holding the results at the spec's own count. Each
    property violated at some count gets the smallest in ``violated`` (unless it has one)."""
    sizes = allowed_counts(model, count)
    if sizes is None:
        return {}
    mine = model.param_dict()[count]
    found: dict[int, dict[str, Any]] = {mine: here}
    started = time.monotonic()
    for n in sizes:
        if n in found:
            continue
        left = None if timeout is None else max(timeout - (time.monotonic() - started), 1.0) / len(sizes)
        other = prove(spec.with_params([Override(count, n, f"{count}={n}")]), names, engine, left)
        found[n] = {r.name: r for r in other.results}
    out = {}
    for name in names:
        verdicts = {n: found[n][name].verdict for n in sizes}
        bad = [n for n in sizes if verdicts[n] is Verdict.VIOLATED]  # a replayed counterexample (prove_spec)
        if bad and violated is not None:
            violated.setdefault(name, {count: bad[0]})
        shown = ", ".join(f"{count}={n}: {v.value}" for n, v in verdicts.items())
        if all(v in (Verdict.HOLDS, Verdict.PROVED) for v in verdicts.values()):
            head = f"holds at every {count} the model allows ({sizes[0]}..{sizes[-1]}), instance by instance"
        else:
            head = f"at every {count} the model allows ({sizes[0]}..{sizes[-1]}), instance by instance"
        out[name] = f"{head} ({shown}; not a parameterized proof: the model declares no larger {count})"
    return out
