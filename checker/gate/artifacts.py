"""Reports of a spec whose expectations failed, written to the artifacts folder.

The folder mirrors the specs' paths (``raceproof-reports/specs/dns_race.txt``): a text report
of the whole spec (verdicts, traces, invariants), Markdown and HTML when the report renderers
are available, and each failing property's trace in ITF (``<spec>.<property>.itf.json``) for
replay in other tools. A spec that is re-run first drops its old reports, so the folder never
holds a report of a failure that is gone.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .expectations import Outcome
from .records import SpecRecord

if TYPE_CHECKING:
    from ..run import SpecResult

#: formats of whole-spec reports, by file suffix; md and html need checker.report.write_report
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
    stem = report_stem(folder, spec)
    for suffix in SPEC_REPORTS.values():
        stem.with_name(stem.name + suffix).unlink(missing_ok=True)
    for prop in properties:
        _itf_path(stem, prop).unlink(missing_ok=True)


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _text_report(sr: SpecResult) -> str:
    from rich.console import Console

    from ..report.text import print_spec_result

    out = io.StringIO()
    console = Console(file=out, width=120, no_color=True, highlight=False, soft_wrap=True)
    print_spec_result(console, sr, witnesses=False)
    return out.getvalue()


def write_reports(sr: SpecResult, record: SpecRecord, folder: Path, strict: bool = False) -> None:
    """Write the reports of ``sr`` if any expectation failed, and note their paths on ``record``."""
    outcomes = record.outcomes(strict)
    failing = [p for p in record.properties if outcomes[p.name] is not Outcome.MET]
    if not failing and not (strict and record.never_fired):
        return
    from ..itf import to_itf, write_json_atomic

    stem = report_stem(folder, sr.spec.path)
    written: dict[str, str] = {}
    try:
        from ..report import write_report  # type: ignore[attr-defined]  # the report renderers' API
    except ImportError:  # renderers not available: the text report only
        write_report = None
    for fmt, suffix in SPEC_REPORTS.items():
        path = stem.with_name(stem.name + suffix)
        if write_report is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_report(sr, fmt, path)
        elif fmt == "text":
            _write_text_atomic(path, _text_report(sr))
        else:
            continue
        written[fmt] = str(path)
    by_name = {r.name: r for r in sr.results}
    for prop in failing:
        prop.reports.update(written)
        trace = by_name[prop.name].trace
        if trace is not None:
            path = _itf_path(stem, prop.name)
            write_json_atomic(path, to_itf(trace, str(sr.spec.path)))
            prop.reports["itf"] = str(path)
