"""Command-line values shared by the verbs: timeouts, output paths, and the outputs of a run.

An output that cannot be written never hides a run's verdict: the verdict is printed, a
violation still exits 1, and a run that would otherwise pass (or be inconclusive) exits 2,
naming the path and the OS's reason. Output paths are checked before any work is done.
"""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..atomic import check_target
from ..errors import OutputError
from ..params import Override, ParamError, Sweep, parse_overrides, parse_sweeps
from ..results import ExitCode

T = TypeVar("T")


class Seconds(click.ParamType):
    """A positive number of seconds; ``inf`` is no limit (overriding the spec's); ``nan`` is refused."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(value)
            except ValueError:
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not number > 0:  # also nan
            self.fail(f"{value!r} is not a positive number of seconds (inf: no limit)", param, ctx)
        return math.inf if math.isinf(number) else number


SECONDS = Seconds()


def writable(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: refuse an output path that cannot be written before the run starts."""
    if value:
        try:
            check_target(value)
        except OutputError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
    return value


def overrides_callback(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Override]:
    try:
        return parse_overrides(values)
    except ParamError as exc:
        raise click.BadParameter(exc.message, ctx, param) from None


def _sweeps(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Sweep]:
    try:
        return parse_sweeps(values)
    except ParamError as exc:
        raise click.BadParameter(exc.message, ctx, param) from None


#: what -P means, for every verb's --help (`checker.params` has the rules)
PARAM_HELP = (
    'Set a model parameter, over the spec\'s [params] (repeatable). VALUE is TOML (3, true, "text") or a bare '
    "word (version_cas); none unsets an optional parameter. Checked like the spec's values."
)


def param_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``-P NAME=VALUE`` (repeatable): the command line's parameters, parsed (validated per spec later)."""
    return click.option(
        "-P", "--param", "params", multiple=True, metavar="NAME=VALUE", callback=overrides_callback, help=PARAM_HELP
    )(fn)


def sweep_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``-P NAME=VALUES`` (repeatable): a parameter's values in a sweep (`checker.params.sweep_values`)."""
    return click.option(
        "-P",
        "--param",
        "sweeps",
        multiple=True,
        metavar="NAME=VALUES",
        callback=_sweeps,
        help="A parameter and its values: a range a..b (inclusive), a list 5,8,none, or both (1..3,8); a single "
        "value holds for every run (repeatable). Values as in `check -P`.",
    )(fn)


class GuardedStdout(io.TextIOBase):
    """Standard output that cannot fail: a full disk or a closed pipe under ``raceproof check >
    out.txt`` is noted (`stdout_failure`) instead of raised from the middle of printing, where
    it would turn a verdict into an internal error. After a failure the descriptor is pointed at
    the null device, so that Python's own flush at exit does not fail again."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream
        self.failure: OSError | None = None

    def write(self, text: str) -> int:
        if self.failure is None:
            try:
                self.stream.write(text)
            except OSError as exc:
                self._failed(exc)
        return len(text)

    def flush(self) -> None:
        if self.failure is None:
            try:
                self.stream.flush()
            except OSError as exc:
                self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        self.failure = exc
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.stream.fileno())
            os.close(null)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"


def guard_stdout() -> None:
    if not isinstance(sys.stdout, GuardedStdout):
        sys.stdout = GuardedStdout(sys.stdout)


def stdout_failure() -> str | None:
    """Why standard output could not be written (flushed first), or None."""
    stream = sys.stdout
    if not isinstance(stream, GuardedStdout):
        return None
    stream.flush()
    exc = stream.failure
    return f"<stdout>: cannot write: {exc.strerror or exc}" if exc is not None else None


class Outputs:
    """The files a run writes after its verdict: the failures are kept, not raised."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def finish(self, code: ExitCode) -> int:
        """The exit code, once standard output is flushed and every failure reported on stderr."""
        failure = stdout_failure()
        if failure:
            self.failures.append(failure)
        self.report()
        return int(self.exit_code(code))

    def attempt(self, write: Callable[[], T]) -> T | None:
        try:
            return write()
        except OutputError as exc:
            self.failures.append(str(exc))
            return None

    def exit_code(self, code: ExitCode) -> ExitCode:
        """A violation stays 1; otherwise an output that could not be written makes the run exit 2."""
        if self.failures and code is not ExitCode.VIOLATED:
            return ExitCode.BAD_INPUT
        return code

    def report(self) -> None:
        for message in self.failures:
            click.echo(f"error: {message} (not written; the results above stand)", err=True)
