"""Typed verdicts, per-property results, and the stable exit codes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trace import Trace


class Verdict(enum.StrEnum):
    # Complete verdicts cover every reachable state of the instance (or, for PROVED, every
    # instance of the unbounded data); HOLDS_TO_DEPTH covers only behaviours of at most
    # `depth` steps: a bounded pass, never to be read as HOLDS (see `COMPLETE`).
    HOLDS = "holds"  # no violation in any reachable state: an exhaustive search (complete)
    HOLDS_TO_DEPTH = "holds_to_depth"  # no violation in any behaviour of at most `depth` steps (bounded)
    PROVED = "proved"  # holds in every reachable state, with a re-checked certificate
    VIOLATED = "violated"  # a replayed counterexample exists
    WITNESSED = "witnessed"  # a `reachable` property: a replayed witness exists
    UNREACHABLE = "unreachable"  # a `reachable` property: exhaustively shown to have no witness
    UNKNOWN = "unknown"  # timeout, solver unknown, or bound reached without an answer

    def __str__(self) -> str:
        return self.value


class ExitCode(enum.IntEnum):
    OK = 0  # holds / proved / witnessed, and a bounded pass (holds_to_depth), as in CBMC and Apalache
    VIOLATED = 1
    BAD_INPUT = 2
    INCONCLUSIVE = 3


#: a violation outranks everything: one violated run fails the whole, whatever the others say
_RANK = {ExitCode.VIOLATED: 3, ExitCode.BAD_INPUT: 2, ExitCode.INCONCLUSIVE: 1, ExitCode.OK: 0}


def worst(codes: Iterable[ExitCode]) -> ExitCode:
    """The exit code of several runs (specs of `check`/`prove`, combinations of `sweep`): 1 if any
    is violated, else 2, else 3, else 0 (not the largest number: a violation in one run must not
    read as inconclusive because another is)."""
    return max(codes, key=_RANK.__getitem__, default=ExitCode.OK)


FAILING = {Verdict.VIOLATED, Verdict.UNREACHABLE}
#: verdicts that do not depend on a bound: a replayed trace, an exhaustive search or a proof
COMPLETE = frozenset(Verdict) - {Verdict.HOLDS_TO_DEPTH, Verdict.UNKNOWN}


def is_complete(verdict: str) -> bool:
    """`COMPLETE` on a plain verdict string (gate records may come from the cache)."""
    return verdict in {v.value for v in COMPLETE}


#: what `expect = ...` in a spec may say: every verdict but unknown
EXPECTATIONS = ("violated", "holds", "holds_to_depth", "proved", "witnessed", "unreachable")


def expectation_met(expected: str, verdict: str) -> bool | None:
    """Whether ``verdict`` meets the expectation ``expected`` (plain strings: records may come
    from the gate's cache). True: met; False: contradicted; None: not decided either way.

    A stronger verdict meets a weaker expectation (a proof meets `holds`; an exhaustive
    `holds` or a proof meets `holds_to_depth`). A bounded pass never meets `holds` or
    `proved`, and it does not contradict them either: it is inconclusive, like `unknown`.
    An exhaustive `holds` expected `proved` is inconclusive too (this instance, not a proof).
    An expected violation not found within the bound is contradicted (the model drifted).
    """
    if expected == verdict:
        return True
    if expected == "holds" and verdict == "proved":
        return True
    if expected == "holds_to_depth" and verdict in ("holds", "proved"):
        return True
    if verdict == "unknown":
        return None
    if verdict == "holds_to_depth" and expected in ("holds", "proved"):
        return None
    if verdict == "holds" and expected == "proved":
        return None
    return False


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
    def complete(self) -> bool:
        """The verdict does not depend on a bound (see `COMPLETE`)."""
        return self.verdict in COMPLETE

    @property
    def bound(self) -> int | None:
        """The depth a bounded pass (HOLDS_TO_DEPTH) covers; None for every other verdict."""
        return self.depth if self.verdict is Verdict.HOLDS_TO_DEPTH else None

    @property
    def diameter(self) -> int | None:
        """The reachable diameter (deepest breadth-first level) when an exhaustive explicit search knows it."""
        depth = self.extra.get("depth")
        return depth if self.extra.get("exhaustive") and isinstance(depth, int) else None

    @property
    def meets_expectation(self) -> bool | None:
        """True/False: the expectation is met/contradicted; None: no expectation, or not decided
        (no verdict, or a bounded pass where a complete result is expected)."""
        if self.expected is None:
            return None
        return expectation_met(self.expected, self.verdict.value)


def exit_code(results: list[PropertyResult]) -> ExitCode:
    if any(r.verdict in FAILING for r in results):
        return ExitCode.VIOLATED
    if any(r.verdict is Verdict.UNKNOWN for r in results):
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK
