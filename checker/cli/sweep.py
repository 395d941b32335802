"""`raceproof sweep SPEC -P enactors=1..3 -P max_plans=3,4`: a spec checked for every combination
of parameter values, one table row per run: where a property breaks first, and how cost grows."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from ..errors import RaceproofError
from ..params import Override, ParamError, Sweep, combinations, show_params, show_value
from ..results import ExitCode
from .common import complete_properties, fail, handle_errors, load_all, make_console, progress_line
from .options import SECONDS, Outputs, sweep_option

if TYPE_CHECKING:
    from ..spec import Spec


def _instances(
    spec: Spec, sweeps: list[Sweep], skip_invalid: bool
) -> tuple[list[tuple[dict[str, Any], Spec]], list[tuple[dict[str, Any], str]]]:
    """Every combination's spec, each checked by the model before any run: a bad value or a
    broken relation between parameters is exit 2 before any work, or (``skip_invalid``) a
    combination not run, with the model's reason. An unknown parameter is never skipped."""
    declared = spec.model.params()
    written = {s.name: s.text for s in sweeps}
    out, skipped = [], []
    for combo in combinations(sweeps):
        overrides = [Override(n, v, f"{n}={show_value(v)}", written[n]) for n, v in combo.items()]
        try:
            out.append((combo, spec.with_params(overrides)))
        except ParamError as exc:
            if not skip_invalid or any(n not in declared for n in combo):
                hint = "" if any(n not in declared for n in combo) else "; --skip-invalid skips such combinations"
                exc.message = f"with {show_params(combo)}: {exc.message}{hint}"
                raise
            skipped.append((combo, exc.reason or exc.message))
    return out, skipped


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@sweep_option
@click.option(
    "--property",
    "properties",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_properties,
    help="Check only this property (repeatable; default: the spec's).",
)
@click.option("--depth", type=click.IntRange(min=0), help="BMC bound (overrides the spec).")
@click.option("--timeout", type=SECONDS, help="Seconds for each run (overrides the spec; inf: no limit).")
@click.option(
    "--engine",
    type=click.Choice(["auto", "bmc", "explicit"]),
    help="The engine of every run, as in `check` (default: the spec's).",
)
@click.option("--max-states", type=click.IntRange(min=1), help="explicit: stop (inconclusive) after N distinct states.")
@click.option("--no-symmetry", is_flag=True, help="Do not reduce interchangeable replicas (for comparison).")
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable object (every run).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: one line per run.")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Skip (and list) the combinations the model refuses (e.g. load above capacity) instead of exit 2.",
)
@handle_errors
def sweep(
    spec: str,
    sweeps: list[Sweep],
    properties: tuple[str, ...],
    depth: int | None,
    timeout: float | None,
    engine: str | None,
    max_states: int | None,
    no_symmetry: bool,
    as_json: bool,
    as_csv: bool,
    skip_invalid: bool,
) -> None:
    """Check SPEC for every combination of parameter values: -P NAME=a..b (inclusive), -P NAME=x,y.

    One row per run, sorted by the parameters (the first -P varies slowest; numbers ascending,
    none last): each property's verdict (✓ complete, ≤ bounded: holds_to_depth, ✗ violated,
    with the counterexample's length), the distinct states an explicit search stored, the
    depth (BMC's bound, or the deepest level searched), the time and the engine. The summary
    names, for each property, the smallest combinations that break it. Each run has the spec's
    timeout (or --timeout). Exit as `check` does over several specs: the highest code of any run
    (0 all pass, 1 a violation, 3 a run inconclusive); 2 on bad input, before any run.
    """
    from ..report.sweep import Row, Table, exit_code, summary, sweep_csv, sweep_json
    from ..run import check_spec

    if as_json and as_csv:
        fail(ExitCode.BAD_INPUT, "error: --json and --csv: choose one")
    if not sweeps:
        fail(
            ExitCode.BAD_INPUT,
            "error: give the parameters to sweep: -P NAME=a..b or -P NAME=x,y (e.g. -P enactors=1..3)",
        )
    (base,) = load_all((spec,), properties)
    runs, skipped = _instances(base, sweeps, skip_invalid)
    if not runs:
        fail(ExitCode.BAD_INPUT, f"error: the model refuses every combination (e.g. {skipped[0][1]})")
    names = list(properties) or base.properties
    quiet = as_json or as_csv
    console = make_console()
    table = Table(sweeps, names)
    if not quiet:
        fixed = {k: v for k, v in base.params.items() if k not in {s.name for s in sweeps}}
        head = f"{base.path}  model {base.model_ref}" + (f" ({show_params(fixed)})" if fixed else "")
        count = f"{len(runs)} combination{'s' * (len(runs) != 1)}"
        count += f" to run, {len(skipped)} skipped" if skipped else ""
        console.print(f"{head}: {count}", style="bold", highlight=False)
        console.print(table.header())
    rows: list[Row] = []
    for combo, instance in runs:
        with progress_line(make_console(stderr=True) if quiet else console, instance, False) as progress:
            try:
                sr = check_spec(
                    instance, depth, list(properties) or None, timeout, not no_symmetry, progress, engine, max_states
                )
            except RaceproofError as exc:  # say which run: the rows above stand
                exc.message = f"with {show_params(combo)}: {exc.message}"
                raise
        row = Row(combo, sr)
        rows.append(row)
        if not quiet:
            console.print(table.row(row))
    code = exit_code(rows)
    if as_json:
        out = sweep_json(base, sweeps, names, rows)
        out["skipped"] = [{"params": combo, "reason": why} for combo, why in skipped]
        click.echo(json.dumps(out, indent=2, default=str))
    elif as_csv:
        sys.stdout.write(sweep_csv(sweeps, names, rows))
    else:
        for combo, why in skipped:
            console.print(f"skipped {show_params(combo)}: {why}", style="dim", highlight=False)
        console.print()
        for line in summary(rows, names):
            console.print(line)
    sys.exit(Outputs().finish(code))
