"""`--summary FILE`: the gate's result in Markdown, for a pull request's CI page.

Failures come first, each with its counterexample inline: the Mermaid sequence diagram (GitHub
renders fenced Mermaid), the parts of the property that are false and the stale-read
explanation, then where its reports are. Inconclusive results follow; the expectations that
were met close the page in a collapsed table. Under GitHub Actions (``$GITHUB_STEP_SUMMARY``
set) the same text is appended to the job's summary page; there a relative link to a report
is dead, so with ``artifact`` (the uploaded artifact's name) reports are named by the artifact
and their path inside it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import OutputError
from ..results import ExitCode
from .expectations import FAILING, Outcome
from .records import PropertyRecord, SpecRecord


def _mark(outcome: Outcome, verdict: str) -> str:
    """A met bounded pass is not shown like a complete one."""
    return "☑️ bounded" if outcome is Outcome.MET and verdict == "holds_to_depth" else _MARK[outcome]


_MARK = {
    Outcome.MET: "✅",
    Outcome.FAILED: "❌",
    Outcome.DRIFTED: "❌",
    Outcome.UNCOVERED: "❌",
    Outcome.INCONCLUSIVE: "❔",
}
#: report formats as a reader knows them
_FORMAT_NAMES = {"text": "text", "md": "Markdown", "html": "HTML", "itf": "ITF trace"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _where(path: str, relative_to: Path | None, artifacts: Path | None, artifact: str | None) -> str:
    """A report's place: a relative link, or (in CI) its path inside the named artifact."""
    if artifact is not None:
        inside = Path(path)
        if artifacts is not None:
            try:
                inside = Path(os.path.relpath(Path(path).resolve(), artifacts.resolve()))
            except ValueError:
                pass
        return f"`{inside.as_posix()}`"
    target = path
    if relative_to is not None:
        try:
            target = os.path.relpath(Path(path).resolve(), relative_to.resolve())
        except ValueError:
            pass
    return f"[{Path(path).name}]({Path(target).as_posix()})"


def _reports(
    prop: PropertyRecord, relative_to: Path | None, artifacts: Path | None, artifact: str | None, short: bool = False
) -> str:
    if not prop.reports:
        return ""
    items = sorted(prop.reports.items())
    if short:
        return " ".join(_where(path, relative_to, artifacts, artifact) for _, path in items)
    listed = ", ".join(f"{_FORMAT_NAMES.get(f, f)} {_where(p, relative_to, artifacts, artifact)}" for f, p in items)
    if artifact is not None:
        return f"Reports in the workflow run's artifact **`{artifact}`**: {listed}."
    return f"Reports: {listed}."


def _failure_section(
    record: SpecRecord,
    prop: PropertyRecord,
    outcome: Outcome,
    relative_to: Path | None,
    artifacts: Path | None,
    artifact: str | None,
) -> list[str]:
    got = f"**{prop.verdict}**" + (f" ({prop.detail})" if prop.detail else "")
    expected = prop.expected or "no violation (no expectation given)"
    what = "drifted: the known race no longer reproduces" if outcome is Outcome.DRIFTED else f"got {got}"
    lines = [f"### {_MARK[outcome]} `{_cell(record.spec)}` · `{prop.name}`: expected {expected}, {what}", ""]
    if prop.trace_md:
        lines += [prop.trace_md.rstrip("\n"), ""]
    elif prop.trace_text:
        lines += ["```", prop.trace_text, "```", ""]
    reports = _reports(prop, relative_to, artifacts, artifact)
    if reports:
        lines += [reports, ""]
    return lines


def summary_markdown(
    records: list[SpecRecord],
    code: ExitCode,
    strict: bool = False,
    relative_to: Path | None = None,
    artifacts: Path | None = None,
    artifact: str | None = None,
) -> str:
    outcomes = [(r, p, r.outcomes(strict)[p.name]) for r in records for p in r.properties]
    failing = sum(1 for _, _, o in outcomes if o in FAILING) + sum(1 for r in records if strict and r.never_fired)
    head = {
        ExitCode.OK: "✅ every expectation met",
        ExitCode.VIOLATED: f"❌ {failing} expectation(s) failed",
        ExitCode.INCONCLUSIVE: "❔ inconclusive: some results have no verdict",
    }.get(code, f"exit {int(code)}")
    cached = sum(1 for r in records if r.cached)
    met = [(r, p) for r, p, o in outcomes if o is Outcome.MET]
    lines = [
        f"## raceproof gate: {head}",
        "",
        f"{len(records)} spec(s), {len(outcomes)} propert{'y' if len(outcomes) == 1 else 'ies'}"
        f"{f', {cached} spec(s) cached' if cached else ''}; {len(met)} met.",
        "",
    ]
    for record, prop, outcome in outcomes:  # failures first, each with its counterexample
        if outcome in FAILING:
            lines += _failure_section(record, prop, outcome, relative_to, artifacts, artifact)
    for record in records:
        if strict and record.never_fired:
            lines += [
                f"### ❌ `{_cell(record.spec)}`: actions never fired (--strict)",
                "",
                f"{', '.join(f'`{a}`' for a in record.never_fired)}: no state the search reached lets them fire.",
                "",
            ]
    unsure = [(r, p) for r, p, o in outcomes if o is Outcome.INCONCLUSIVE]
    if unsure:
        lines += ["### ❔ Inconclusive", "", "| spec | property | expected | verdict | why |", "|---|---|---|---|---|"]
        for record, prop in unsure:
            lines.append(
                f"| `{_cell(record.spec)}` | `{prop.name}` | {prop.expected or '—'} | **{prop.verdict}** | "
                f"{_cell(prop.detail)} |"
            )
        lines.append("")
    if met:
        lines += [
            f"<details><summary>{len(met)} expectation(s) met</summary>",
            "",
            "| | spec | property | expected | verdict | detail |",
            "|---|---|---|---|---|---|",
        ]
        for record, prop in met:
            detail = prop.detail + (" (cached)" if record.cached else "")
            mark, spec = _mark(Outcome.MET, prop.verdict), _cell(record.spec)
            lines.append(
                f"| {mark} | `{spec}` | `{prop.name}` | {prop.expected or '—'} | **{prop.verdict}** | {_cell(detail)} |"
            )
        lines += ["", "</details>"]
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
