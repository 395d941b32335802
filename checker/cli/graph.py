"""`raceproof graph SPEC --dot FILE | --graphml FILE`: export a small model's state graph."""

from __future__ import annotations

import functools
import sys

import click

from ..params import Override
from ..results import ExitCode
from .options import Outputs, param_option, writable

DEFAULT_CAP = 10_000


def register(main: click.Group) -> None:
    """Add the command to the CLI (one line in cli.py, so merges stay easy)."""
    from .common import handle_errors, load_all

    @main.command()
    @click.argument("spec", type=click.Path(dir_okay=False))
    @click.option("--dot", type=click.Path(dir_okay=False), callback=writable, help="Write Graphviz DOT to FILE.")
    @click.option("--graphml", type=click.Path(dir_okay=False), callback=writable, help="Write GraphML to FILE.")
    @click.option(
        "--max-states",
        type=click.IntRange(min=1),
        default=DEFAULT_CAP,
        show_default=True,
        help="Refuse (exit 3) if the model has more reachable states.",
    )
    @param_option
    @handle_errors
    def graph(spec: str, dot: str | None, graphml: str | None, max_states: int, params: list[Override]) -> None:
        """Export the reachable state graph of SPEC's model instance (no symmetry reduction).

        Nodes hold the state's variables; edges are labelled instance.action. For small
        models: beyond --max-states it writes nothing and exits 3.
        """
        if not dot and not graphml:
            click.echo("error: give --dot FILE and/or --graphml FILE", err=True)
            sys.exit(int(ExitCode.BAD_INPUT))
        from ..engines.graph_build import build_graph  # (numpy: imported only when this verb runs)
        from ..graph_export import write_dot, write_graphml

        (loaded,) = load_all((spec,), params=params)
        g = build_graph(loaded.build(), [], max_states)
        if not g.complete:
            click.echo(
                f"{spec}: the state graph has more than {max_states:,} states; not written "
                "(raise --max-states, or shrink the instance in [params] or with -P)",
                err=True,
            )
            sys.exit(int(ExitCode.INCONCLUSIVE))
        outputs = Outputs()
        for path, write in ((dot, write_dot), (graphml, write_graphml)):
            if path and outputs.attempt(functools.partial(write, g, path)) is not None:
                click.echo(f"{path}: {g.nodes:,} states, {g.edges:,} edges")
        sys.exit(outputs.finish(ExitCode.OK))
