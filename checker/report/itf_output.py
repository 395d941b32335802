"""A `TraceView` as ITF: the live trace's own ITF when there is one, else the view's values re-encoded."""

from __future__ import annotations

from typing import Any

from ..itf import to_itf
from ..values import encode_itf
from .view import TraceView


def view_itf(view: TraceView) -> dict[str, Any]:
    if view.origin is not None:
        return to_itf(view.origin, view.source)
    states = [
        {"#meta": {"index": s.index, "action": s.action, "process": s.instance}}
        | {k: encode_itf(v) for k, v in s.values.items()}
        for s in view.steps
    ]
    meta = {"format": "ITF", "source": view.source, "property": view.prop, "kind": view.kind, "replayed": False}
    out: dict[str, Any] = {"#meta": meta, "vars": view.vars, "states": states}
    if view.loop is not None:
        out["loop"] = view.loop
    return out
