"""Model parameters from the command line: ``-P name=value`` and the sweeps of ``raceproof sweep``.

A value is read as a TOML value, as in a spec's ``[params]``: ``-P enactors=3`` is an integer,
``-P ratio=0.5`` a float, ``-P strict=true`` a boolean, ``-P 'variant="version_cas"'`` a string.
Text that is not TOML is taken as a string as it is (``-P variant=version_cas``), so a shell
does not have to keep the quotes. The bare word ``none`` unsets a parameter: an optional one
(declared ``Param(None, ...)``, e.g. ``max_plans``: none is unbounded) gets its "none" value;
any other parameter refuses it ("needs a value"). The string "none" is written quoted.

A sweep value (`sweep_values`) is a comma-separated list of values and inclusive integer ranges:
``-P enactors=2..5``, ``-P max_plans=5,8,none``, ``-P variant=as_designed,version_cas``.

The values are checked where every spec value is: `checker.lang.model.Model.check_params`
(each parameter's type, bounds and choices, then the model's `param_constraints`), by
`checker.spec.Spec.with_params`; a problem is a `ParamError` (bad input, exit 2) that names the
parameter and says the value came from the command line.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import RaceproofError

#: the bare word that unsets an optional parameter
UNSET = "none"
#: the most combinations one sweep runs (a typo like 1..100000 is refused, not started)
MAX_COMBINATIONS = 10_000

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RANGE = re.compile(r"\s*(-?[0-9]+)\s*\.\.\s*(-?[0-9]+)\s*")


class ParamError(RaceproofError):
    """A parameter given on the command line is malformed or refused by the model (exit 2)."""

    #: the model's own words, without where the value came from (a sweep lists skipped combinations by it)
    reason: str = ""


@dataclass(frozen=True)
class Override:
    """One ``-P name=value``: the parsed value, and the text as the user wrote it (for messages)."""

    name: str
    value: Any
    text: str  # name=value
    written: str | None = None  # a sweep's whole -P (name=1..3), where this value is one of its values

    @property
    def option(self) -> str:
        return f"-P {self.written or self.text}"


def parse_value(text: str) -> Any:
    """A command-line value: TOML, else the text itself as a string; bare ``none`` is None."""
    raw = text.strip()
    if raw == UNSET:
        return None
    if not raw:
        raise ParamError(f'no value (write {UNSET} to unset an optional parameter, or "" for an empty string)')
    if "\n" in raw or "\r" in raw:
        raise ParamError(f"a value is one line, got {text!r:.60}")
    try:
        parsed = tomllib.loads(f"value = {raw}")
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return raw  # a bare word (version_cas), or anything else that is not TOML: the text itself
    if set(parsed) != {"value"}:  # e.g. `3 # x` is fine, but never a second key
        return raw
    return parsed["value"]


def split_assignment(text: str) -> tuple[str, str]:
    """``name=value`` as (name, value text); a `ParamError` if it is not one."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not _NAME.fullmatch(name):
        raise ParamError(f"-P {text}: expected NAME=VALUE (e.g. -P enactors=3)")
    return name, value


def parse_override(text: str) -> Override:
    name, value = split_assignment(text)
    try:
        return Override(name, parse_value(value), text)
    except ParamError as exc:
        raise ParamError(f"-P {text}: parameter '{name}': {exc.message}") from None


def parse_overrides(texts: Iterable[str]) -> list[Override]:
    """Every ``-P``, each parameter at most once."""
    found: dict[str, Override] = {}
    for text in texts:
        override = parse_override(text)
        if override.name in found:
            raise ParamError(
                f"parameter '{override.name}' is given twice ({found[override.name].option}, {override.option})"
            )
        found[override.name] = override
    return list(found.values())


def looks_like_sweep(text: str) -> bool:
    """Whether a value that was refused was meant as a sweep (a range or a list)."""
    return bool(_RANGE.fullmatch(text)) or ("," in text and not text.strip().startswith(("[", "{", '"', "'")))


