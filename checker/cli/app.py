"""The `raceproof` command line: the group and its verbs (each a small module of `checker.cli`).

Exit codes (stable): 0 holds/proved, 1 violated, 2 bad input or usage, 3 inconclusive.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from .. import __version__
from ..interrupts import leaving
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
    """The `raceproof` group, with click's own error handling (its ``standalone_mode``) replaced
    by ours, so that every exit is typed (0 holds, 1 violated, 2 bad input, 3 no verdict):

    - Ctrl-C while click still parses the command line (an option's callback or type, the
      group's own callback), before `handle_errors` runs the command body: click would print
      "Aborted!" and exit 1, which reads as "violated"; here it is "interrupted: no verdict",
      exit 3, as everywhere else.
    - A usage error (an unknown option, a bad value) exits 2, and in a --json run is also a
      JSON object on stdout, like every other error.
    """

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], GC_YOUNG_THRESHOLD), *thresholds[1:])
        try:
            return self._main(args, prog_name, **extra)
        finally:  # (in-process callers, e.g. tests, get theirs back)
            gc.set_threshold(*thresholds)

    def _main(self, args: Any, prog_name: str | None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if extra.get("standalone_mode") is False:  # the caller handles click's exceptions itself
            return super().main(args, prog_name, **extra)
        extra.pop("standalone_mode", None)
        as_json = "--json" in argv
        try:
            # click raises what it would have handled; the command bodies exit themselves (SystemExit)
            done = super().main(argv, prog_name, standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt) as exc:  # click turns KeyboardInterrupt into Abort
            chosen = exit_in_flight(exc)
            if chosen is not None:  # Ctrl-C as click closed the context of a command that had exited
                raise chosen from None  # its exit code stands (its verdict is printed)
            interrupted_exit(as_json)
        except click.ClickException as exc:
            exc.show()
            if as_json:
                click.echo(error_json(ExitCode.BAD_INPUT, [exc.format_message()]))
            # a usage error is 2 (a plain ClickException would be click's 1: "violated" here)
            sys.exit(exc.exit_code if exc.exit_code in (0, int(ExitCode.BAD_INPUT)) else int(ExitCode.BAD_INPUT))
        # --help, --version (click's Exit: its code) or a command that returned instead of exiting (0)
        sys.exit(done if isinstance(done, int) else 0)


def exit_in_flight(exc: BaseException) -> SystemExit | None:
    """The command's own exit, if the interrupt came while it was on its way out of click."""
    seen: BaseException | None = exc
    for _ in range(4):  # Abort <- KeyboardInterrupt <- SystemExit, at most
        if seen is None:
            return None
        if isinstance(seen, SystemExit):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def interrupted_exit(as_json: bool) -> None:
    """Ctrl-C outside a command body (where `handle_errors` says the same): no verdict, exit 3.
    Also EOFError, which click reads as an abort too (a prompt at the end of its input: the
    command line asks none)."""
    leaving()  # a second Ctrl-C must not cut the exit short
    click.echo("interrupted: no verdict", err=True)
    if as_json:  # stdout holds one JSON object whatever happened
        click.echo(error_json(ExitCode.INCONCLUSIVE, ["interrupted: no verdict"]))
    sys.exit(int(ExitCode.INCONCLUSIVE))


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
