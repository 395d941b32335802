"""The results of `raceproof sweep`: one row per combination of parameters, as a table for
people (streamed as each run ends), a JSON object, or CSV; and the summary that names, for
each property, the smallest combinations that break it.

"Smallest" is `checker.params.minimal`: a failing combination with no other failing one below
it in every parameter (numbers by size, ``none`` above every number, other values only equal
to themselves). A sweep does not show that larger combinations fail too: each row is its own run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from .. import __version__
from ..lang.declare import GRAPH_KINDS
from ..params import Sweep, minimal, show_params, show_value
from ..results import FAILING, ExitCode, PropertyResult, Verdict, worst
from ..run import SpecResult
from ..spec import Spec
from .text import MARKS

#: how bad a verdict is, for the summary's mark of a property over every run
_SEVERITY = {
    Verdict.VIOLATED: 5,
    Verdict.UNREACHABLE: 5,
    Verdict.UNKNOWN: 4,
    Verdict.HOLDS_TO_DEPTH: 3,
    Verdict.HOLDS: 1,
    Verdict.WITNESSED: 1,
    Verdict.PROVED: 0,
}


@dataclass
class Row:
    """One combination's run."""

    params: dict[str, Any]  # the swept parameters' values
    result: SpecResult

    def verdict(self, name: str) -> PropertyResult:
        return next(r for r in self.result.results if r.name == name)

    @property
    def states(self) -> int | None:
        """Distinct states an explicit search stored (its own, symmetry-reduced count before the
        state graph's); None when no explicit search ran (BMC, a proof)."""
        counts = [r.extra["states"] for r in self.result.results if isinstance(r.extra.get("states"), int)]
        searched = [
            r.extra["states"]
            for r in self.result.results
            if isinstance(r.extra.get("states"), int) and r.kind not in GRAPH_KINDS
        ]
        found = searched or counts
        return max(found) if found else None

    @property
    def exit_code(self) -> ExitCode:
        return self.result.exit_code


def cell(r: PropertyResult) -> str:
    """``✗ violated (9)``: the mark, the verdict, and the length of a found trace."""
    mark = MARKS[r.verdict][0]
    steps = f" ({len(r.trace)})" if r.trace is not None and r.verdict in (Verdict.VIOLATED, Verdict.WITNESSED) else ""
    return f"{mark} {r.verdict.value}{steps}"


class Table:
    """The text table, printed a row at a time: the widths are known before the first run."""

    def __init__(self, sweeps: list[Sweep], properties: list[str]) -> None:
        self.names = [s.name for s in sweeps]
        self.properties = properties
        self.widths = [max(len(s.name), *(len(show_value(v)) for v in s.values)) for s in sweeps]
        self.widths += [max(len(p), len("≤ holds_to_depth"), len("✗ violated (999)")) for p in properties]
        self.widths += [9, 5, 8]  # states, depth, time

    def _line(self, cells: Sequence[str | Text], numeric_from: int) -> Text:
        line = Text()
        for n, (value, width) in enumerate(zip(cells, self.widths, strict=False)):
            text = value if isinstance(value, Text) else Text(value)
            pad = " " * max(width - len(text.plain), 0)
            if n:
                line.append("  ")
            line.append_text(Text(pad) + text if n >= numeric_from else text + Text(pad))
        for value in cells[len(self.widths) :]:  # the engine: last, as long as it is
            line.append("  ")
            line.append_text(value if isinstance(value, Text) else Text(value))
        return line

    def header(self) -> Text:
        cells = [*self.names, *self.properties, "states", "depth", "time", "engine"]
        line = self._line(cells, len(self.names) + len(self.properties))
        line.stylize("bold")
        return line

    def row(self, row: Row) -> Text:
        cells: list[str | Text] = [show_value(row.params[n]) for n in self.names]
        for name in self.properties:
            r = row.verdict(name)
            cells.append(Text(cell(r), style=MARKS[r.verdict][1]))
        states = row.states
        sr = row.result
        cells += [f"{states:,}" if states is not None else "-", str(sr.depth), f"{sr.seconds:.2f}s", sr.engine]
        return self._line(cells, len(self.names) + len(self.properties))


def smallest_failing(rows: list[Row], name: str | None = None) -> list[dict[str, Any]]:
    """The smallest combinations where property ``name`` (None: any property) fails."""
    failing = [
        row.params
        for row in rows
        if any(r.verdict in FAILING for r in row.result.results if name is None or r.name == name)
    ]
    return minimal(failing)


