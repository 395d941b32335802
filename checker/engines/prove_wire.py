"""A proof engine's results crossing from a child process to the portfolio's: plain data
(no z3 objects, no model), and back, with every trace replayed again in the receiving process.
"""

from __future__ import annotations

from typing import Any

from ..lang.model import ModelInstance
from ..results import PropertyResult, Verdict
from ..trace import Trace, replay


def _portable(r: PropertyResult) -> dict[str, Any]:
    """A result as plain data (no z3 objects, no model): traces become transition indices."""
    extra = {k: (_portable_trace(v) if isinstance(v, Trace) else v) for k, v in r.extra.items()}
    return {
        "name": r.name, "kind": r.kind, "verdict": r.verdict.value, "engine": r.engine, "depth": r.depth,
        "trace": _portable_trace(r.trace) if r.trace is not None else None, "reason": r.reason,
        "seconds": r.seconds, "checked": r.checked, "extra": extra,
    }  # fmt: skip


def _portable_trace(t: Trace) -> dict[str, Any]:
    return {
        "__trace__": True,
        "steps": [s.index for s in t.transitions],
        "states": t.states if t.kind == "cti" else None,  # a CTI cannot be replayed from init
        "start": t.model.inits.index(t.states[0]) if t.kind != "cti" else None,  # which initial state
        "property": t.property,
        "kind": t.kind,
        "notes": t.notes,
    }


def _restore(model: ModelInstance, d: dict[str, Any]) -> PropertyResult:
    def value(v: Any) -> Any:
        return _restore_trace(model, v) if isinstance(v, dict) and v.get("__trace__") else v

    extra = {k: value(v) for k, v in d["extra"].items()}
    trace = _restore_trace(model, d["trace"]) if d["trace"] is not None else None
    return PropertyResult(
        d["name"], d["kind"], Verdict(d["verdict"]), d["engine"], depth=d["depth"], trace=trace,
        reason=d["reason"], seconds=d["seconds"], checked=d["checked"], extra=extra,
    )  # fmt: skip


def _restore_trace(model: ModelInstance, d: dict[str, Any]) -> Trace:
    steps = [model.transitions[i] for i in d["steps"]]
    if d["states"] is not None:
        return Trace(model, [tuple(s) for s in d["states"]], steps, d["property"], d["kind"], notes=d["notes"])
    start = model.inits[d["start"]]
    trace = Trace(model, replay(model, steps, start), steps, d["property"], d["kind"], notes=d["notes"])
    trace.confirm()  # replayed again in this process, not taken on the child's word
    return trace
