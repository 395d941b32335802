"""Candidate ∀-lemmas from the model with its optional bounds lifted (`checker.param.infer`).

A bound such as ``max_plans = 6`` (a ``Param(None, type=int)``: none is unbounded) makes the
plan store six booleans, one per generation, where the unbounded model keeps an interval. PDR
then learns lemmas about concrete generations on the bounded instances, slowly, and they do
not generalize; on the unbounded model the same search is fast and its lemmas are about the
relations that make the design safe (tokens and plans, endpoints and Enactors).

So the search is first run on the model with those bounds set to none, and the ∀-lemmas it
keeps, read over the bounded model's state by name, become candidates here. They are guesses
only: a lemma is kept only if Houdini shows it inductive on *this* model's parameterized
encoding (together with the other candidates), and nothing is reported proved before the
certificate, written for this model, is re-checked. A lemma naming state this model does not
have (``plans.lo``) is left out; so is every lemma if the two models name enum values differently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import z3

from ..engines.generalize import state_consts
from ..engines.obligations import Clock
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from .budget import sub_budget, within
from .lemmas import Lemma
from .template import ParamEncoding, Refused

if TYPE_CHECKING:
    from .infer import Ground

RELAX_SHARE = 0.5  # of the time left: what the search on the model with bounds lifted may take (it is
# the quick route: on the bounded instances PDR is slow, and what is left is theirs)


def lifted(model: ModelInstance, keep: set[str]) -> dict[str, Any]:
    """The parameters set to a number that the model also allows as none ("unbounded"), but
    for those in ``keep`` (the replica count and the index): name -> None. Empty: nothing to lift."""
    out: dict[str, Any] = {}
    for name, decl in model.model.params().items():
        if name in keep or decl.default is not None or decl.type is not int:
            continue
        if model.param_dict().get(name) is not None:
            out[name] = None
    return out


def _vocabulary(pe: ParamEncoding, ground: Ground) -> dict[str, z3.ExprRef]:
    """The constants a candidate over ``pe``'s template state may use, by name."""
    out = {c.decl().name(): c for c in [*pe.p0[0], *pe.p0[1], *ground.bound, ground.ibound]}
    if pe.ix is not None:
        out[pe.ix.size.decl().name()] = pe.ix.size
    return out


def relaxed_candidates(
    pe: ParamEncoding,
    ground: Ground,
    model: ModelInstance,
    properties: list[str],
    clock: Clock,
    sizes: list[dict[str, int]],
    notes: list[str] | None = None,
) -> tuple[list[Lemma], str, int | None]:
    """The ∀-lemmas the search keeps on ``model`` with its optional bounds lifted, over
    ``pe``'s state; where they were generalized (or why there are none); the cutoff there.
    ``notes`` gets the budgets that ran out there (`checker.param.budget`)."""
    from .infer import Ground as RelaxedGround  # infer imports this module; the search is its own
    from .infer import search

    lift = lifted(model, {pe.count, *([pe.ix.param] if pe.ix is not None else [])})
    if not lift:
        return [], "no bound to lift", None
    where = ", ".join(f"{n}=none" for n in lift)
    try:
        relaxed = model.model.build(**(model.param_dict() | lift))
        rpe = ParamEncoding(relaxed, pe.count, properties=properties, index=pe.ix.param if pe.ix else None)
    except (Refused, RaceproofError) as exc:
        return [], f"with {where} the model is not read: {exc}", None
    if rpe.enc.interp.enum_names != pe.enc.interp.enum_names or not set(properties) <= set(rpe.props):
        return [], f"with {where} the model names its values differently", None
    # in CPU time, as each size's budget is (`checker.param.budget`): the deadline stays the hard limit
    budget = sub_budget(clock, RELAX_SHARE)
    # no breadth-first looks here: a violation of the model without its bounds is not this
    # model's, and the caller's search has looked at this model's small sizes already
    try:
        attempt = within(budget, lambda: search(rpe, relaxed, properties, budget, sizes, "auto", looks=False))
    except RaceproofError as exc:  # an error of the model without the bound is not this model's
        return [], f"with {where} the search failed: {exc}", None
    if attempt is None:
        return [], f"with {where}: no answer in its budget", None
    if notes is not None:
        notes += [f"{n} with {where}" for n in attempt.budgets]
    if not attempt.implied:
        return [], f"with {where}: not proved ({attempt.failure or attempt.unknown or 'no invariant'})", None
    rground = RelaxedGround(rpe)
    mine = _vocabulary(pe, ground)
    theirs = _vocabulary(rpe, rground)
    out = []
    for lemma in attempt.lemmas:
        pairs = []
        for name, c in state_consts(lemma.body).items():
            target = mine.get(name)
            if target is None or target.sort() != c.sort() or name not in theirs:
                break
            if not target.eq(c):
                pairs.append((c, target))
        else:
            body = z3.substitute(lemma.body, *pairs) if pairs else lemma.body
            out.append(Lemma(lemma.arity, body, lemma.text, f"{attempt.at} with {where}", lemma.indexed))
    return out, f"{attempt.at} with {where}", attempt.cutoff
