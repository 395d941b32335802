"""`--summary FILE`: a Markdown table of the verdicts, with links to the failure reports.

Under GitHub Actions (``$GITHUB_STEP_SUMMARY`` set) the same table is appended to the job's
summary page.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import OutputError
from ..results import ExitCode
from .expectations import FAILING, Outcome
from .records import SpecRecord

_MARK = {
    Outcome.MET: "✅",
    Outcome.FAILED: "❌",
    Outcome.DRIFTED: "❌",
    Outcome.UNCOVERED: "❌",
    Outcome.INCONCLUSIVE: "❔",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _link(path: str, relative_to: Path | None) -> str:
    target = path
    if relative_to is not None:
        try:
            target = os.path.relpath(Path(path).resolve(), relative_to.resolve())
        except ValueError:
            pass
    return f"[{Path(path).suffix.lstrip('.') or 'report'}]({Path(target).as_posix()})"


def summary_markdown(
    records: list[SpecRecord], code: ExitCode, strict: bool = False, relative_to: Path | None = None
) -> str:
    outcomes = [(r, p, r.outcomes(strict)[p.name]) for r in records for p in r.properties]
    failing = sum(1 for _, _, o in outcomes if o in FAILING) + sum(1 for r in records if strict and r.never_fired)
    head = {
        ExitCode.OK: "✅ every expectation met",
        ExitCode.VIOLATED: f"❌ {failing} expectation(s) failed",
        ExitCode.INCONCLUSIVE: "❔ inconclusive: some results have no verdict",
    }.get(code, f"exit {int(code)}")
    cached = sum(1 for r in records if r.cached)
    lines = [
        f"## raceproof gate: {head}",
        "",
        f"{len(records)} spec(s), {len(outcomes)} propert{'y' if len(outcomes) == 1 else 'ies'}"
        f"{f', {cached} spec(s) cached' if cached else ''}.",
        "",
        "| | spec | property | expected | verdict | detail | reports |",
        "|---|---|---|---|---|---|---|",
    ]
    for record, prop, outcome in outcomes:
        reports = " ".join(_link(path, relative_to) for _, path in sorted(prop.reports.items()))
        detail = prop.detail + (" (cached)" if record.cached else "")
        lines.append(
            f"| {_MARK[outcome]} | `{_cell(record.spec)}` | `{prop.name}` | {prop.expected or '—'} | "
            f"**{prop.verdict}** | {_cell(detail)} | {reports} |"
        )
    for record in records:
        if strict and record.never_fired:
            lines.append(f"| ❌ | `{_cell(record.spec)}` | actions never fired | — | — | "
                         f"{_cell(', '.join(record.never_fired))} | |")  # fmt: skip
    return "\n".join(lines) + "\n"


def write_summary(path: Path, text: str, append: bool = False) -> None:
    """Write the summary atomically; ``append`` (GitHub's step summary, which other steps share)
    adds to the file in place. A failure is an `OutputError` naming the path."""
    if not append:
        write_text_atomic(path, text)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror}", str(path)) from None
