"""The `raceproof` command line. Each verb is a small function over the library.

Exit codes (stable): 0 holds/proved, 1 violated, 2 bad input or usage, 3 inconclusive.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from . import __version__
from .cli_graph import register as register_graph
from .cli_report import report, report_option, write_reports
from .errors import InternalError, RaceproofError, SpecError
from .results import ExitCode

if TYPE_CHECKING:  # imported where used: `raceproof gate` with every verdict cached never loads z3
    from .run import SpecResult
    from .spec import Spec


def _console(stderr: bool = False) -> Console:
    # Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns: give it room.
    width = None if sys.stdout.isatty() else max(120, shutil.get_terminal_size((120, 24)).columns)
    return Console(stderr=stderr, highlight=False, width=width, soft_wrap=True)


def _fail(code: ExitCode, message: str) -> None:
    click.echo(message, err=True)
    sys.exit(int(code))


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input exits 2 with a located message; raceproof's own faults exit 3, never 0 or 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except RaceproofError as exc:
            if debug:
                traceback.print_exc()
            _fail(ExitCode.BAD_INPUT, f"error: {exc}")
        except InternalError as exc:
            if debug:
                traceback.print_exc()
            _fail(ExitCode.INCONCLUSIVE, f"internal error (no verdict): {exc}")
        except KeyboardInterrupt:
            _fail(ExitCode.INCONCLUSIVE, "interrupted: no verdict")
        except Exception as exc:  # a bug in raceproof: report it, never a verdict
            if debug:
                traceback.print_exc()
            _fail(
                ExitCode.INCONCLUSIVE, f"internal error (no verdict): {type(exc).__name__}: {exc}; rerun with --debug"
            )

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="raceproof")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
def main(debug: bool) -> None:
    """Find races in distributed control planes, and prove their fixes."""


def _load_all(paths: tuple[str, ...], properties: tuple[str, ...] = ()) -> list[Spec]:
    """Load every spec first, so that one bad spec stops the run before any work."""
    from .spec import load_spec

    specs, errors = [], []
    for path in paths:
        try:
            spec = load_spec(path)
            known = spec.model.property_decls()
            for name in properties:  # --property: each spec's model must have it
                if name not in known:
                    raise SpecError(
                        f"unknown property '{name}' given with --property (model '{spec.model_ref}' has: "
                        f"{', '.join(known) or 'none'})",
                        str(spec.path),
                        spec.line("", "model"),
                    )
            specs.append(spec)
        except RaceproofError as exc:
            errors.append(str(exc))
    if errors:
        _fail(ExitCode.BAD_INPUT, "\n".join(f"error: {e}" for e in errors))
    return specs


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--depth", type=click.IntRange(min=0), help="BMC bound (overrides the spec).")
@click.option("--property", "properties", multiple=True, metavar="NAME", help="Check only this property (repeatable).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds per spec (overrides the spec).")
@click.option("--itf", "itf_path", type=click.Path(dir_okay=False), help="Write counterexamples as ITF to FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable result object.")
@click.option("--all-vars", is_flag=True, help="Show every variable at every step, not only changes.")
@click.option("--witnesses", is_flag=True, help="Also print the traces that witness `reachable` properties.")
@click.option("--no-symmetry", is_flag=True, help="Do not reduce interchangeable replicas (for comparison).")
@click.option(
    "--engine",
    type=click.Choice(["bmc", "explicit"]),
    help="bmc: symbolic, to the depth bound; explicit: exhaustive search of a finite instance (default: the spec's).",
)
@click.option("--max-states", type=click.IntRange(min=1), help="explicit: stop (inconclusive) after N distinct states.")
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
@report_option
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
    reports: list[tuple[str, str]],
) -> None:
    """Check SPEC files: every property, every interleaving, up to the bound.

    Exit 0 if every property holds or is witnessed, 1 if one is violated, 2 on bad
    input, 3 if a result is inconclusive (timeout, unknown, no witness within the bound).
    Each check also lists the actions that never fired (coverage); `--strict` fails on them.
    """
    from .run import check_spec

    loaded = _load_all(specs, properties)
    console = _console()
    results: list[SpecResult] = []
    for spec in loaded:
        with _progress(console, spec, as_json) as progress:
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
        if strict:
            _strict_messages(sr)
        results.append(sr)
    write_reports(console, results, reports, as_json, all_vars)
    _finish(console, results, as_json, itf_path, strict)


def _strict_messages(sr: SpecResult) -> None:
    """Why --strict fails (or cannot pass) this spec, on stderr (stdout may be JSON)."""
    from .coverage import strict_problems

    failures, undecided = strict_problems(sr.coverage)
    for problem in failures:
        click.echo(f"strict: {sr.spec.path}: {problem}", err=True)
    for problem in undecided:
        click.echo(f"strict: {sr.spec.path}: inconclusive: {problem}", err=True)


def _show(console: Console, sr: SpecResult, as_json: bool, all_vars: bool = False, witnesses: bool = False) -> None:
    if not as_json:
        from .report.text import print_spec_result

        print_spec_result(console, sr, all_vars=all_vars, witnesses=witnesses)


def _finish(
    console: Console, results: list[SpecResult], as_json: bool, itf_path: str | None, strict: bool = False
) -> None:
    """Write the ITF traces, print the JSON object if asked, and exit with the worst verdict's code
    (with ``strict``, coverage problems count: see `checker.coverage.strict_exit_code`)."""
    from .coverage import strict_exit_code, strict_problems

    written = _write_itf(itf_path, results) if itf_path else []
    codes = [strict_exit_code(sr.exit_code, sr.coverage) if strict else sr.exit_code for sr in results]
    code = max(codes, default=ExitCode.OK)
    if as_json:
        from .report.json import spec_json

        specs = [spec_json(sr) for sr in results]
        if strict:
            for obj, sr, spec_code in zip(specs, results, codes, strict=True):
                failures, undecided = strict_problems(sr.coverage)
                obj["strict"] = {"exit_code": int(spec_code), "failures": failures, "undecided": undecided}
        out = {"raceproof": __version__, "exit_code": int(code), "specs": specs}
        if itf_path:
            out["itf"] = written
        click.echo(json.dumps(out, indent=2, default=str))
    else:
        for path in written:
            console.print(f"ITF trace written to {path}")
    sys.exit(int(code))


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--engine",
    type=click.Choice(["auto", "kind", "pdr"]),
    default="auto",
    show_default=True,
    help="kind: k-induction; pdr: IC3/PDR (z3 Spacer); auto: both and BMC in parallel processes, first answer wins.",
)
@click.option("--property", "properties", multiple=True, metavar="NAME", help="Prove only this property (repeatable).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds per spec (overrides the spec).")
@click.option("--certificate", "certificate", type=click.Path(dir_okay=False), help="Write the invariant as SMT-LIB2.")
@click.option("--itf", "itf_path", type=click.Path(dir_okay=False), help="Write counterexamples as ITF to FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable result object.")
@click.option(
    "--for-all",
    "for_all",
    metavar="PARAM",
    help="Prove for every value >= 1 of this replica count (e.g. enactors), with a quantified invariant; "
    "falls back to the spec's instance, saying why, where that fails.",
)
@report_option
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
    reports: list[tuple[str, str]],
) -> None:
    """Prove SPEC files' invariants for every reachable state: traces of any length.

    A proof prints its inductive invariant in the model's names, re-checked by a fresh
    solver; `--certificate FILE` writes it as an SMT-LIB2 script that `z3 FILE` re-checks
    (every query answers unsat). A violation is a replayed counterexample (exit 1); a
    failed induction is a counterexample to induction, not a violation (exit 3).
    """
    from .run import prove_spec

    loaded = _load_all(specs, properties)
    console = _console()
    results: list[SpecResult] = []
    for n, spec in enumerate(loaded):
        cert = certificate
        if certificate and n > 0:  # one certificate per spec, beside the first
            base = Path(certificate)
            cert = str(base.with_name(f"{base.stem}.{spec.name}{base.suffix}"))
        with _status(console, f"{spec.path}: proving ({engine})", as_json):
            if for_all:
                from .param.run import prove_spec_for_all

                sr = prove_spec_for_all(spec, for_all, list(properties) or None, engine, timeout, cert)
            else:
                sr = prove_spec(spec, list(properties) or None, engine, timeout, cert)
        _show(console, sr, as_json)
        results.append(sr)
    write_reports(console, results, reports, as_json)
    _finish(console, results, as_json, itf_path)


@contextlib.contextmanager
def _status(console: Console, message: str, quiet: bool) -> Iterator[None]:
    if quiet or not console.is_terminal:
        yield
        return
    with console.status(message):
        yield


@contextlib.contextmanager
def _progress(console: Console, spec: Spec, quiet: bool) -> Iterator[Callable[..., None] | None]:
    """A live progress line on a terminal (nothing with --json or off a terminal).

    BMC calls it with (depth, open properties); the explicit engine with (depth, stored
    states, open properties, frontier size) as each breadth-first level starts.
    """
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    started = time.monotonic()
    what = TextColumn("{task.fields[what]}")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), what)
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(str(spec.path), total=None, what="starting")

        def update(depth: int, *rest: Any) -> None:
            bar.update(task, what=progress_text(depth, rest, time.monotonic() - started))

        yield update


def progress_text(depth: int, rest: tuple[Any, ...], elapsed: float) -> str:
    """One progress line from an engine's callback arguments (after the depth)."""
    if len(rest) == 3:  # explicit search: states, open properties, frontier
        states, pending, frontier = rest
        rate = states / max(elapsed, 1e-9)
        head = f"depth {depth}  {states:,} states  {rate:,.0f} states/s  queue {frontier:,}"
    else:  # BMC: open properties
        pending = rest[-1]
        head = f"depth {depth}"
    return f"{head}  open: {', '.join(pending) or '-'}"


