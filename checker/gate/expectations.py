"""The outcome of one property in the gate, judged from its verdict and the spec's expectation."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..results import ExitCode, expectation_met

if TYPE_CHECKING:
    from .records import PropertyRecord, SpecRecord


class Outcome(enum.StrEnum):
    MET = "met"  # the verdict is the expected one (a proof also meets `holds`; see `results.expectation_met`)
    FAILED = "failed"  # a conclusive verdict contradicts the expectation (e.g. expected proved, violated)
    DRIFTED = "drifted"  # an expected violation no longer reproduces: the model drifted from the known race
    UNCOVERED = "uncovered"  # --strict: a `reachable` property never witnessed, or an action that never fired
    # no verdict (timeout, solver unknown, no witness within the bound), or a bounded pass
    # (holds_to_depth) where the spec expects a complete `holds` or `proved`
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


#: outcomes that fail the gate (exit 1)
FAILING = frozenset({Outcome.FAILED, Outcome.DRIFTED, Outcome.UNCOVERED})

# Verdicts that are failures by themselves, for a property the spec sets no expectation for.
_BAD_WITHOUT_EXPECTATION = {"violated", "unreachable"}


def meets(expected: str, verdict: str) -> bool:
    """The rule of `PropertyResult.meets_expectation`, on plain strings (records may come from the cache)."""
    return expectation_met(expected, verdict) is True


def judge(prop: PropertyRecord, strict: bool = False) -> Outcome:
    verdict, expected = prop.verdict, prop.expected
    met = expectation_met(expected, verdict) if expected is not None else None
    if expected is None:  # no expectation: judged like `check` judges verdicts
        if verdict in _BAD_WITHOUT_EXPECTATION:
            return Outcome.FAILED
    elif met:
        return Outcome.MET
    elif met is False:
        return Outcome.DRIFTED if expected == "violated" else Outcome.FAILED
    # Strict: a `reachable` property must be witnessed (unless the spec expects it unreachable).
    if strict and prop.kind == "reachable" and verdict != "witnessed" and expected != "unreachable":
        return Outcome.UNCOVERED
    if verdict == "unknown" or (met is None and expected is not None):
        return Outcome.INCONCLUSIVE  # no verdict, or a bounded/instance result short of the expectation
    return Outcome.MET


def never_fired_outcome(spec: SpecRecord, strict: bool) -> Outcome | None:
    """Strict only: a spec whose run left some action never fired is uncovered (a vacuous model);
    one whose run could not decide whether an action fires is inconclusive."""
    if strict and spec.never_fired:
        return Outcome.UNCOVERED
    if strict and spec.undecided_actions:
        return Outcome.INCONCLUSIVE
    return None


def gate_exit_code(outcomes: Iterable[Outcome]) -> ExitCode:
    """1 if any expectation failed, else 3 if any result is inconclusive, else 0."""
    seen = set(outcomes)
    if seen & FAILING:
        return ExitCode.VIOLATED
    if Outcome.INCONCLUSIVE in seen:
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK


def explain(prop: PropertyRecord, outcome: Outcome) -> str:
    """One line for people: why the property passed or failed the gate."""
    wanted = prop.expected or "no violation"
    if outcome is Outcome.MET and prop.verdict == "holds_to_depth":
        return f"expected {wanted}: ok ({prop.detail or 'bounded'})"
    if outcome is Outcome.MET:
        return f"expected {wanted}: ok"
    if outcome is Outcome.DRIFTED:
        within = f" ({prop.detail})" if prop.verdict == "holds_to_depth" else ""
        return (
            f"expected violated, got {prop.verdict}{within}: the known violation no longer reproduces "
            "(the model drifted)"
        )
    if outcome is Outcome.UNCOVERED:
        return f"--strict: reachable property not witnessed ({prop.verdict}{': ' + prop.detail if prop.detail else ''})"
    if outcome is Outcome.INCONCLUSIVE and prop.verdict == "holds_to_depth":
        return (
            f"expected {wanted}, got only holds_to_depth ({prop.detail}): a bounded pass is not a complete "
            'result; use engine = "auto" or "explicit" (exhaustive, for a finite instance), expect = "proved" '
            '(a proof), a depth beyond the reachable diameter, or say expect = "holds_to_depth" if a bounded '
            "check is what this spec wants"
        )
    if outcome is Outcome.INCONCLUSIVE and prop.verdict == "holds":
        return (
            f"expected {wanted}, got holds ({prop.detail}): complete for this instance, but not a proof; "
            'run the spec with engine = "auto" (a proof), or expect = "holds"'
        )
    if outcome is Outcome.INCONCLUSIVE:
        return f"expected {wanted}, no verdict: {prop.detail or 'inconclusive'}"
    return f"expected {wanted}, got {prop.verdict}" + (f" ({prop.detail})" if prop.detail else "")
