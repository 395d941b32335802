"""`raceproof check` and `raceproof prove`: the verdicts of specs."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from .. import __version__
from ..results import ExitCode, worst
from .common import complete_properties, fail, handle_errors, load_all, make_console, progress_line, status_line
from .exit_rule import for_all_note, for_all_strict_messages, run_rule, spec_exit
from .options import SECONDS, Outputs, param_option, writable
from .report import report_option, write_reports

if TYPE_CHECKING:  # imported where used: `raceproof gate` with every verdict cached never loads z3
    from ..params import Override
    from ..run import SpecResult


@click.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--depth", type=click.IntRange(min=0), help="BMC bound (overrides the spec).")
@click.option(
    "--property",
    "properties",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_properties,
    help="Check only this property (repeatable).",
)
@click.option("--timeout", type=SECONDS, help="Seconds per spec (overrides the spec; inf: no limit).")
@click.option(
    "--itf", "itf_path", type=click.Path(dir_okay=False), callback=writable, help="Write counterexamples as ITF."
)
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable result object.")
@click.option("--all-vars", is_flag=True, help="Show every variable at every step, not only changes.")
@click.option("--witnesses", is_flag=True, help="Also print the traces that witness `reachable` properties.")
@click.option("--no-symmetry", is_flag=True, help="Do not reduce interchangeable replicas (for comparison).")
@click.option(
    "--engine",
    type=click.Choice(["auto", "bmc", "explicit"]),
    help="auto: a proof for properties expected `proved`, else exhaustive explicit search of a finite instance, "
    "else bmc; bmc: symbolic, to the depth bound (a bounded answer); explicit: exhaustive search. A requested "
    "engine is run as asked (default: the spec's, auto unless it says otherwise).",
)
@click.option(
    "--max-states",
    type=click.IntRange(min=1),
    help="explicit: stop (inconclusive) after N distinct states; on an auto spec it requests the explicit engine.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 1) if an action never fires or a `reachable` property is never witnessed; "
    "exit 3 if the run could not decide whether an action fires.",
)
@click.option(
    "--max-counterexamples",
    type=click.IntRange(min=1),
    default=1,
    help="bmc: up to N shortest counterexamples per property, each a different sequence of steps.",
)
@click.option(
    "--workers",
    default="auto",
    show_default=True,
    metavar="N|auto",
    help="explicit: search with N worker processes (auto: all cores, once the search outgrows one).",
)
@click.option(
    "--ray", "ray_address", metavar="auto|ADDRESS", help="explicit: search on Ray actors (auto: a local cluster)."
)
@click.option(
    "--stats",
    is_flag=True,
    help="Print the run's statistics: bmc per depth (solver, wall and CPU seconds, queries, conflicts, size); "
    "explicit search (states, peak RSS, bytes per state).",
)
@report_option
@param_option
@handle_errors
def check(
    specs: tuple[str, ...],
    depth: int | None,
    properties: tuple[str, ...],
    timeout: float | None,
    itf_path: str | None,
    as_json: bool,
    all_vars: bool,
    witnesses: bool,
    no_symmetry: bool,
    engine: str | None,
    max_states: int | None,
    strict: bool,
    max_counterexamples: int,
    workers: str,
    ray_address: str | None,
    stats: bool,
    reports: list[tuple[str, str]],
    params: list[Override],
) -> None:
    """Check SPEC files: every property, every interleaving (exhaustively, or up to the bound).

    Exit 0 if every property holds (complete, or holds_to_depth: bounded, marked ≤), is
    proved or witnessed, 1 if one is violated, 2 on bad input, 3 if a result is
    inconclusive (timeout, unknown, no witness within the bound).
    Each check also lists the actions that never fired (coverage); `--strict` fails on them.
    """
    from ..engines.scaling import scale_out
    from ..run import check_spec

    if max_counterexamples > 1 and (engine == "explicit" or (engine is None and max_states is not None)):
        # refused rather than silently ignored: only BMC enumerates several shortest counterexamples
        fail(ExitCode.BAD_INPUT, "error: --max-counterexamples needs the bmc engine (not explicit / --max-states)")
    loaded = load_all(specs, properties, params)
    console = make_console()
    results: list[SpecResult] = []
    for spec in loaded:
        with progress_line(console, spec, as_json) as progress, scale_out(workers, ray_address):
            sr = check_spec(
                spec,
                depth,
                list(properties) or None,
                timeout,
                not no_symmetry,
                progress,
                engine,
                max_states,
                max_counterexamples,
            )
        _show(console, sr, as_json, all_vars, witnesses)
        if stats and not as_json:  # --json has the search's always (in "search"), BMC's with --stats
            _print_stats(console, sr)
        if strict:
            _strict_messages(sr)
        results.append(sr)
    outputs = Outputs()
    write_reports(console, results, reports, as_json, all_vars, outputs)
    _finish(console, results, as_json, itf_path, outputs, strict, stats)


def bmc_depths(sr: SpecResult) -> list[dict] | None:
    """The BMC run's per-depth statistics (`engines.bmc_stats`), or None when BMC did not run."""
    return next((r.extra["bmc_depths"] for r in sr.results if "bmc_depths" in r.extra), None)