def _write_itf(path: str, results: list[SpecResult]) -> list[str]:
    """The first counterexample goes to ``path``; any others beside it, named by spec and property."""
    from .itf import to_itf, write_json_atomic

    traces = [
        (sr, r) for sr in results for r in sr.results if r.trace is not None and r.trace.kind in ("violation", "lasso")
    ]
    written = []
    base = Path(path)
    for n, (sr, r) in enumerate(traces):
        assert r.trace is not None
        target = base if n == 0 else base.with_name(f"{base.name.split('.')[0]}.{sr.spec.name}.{r.name}.itf.json")
        write_json_atomic(target, to_itf(r.trace, str(sr.spec.path)))
        written.append(str(target))
    return written


@main.command(name="list")
@click.option("--specs-dir", default="specs", show_default=True, type=click.Path(file_okay=False))
@handle_errors
def list_(specs_dir: str) -> None:
    """Show the models (parameters, properties) and the specs."""
    from .registry import known_models, load_model
    from .spec import load_spec

    console = _console()
    for name, description in known_models().items():
        console.print(f"[bold]model {name}[/bold]  {description}")
        try:
            cls = load_model(name)
        except RaceproofError as exc:
            console.print(f"  [red]{exc}[/red]")
            continue
        console.print("  parameters:")
        for p in cls.params().values():
            console.print(f"    {p.name:<14} {p.describe()}" + (f"  — {p.help}" if p.help else ""))
        console.print("  properties:")
        for prop in cls.property_decls().values():
            console.print(f"    {prop.name:<26} {prop.kind:<17} {prop.doc.splitlines()[0] if prop.doc else ''}")
    folder = Path(specs_dir)
    spec_files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    console.print(f"[bold]specs[/bold] in {specs_dir}/" if spec_files else f"no specs in {specs_dir}/")
    for path in spec_files:
        try:
            spec = load_spec(path)
        except RaceproofError as exc:
            console.print(f"  [red]{exc}[/red]")
            continue
        expect = ", ".join(f"{k}={v}" for k, v in spec.expect.items())
        params = ", ".join(f"{k}={v}" for k, v in spec.params.items())
        console.print(f"  {os.fspath(path):<42} {spec.model_ref} ({params}); depth {spec.depth}; expect {expect}")


from .cli_gate import gate  # noqa: E402  (the CI gate lives in its own module)

main.add_command(report)
main.add_command(gate)
register_graph(main)  # `raceproof graph` lives in cli_graph.py

if __name__ == "__main__":  # pragma: no cover
    main()
