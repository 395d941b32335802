"""Traces in ITF, the Informal Trace Format of Apalache and Quint.

Ints are written as ``{"#bigint": "<digits>"}``, sets as ``{"#set": [...]}``, arrays as
JSON lists, enum values as strings. Each state's ``#meta`` carries the step ``index``, the
``action`` that led to it (``init`` for the first) and the ``process`` (instance) that ran it.
The top-level ``#meta`` names the model (``model_ref``, ``params``) and the property; a
lasso has ITF's ``loop``. Reading ITF back: `checker.report.itf_input`.
A lasso (an ``eventually`` counterexample) records ``loop``: the index of the state the trace
returns to; the last state equals ``states[loop]`` (a deadlock: ``loop`` is the last index).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from .atomic import write_atomic_with
from .trace import Trace
from .values import encode_itf


def to_itf(trace: Trace, source: str = "") -> dict[str, Any]:
    model = trace.model
    states = []
    for i, state in enumerate(trace.states):
        t = trace.transitions[i - 1] if i > 0 else None
        meta: dict[str, Any] = {
            "index": i,
            "action": t.label if t else "init",
            "process": t.instance.name if t else None,
        }
        values = model.describe_state(state)
        # sets are described as sorted lists; restore their set-ness for ITF
        for var in model.vars:
            if var.shape == "set":
                values[var.name] = frozenset(values[var.name])
        states.append({"#meta": meta} | {k: encode_itf(v) for k, v in values.items()})
    meta = {
        "format": "ITF",
        "source": source,
        "description": f"{trace.kind} of '{trace.property}'" if trace.property else trace.kind,
        "property": trace.property,
        "kind": trace.kind,
        "model": model.model.__name__,
        # enough to rebuild the model (`raceproof report` explains the trace with it)
        "model_ref": f"{model.model.__module__}:{model.model.__qualname__}",
        "property_kind": model.properties[trace.property].kind if trace.property in model.properties else None,
        "params": {k: v for k, v in model.param_dict().items() if v is not None},
        "replayed": True,
    }
    if trace.loop is not None:  # a lasso, Apalache-style: the states from `loop` on repeat forever
        meta["loop"] = trace.loop
    out: dict[str, Any] = {"#meta": meta, "vars": [v.name for v in model.vars], "states": states}
    if trace.loop is not None:  # and as the ITF trace's own optional `loop` field
        out["loop"] = trace.loop
    return out


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as JSON so that a crash never leaves a half-written file behind; the path."""

    def write(fh: IO[str]) -> None:
        json.dump(data, fh, indent=2)
        fh.write("\n")

    write_atomic_with(path, write)
    return Path(path)