def _print_stats(console: Console, sr: SpecResult) -> None:
    """--stats in text: the explicit search's memory and size, and BMC's per-depth table."""
    from rich.text import Text

    from ..engines.bmc_stats import format_depths
    from ..report.search_stats import search_stats

    rows = bmc_depths(sr)
    search = next((search_stats(r.extra) for r in sr.results if "peak_rss_bytes" in r.extra), None)
    if search:
        console.print(Text(f"  {search}", style="dim"))
    if rows is not None:
        console.print("  BMC per depth (steps: transitions in the step's disjunction):", markup=False)
        for line in format_depths(rows):
            console.print(line, markup=False, highlight=False)
    if rows is None and not search:
        console.print(f"  --stats: no statistics: engine {sr.engine} ran neither BMC nor an explicit search")


def _strict_messages(sr: SpecResult) -> None:
    """Why --strict fails (or cannot pass) this spec, on stderr (stdout may be JSON)."""
    from ..coverage import strict_problems

    failures, undecided = strict_problems(sr.coverage)
    for problem in failures:
        click.echo(f"strict: {sr.spec.path}: {problem}", err=True)
    for problem in undecided:
        click.echo(f"strict: {sr.spec.path}: inconclusive: {problem}", err=True)


def _show(console: Console, sr: SpecResult, as_json: bool, all_vars: bool = False, witnesses: bool = False) -> None:
    if not as_json:
        from ..report.text import print_spec_result

        print_spec_result(console, sr, all_vars=all_vars, witnesses=witnesses)


def _finish(
    console: Console,
    results: list[SpecResult],
    as_json: bool,
    itf_path: str | None,
    outputs: Outputs,
    strict: bool = False,
    stats: bool = False,
    for_all_strict: list[bool] | None = None,
) -> None:
    """Write the ITF traces, print the JSON object if asked, and exit with the worst verdict's code
    (with ``strict``, coverage problems count: see `checker.coverage.strict_exit_code`); an output
    that could not be written turns a pass into exit 2, never a violation into anything else."""
    from ..coverage import strict_problems

    written = _write_itf(itf_path, results, outputs) if itf_path else []
    strict_for = for_all_strict or [False] * len(results)  # per spec: the flag, else its [prove] for_all_strict
    exits = [spec_exit(sr, strict, on) for sr, on in zip(results, strict_for, strict=True)]
    codes = [e.code for e in exits]
    for sr, e, on in zip(results, exits, strict_for, strict=True):
        if on:
            for_all_strict_messages(sr, e)
        elif for_all_strict is not None and e.code is not ExitCode.VIOLATED:
            for_all_note(sr)
    before = worst(codes)
    code = outputs.exit_code(before)
    if as_json:
        from ..report.json import spec_json

        specs = [spec_json(sr) for sr in results]
        if stats:  # per depth of the BMC run (null: another engine answered)
            for obj, sr in zip(specs, results, strict=True):
                obj["bmc_stats"] = bmc_depths(sr)
        for obj, e, on in zip(specs, exits, strict_for, strict=True):
            obj["exit_code_rule"] = e.rule  # which rule gave this spec's part of the run's exit code
            if for_all_strict is not None:  # prove: "exit_code" stays the instance's; this is the spec's under the rule
                violated = [{"property": name, "at": sizes} for name, sizes in e.violated]
                obj["for_all_strict"] = {"on": on, "exit_code": int(e.code), "violated": violated}
        if strict:
            for obj, sr, spec_code in zip(specs, results, codes, strict=True):
                failures, undecided = strict_problems(sr.coverage)
                obj["strict"] = {"exit_code": int(spec_code), "failures": failures, "undecided": undecided}
        out = {
            "raceproof": __version__,
            "exit_code": int(code),
            # instance | coverage_strict | for_all_strict | output_error: `checker.cli.exit_rule`
            "exit_code_rule": run_rule(exits, before, code),
            "specs": specs,
        }
        if itf_path:
            out["itf"] = written
        if outputs.failures:
            out["output_errors"] = outputs.failures
        click.echo(json.dumps(out, indent=2, default=str))
    for path in written:  # a status line: stderr, so that stdout holds only the result
        click.echo(f"ITF trace written to {path}", err=True)
    sys.exit(outputs.finish(code))


