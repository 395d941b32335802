"""`raceproof report TRACE`, and the `--report FORMAT:FILE` option of `check` and `prove`."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from ..report import FORMATS, render, write_atomic, write_report
from ..results import ExitCode
from .options import Outputs, overrides_callback, writable

if TYPE_CHECKING:
    from ..params import Override
    from ..run import SpecResult


def _parse_report(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        fmt, sep, path = value.partition(":")
        if not sep or not path:
            raise click.BadParameter(f"'{value}' is not FORMAT:FILE (e.g. html:race.html)", ctx, param)
        if fmt not in FORMATS:
            raise click.BadParameter(f"unknown format '{fmt}' in '{value}' (one of {', '.join(FORMATS)})", ctx, param)
        writable(ctx, param, path)  # before the run, not after it
        out.append((fmt, path))
    return out


def report_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--report FORMAT:FILE`` (repeatable): write the run's counterexamples as reports."""
    return click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="FORMAT:FILE",
        callback=_parse_report,
        help=f"Write the counterexamples as a report ({'|'.join(FORMATS)}) to FILE (repeatable).",
    )(fn)


def write_reports(
    console: Console,
    results: list[SpecResult],
    reports: list[tuple[str, str]],
    as_json: bool,
    all_vars: bool = False,
    outputs: Outputs | None = None,
) -> list[str]:
    """Write each requested report of every spec's counterexamples (several specs: one file each).
    A report that cannot be written is kept in ``outputs`` (raised without it) and the rest go on."""
    written: list[str] = []
    for fmt, path in reports:
        for n, sr in enumerate(results):
            target = path if n == 0 else _per_spec(path, sr)
            write = functools.partial(write_report, sr, fmt, target, all_vars)
            written += (outputs.attempt(write) if outputs is not None else write()) or []
    for path in written:  # a status line: stderr, so that stdout holds only the result
        click.echo(f"Report written to {path}", err=True)
    return written


def _per_spec(path: str, sr: SpecResult) -> str:
    from pathlib import Path

    base = Path(path)
    stem, _, suffix = base.name.partition(".")
    return str(base.with_name(f"{stem}.{sr.spec.name}.{suffix}" if suffix else f"{stem}.{sr.spec.name}"))


@click.command()
@click.argument("trace", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="The report's format."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    callback=writable,
    help="Write to FILE (default: standard output).",
)
@click.option("--all-vars", is_flag=True, help="Show every variable at every step, not only changes.")
@click.option(
    "--model",
    "model_ref",
    metavar="REF",
    help="Rebuild the trace with this model (a name or package.module:Class, found from the working "
    "directory's project) instead of the one the trace names.",
)
@click.option(
    "-P",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    callback=overrides_callback,
    help="Rebuild the trace's model with this parameter, over the trace's own (#meta.params; else the "
    "model's defaults) (repeatable; values as in `check -P`). Refused (exit 2) when the trace is not rebuilt.",
)
def report(
    trace: str, fmt: str, output: str | None, all_vars: bool, model_ref: str | None, params: list[Override]
) -> None:
    """Render an ITF TRACE (raceproof's, Apalache's or Quint's; `-`: standard input) as a report.

    A trace raceproof wrote names its model: when that model is in the trace's own project or
    bundled with raceproof, it is rebuilt and the report explains which check went stale. A
    trace from anywhere else is shown as it is (no code of its choosing runs) unless --model
    names the model to rebuild it with.
    """
    from .common import handle_errors, make_console

    @handle_errors
    def run() -> None:
        from ..report.itf_input import load_itf

        view = load_itf(trace, model_ref, lambda line: click.echo(line, err=True), params)  # which code runs
        if output:
            write_atomic(output, render([view], fmt, all_vars))
            click.echo(f"Report written to {output}", err=True)
        elif fmt == "text":
            from ..report.text import print_view

            print_view(make_console(), view, all_vars)
        else:
            sys.stdout.write(render([view], fmt, all_vars))
        code = Outputs().finish(ExitCode.OK)  # the report could not go to standard output: exit 2
        if code:
            sys.exit(code)

    run()
