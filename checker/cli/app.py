"""The `raceproof` command line: the group and its verbs (each a small module of `checker.cli`).

Exit codes (stable): 0 holds/proved, 1 violated, 2 bad input or usage, 3 inconclusive.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from .. import __version__
from ..results import ExitCode
from . import GC_YOUNG_THRESHOLD
from .check import check, prove
from .common import error_json
from .conform import register as register_conform
from .gate import gate
from .graph import register as register_graph
from .listing import list_
from .options import guard_stdout
from .report import report
from .simulate import register as register_simulate
from .sweep import sweep


class _Cli(click.Group):
    """The `raceproof` group: a usage error (an unknown option, a bad value) in a --json run is
    also a JSON object on stdout, like every other error."""

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], GC_YOUNG_THRESHOLD), *thresholds[1:])
        try:
            return self._main(args, prog_name, **extra)
        finally:  # (in-process callers, e.g. tests, get theirs back)
            gc.set_threshold(*thresholds)

    def _main(self, args: Any, prog_name: str | None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if "--json" not in argv or extra.get("standalone_mode") is False:
            return super().main(args, prog_name, **extra)
        try:
            return super().main(argv, prog_name, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("interrupted: no verdict", err=True)
            click.echo(error_json(ExitCode.INCONCLUSIVE, ["interrupted: no verdict"]))
            sys.exit(int(ExitCode.INCONCLUSIVE))
        except click.ClickException as exc:
            exc.show()
            click.echo(error_json(ExitCode.BAD_INPUT, [exc.format_message()]))
            sys.exit(int(ExitCode.BAD_INPUT))


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="raceproof")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
def main(debug: bool) -> None:
    """Find races in distributed control planes, and prove their fixes."""
    guard_stdout()  # a full disk under `> out.txt` must not turn a verdict into an internal error


main.add_command(check)
main.add_command(prove)
main.add_command(list_)
main.add_command(report)
main.add_command(gate)
main.add_command(sweep)
register_graph(main)
register_conform(main)  # replay, conform, validate: running code against the model
register_simulate(main)  # swarm simulation
