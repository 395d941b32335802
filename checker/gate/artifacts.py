"""Reports of a spec whose expectations failed, written to the artifacts folder (atomically,
`checker.atomic`; a report that cannot be written is an `OutputError`, which the gate reports
without losing the verdict).

The folder mirrors the specs' paths (``raceproof-reports/specs/dns_race.txt``): a text report
of the whole spec (verdicts, traces, invariants), Markdown and HTML renderings of its
counterexamples (`checker.report.write_report`), and each failing property's trace in ITF
(``<spec>.<property>.itf.json``) for replay in other tools. A spec that is re-run first drops
its old reports, so the folder never holds a report of a failure that is gone.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import write_text_atomic
from ..errors import OutputError
from .expectations import Outcome
from .records import SpecRecord

if TYPE_CHECKING:
    from ..run import SpecResult

#: whole-spec reports by format: text (checker.report.text), md and html (checker.report.write_report)
SPEC_REPORTS = {"text": ".txt", "md": ".md", "html": ".html"}


def report_stem(folder: Path, spec: Path) -> Path:
    """Where ``spec``'s reports go: its path relative to the working directory, mirrored."""
    try:
        rel = Path(os.path.relpath(spec.resolve(), Path.cwd().resolve()))
    except ValueError:
        rel = Path(spec.name)
    if rel.parts and rel.parts[0] == "..":  # outside the working directory: its name only
        rel = Path(spec.name)
    return folder / rel.with_suffix("")


def _itf_path(stem: Path, prop: str) -> Path:
    return stem.with_name(f"{stem.name}.{prop}.itf.json")


def clear_reports(folder: Path, spec: Path, properties: list[str]) -> None:
    """Drop ``spec``'s old reports; one that cannot be removed is an `OutputError` (it would
    describe a failure that may be gone)."""
    stem = report_stem(folder, spec)
    old = [stem.with_name(stem.name + suffix) for suffix in SPEC_REPORTS.values()]
    for path in old + [_itf_path(stem, prop) for prop in properties]:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot remove an old report: {exc.strerror}", str(path)) from None


def _text_report(sr: SpecResult) -> str:
    from rich.console import Console

    from ..report.text import print_spec_result

    out = io.StringIO()
    console = Console(file=out, width=120, no_color=True, highlight=False, soft_wrap=True, markup=False)
    print_spec_result(console, sr, witnesses=False)
    return out.getvalue()


def write_reports(sr: SpecResult, record: SpecRecord, folder: Path, strict: bool = False) -> None:
    """Write the reports of ``sr`` if any expectation failed, and note their paths on ``record``."""
    outcomes = record.outcomes(strict)
    failing = [p for p in record.properties if outcomes[p.name] is not Outcome.MET]
    if not failing and not (strict and record.never_fired):
        return
    from ..itf import to_itf, write_json_atomic
    from ..report import views_of, write_report

    stem = report_stem(folder, sr.spec.path)
    written: dict[str, str] = {}
    text = stem.with_name(stem.name + SPEC_REPORTS["text"])
    # the text report is the whole spec result (verdicts, invariants, traces): it also explains
    # a failure without a trace (a drift, an inconclusive proof)
    write_text_atomic(text, _text_report(sr))
    written["text"] = str(text)
    if views_of(sr):  # the rendered reports show counterexamples: only when there is one
        for fmt in ("md", "html"):
            path = stem.with_name(stem.name + SPEC_REPORTS[fmt])
            write_report(sr, fmt, path)
            written[fmt] = str(path)
    by_name = {r.name: r for r in sr.results}
    for prop in failing:
        prop.reports.update(written)
        trace = by_name[prop.name].trace
        if trace is not None:
            path = _itf_path(stem, prop.name)
            write_json_atomic(path, to_itf(trace, str(sr.spec.path)))
            prop.reports["itf"] = str(path)
