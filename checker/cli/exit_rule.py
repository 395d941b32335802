"""Which rule decides the exit code of `check` and `prove`, and what `--json` says about it.

The default rule is the spec's instance: each property's verdict at the parameters the spec
sets, which is what its ``[expect]`` table is about (0 holds/proved, 1 violated, 3
inconclusive). Two opt-in rules can only make a run fail more, never pass more:

- ``coverage_strict`` (`check --strict`): an action that never fires or a `reachable`
  property never witnessed fails the run (`checker.coverage.strict_exit_code`).
- ``for_all_strict`` (`prove --for-all-strict`, or ``[prove] for_all_strict = true``): a
  violation, with a replayed counterexample, at any size the for-all search looked at fails
  the run, even where the spec's own instance holds. Sizes it did not look at (below a
  counting proof's ``≥ K``, or beyond a search that ran out of time) are not violations:
  no verdict without evidence. A design that is merely not proved for every size keeps the
  instance's exit code and says so.

``output_error``: an output that could not be written turns a pass into exit 2 (a
violation stays 1: `checker.cli.options.Outputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from ..results import ExitCode

if TYPE_CHECKING:
    from ..run import SpecResult

INSTANCE = "instance"
COVERAGE_STRICT = "coverage_strict"
FOR_ALL_STRICT = "for_all_strict"
OUTPUT_ERROR = "output_error"


@dataclass
class SpecExit:
    """One spec's exit code and the rule that decided it."""

    code: ExitCode
    rule: str
    #: (property, the smallest size found violated): what --for-all-strict counts
    violated: list[tuple[str, dict[str, int]]] = field(default_factory=list)


def for_all_violations(sr: SpecResult) -> list[tuple[str, dict[str, int]]]:
    """The properties the for-all search found violated at some size, each with the smallest."""
    return [(r.name, r.extra["for_all_violated_at"]) for r in sr.results if r.extra.get("for_all_violated_at")]


def spec_exit(sr: SpecResult, coverage_strict: bool = False, for_all_strict: bool = False) -> SpecExit:
    """The spec's exit code under the rules asked for."""
    from ..coverage import strict_exit_code

    code, rule = sr.exit_code, INSTANCE
    if coverage_strict:
        raised = strict_exit_code(code, sr.coverage)
        if raised is not code:
            code, rule = raised, COVERAGE_STRICT
    violated = for_all_violations(sr) if for_all_strict else []
    if violated and code is not ExitCode.VIOLATED:
        code, rule = ExitCode.VIOLATED, FOR_ALL_STRICT
    return SpecExit(code, rule, violated)


def run_rule(exits: list[SpecExit], code: ExitCode, output_code: ExitCode) -> str:
    """The rule that decided the run's ``output_code`` (``code``: before the outputs were counted)."""
    if output_code is not code:
        return OUTPUT_ERROR
    return next((e.rule for e in exits if e.code is code), INSTANCE)


def at(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items())


def for_all_strict_messages(sr: SpecResult, exit_: SpecExit) -> None:
    """What --for-all-strict decided for this spec, on stderr (stdout may be JSON): the
    violated sizes that fail it, or that it found none (and where it did not look)."""
    where = sr.spec.path
    if exit_.violated:
        instance = {int(ExitCode.OK): "holds", int(ExitCode.INCONCLUSIVE): "is inconclusive"}.get(
            int(sr.exit_code), "is violated"
        )
        here = {r.name: (r.extra.get("for_all_instance") or {}).get("at") for r in sr.results}
        for name, sizes in exit_.violated:
            this = f" ({here[name]})" if here.get(name) else ""
            click.echo(
                f"for-all strict: {where}: {name} violated at {at(sizes)} (a size the for-all search looked at; "
                f"a replayed counterexample): exit 1 (this spec's instance{this} {instance})",
                err=True,
            )
        return
    open_ = [r.name for r in sr.results if r.extra.get("for_all_failure")]
    tail = (
        f"; {', '.join(open_)} not proved for every size (see above): a size not looked at counts as no "
        "violation found, never as proved"
        if open_
        else ""
    )
    click.echo(f"for-all strict: {where}: no violation at any size the for-all search looked at{tail}", err=True)


def for_all_note(sr: SpecResult) -> None:
    """Without --for-all-strict, where the for-all search found a violation at another size:
    the exit code is the instance's, said on stderr so that a CI log shows which rule applied."""
    for name, sizes in for_all_violations(sr):
        click.echo(
            f"note: {sr.spec.path}: {name} is violated at {at(sizes)}; the exit code is this spec's instance's "
            f"verdict (--for-all-strict, or [prove] for_all_strict = true, fails the run on it)",
            err=True,
        )
