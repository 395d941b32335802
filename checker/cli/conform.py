"""`raceproof replay`, `conform` and `validate`: the model against running code (checker.conform).

Exit codes: 0 the implementation agrees with the model (replay: the violation did not occur;
conform: no divergence found; validate: the log is a behaviour of the model), 1 it does not
(replay: the violation was reproduced, or the implementation diverged; conform: a divergence;
validate: an event no behaviour explains), 2 bad input, 3 no verdict (the implementation could
not be driven: a server down, an adapter that raised).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..results import ExitCode
from .common import handle_errors


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    from ..errors import SpecError

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise SpecError(f"--param '{pair}' must be NAME=VALUE")
        value: Any = raw
        if raw.lstrip("-").isdigit():
            value = int(raw)
        elif raw in ("true", "false"):
            value = raw == "true"
        out[key] = value
    return out


def _no_verdict(message: str) -> None:
    click.echo(f"error: {message}: no verdict", err=True)
    sys.exit(int(ExitCode.INCONCLUSIVE))


adapter_option = click.option(
    "--adapter", "adapter_ref", required=True, metavar="MODULE:CLASS", help="The implementation's adapter class."
)
adapter_options = click.option(
    "--adapter-option", "adapter_opts", multiple=True, metavar="KEY=VALUE", help="Passed to the adapter (repeatable)."
)
param_option = click.option(
    "--param", "param_pairs", multiple=True, metavar="NAME=VALUE", help="Override a model parameter (repeatable)."
)


@click.command()
@click.argument("trace", type=click.Path(dir_okay=False))
@adapter_option
@adapter_options
@param_option
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable result object.")
@handle_errors
def replay(
    trace: str, adapter_ref: str, adapter_opts: tuple[str, ...], param_pairs: tuple[str, ...], as_json: bool
) -> None:
    """Run the counterexample TRACE (ITF) on a real implementation and compare every step.

    Exit 1 if the violation is reproduced on the implementation or it diverges from the model,
    0 if it follows the model and the property holds in its real final state.
    """
    from ..conform.adapter import AdapterFailure, load_adapter, parse_options
    from ..conform.replay import NOT_REPRODUCED, replay_on
    from ..conform.text import replay_text
    from ..conform.values import fmt

    cls = load_adapter(adapter_ref)
    try:
        result = replay_on(trace, cls, adapter_ref, parse_options(adapter_opts), _params(param_pairs))
    except AdapterFailure as exc:
        _no_verdict(str(exc))
        return
    if as_json:
        steps = [
            {
                "index": s.index,
                "step": str(s.transition) if s.transition else "init",
                "fired": s.fired,
                "detail": s.detail,
                "model": s.model_values,
                "real": s.observed.text,
                "mismatches": [{"var": m.var, "model": m.model, "real": fmt(m.real)} for m in s.observed.mismatches],
                "problems": s.observed.problems,
            }
            for s in result.steps
        ]
        out = {"outcome": result.outcome, "message": result.message, "property": result.prop, "steps": steps}
        click.echo(json.dumps(out, indent=2, default=str))
    else:
        click.echo(replay_text(result, adapter_ref), nl=False)
    sys.exit(int(ExitCode.OK if result.outcome == NOT_REPRODUCED else ExitCode.VIOLATED))


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@adapter_option
@adapter_options
@param_option
@click.option("--max-examples", type=click.IntRange(min=1), default=50, show_default=True, help="Sequences to try.")
@click.option("--steps", type=click.IntRange(min=1), default=30, show_default=True, help="Steps per sequence, at most.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed tries the same sequences.")
@handle_errors
def conform(
    spec: str,
    adapter_ref: str,
    adapter_opts: tuple[str, ...],
    param_pairs: tuple[str, ...],
    max_examples: int,
    steps: int,
    seed: int,
) -> None:
    """Test a real implementation against SPEC's model: random sequences of the model's steps,
    run on both in lockstep, states compared after every step; a divergence is shrunk to a
    minimal sequence. Exit 1 on a divergence, 0 if none was found (a test, not a proof).
    """
    from ..conform.adapter import AdapterFailure, load_adapter, parse_options
    from ..conform.conform import check_conformance
    from ..conform.session import Session
    from ..conform.text import conform_text
    from ..spec import load_spec

    loaded = load_spec(spec)
    overrides = _params(param_pairs)
    if overrides:
        loaded.params = {**loaded.params, **overrides}
    model = loaded.build()
    cls = load_adapter(adapter_ref)
    session = Session(model, cls, adapter_ref, parse_options(adapter_opts))
    try:
        result = check_conformance(session, max_examples, seed, steps)
    except AdapterFailure as exc:
        _no_verdict(str(exc))
        return
    click.echo(conform_text(result, spec, adapter_ref), nl=False)
    sys.exit(int(ExitCode.OK if result.conforms else ExitCode.VIOLATED))


@click.command()
@click.argument("log", type=click.Path(dir_okay=False))
@click.option(
    "--spec", "spec_path", required=True, type=click.Path(dir_okay=False), help="The spec whose model to use."
)
@param_option
@click.option(
    "--max-states",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Give up (exit 3) if more model states than this fit the events so far.",
)
@click.option(
    "--unlogged",
    "unlogged_names",
    multiple=True,
    metavar="ACTION",
    help="An action that may run without a log line (e.g. plan, or planner.plan); repeatable.",
)
@click.option(
    "--max-unlogged",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="With --unlogged: at most this many unlogged steps between two events.",
)
@handle_errors
def validate(
    log: str,
    spec_path: str,
    param_pairs: tuple[str, ...],
    max_states: int,
    unlogged_names: tuple[str, ...],
    max_unlogged: int,
) -> None:
    """Check that the event LOG (JSON lines) of a real run is a behaviour of SPEC's model.

    Exit 0 if a model execution explains every event, 1 at the first event none explains
    (with the model states possible just before it), 2 on a malformed log, 3 if the search
    grows past --max-states.
    """
    from ..conform.text import validation_text
    from ..conform.validate import read_log, unlogged_steps
    from ..conform.validate import validate as run_validation
    from ..spec import load_spec

    loaded = load_spec(spec_path)
    overrides = _params(param_pairs)
    if overrides:
        loaded.params = {**loaded.params, **overrides}
    model = loaded.build()
    events = read_log(log, model)
    unlogged = unlogged_steps(model, list(unlogged_names))
    result = run_validation(model, events, max_states, unlogged, max_unlogged)
    click.echo(validation_text(result, model, log, spec_path), nl=False)
    if result.too_many:
        sys.exit(int(ExitCode.INCONCLUSIVE))
    sys.exit(int(ExitCode.OK if result.consistent else ExitCode.VIOLATED))


def register(main: click.Group) -> None:
    main.add_command(replay)
    main.add_command(conform)
    main.add_command(validate)
