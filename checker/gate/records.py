"""Plain results of a gate run: what the cache stores and what every output (terminal, JSON,
JUnit, Markdown) reads. A record restored from the cache prints exactly like a fresh one."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .expectations import Outcome, judge, never_fired_outcome

if TYPE_CHECKING:
    from ..results import PropertyResult
    from ..run import SpecResult


@dataclass
class PropertyRecord:
    name: str
    kind: str  # invariant | action_invariant | reachable | ...
    verdict: str  # a checker.results.Verdict value
    expected: str | None
    engine: str
    seconds: float = 0.0
    detail: str = ""  # "in 9 steps", "up to depth 12", or why there is no verdict
    trace_length: int | None = None
    #: the trace as text, for failures only (JUnit, pytest); failures are never cached
    trace_text: str | None = None
    #: report format -> path of the report written for this property's failure
    reports: dict[str, str] = field(default_factory=dict)
    #: the trace in Markdown (Mermaid diagram, failing parts, explanation), for failures only:
    #: the CI step summary shows it inline
    trace_md: str | None = None


@dataclass
class SpecRecord:
    spec: str  # the spec file, as given
    name: str
    model: str
    params: dict[str, Any]
    engine: str
    depth: int
    seconds: float
    properties: list[PropertyRecord]
    #: actions no trace fired (coverage), or None when the run does not tell
    never_fired: list[str] | None = None
    #: actions the run could not decide (a bound or a limit stopped it first), or None
    undecided_actions: list[str] | None = None
    cached: bool = False  # restored from the cache in this run (not stored)

    def outcomes(self, strict: bool = False) -> dict[str, Outcome]:
        return {p.name: judge(p, strict) for p in self.properties}

    def all_outcomes(self, strict: bool = False) -> list[Outcome]:
        extra = never_fired_outcome(self, strict)
        return list(self.outcomes(strict).values()) + ([extra] if extra else [])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cached")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpecRecord:
        """Rebuild a record; raises (KeyError, TypeError, ValueError) on anything malformed."""
        props = [PropertyRecord(**p) for p in data["properties"]]
        fields = {k: v for k, v in data.items() if k != "properties"}
        record = cls(**fields, properties=props)
        if not all(isinstance(p.name, str) and isinstance(p.verdict, str) for p in props):
            raise ValueError("malformed property record")
        return record


def _detail(r: PropertyResult) -> str:
    if r.trace is not None and r.verdict.value in ("violated", "witnessed"):
        return f"in {len(r.trace)} steps"
    if r.verdict.value == "holds_to_depth":
        return f"bounded: up to depth {r.depth}"
    if r.verdict.value == "holds":  # complete: an exhaustive search
        return r.reason + (f", diameter {r.diameter}" if r.diameter is not None else "")
    if r.verdict.value == "proved":
        return "every reachable state"
    return r.reason


def trace_text(sr: SpecResult, r: PropertyResult) -> str | None:
    """The trace of ``r`` as the terminal prints it, without colour."""
    if r.trace is None:
        return None
    from rich.console import Console

    from ..report.text import print_trace

    out = io.StringIO()
    print_trace(Console(file=out, width=120, no_color=True, highlight=False, soft_wrap=True, markup=False), r)
    return out.getvalue().strip("\n")


def trace_markdown(sr: SpecResult, r: PropertyResult) -> str | None:
    """The trace of ``r`` as a Markdown report section (`checker.report.markdown.trace_md`)."""
    if r.trace is None:
        return None
    from ..report.markdown import trace_md
    from ..report.view import from_trace

    return trace_md(from_trace(r.trace, str(sr.spec.path)), heading="####")


def _action_coverage(sr: SpecResult) -> tuple[list[str] | None, list[str] | None]:
    """(actions never fired, actions undecided) from the run's coverage, or (None, None).

    The coverage work (branch `coverage`) sets ``SpecResult.coverage`` to a dict with lists
    ``never`` and ``undetermined`` of action declarations (``checker.coverage``); statically
    disabled actions are listed apart and never count. Until that is merged the attribute is
    missing and --strict judges only `reachable` properties."""
    coverage = getattr(sr, "coverage", None)
    if not isinstance(coverage, dict) or "never" not in coverage:
        return None, None
    return sorted(map(str, coverage["never"])), sorted(map(str, coverage.get("undetermined", [])))


def from_spec_result(sr: SpecResult, strict: bool = False) -> SpecRecord:
    record = SpecRecord(
        spec=str(sr.spec.path),
        name=sr.spec.name,
        model=sr.spec.model_ref,
        params=dict(sr.spec.params),
        engine=sr.engine,
        depth=sr.depth,
        seconds=round(sr.seconds, 3),
        properties=[],
    )
    record.never_fired, record.undecided_actions = _action_coverage(sr)
    for r in sr.results:
        prop = PropertyRecord(
            name=r.name,
            kind=r.kind,
            verdict=r.verdict.value,
            expected=r.expected,
            engine=r.engine,
            seconds=round(r.seconds, 3),
            detail=_detail(r),
            trace_length=len(r.trace) if r.trace is not None else None,
        )
        if judge(prop, strict) is not Outcome.MET:
            prop.trace_text = trace_text(sr, r)
            prop.trace_md = trace_markdown(sr, r)
        record.properties.append(prop)
    return record
