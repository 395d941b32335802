"""Coverage and vacuity: which actions ever fired, which `reachable` properties were witnessed.

A check that passes says nothing if half the model never ran: a guard that is never true
makes every property about that action hold vacuously. So each check also reports, per
action *declaration* (``enactor.apply`` stands for ``enactor1.apply`` .. ``enactorN.apply``
and every argument combination), whether it fired. Replicas are merged on purpose: with
symmetry reduction the search fires only one replica of a class of interchangeable ones
(the explicit engine stores one representative, BMC lets the lowest-numbered identical
replica move), so a per-replica list would report replicas as dead that are merely
represented by their twins.

An action falls in one of four groups:

- ``fired``: seen firing (explicit search: with its count of fired (state, transition)
  pairs over the stored representatives; BMC: ``None``, the solver shows it *can* fire
  within the bound but does not count);
- ``never``: it cannot fire: in no reachable state (an exhausted explicit search or
  BMC run), or in no trace of up to ``depth`` steps (BMC);
- ``undetermined``: not seen, but the search stopped (every property answered, a limit,
  a timeout) before that could be decided;
- ``static``: its guard is false whatever the state, for these parameters (e.g. the DNS
  model's ``take_token``, which only the ``fencing_token_late`` variant uses). That is the
  model's way of switching an action off, not a dead action, so it is listed but never fails.

`raceproof check --strict` turns ``never`` actions and unwitnessed `reachable` properties
into failures (exit 1), and ``undetermined`` ones into an inconclusive run (exit 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .lang.model import ModelInstance, Transition
from .results import ExitCode, PropertyResult, Verdict


def action_key(t: Transition) -> str:
    """The declaration a transition belongs to: component attribute and action name."""
    return f"{t.instance.attr}.{t.action.name}"


def action_keys(model: ModelInstance) -> dict[str, list[int]]:
    """Every action declaration of the model, in declaration order, with its transition indices."""
    keys: dict[str, list[int]] = {}
    for t in model.transitions:
        keys.setdefault(action_key(t), []).append(t.index)
    return keys


def action_coverage(
    model: ModelInstance,
    live: Iterable[int],
    fired: Mapping[str, int | None],
    decided: bool,
    scope: str,
    unknown: Iterable[str] = (),
) -> dict[str, Any]:
    """The coverage record engines store in ``PropertyResult.extra["coverage"]``.

    ``live``: indices of the transitions whose guard is not statically false; ``fired``:
    action key -> count (or None when uncounted); ``decided``: whether an action not in
    ``fired`` is known not to fire within ``scope`` (else it is undetermined); ``unknown``:
    keys left undetermined even so (a solver query that timed out)."""
    live_set, unknown_set = set(live), set(unknown)
    out: dict[str, Any] = {"scope": scope, "fired": {}, "never": [], "undetermined": [], "static": []}
    for key, indices in action_keys(model).items():
        if key in fired:
            out["fired"][key] = fired[key]
        elif not live_set.intersection(indices):
            out["static"].append(key)
        elif decided and key not in unknown_set:
            out["never"].append(key)
        else:
            out["undetermined"].append(key)
    return out


def counts_by_action(model: ModelInstance, per_transition: Mapping[int, int]) -> dict[str, int]:
    """Firing counts per transition index, summed per action declaration (zero counts left out)."""
    out: dict[str, int] = {}
    for index, count in per_transition.items():
        if count:
            key = action_key(model.transitions[index])
            out[key] = out.get(key, 0) + count
    return out


def spec_coverage(results: list[PropertyResult], record: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A spec's coverage: the engines' action record (``record``, else the first result's
    that has one: every result of one engine run shares it) and the `reachable` properties
    not witnessed."""
    if record is None:
        record = next((r.extra["coverage"] for r in results if "coverage" in r.extra), None)
    if record is None:
        return None
    out = dict(record)
    out["unwitnessed"] = [r.name for r in results if r.kind == "reachable" and r.verdict is not Verdict.WITNESSED]
    return out


def strict_problems(coverage: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """What ``--strict`` objects to: (failures, undecided). Failures are dead actions and
    unwitnessed `reachable` properties; undecided are actions the run could not decide."""
    if coverage is None:
        return [], ["coverage was not computed for this run"]
    scope = coverage["scope"]
    failures = [f"action {key} never fired ({scope})" for key in coverage["never"]]
    failures += [f"reachable property {name} never witnessed" for name in coverage["unwitnessed"]]
    undecided = [f"action {key} not seen firing, undecided ({scope})" for key in coverage["undetermined"]]
    return failures, undecided


def strict_exit_code(code: ExitCode, coverage: dict[str, Any] | None) -> ExitCode:
    """The exit code under ``--strict``: a dead action or an unwitnessed `reachable` property
    fails the run like a violation; an undecided action makes an otherwise clean run inconclusive."""
    failures, undecided = strict_problems(coverage)
    if failures and code in (ExitCode.OK, ExitCode.INCONCLUSIVE):
        return ExitCode.VIOLATED
    if undecided and code is ExitCode.OK:
        return ExitCode.INCONCLUSIVE
    return code
