"""A `TraceView` as ITF: the live trace's own ITF when there is one, else the view's values re-encoded."""

from __future__ import annotations

from typing import Any

from ..itf import encode_value, to_itf
from .view import TraceView


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):  # an ITF tuple read from another tool
        return {"#tup": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"#map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, frozenset):
        return encode_value(frozenset(value))
    return encode_value(value)


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
