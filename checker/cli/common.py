"""What the verbs share: the consoles, errors (located, exit 2; JSON under --json), loading
specs, and the live progress line."""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from .. import __version__
from ..errors import InternalError, RaceproofError, SpecError
from ..interrupts import interrupted, leaving
from ..results import ExitCode

if TYPE_CHECKING:  # imported where used: `raceproof gate` with every verdict cached never loads z3
    from ..params import Override
    from ..spec import Spec


def make_console(stderr: bool = False) -> Console:
    # Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns: give it room.
    width = None if sys.stdout.isatty() else max(120, shutil.get_terminal_size((120, 24)).columns)
    # markup=False: model text is full of brackets (``endpoint_plan[i]``, ``balances[alice]``) that
    # rich would otherwise read as style tags and drop; styles are given as Text/style= instead
    return Console(stderr=stderr, highlight=False, width=width, soft_wrap=True, markup=False)


#: the kinds of error a --json error object names, by exit code
_ERROR_KINDS = {ExitCode.BAD_INPUT: "bad_input", ExitCode.INCONCLUSIVE: "no_verdict"}


def _wants_json(args: list[str] | None = None) -> bool:
    """Whether this command was asked for --json (its errors are then JSON on stdout too)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.params.get("as_json"):
        return True
    return "--json" in (sys.argv[1:] if args is None else args)


def error_json(code: ExitCode, messages: list[str], errors: list[RaceproofError] | None = None) -> str:
    """The JSON object a --json run prints when it stops on an error: no verdict, the exit code,
    and each error with its file and line where known."""
    items: list[dict[str, Any]] = []
    for n, text in enumerate(messages):
        found = errors[n] if errors and n < len(errors) else None
        item: dict[str, Any] = {"message": found.message if found else text.removeprefix("error: ")}
        if found is not None and found.file:
            item["file"], item["line"] = found.file, found.line
        items.append(item)
    kind = _ERROR_KINDS.get(code, "error")
    return json.dumps({"raceproof": __version__, "exit_code": int(code), "error": kind, "errors": items}, indent=2)


def fail(code: ExitCode, message: str, errors: list[RaceproofError] | None = None) -> None:
    click.echo(message, err=True)
    if _wants_json():  # stdout holds one JSON object whatever happened
        click.echo(error_json(code, message.splitlines(), errors))
    sys.exit(int(code))


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input exits 2 with a located message; raceproof's own faults exit 3, never 0 or 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except RaceproofError as exc:
            _after_ctrl_c()
            if debug:
                traceback.print_exc()
            fail(ExitCode.BAD_INPUT, f"error: {exc}", [exc])
        except InternalError as exc:
            _after_ctrl_c()
            if debug:
                traceback.print_exc()
            fail(ExitCode.INCONCLUSIVE, f"internal error (no verdict): {exc}")
        except KeyboardInterrupt:
            leaving()
            fail(ExitCode.INCONCLUSIVE, "interrupted: no verdict")
        except Exception as exc:  # a bug in raceproof: report it, never a verdict
            _after_ctrl_c()
            if debug:
                traceback.print_exc()
            fail(ExitCode.INCONCLUSIVE, f"internal error (no verdict): {type(exc).__name__}: {exc}; rerun with --debug")

    return wrapper


def _after_ctrl_c() -> None:
    """An error after Ctrl-C is its consequence (a z3 call it cancelled failed before the
    KeyboardInterrupt was raised): the run was interrupted (`checker.interrupts`)."""
    if interrupted():
        leaving()
        fail(ExitCode.INCONCLUSIVE, "interrupted: no verdict")


def load_all(
    paths: tuple[str, ...], properties: tuple[str, ...] = (), params: list[Override] | None = None
) -> list[Spec]:
    """Load every spec first, so that one bad spec stops the run before any work. ``params``
    (``-P``) are set over each spec's own and checked against each spec's model."""
    from ..spec import load_spec

    specs: list[Spec] = []
    errors: list[RaceproofError] = []
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
            specs.append(spec.with_params(params or []))
        except RaceproofError as exc:
            errors.append(exc)
    if errors:
        fail(ExitCode.BAD_INPUT, "\n".join(f"error: {e}" for e in errors), errors)
    return specs


def complete_properties(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of --property: the properties of the models of the SPECS given so far."""
    from ..spec import load_spec

    names: list[str] = []
    # while completing, click leaves the positional SPECS unparsed in ctx.args
    for path in ctx.params.get("specs") or ctx.args:
        try:
            names += [n for n in load_spec(path).model.property_decls() if n not in names]
        except Exception:  # completion never fails: a spec that does not load offers nothing
            continue
    return [n for n in names if n.startswith(incomplete)]


@contextlib.contextmanager
def status_line(console: Console, message: str, quiet: bool) -> Iterator[Callable[[str], None] | None]:
    """A live status line on a terminal, which the callback it yields updates with the stage."""
    if quiet or not console.is_terminal:
        yield None
        return
    started = time.monotonic()
    with console.status(message) as status:

        def update(text: str) -> None:
            status.update(f"{message} {time.monotonic() - started:.0f} s: {text}")

        yield update


@contextlib.contextmanager
def progress_line(console: Console, spec: Spec, quiet: bool) -> Iterator[Callable[..., None] | None]:
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
    # rich redraws 10 times a second; the explicit engine reports within a level every 0.25 s
    with Progress(*columns, console=console, transient=True, refresh_per_second=10) as bar:
        task = bar.add_task(str(spec.path), total=None, what="starting")

        def update(depth: int, *rest: Any) -> None:
            bar.update(task, what=progress_text(depth, rest, time.monotonic() - started))

        yield update


def progress_text(depth: int, rest: tuple[Any, ...], elapsed: float) -> str:
    """One progress line from an engine's callback arguments (after the depth)."""
    if len(rest) >= 3:  # explicit search: states, open properties, queue (, states expanded so far)
        states, pending, frontier = rest[:3]
        done = rest[3] if len(rest) > 3 else states
        rate = done / max(elapsed, 1e-9)  # expanded states: it moves within a level too
        head = f"depth {depth}  {states:,} states  {rate:,.0f} states/s  queue {frontier:,}"
    else:  # BMC: open properties
        pending = rest[-1]
        head = f"depth {depth}"
    return f"{head}  open: {', '.join(pending) or '-'}"
