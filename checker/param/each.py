"""`--for-all` over parameters with a declared range on a model that replicates no component
(NLB's ``azs``): every value the model allows, each instance searched exhaustively.

The parameterized encoding (`checker.param.template`) needs a replicated component; NLB has
none: its AZs are arrays and actions over ``azs``, and its capacity is a sum over them. When
each named parameter declares a minimum and a maximum, "for every value" is a finite set of
instances, and exhaustive explicit search at each is a complete answer: holds at every value,
or violated at the named ones (the smallest first). An instance the search cannot finish
leaves the answer open, and says so.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from ..engines.obligations import PROVABLE
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from ..results import Verdict

MAX_STATES = 2_000_000  # per instance: beyond it the answer at that value is left open
FALLBACK_SECONDS = 60.0  # at most, for the search after a parameterized proof failed (a bonus, not the answer)
MAX_SHOWN = 4  # violating instances named in the reason
MAX_INSTANCES = 400  # values of the parameters together (NLB: azs x nodes_per_az = 80)


@dataclass
class EachSize:
    """What exhaustive search found at every value of the parameters."""

    decided: bool  # every allowed value has a complete verdict
    why: str
    holds: list[dict[str, int]] = field(default_factory=list)
    violated: list[tuple[dict[str, int], list[str]]] = field(default_factory=list)  # values, properties violated
    skipped: int = 0  # values the model does not allow together (its parameter constraints)


def enumerable(model: ModelInstance, names: list[str]) -> str | None:
    """None if every parameter in ``names`` declares a range and they span at most
    MAX_INSTANCES instances; else why not."""
    params = model.model.params()
    total = 1
    for n in names:
        d = params[n]
        if d.min is None or d.max is None:
            return f"'{n}' declares no {'minimum' if d.min is None else 'maximum'}: its values cannot all be searched"
        total *= d.max - d.min + 1
    if total > MAX_INSTANCES:
        return f"{' x '.join(names)} take {total} values together (at most {MAX_INSTANCES} are searched)"
    return None


def decide_each(model: ModelInstance, names: list[str], properties: list[str], timeout: float | None) -> EachSize:
    """Exhaustive explicit search of ``properties`` at every value of ``names`` the model
    allows (the other parameters as in ``model``), the smallest values first."""
    from ..engine_choice import unbounded_state
    from ..engines.explicit import run_explicit  # the engines import the language; only this entry needs them

    params = model.model.params()
    started = time.monotonic()
    ranges = [range(params[n].min, params[n].max + 1) for n in names]  # type: ignore[arg-type, operator]
    combos = sorted(itertools.product(*ranges), key=lambda c: (sum(c), c))
    out = EachSize(False, "")
    for combo in combos:
        values = dict(zip(names, combo, strict=True))
        at = ", ".join(f"{n}={v}" for n, v in values.items())
        given = model.param_dict() | values
        if model.model.check_params(given):
            out.skipped += 1
            continue
        left = None if timeout is None else timeout - (time.monotonic() - started)
        if left is not None and left <= 0:
            out.why = f"not decided: the time ran out before {at}"
            return out
        try:
            instance = model.model.build(**given)
            infinite = unbounded_state(instance)
            if infinite:  # breadth-first search would not end
                out.why = f"not decided: at {at} the instance is infinite ({', '.join(infinite[:3])} unbounded)"
                return out
            results = run_explicit(instance, properties, max_states=MAX_STATES, timeout=left)
        except RaceproofError as exc:
            out.why = f"not decided: at {at} the model fails: {exc}"
            return out
        bad = [r.name for r in results if r.verdict == Verdict.VIOLATED]
        open_ = [r.name for r in results if r.verdict not in (Verdict.HOLDS, Verdict.VIOLATED)]
        if open_:  # every property needs its verdict here: the others' are read per property
            out.why = f"not decided: at {at} the exhaustive search did not finish ({', '.join(open_)})"
            return out
        if bad:
            out.violated.append((values, bad))
        else:
            out.holds.append(values)
    out.decided = True
    out.why = f"decided at each of {len(out.holds) + len(out.violated)} instance(s)"
    return out


def verdict_for(found: EachSize, name: str, model: ModelInstance, names: list[str]) -> tuple[bool, str]:
    """(holds at every value, why) for the property ``name``."""
    if not found.decided:
        return False, found.why
    params = model.model.params()
    ranges = ", ".join(f"{n} {params[n].min}..{params[n].max}" for n in names)
    allowed = f"every value the model allows ({ranges}" + (
        f"; {found.skipped} combination(s) it rejects)" if found.skipped else ")"
    )
    bad = [v for v, props in found.violated if name in props]
    good = found.holds + [v for v, props in found.violated if name not in props]
    if not bad:
        return True, f"holds for {allowed}: exhaustive search at each of {len(good)} instance(s)"
    shown = ", ".join(f"{n}={v}" for n, v in bad[0].items())
    if len(names) == 1:  # the values, as ranges
        where = f" ({_span(bad, names)})", f" ({_span(good, names)})" if good else ""
    else:  # the instances, a few
        more = f" and {len(bad) - MAX_SHOWN} more" if len(bad) > MAX_SHOWN else ""
        where = f" ({'; '.join(', '.join(f'{n}={v}' for n, v in b.items()) for b in bad[:MAX_SHOWN])}{more})", ""
    why = (
        f"violated at {shown} (the smallest; exhaustive search, a replayed counterexample); of {allowed}, "
        f"{len(bad)} instance(s) violate it{where[0]} and {len(good)} hold{where[1]}"
    )
    return False, why


def smallest_violated(found: EachSize, name: str) -> dict[str, int] | None:
    """The first values (the smallest: `decide_each` searches them in that order) where the
    search found ``name`` violated, with a replayed counterexample; None if it found none."""
    return next((dict(v) for v, props in found.violated if name in props), None)


def _span(found: list[dict[str, int]], names: list[str]) -> str:
    """The values where it holds, per parameter (``azs 3..6``)."""
    parts = []
    for n in names:
        vs = sorted({v[n] for v in found})
        parts.append(f"{n} {vs[0]}..{vs[-1]}" if vs == list(range(vs[0], vs[-1] + 1)) else f"{n} in {vs}")
    return ", ".join(parts)


def every_value(
    model: ModelInstance,
    names: list[str],
    properties: list[str],
    timeout: float | None,
    violated: dict[str, dict[str, int]] | None = None,
) -> dict[str, str]:
    """When a parameterized proof is refused or fails: what exhaustive search finds at every
    value of ``names`` (property -> the finding), where each declares its range and this
    instance is finite; nothing otherwise (an infinite instance is never searched). Each
    property violated at some value gets its smallest one in ``violated`` (unless it has one)."""
    from ..engine_choice import unbounded_state

    if enumerable(model, names) is not None or unbounded_state(model):
        return {}
    found = decide_each(model, names, properties, min(timeout, FALLBACK_SECONDS) if timeout else FALLBACK_SECONDS)
    if violated is not None:
        for n in properties:
            at = smallest_violated(found, n)
            if at is not None:
                violated.setdefault(n, at)
    return {n: ("every value searched: " if found.decided else "") + verdict_for(found, n, model, names)[1]
            for n in properties}  # fmt: skip


def safety(model: ModelInstance, names: list[str]) -> list[str]:
    return [n for n in names if model.properties[n].kind in PROVABLE]


def for_each_size(spec: Any, model: ModelInstance, names: list[str], properties: list[str] | None,
                  engine: str, timeout: float | None, certificate: str | None):  # type: ignore[no-untyped-def]  # fmt: skip
    """`raceproof prove --for-all` on a model without a replica count: this instance's
    verdicts (`checker.run.prove_spec`), each safety property's reason saying what exhaustive
    search found at every value of ``names``."""
    from ..run import prove_spec, time_limit  # run imports the engines; only this entry needs it

    wanted = properties or spec.properties
    checked = safety(model, wanted)
    limit = time_limit(timeout, spec)
    started = time.monotonic()
    found = decide_each(model, names, checked, None if limit is None else limit / 2) if checked else None
    counted: dict[str, Any] = {}
    if found is not None and found.decided and len(names) == 1:  # for every size, not only those declared
        from .counting_run import after_search

        violated = {n: [v[names[0]] for v, props in found.violated if n in props] for n in checked}
        share = None if limit is None else max(limit / 2 - (time.monotonic() - started), 1.0)
        counted = after_search(model, names[0], checked, violated, share)
    left = timeout if limit is None else max(limit - (time.monotonic() - started), 1.0)
    result = prove_spec(spec, wanted, engine, left, certificate)
    everyone = ",".join(names)
    this = ", ".join(f"{n}={model.param_dict()[n]}" for n in names)
    for r in result.results:
        if found is None or r.name not in checked:
            continue
        holds, why = verdict_for(found, r.name, model, names)
        r.extra["for_all_instance"] = {"at": this, "reason": r.reason}  # the terminal shows the two apart
        r.reason = f"for all {everyone.replace(',', ' and ')}: {why}; this instance ({this}): {r.reason}"
        r.extra["for_all"] = everyone
        r.extra["for_all_holds" if holds else "for_all_failure"] = True if holds else why
        at = smallest_violated(found, r.name)
        if at is not None:  # where `--for-all-strict` fails the run
            r.extra["for_all_violated_at"] = at
        if r.name in counted:
            from .counting_run import note_on

            note_on(r, counted[r.name], model.model.params()[names[0]].min or 1, holds, certificate)
    result.seconds = time.monotonic() - started
    return result
