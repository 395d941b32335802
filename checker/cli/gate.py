"""`raceproof gate`: the CI gate on spec changes (see checker/gate/).

Exit codes: 0 every expectation met; 1 an expectation failed (a violation where a proof or
`holds` was expected, an expected violation that no longer reproduces, or with --strict a
`reachable` property never witnessed); 2 bad input; 3 a result is inconclusive and no
expectation failed.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..results import ExitCode
from .options import SECONDS, Outputs, writable

#: failure reports go under the project's own raceproof folder, which ignores itself in git
DEFAULT_ARTIFACTS = ".raceproof/reports"

if TYPE_CHECKING:
    from rich.console import Console

    from ..gate.cache import VerdictCache
    from ..gate.records import SpecRecord


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--strict", is_flag=True, help="Also fail on reachable properties never witnessed (and unfired actions).")
@click.option("--no-cache", is_flag=True, help="Check every spec, ignoring (and not reading) cached verdicts.")
@click.option(
    "--cache-dir", type=click.Path(file_okay=False), help="Verdict cache [default: .raceproof-cache/ at the root]."
)
@click.option("--changed-since", metavar="REV", help="Check only specs whose inputs changed since this git revision.")
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False),
    callback=writable,
    help="Write JUnit XML (spec x property).",
)
@click.option(
    "--summary", "summary_path", type=click.Path(dir_okay=False), callback=writable, help="Write a Markdown summary."
)
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable result object.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Parallel processes.")
@click.option("--shard", metavar="I/N", help="Check only shard I of N (deterministic split, for CI matrix jobs).")
@click.option(
    "--artifacts",
    type=click.Path(file_okay=False),
    default=DEFAULT_ARTIFACTS,
    show_default=True,
    help="Folder for the reports of failed expectations (the default is git-ignored by itself).",
)
@click.option(
    "--artifact-name",
    metavar="NAME",
    help="The name CI uploads --artifacts under: the Markdown summary names reports by it, not by dead links.",
)
@click.option("--timeout", type=SECONDS, help="Seconds per spec (overrides the spec; inf: no limit).")
def gate(**options: Any) -> None:
    """Check every spec in PATHS (default: specs/) against its expected verdicts.

    Each spec's instance (its parameters) is checked against its [expect]; `[prove] for_all`
    and `for_all_strict` are `raceproof prove`'s (a spec that sets for_all_strict is warned of).

    Verdicts are cached by a hash of each spec's inputs (the spec, the project modules its
    model imports, raceproof and z3): unchanged specs are not checked again. Exit 0 if every
    expectation is met, 1 if one failed (reports in --artifacts), 2 on bad input, 3 if a
    result is inconclusive and none failed.
    """
    from .common import handle_errors

    handle_errors(_gate)(**options)


def _gate(
    paths: tuple[str, ...],
    strict: bool,
    no_cache: bool,
    cache_dir: str | None,
    changed_since: str | None,
    junit_path: str | None,
    summary_path: str | None,
    as_json: bool,
    jobs: int,
    shard: str | None,
    artifacts: str,
    artifact_name: str | None,
    timeout: float | None,
) -> None:
    from ..gate.cache import VerdictCache
    from ..gate.runner import GateInputError, GateOptions, discover, run_gate
    from .common import make_console

    started = time.monotonic()
    console = make_console()
    err = make_console(stderr=True)

    def warn(message: str) -> None:
        err.print(f"warning: {message}", style="yellow", markup=False)

    try:
        specs = discover(paths or ("specs",))
        if shard:
            from ..gate.shard import parse_shard, select_shard

            try:
                index, count = parse_shard(shard)
            except ValueError as exc:
                raise GateInputError([str(exc)]) from None
            from ..gate.costs import load_costs

            specs = select_shard(specs, index, count, load_costs(_cache_folder(cache_dir)))
        cache = None if no_cache else VerdictCache(_cache_folder(cache_dir), warn)
        if changed_since:
            specs = _changed(specs, changed_since, cache)
        for path in _for_all_strict(specs):  # a setting this verb does not apply: said, not silently ignored
            warn(
                f"{path}: [prove] for_all_strict is `raceproof prove`'s setting; the gate holds the spec's instance "
                f"to its [expect] (for the for-all rule, also run: raceproof prove {path})"
            )
        if artifacts == DEFAULT_ARTIFACTS:
            _ignore_itself(Path(artifacts).parent)
        options = GateOptions(Path(artifacts), cache, strict, jobs, timeout)
        with _Progress(console, len(specs), quiet=as_json) as progress:
            run = run_gate(specs, options, progress.start, lambda r: progress.done(r, strict))
    except GateInputError as exc:
        for message in exc.messages:
            click.echo(f"error: {message}", err=True)
        if as_json:  # stdout holds one JSON object whatever happened
            from .common import error_json

            click.echo(error_json(ExitCode.BAD_INPUT, exc.messages))
        sys.exit(int(ExitCode.BAD_INPUT))
    from ..gate.expectations import gate_exit_code

    code = gate_exit_code(o for r in run.records for o in r.all_outcomes(strict))
    if run.bad_input and code is not ExitCode.VIOLATED:
        code = ExitCode.BAD_INPUT
    for message in run.bad_input:
        click.echo(f"error: {message}", err=True)
    from ..gate.costs import record_costs

    if not shard:  # a shard's costs would change the split its sibling shards compute
        record_costs(_cache_folder(cache_dir), run.records, warn)
    outputs = Outputs()
    outputs.failures += run.output_errors
    _outputs(run.records, code, strict, junit_path, summary_path, Path(artifacts), artifact_name, outputs)
    code = outputs.exit_code(code)  # a FAIL stays 1; a pass whose outputs are missing is 2
    if as_json:
        out = {
            "exit_code": int(code),
            "strict": strict,
            "seconds": round(time.monotonic() - started, 3),
            "specs": [_spec_json(r, strict) for r in run.records],
            "errors": run.bad_input,
        }
        if outputs.failures:
            out["output_errors"] = outputs.failures
        click.echo(json.dumps(out, indent=2))
    else:
        _footer(console, run.records, code, strict, time.monotonic() - started, specs_seen=len(specs))
    sys.exit(outputs.finish(code))


def _for_all_strict(specs: list[Path]) -> list[Path]:
    """The specs that set ``[prove] for_all_strict = true`` (read as TOML only: a spec that does
    not parse is the gate's own error to report, with its line)."""
    import tomllib

    from ..errors import RaceproofError, SpecError, read_input

    found = []
    for path in specs:
        try:  # the one safe reader: a FIFO named *.toml must not hang the gate (loading it says why)
            data = tomllib.loads(read_input(path, SpecError, "spec"))
        except (RaceproofError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
            continue
        prove = data.get("prove")
        if isinstance(prove, dict) and prove.get("for_all_strict") is True:
            found.append(path)
    return found


def _cache_folder(cache_dir: str | None) -> Path:
    from ..gate.cache import DEFAULT_DIR, project_root

    return Path(cache_dir) if cache_dir else project_root() / DEFAULT_DIR


def _ignore_itself(folder: Path) -> None:
    """A raceproof-made folder in the user's repository never shows up as untracked."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by raceproof: reports and other run outputs\n*\n", encoding="utf-8")
    except OSError:
        pass  # the reports' own writes say what is wrong with the folder


def _changed(specs: list[Path], rev: str, cache: VerdictCache | None) -> list[Path]:
    from ..gate.changed import GitError, changed_files
    from ..gate.hashing import spec_inputs
    from ..gate.runner import GateInputError

    try:
        changed = changed_files(rev)
    except GitError as exc:
        raise GateInputError([str(exc)]) from None
    selected = []
    for path in specs:
        # the model's modules (as its imports say) and what its last cached run read (dynamic
        # imports, data files): an edit to any of them selects the spec
        recorded = cache.recorded_inputs(path) if cache is not None else []
        files = {f.resolve() for f in [*spec_inputs(path).files(), *recorded]}
        if files & changed:
            selected.append(path)
    return selected


def _outputs(
    records: list[SpecRecord],
    code: ExitCode,
    strict: bool,
    junit: str | None,
    summary: str | None,
    artifacts: Path,
    artifact_name: str | None,
    outputs: Outputs,
) -> None:
    """Write the JUnit and Markdown outputs; one that cannot be written is kept in ``outputs``."""
    if junit:
        from ..gate.junit import write_junit

        outputs.attempt(functools.partial(write_junit, Path(junit), records, strict))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary or step_summary:
        from ..gate.summary import summary_markdown, write_summary

        if summary:
            text = summary_markdown(records, code, strict, Path(summary).parent, artifacts, artifact_name)
            outputs.attempt(functools.partial(write_summary, Path(summary), text))
        if step_summary:  # on the job's page a relative link is dead: reports are named by their artifact
            text = summary_markdown(records, code, strict, Path.cwd(), artifacts, artifact_name)
            outputs.attempt(functools.partial(write_summary, Path(step_summary), text, append=True))


def _spec_json(record: SpecRecord, strict: bool) -> dict[str, Any]:
    from ..results import is_complete

    data = record.to_dict()
    outcomes = record.outcomes(strict)
    data["cached"] = record.cached
    for prop in data["properties"]:
        prop["outcome"] = outcomes[prop["name"]].value
        prop["complete"] = is_complete(prop["verdict"])  # false for holds_to_depth (bounded) and unknown
    return data


class _Progress:
    """Per-spec lines as verdicts arrive; on a terminal, a live line naming the specs being checked."""

    def __init__(self, console: Console, total: int, quiet: bool) -> None:
        self.console, self.total, self.quiet = console, total, quiet
        self.running: dict[str, float] = {}
        self.finished = 0
        self.status: Any = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def _refresh(self) -> None:
        if self.quiet or not self.console.is_terminal:
            return
        if not self.running:
            if self.status is not None:
                self.status.stop()
                self.status = None
            return
        oldest = min(self.running.values())
        text = f"[{self.finished}/{self.total}] checking {', '.join(self.running)} ({time.monotonic() - oldest:.0f}s)"
        if self.status is None:
            self.status = self.console.status(text)
            self.status.start()
        else:
            self.status.update(text)

    def start(self, path: Path) -> None:
        self.running[str(path)] = time.monotonic()
        self._refresh()

    def done(self, record: SpecRecord, strict: bool) -> None:
        self.running.pop(record.spec, None)
        self.finished += 1
        if not self.quiet:
            _print_record(self.console, record, strict, f"[{self.finished}/{self.total}]")
        self._refresh()


def _print_record(console: Console, record: SpecRecord, strict: bool, counter: str) -> None:
    from rich.text import Text

    from ..gate.expectations import Outcome, explain

    marks = {
        Outcome.MET: ("✓", "green"),
        Outcome.FAILED: ("✗", "bold red"),
        Outcome.DRIFTED: ("✗", "bold red"),
        Outcome.UNCOVERED: ("✗", "bold red"),
        Outcome.INCONCLUSIVE: ("?", "yellow"),
    }
    head = Text(f"{counter} ", style="dim")
    head.append(record.spec, style="bold")
    head.append("  cached" if record.cached else f"  {record.engine}, {record.seconds:.1f}s", style="dim")
    console.print(head)
    outcomes = record.outcomes(strict)
    for prop in record.properties:
        outcome = outcomes[prop.name]
        mark, style = marks[outcome]
        if outcome is Outcome.MET and prop.verdict == "holds_to_depth":
            mark, style = "≤", "cyan"  # met, but bounded: not the ✓ of a complete result
        line = Text(f"  {mark} ", style=style)
        line.append(f"{prop.name:<28}", style="bold")
        line.append(f" {prop.verdict:<14}", style=style)
        # the detail is as long as it is ("exhaustive: 192,050 distinct states"): never run into the
        # judgement, which follows after a separator
        line.append(f" {prop.detail} ·" if outcome is Outcome.MET and prop.detail else "")
        line.append(f" {explain(prop, outcome)}", style="dim" if outcome is Outcome.MET else style)
        console.print(line)
    if strict and record.never_fired:
        console.print(Text(f"  ✗ actions never fired: {', '.join(record.never_fired)}", style="bold red"))
    elif strict and record.undecided_actions:
        console.print(Text(f"  ? actions not decided: {', '.join(record.undecided_actions)}", style="yellow"))
    for prop in record.properties:
        if outcomes[prop.name] is not Outcome.MET:
            if prop.trace_text:
                console.print(Text("\n" + prop.trace_text + "\n"), markup=False)
            for fmt, path in sorted(prop.reports.items()):
                console.print(f"    report ({fmt}): {path}", markup=False, highlight=False)


def _footer(console: Console, records: list[SpecRecord], code: ExitCode, strict: bool, seconds: float, specs_seen: int):
    from collections import Counter

    counts = Counter(o.value for r in records for o in r.outcomes(strict).values())
    cached = sum(1 for r in records if r.cached)
    parts = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    verdict = {0: "pass", 1: "FAIL", 2: "bad input", 3: "inconclusive"}[int(code)]
    console.print(
        f"gate: {verdict} (exit {int(code)}): {specs_seen} spec(s), {sum(counts.values())} properties: "
        f"{parts or 'none'}; {cached} spec(s) cached; {seconds:.2f}s",
        style="bold" if code else "bold green",
        markup=False,
        highlight=False,
    )