def command_line_problem(name: str, message: str, given: Mapping[str, Override], context: str) -> ParamError:
    """A problem the model found with parameter ``name`` after the command line's ``-P`` values
    ``given`` were set (the values they were set over were valid on their own): the message says
    where the value came from, and ``context`` (the spec, or the trace, and the model)."""
    override = given.get(name)
    hint = ""
    if override is not None:
        if looks_like_sweep(override.text.partition("=")[2]):
            hint = ": a range or a list of values is for `raceproof sweep`"
        where = f"given on the command line as {override.option}"
    else:  # a relation between parameters, broken by the command line's values
        where = "with the command line's " + ", ".join(o.option for o in given.values())
    error = ParamError(f"{message} ({where}; {context}){hint}")
    error.reason = message
    return error


def _split_list(text: str) -> list[str]:
    """Split at the commas that are not inside quotes, brackets or braces."""
    items, depth, quote, start = [], 0, "", 0
    for n, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:n])
            start = n + 1
    items.append(text[start:])
    return items


@dataclass(frozen=True)
class Sweep:
    """One swept parameter: its values in the order they are run."""

    name: str
    values: tuple[Any, ...]
    text: str


def sweep_values(text: str) -> Sweep:
    """``name=2..5`` or ``name=5,8,none`` (ranges and values may mix: ``1..3,8``). The values are
    run in order: numbers ascending with ``none`` (unbounded) after them; others as listed."""
    name, value = split_assignment(text)
    values: list[Any] = []
    for item in _split_list(value):
        found = _RANGE.fullmatch(item)
        if found:
            low, high = int(found.group(1)), int(found.group(2))
            if low > high:
                raise ParamError(f"-P {text}: parameter '{name}': the range {item.strip()} is empty ({low} > {high})")
            if high - low >= MAX_COMBINATIONS:
                raise ParamError(
                    f"-P {text}: parameter '{name}': the range {item.strip()} has {high - low + 1:,} values "
                    f"(at most {MAX_COMBINATIONS:,})"
                )
            values += range(low, high + 1)
            continue
        try:
            values.append(parse_value(item))
        except ParamError as exc:
            raise ParamError(f"-P {text}: parameter '{name}': {exc.message}") from None
    unique: list[Any] = []
    for v in values:
        if not any(_same(v, u) for u in unique):
            unique.append(v)
    return Sweep(name, tuple(sorted(unique, key=_order_key)), text)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b  # True and 1 are different parameter values


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _order_key(value: Any) -> tuple[int, float]:
    """Numbers first, ascending; then none (unbounded: above every number); then the rest, as listed."""
    if _is_number(value):
        return (0, value)
    return (1, 0) if value is None else (2, 0)


def parse_sweeps(texts: Iterable[str]) -> list[Sweep]:
    """Every ``-P`` of a sweep, each parameter at most once, and not too many combinations."""
    found: dict[str, Sweep] = {}
    for text in texts:
        sweep = sweep_values(text)
        if sweep.name in found:
            raise ParamError(f"parameter '{sweep.name}' is given twice (-P {found[sweep.name].text}, -P {text})")
        found[sweep.name] = sweep
    count = 1
    for sweep in found.values():
        count *= len(sweep.values)
    if count > MAX_COMBINATIONS:
        raise ParamError(f"the sweep has {count:,} combinations (at most {MAX_COMBINATIONS:,}): sweep fewer values")
    return list(found.values())


def combinations(sweeps: list[Sweep]) -> list[dict[str, Any]]:
    """Every combination, the first parameter varying slowest (the table reads sorted by it)."""
    names = [s.name for s in sweeps]
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(s.values for s in sweeps))]


def show_value(value: Any) -> str:
    """A value as the user would write it after ``-P name=``."""
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def show_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={show_value(v)}" for k, v in params.items())


def at_most(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``a`` is no larger than ``b`` in every parameter: numbers by size, none (unbounded) above
    every number, any other value only equal to itself. Used to name the smallest combinations
    that break a property (`minimal`)."""
    for name, x in a.items():
        y = b[name]
        if _is_number(x) and _is_number(y):
            if x > y:
                return False
        elif _is_number(x) and y is None:
            continue
        elif not _same(x, y):
            return False
    return True


def minimal(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The combinations in ``found`` with no other one of ``found`` below them (`at_most`)."""
    return [a for a in found if not any(b is not a and at_most(b, a) and not at_most(a, b) for b in found)]
