"""State values as people read them, and as ITF writes them: one formatter, one encoder.

Values are Python values: bools, ints, strings, lists (arrays, sequences), tuples (ITF
tuples), frozensets (sets), dicts (maps), `Record` (ITF records: plain JSON objects) and
`Unserializable` (ITF's ``{"#unserializable": ...}``, a value the writing tool could not
express). Reports, explanations, JSON output and graph labels all print values through
`show`; every ITF writer encodes them through `encode_itf`, so a trace read and written
again keeps its values.
"""

from __future__ import annotations

from typing import Any


class Record(dict):  # type: ignore[type-arg]
    """An ITF record (a plain JSON object), kept apart from a map so that it is written back as one."""


class Unserializable(str):
    """ITF's ``{"#unserializable": "..."}``: the text stands for a value the writer could not encode."""

    __slots__ = ()


def order(value: Any) -> tuple[int, Any]:
    """A total order for set elements of mixed types: numbers first, then by text."""
    if isinstance(value, bool | int):
        return (0, int(value), "")
    return (1, 0, repr(value))


def show(value: Any) -> str:
    """One value as people write it: sets in braces, arrays in brackets, tuples in angle brackets."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "—"
    if isinstance(value, Unserializable):
        return f"<{value}>"
    if isinstance(value, frozenset | set):
        return "{" + ", ".join(show(v) for v in sorted(value, key=order)) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "⟨" + ", ".join(show(v) for v in value) + "⟩"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{show(k)}: {show(v)}" for k, v in value.items()) + "}"
    raw = getattr(value, "raw", None)  # a model Term (explanations): its concrete value
    if raw is not None and not isinstance(value, str | int):
        return show(raw)
    return str(value)


def encode_itf(value: Any) -> Any:
    """One value in ITF (Apalache ADR-015): ints as ``#bigint``, sets, maps and tuples tagged."""
    if isinstance(value, Unserializable):
        return {"#unserializable": str(value)}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return {"#bigint": str(value)}
    if isinstance(value, frozenset | set):
        return {"#set": [encode_itf(v) for v in sorted(value, key=order)]}
    if isinstance(value, tuple):
        return {"#tup": [encode_itf(v) for v in value]}
    if isinstance(value, list):
        return [encode_itf(v) for v in value]
    if isinstance(value, Record):
        return {k: encode_itf(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {"#map": [[encode_itf(k), encode_itf(v)] for k, v in value.items()]}
    raise TypeError(f"cannot encode {value!r} in ITF")
