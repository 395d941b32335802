"""A `TraceView` as ITF: the live trace's own ITF when there is one, else the view's values re-encoded."""

from __future__ import annotations

from typing import Any

from ..itf import encode_value, to_itf
from .view import Record, TraceView


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):  # an ITF tuple read from another tool
        return {"#tup": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, Record):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {"#map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, frozenset):
        return {"#set": [_encode(v) for v in sorted(value, key=_order)]}
    return encode_value(value)


def _order(v: Any) -> tuple[int, int, str]:
    return (0, v, "") if isinstance(v, int) and not isinstance(v, bool) else (1, 0, repr(v))


def view_itf(view: TraceView) -> dict[str, Any]:
    if view.origin is not None:
        return to_itf(view.origin, view.source)
    states = [
        {"#meta": {"index": s.index, "action": s.action, "process": s.instance}}
        | {k: _encode(v) for k, v in s.values.items()}
        for s in view.steps
    ]
    meta = {"format": "ITF", "source": view.source, "property": view.prop, "kind": view.kind, "replayed": False}
    out: dict[str, Any] = {"#meta": meta, "vars": view.vars, "states": states}
    if view.loop is not None:
        out["loop"] = view.loop
    return out