def summary(rows: list[Row], properties: list[str]) -> list[Text]:
    """Per property: how many runs gave each verdict, and the smallest failing combinations;
    then the smallest combinations where anything fails."""
    lines = []
    width = max(len(p) for p in properties)
    for name in properties:
        verdicts = [row.verdict(name).verdict for row in rows]
        worst = max(verdicts, key=lambda v: _SEVERITY[v])
        mark, style = MARKS[worst]
        line = Text(f"  {mark} ", style=style)
        line.append(f"{name:<{width}}", style="bold")
        counts = {v: verdicts.count(v) for v in sorted(set(verdicts), key=lambda v: -_SEVERITY[v])}
        if len(counts) == 1:
            line.append(f"  {worst.value} in every combination")
        else:
            line.append("  " + ", ".join(f"{v.value} in {n} of {len(rows)}" for v, n in counts.items()))
        smallest = smallest_failing(rows, name)
        if smallest:
            word = "violating" if all(v is Verdict.VIOLATED for v in verdicts if v in FAILING) else "failing"
            line.append(f"; smallest {word}: " + "; ".join(show_params(p) for p in smallest), style="bold")
        lines.append(line)
    overall = smallest_failing(rows)
    if overall:
        by_params = {id(row.params): row for row in rows}
        names = [", ".join(p for p in properties if by_params[id(c)].verdict(p).verdict in FAILING) for c in overall]
        text = "; ".join(f"{show_params(c)} ({n})" for c, n in zip(overall, names, strict=True))
        failing = [r.verdict for row in rows for r in row.result.results if r.verdict in FAILING]
        word = "violating" if all(v is Verdict.VIOLATED for v in failing) else "failing"
        lines.append(Text(f"smallest {word} combination{'s' if len(overall) > 1 else ''}: {text}", style="bold"))
    else:
        bounded = sum(any(r.verdict is Verdict.HOLDS_TO_DEPTH for r in row.result.results) for row in rows)
        # a bounded pass is not a pass of the whole instance: say so where it counts
        within = f" (≤: {bounded} run{'s' * (bounded != 1)} only to the bound)" if bounded else ""
        lines.append(Text(f"no combination fails a property{within}", style="bold"))
    for row in rows:  # why a run decided nothing: a timeout, a state limit
        for r in row.result.results:
            if r.verdict is Verdict.UNKNOWN:
                lines.append(Text(f"  ? {show_params(row.params)}: {r.name}: {r.reason}", style="yellow"))
    return lines


def exit_code(rows: list[Row]) -> ExitCode:
    """The worst run's, as `raceproof check` combines several specs (a violation outranks the rest)."""
    return worst(row.exit_code for row in rows)


def _result_json(r: PropertyResult) -> dict[str, Any]:
    return {
        "property": r.name,
        "verdict": r.verdict.value,
        "complete": r.complete,  # false: holds_to_depth (bounded) or unknown
        "bound": r.bound,
        "trace_length": len(r.trace) if r.trace is not None else None,
        "reason": r.reason,
    }


def sweep_json(spec: Spec, sweeps: list[Sweep], properties: list[str], rows: list[Row]) -> dict[str, Any]:
    return {
        "raceproof": __version__,
        "exit_code": int(exit_code(rows)),
        "spec": str(spec.path),
        "model": spec.model_ref,
        "params": spec.params,  # the spec's own (and single -P values), under the swept ones
        "swept": {s.name: list(s.values) for s in sweeps},
        "properties": properties,
        "runs": [
            {
                "params": row.params,
                "exit_code": int(row.exit_code),
                "engine": row.result.engine,
                "engine_why": row.result.engine_why,
                "states": row.states,
                "depth": row.result.depth,
                "seconds": round(row.result.seconds, 3),
                "results": [_result_json(row.verdict(name)) for name in properties],
            }
            for row in rows
        ],
        "smallest_failing": {name: smallest_failing(rows, name) for name in properties},
        "smallest_failing_any": smallest_failing(rows),
    }


def sweep_csv(sweeps: list[Sweep], properties: list[str], rows: list[Row]) -> str:
    """One line per run: the swept parameters (none: unset), each property's verdict
    (holds_to_depth is the bounded pass), states (empty: no explicit search), depth, seconds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [s.name for s in sweeps]
    writer.writerow([*names, *properties, "states", "depth", "seconds", "engine", "exit_code"])
    for row in rows:
        states = row.states
        writer.writerow([
            *(show_value(row.params[n]) for n in names),
            *(row.verdict(p).verdict.value for p in properties),
            "" if states is None else states,
            row.result.depth,
            f"{row.result.seconds:.3f}",
            row.result.engine,
            int(row.exit_code),
        ])  # fmt: skip
    return out.getvalue()
