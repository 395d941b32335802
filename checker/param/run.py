"""`raceproof prove SPEC --for-all PARAM`: prove a spec's invariants for every replica count.

The parameterized proof (`checker.param.infer`) is tried first. Each property it proves
is reported proved for all ``PARAM ≥ 1`` (the other parameters as the spec sets them),
with the quantified invariant and its re-checked certificate. Whatever it does not prove
falls back to the ordinary per-instance proof (`checker.run.prove_spec`), whose verdict
is reported with the reason the parameterized proof failed: a refusal (model code that
could differ with the number of replicas), a lemma that is not inductive with its
counterexample to induction, or a violation at a smaller size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..engines.obligations import PROVABLE, Clock
from ..errors import RaceproofError, SpecError
from ..lang.model import ModelInstance
from ..results import PropertyResult, Verdict
from ..spec import Spec
from .certificate import recheck, to_smtlib
from .counting_run import LIVENESS, liveness_note
from .counts import check_counts
from .declared import every_count
from .infer import Attempt, Ground, search
from .sizes import check_replica_props, check_sizes
from .template import ParamEncoding, Refused

ENGINE = "param"
SIZES = (1, 2, 3)  # the instance ladder: the cutoff is the first size whose lemmas generalize
INDEX_SIZES = (2, 3)  # array sizes on the ladder (1 cannot tell endpoint 0 from the others)
PARAM_SHARE = 0.5  # of the spec's time limit


@dataclass
class ForAll:
    """The outcome of a parameterized proof attempt."""

    proved: bool
    why: str  # the reason it is (not) proved
    invariant: list[str]
    certificate_text: str | None = None
    cutoff: int | None = None
    violated_at: int | None = None
    violated_sizes: dict[str, int] | None = None  # where it is violated: the replica count, and the array size
    violated_properties: list[str] | None = None  # the properties the replayed counterexamples violate there


def prove_for_all(
    model: ModelInstance, count: str, properties: list[str], timeout: float | None, index: str | None = None
) -> ForAll:
    """Prove ``properties`` (invariants and action invariants) for every value ≥ 1 of the
    replica count ``count`` (and, with ``index``, of that parameter, which sizes shared
    arrays: `checker.param.index`), the other parameters as in ``model``."""
    clock = Clock(timeout)
    sets = "auto"
    first = ""  # why the plain reading refused, when the keyed one is tried instead
    try:
        pe = ParamEncoding(model, count, sets=sets, properties=properties, index=index)
    except Refused as exc:
        if index is not None or " reads sys." not in exc.reason:
            return ForAll(False, f"refused: {exc.reason}", [])
        # code that reads the replicas themselves: all_of/any_of over them may be quantifiers
        # (`checker.param.keyed`), a reading then checked at every count
        first = exc.reason
        try:
            pe = ParamEncoding(model, count, sets=sets, properties=properties, keyed=True)
        except Refused as again:
            return ForAll(False, f"refused: {first}; read with quantifiers over the replicas: {again.reason}", [])
    if pe.keyed:  # sets and actions over replica identities: the whole reading, at every count
        differs = check_counts(pe, model)
        if differs is not None:
            why = f"the reading of {pe.attr} identities differs from the model {differs}"
            return ForAll(
                False, f"refused: {first}; read with quantifiers instead: {why}" if first else f"refused: {why}", []
            )
    differs = check_replica_props(pe, model)
    if differs is not None:
        where = pe.members.iterated[0] if pe.members.iterated else "model code"
        return ForAll(False, f"refused: a property over the replicas ({where}): {differs}", [])
    if index is not None:
        differs = check_sizes(pe, model)
        if differs is not None:
            return ForAll(False, f"refused: not for all {index}: the parameterized reading differs {differs}", [])
    param = model.model.params().get(count)
    top = param.max if param is not None and param.max is not None else max(SIZES)
    counts = [k for k in SIZES if k <= top and (param is None or param.min is None or k >= param.min)]
    sizes = [{count: k} for k in counts]
    if index is not None:
        assert pe.ix is not None
        sizes = [{count: k, index: m} for m in INDEX_SIZES if pe.ix.lo <= m <= pe.ix.hi for k in counts]
    everyone = count if index is None else f"{count} and {index}"
    try:
        attempt = search(pe, model, properties, clock, sizes, pe.enc.sets)
        if attempt.violated_at is not None and (attempt.small is not None or attempt.violations is not None):
            return _violated(attempt, count, properties, clock)
    except RaceproofError as exc:  # a model error (a reachable write out of range) at a small size
        return ForAll(False, f"not proved for all {everyone}: {exc}", [])
    if not attempt.implied:
        return ForAll(False, _failure(attempt, everyone), [])
    lemmas = attempt.lemmas
    title = f"{model.model.__module__}:{model.model.__qualname__}, properties {', '.join(properties)}"
    others = _others(model, count, index)
    text = to_smtlib(pe, Ground(pe), lemmas, f"{title}; for all {everyone} >= 1; {others}")
    check = recheck(text)
    if not check.ok:
        return ForAll(False, f"the quantified invariant failed the re-check: {check.describe()}", [])
    lines = [m.text for m in sorted(lemmas, key=lambda m: (m.arity, m.indexed, m.text))]
    every = f"{count} ≥ 1" if index is None else f"{count} ≥ 1 and {index} ≥ 1"
    checked = ""
    if pe.ix is not None:
        checked = (
            f"; the reading of the {index}-sized arrays was checked equal to the model at every {index} the model "
            f"allows ({pe.ix.lo}..{pe.ix.hi})"
        )
    if pe.keyed:
        decl = model.model.params()[count]
        checked += (
            f"; the reading of {pe.attr} identities (sets of them, actions over a chosen {pe.attr}, all_of/any_of "
            f"over {pe.attr}) checked equal to the model at every {count} it allows ({decl.min or 1}..{decl.max})"
        )
    if pe.quantified:
        decl = model.model.params()[count]
        checked += (
            f"; {', '.join(sorted(pe.quantified))} read for every {pe.attr} replica, checked equal to the model at "
            f"every {count} it allows ({decl.min or 1}..{decl.max})"
            + (f" with every {index} ({pe.ix.lo}..{pe.ix.hi})" if pe.ix is not None else "")
        )
    why = (
        f"proved for all {every} ({others}): quantified inductive invariant of "
        f"{len(lemmas)} lemma(s) generalized from {attempt.at} (the cutoff); {check.describe()}{checked}"
    ) + "".join(f"; {note}" for note in attempt.budgets)  # budgets that ran out (`checker.param.budget`)
    return ForAll(True, why, lines, text, attempt.cutoff)


def _counted(
    model: ModelInstance, count: str, names: list[str], outcomes: dict[str, ForAll], share: float | None
) -> None:
    """The properties the quantified reading refused, with counters: proved for every count
    from its minimum replaces the refusal; anything else is added to its reason. When they
    are not proved together, each is tried alone: one violated property (DWFM's collapse
    breaks `queue_bounded` at one worker) must not keep the others from their proofs."""
    from .counting_proof import count_for_all

    started = time.monotonic()
    lowest = model.model.params()[count].min or 1
    refused = {n: outcomes[n].why.split(" [", 1)[0] for n in names}  # where the quantified reading refused

    def attempt(group: list[str], budget: float | None) -> bool:
        # only a proof from the minimum replaces a refusal; the other properties may serve as lemmas
        found = count_for_all(model, count, group, budget, ladder=0, helpers=names)
        if found.proved and found.from_size is not None and found.from_size <= lowest:
            why = f"{found.why} (the quantified reading {refused[group[0]]})"
            outcomes.update(dict.fromkeys(group, ForAll(True, why, found.invariant, found.certificate_text)))
            return True
        for n in group:
            outcomes[n] = ForAll(False, f"{outcomes[n].why}; with counters: {found.why}", [])
        return False

    if attempt(names, share) or len(names) == 1:
        return
    for i, n in enumerate(names):
        left = None if share is None else max(share - (time.monotonic() - started), 1.0) / (len(names) - i)
        # the joint attempt's note goes: this property's own attempt says what counters found
        outcomes[n] = ForAll(False, outcomes[n].why.split("; with counters: ", 1)[0], [])
        attempt([n], left)


def _violated(attempt: Attempt, count: str, properties: list[str], clock: Clock) -> ForAll:
    """A violation at a small size, with a concretely replayed trace: found by breadth-first search
    or BMC, or Spacer's, confirmed by BMC."""
    from ..engines.kind_base import Base  # the BMC search that PDR uses to confirm its counterexamples

    at = attempt.at
    if attempt.violations is not None:  # found by BMC or breadth-first search there, replayed
        depths = attempt.violations
    else:
        assert attempt.small is not None
        found = Base(attempt.small, symmetry=False).search(properties, attempt.depth + 1, clock) or {}
        depths = {n: d for n, (d, _) in found.items()}
    if not depths:
        return ForAll(False, f"PDR reports a violation with {count}={at} that BMC did not confirm in time", [])
    shown = ", ".join(f"{n} in {d} steps" for n, d in sorted(depths.items()))
    return ForAll(
        False,
        f"violated with {at} (a replayed counterexample: {shown}"
        + (f"; found by {attempt.found_by})" if attempt.found_by else ")"),
        [],
        violated_at=attempt.violated_at,
        violated_sizes=dict(attempt.sizes),
        violated_properties=sorted(depths),
    )


def _violated_at(outcome: ForAll, name: str) -> dict[str, int] | None:
    """Where ``outcome`` has a replayed counterexample to ``name`` (None: it has none for it;
    a joint attempt's violation is another property's when its counterexamples do not name this one)."""
    if outcome.proved or outcome.violated_sizes is None:
        return None
    if outcome.violated_properties is not None and name not in outcome.violated_properties:
        return None
    return dict(outcome.violated_sizes)


def _replica_count(spec: Spec, model: ModelInstance, given: str) -> tuple[str, str | None, str]:
    """The replica count of ``--for-all``, the one array size it may also name (proved for
    every value too: `checker.param.index`), and what is left as the spec sets it (said in
    the third value). A name the model does not have is bad input."""
    names = [n.strip() for n in given.split(",") if n.strip()]
    params = model.model.params()
    for n in names:
        if n not in params:
            known = ", ".join(params)
            raise SpecError(f"--for-all: the model has no parameter '{n}' (it has: {known})", str(spec.path))
    counts = {c.count for c in model.model.components().values() if isinstance(c.count, str)}
    chosen = [n for n in names if n in counts]
    if len(chosen) != 1:
        raise SpecError(
            f"--for-all: name one replica count (a parameter that is a component's count: "
            f"{', '.join(sorted(counts)) or 'this model has none'}); got {given!r}",
            str(spec.path),
        )
    rest = list(dict.fromkeys(n for n in names if n != chosen[0]))
    index = rest.pop(0) if rest else None
    if not rest:
        return chosen[0], index, ""
    shown = ", ".join(f"{n}={model.param_dict()[n]!r}" for n in rest)
    return chosen[0], index, f"not for all {', '.join(rest)}: one array size at a time ({shown} kept)"


def _each_size(spec: Spec, model: ModelInstance, given: str) -> list[str] | None:
    """The parameters to search at every value (`checker.param.each`): those named, when the
    model replicates no component and each declares its range; None: the parameterized
    proof's case, or bad input that `_replica_count` reports."""
    from .each import enumerable

    names = list(dict.fromkeys(n.strip() for n in given.split(",") if n.strip()))
    params = model.model.params()
    counts = {c.count for c in model.model.components().values() if isinstance(c.count, str)}
    if not names or any(n not in params for n in names) or counts:  # a model with replicas: name their count
        return None
    why = enumerable(model, names)
    if why is not None:
        raise SpecError(
            f"--for-all: the model replicates no component (no replica count), and every value of "
            f"{', '.join(names)} cannot be searched instead: {why}",
            str(spec.path),
        )
    return names


def _others(model: ModelInstance, count: str, index: str | None = None) -> str:
    others = ", ".join(f"{k}={v!r}" for k, v in model.param_dict().items() if k not in (count, index))
    return f"the other parameters: {others}" if others else "the model has no other parameters"


def _failure(attempt: Attempt, count: str) -> str:
    return _why_not(attempt, count) + "".join(f"; {note}" for note in attempt.budgets)


def _why_not(attempt: Attempt, count: str) -> str:
    learned = [s for s in attempt.steps if "∀-lemmas" in s]
    if attempt.unknown and not learned:
        return f"not proved for all {count}: {attempt.unknown}"
    if attempt.unknown:  # the ladder ran out of time after sizes whose lemmas did not generalize: say both
        parts = [f"not proved for all {count}: {attempt.unknown}", f"the ladder: {'; '.join(attempt.steps)}"]
        if attempt.failure:
            parts.append(f"after {learned[-1].split(':')[0]}: {attempt.failure}")
        if attempt.dropped:
            parts.append("not inductive: " + attempt.dropped[0])
        return "; ".join(parts)
    parts = [f"no ∀-invariant found at {'; '.join(s.split(':')[0] for s in attempt.steps)}"]
    if attempt.failure:
        parts.append(attempt.failure)
    if attempt.dropped:
        parts.append("not inductive: " + attempt.dropped[0])
    return "; ".join(parts)


def prove_spec_for_all(
    spec: Spec,
    count: str,
    properties: list[str] | None = None,
    engine: str = "auto",
    timeout: float | None = None,
    certificate: str | None = None,
):  # type: ignore[no-untyped-def]
    """The spec's results with its invariants proved for all ``count`` where that succeeds
    (a `checker.run.SpecResult`); the rest as `checker.run.prove_spec` finds them."""
    from ..run import SpecResult, prove_spec, time_limit  # run imports the engines; only this entry needs it

    model = spec.build()
    each = _each_size(spec, model, count)
    if each is not None:  # no replica count named: every value of bounded parameters, searched
        from .each import for_each_size

        return for_each_size(spec, model, each, properties, engine, timeout, certificate)
    named = list(dict.fromkeys(n.strip() for n in count.split(",") if n.strip()))
    count, index, skipped = _replica_count(spec, model, count)
    names = properties or spec.properties
    started = time.monotonic()
    limit = time_limit(timeout, spec)  # None: no limit
    safety = [n for n in names if model.properties[n].kind in PROVABLE]
    # at most half the time: the per-instance proof must still have time to give its verdict
    share = PARAM_SHARE * limit if limit is not None else None
    outcome = ForAll(False, "no invariant to prove", [])
    notes: list[str] = []  # what was not read for every size (said with each property's answer)
    if safety:
        outcome = prove_for_all(model, count, safety, share, index)
    if safety and index is not None and not outcome.proved and outcome.why.startswith(f"refused: not for all {index}"):
        # the arrays cannot be read for every size: for every replica count at this size, then
        left_share = None if share is None else max(share - (time.monotonic() - started), 1.0)
        notes.append(f"{outcome.why.removeprefix('refused: ')} ({index}={model.param_dict()[index]!r} kept)")
        outcome = prove_for_all(model, count, safety, left_share)
        index = None
    everyone = count if index is None else f"{count},{index}"
    notes += [skipped] if skipped else []
    outcomes = {n: outcome for n in safety}
    if not outcome.proved and outcome.violated_at is not None and len(safety) > 1:
        # one of them is violated at a small size: the others may still hold for every size
        for n in safety:
            left_share = None if share is None else max(share - (time.monotonic() - started), 1.0) / len(safety)
            alone = prove_for_all(model, count, [n], left_share, index)
            outcomes[n] = alone if alone.proved or alone.violated_at is not None else outcome
    refused_now = [n for n in safety if not outcomes[n].proved and outcomes[n].why.startswith("refused")]
    refused_now = refused_now if named == [count] else []  # the count alone: counters cover no array size
    if refused_now:  # aggregates over the replicas: counters, one per local state (`checker.param.counting_proof`)
        left_share = None if share is None else max(share - (time.monotonic() - started), 1.0)
        _counted(model, count, refused_now, outcomes, left_share)
    for one in {id(o): o for o in outcomes.values()}.values():  # (several properties may share one)
        one.why += "".join(f"; {note}" for note in notes)
    proved: dict[str, PropertyResult] = {}
    written: dict[int, str] = {}
    for n in safety:
        one = outcomes[n]
        if not one.proved:
            continue
        extra = {"invariant": one.invariant, "for_all": everyone, "cutoff": one.cutoff}
        if certificate and one.certificate_text is not None:
            if id(one) not in written:
                path = Path(certificate)
                if one is not outcome:  # proved alone: a certificate per property
                    path = path.with_name(f"{path.stem}.{n}{path.suffix}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(one.certificate_text)
                written[id(one)] = str(path)
            extra["certificate"] = written[id(one)]
        proved[n] = PropertyResult(
            n, model.properties[n].kind, Verdict.PROVED, ENGINE, reason=one.why, seconds=time.monotonic() - started,
            checked=True, extra=dict(extra),
        )  # fmt: skip
    rest = [n for n in names if n not in proved]
    left = timeout if limit is None else max(limit - (time.monotonic() - started), 1.0)  # inf stays inf
    other = prove_spec(spec, rest, engine, left, certificate if not proved else None) if rest else None
    found = {r.name: r for r in (other.results if other else [])} | proved
    results = [found[n] for n in names]
    this = ", ".join(f"{n}={model.param_dict()[n]}" for n in everyone.split(","))
    searched: dict[str, str] = {}
    # property -> the smallest size found violated with a replayed counterexample (`--for-all-strict`)
    violated: dict[str, dict[str, int]] = {n: at for n in safety if (at := _violated_at(outcomes[n], n))}
    unproved = [n for n in safety if n not in proved and outcomes[n].violated_at is None]
    if unproved:  # refused or not found: every value, where the model bounds them (`checker.param.each`)
        from .each import every_value

        left_share = None if share is None else max(share - (time.monotonic() - started), 1.0)
        searched = every_value(model, named, unproved, left_share, violated)
    refused = [r.name for r in results if r.name in safety and r.name not in proved and r.name not in searched]
    refused = [n for n in refused if outcomes[n].why.startswith("refused") and index is None]
    every: dict[str, str] = {}
    if refused:  # a small declared range of counts: each one's verdict (`checker.param.declared`)
        left = timeout if limit is None else max(limit - (time.monotonic() - started), 1.0)
        every = every_count(spec, model, count, refused, found, prove_spec, engine, left, violated)
    for r in results:
        r.expected = spec.expect.get(r.name)
        if not r.reason and r.trace is not None:  # (BMC's counterexamples carry their evidence, not a reason)
            r.reason = f"{r.verdict.value} in {len(r.trace)} steps (shortest; replayed concretely)"
        if model.properties[r.name].kind in LIVENESS:  # not read for every count: say so
            liveness_note(r, everyone.replace(",", " and "), this)
        if r.name in safety and r.name not in proved:
            why = outcomes[r.name].why
            more = f"; instead, {searched[r.name]}" if r.name in searched else ""
            r.extra["for_all_instance"] = {"at": this, "reason": r.reason}  # the terminal shows the two apart
            r.reason = f"for all {everyone.replace(',', ' and ')}: {why}{more}; this instance ({this}): {r.reason}"
            r.extra["for_all"] = everyone
            r.extra["for_all_failure"] = why
            if r.name in searched:
                r.extra["for_all_searched"] = searched[r.name]
            if every.get(r.name):
                r.reason += f"; {every[r.name]}"
                r.extra["for_all_counts"] = every[r.name]
            if r.name in violated:
                r.extra["for_all_violated_at"] = violated[r.name]
    sr = SpecResult(spec, results, time.monotonic() - started, spec.depth, f"prove --for-all {everyone}")
    sr.coverage = other.coverage if other else None
    return sr