@click.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--engine",
    type=click.Choice(["auto", "kind", "pdr"]),
    default="auto",
    show_default=True,
    help="kind: k-induction; pdr: IC3/PDR (z3 Spacer); auto: a small finite instance by its reachable set, "
    "else PDR, joined by k-induction and BMC in child processes after 3 s of CPU; first answer wins.",
)
@click.option(
    "--property",
    "properties",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_properties,
    help="Prove only this property (repeatable).",
)
@click.option("--timeout", type=SECONDS, help="Seconds per spec (overrides the spec; inf: no limit).")
@click.option(
    "--certificate", type=click.Path(dir_okay=False), callback=writable, help="Write the invariant as SMT-LIB2."
)
@click.option(
    "--itf", "itf_path", type=click.Path(dir_okay=False), callback=writable, help="Write counterexamples as ITF."
)
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable result object.")
@click.option(
    "--for-all",
    "for_all",
    metavar="PARAM",
    help="Prove for every value >= 1 of this replica count (e.g. enactors), with a quantified invariant; "
    "falls back to the spec's instance, saying why, where that fails. Default: the spec's [prove] for_all.",
)
@click.option(
    "--for-all-strict/--no-for-all-strict",
    "for_all_strict",
    default=None,
    help="With --for-all: exit 1 if a property is violated at any size the for-all search looked at (a replayed "
    "counterexample), even where the spec's own instance holds. Default: the spec's [prove] for_all_strict, else "
    "off (the exit code is the spec's instance's verdicts, which its [expect] is about).",
)
@report_option
@param_option
@handle_errors
def prove(
    specs: tuple[str, ...],
    engine: str,
    properties: tuple[str, ...],
    timeout: float | None,
    certificate: str | None,
    itf_path: str | None,
    as_json: bool,
    for_all: str | None,
    for_all_strict: bool | None,
    reports: list[tuple[str, str]],
    params: list[Override],
) -> None:
    """Prove SPEC files' invariants for every reachable state: traces of any length.

    A proof prints its inductive invariant in the model's names, re-checked by a fresh
    solver; `--certificate FILE` writes it as an SMT-LIB2 script that `z3 FILE` re-checks
    (every query answers unsat). A violation is a replayed counterexample (exit 1); a
    failed induction is a counterexample to induction, not a violation (exit 3). With
    --for-all the exit code is the spec's instance's; --for-all-strict also fails (exit 1)
    on a violation at any other size the for-all search looked at.
    """
    from ..run import prove_spec

    loaded = load_all(specs, properties, params)
    strict_for = [for_all_strict if for_all_strict is not None else spec.for_all_strict for spec in loaded]
    for spec, strict in zip(loaded, strict_for, strict=True):
        if strict and not (for_all or spec.for_all):  # it would silently mean nothing: refused
            fail(
                ExitCode.BAD_INPUT,
                f"error: {spec.path}: --for-all-strict needs --for-all PARAM (or [prove] for_all in the spec): it is "
                "about the sizes the for-all search looks at",
            )
    console = make_console()
    results: list[SpecResult] = []
    for n, spec in enumerate(loaded):
        cert = certificate
        if certificate and n > 0:  # one certificate per spec, beside the first
            base = Path(certificate)
            cert = str(base.with_name(f"{base.stem}.{spec.name}{base.suffix}"))
        with status_line(console, f"{spec.path}: prove ({engine})", as_json) as progress:
            chosen = for_all or ",".join(spec.for_all)  # the flag over the spec's [prove] for_all
            if chosen:
                from ..param.run import prove_spec_for_all

                sr = prove_spec_for_all(spec, chosen, list(properties) or None, engine, timeout, cert)
            else:
                sr = prove_spec(spec, list(properties) or None, engine, timeout, cert, progress=progress)
        _show(console, sr, as_json)
        results.append(sr)
    outputs = Outputs()  # a certificate that could not be written: the proof stands, the run exits 2
    outputs.failures += [
        r.extra["certificate_error"] for sr in results for r in sr.results if r.extra.get("certificate_error")
    ]
    write_reports(console, results, reports, as_json, outputs=outputs)
    _finish(console, results, as_json, itf_path, outputs, for_all_strict=strict_for)


def _write_itf(path: str, results: list[SpecResult], outputs: Outputs) -> list[str]:
    """The first counterexample goes to ``path``; any others beside it, named by spec and property."""
    from ..itf import to_itf, write_json_atomic

    traces = [
        (sr, r) for sr in results for r in sr.results if r.trace is not None and r.trace.kind in ("violation", "lasso")
    ]
    written = []
    base = Path(path)
    for n, (sr, r) in enumerate(traces):
        assert r.trace is not None
        target = base if n == 0 else base.with_name(f"{base.name.split('.')[0]}.{sr.spec.name}.{r.name}.itf.json")
        data = to_itf(r.trace, str(sr.spec.path))
        if outputs.attempt(functools.partial(write_json_atomic, target, data)) is None:
            continue  # not written: kept in outputs.failures
        written.append(str(target))
    return written
