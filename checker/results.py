"""Typed verdicts, per-property results, and the stable exit codes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trace import Trace


class Verdict(enum.StrEnum):
    HOLDS = "holds"  # no violation in any trace up to the bound
    PROVED = "proved"  # holds in every reachable state, with a re-checked certificate
    VIOLATED = "violated"  # a replayed counterexample exists
    WITNESSED = "witnessed"  # a `reachable` property: a replayed witness exists
    UNREACHABLE = "unreachable"  # a `reachable` property: exhaustively shown to have no witness
    UNKNOWN = "unknown"  # timeout, solver unknown, or bound reached without an answer

    def __str__(self) -> str:
        return self.value


class ExitCode(enum.IntEnum):
    OK = 0  # holds / proved / witnessed
    VIOLATED = 1
    BAD_INPUT = 2
    INCONCLUSIVE = 3


FAILING = {Verdict.VIOLATED, Verdict.UNREACHABLE}


@dataclass
class PropertyResult:
    name: str
    kind: str
    verdict: Verdict
    engine: str
    depth: int | None = None  # the bound reached (BMC), or the trace length
    trace: Trace | None = None  # counterexample or witness, replayed
    reason: str = ""  # why UNKNOWN, or notes
    seconds: float = 0.0
    checked: bool = False  # the evidence (trace replay / certificate) was re-checked
    expected: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def meets_expectation(self) -> bool | None:
        if self.expected is None:
            return None
        if self.expected == "holds" and self.verdict is Verdict.PROVED:
            return True  # a proof is stronger than a bounded check
        return self.expected == self.verdict.value


def exit_code(results: list[PropertyResult]) -> ExitCode:
    if any(r.verdict in FAILING for r in results):
        return ExitCode.VIOLATED
    if any(r.verdict is Verdict.UNKNOWN for r in results):
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK
