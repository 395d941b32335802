"""Plain-text output of `replay`, `conform` and `validate` (stable: the README shows it)."""

from __future__ import annotations

from typing import Any

from .replay import ReplayResult


def fmt(value: Any) -> str:
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(str(v) for v in sorted(value)) + "}"
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and name != "plans":
            out.extend(f"{name}[{k}]: {fmt(o)} → {fmt(v)}" for k, (o, v) in enumerate(zip(old, new, strict=True)) if o != v)
        else:
            out.append(f"{name}: {fmt(set(old) if name == 'plans' else old)} → {fmt(set(new) if name == 'plans' else new)}")
    return out


def _set_changes(model: Any, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    sets = {v.name for v in model.vars if v.shape == "set"}
    out = []
    for line in changes(before, after):
        name = line.split(":", 1)[0]
        if name in sets:
            old, new = set(before[name]), set(after[name])
            line = f"{name}: {fmt(old)} → {fmt(new)}"
        out.append(line)
    return out


def replay_text(result: ReplayResult, adapter: str) -> str:
    model = result.model
    params = ", ".join(f"{k}={v}" for k, v in result.params.items() if v is not None)
    lines = [f"replay of {result.trace} on {adapter}", f"model {model.model.__name__} ({params})"]
    if result.overridden:
        lines.append("parameters changed from the trace's: " + ", ".join(f"{k}={v}" for k, v in result.overridden.items()))
    lines.append("")
    previous: dict[str, Any] | None = None
    for step in result.steps:
        label = "init" if step.transition is None else str(step.transition)
        verdict = "agrees" if step.observed.agrees and step.fired else "DIVERGES"
        lines.append(f"step {step.index:<3} {label:<28} {verdict}")
        if previous is None:
            lines.append("  model: initial state")
        else:
            lines.append("  model: " + ("; ".join(_set_changes(model, previous, step.model_values)) or "no change"))
        if step.detail:
            lines.append(f"  impl:  {step.detail}")
        if step.observed.text:
            lines.append(f"  real:  {step.observed.text}")
        for m in step.observed.mismatches:
            lines.append(f"  ✗ {m.var}: model {fmt(m.model)}, implementation {fmt(m.real)}")
        for p in step.observed.problems:
            lines.append(f"  ✗ {p}")
        previous = step.model_values
    lines.append("")
    if result.outcome == "diverged":
        last = result.steps[-1]
        lines.append("model state:          " + "; ".join(f"{k}={fmt(v)}" for k, v in last.model_values.items()))
        if last.observed.text:
            lines.append("implementation state: " + last.observed.text)
    lines.append(result.message)
    return "\n".join(lines) + "\n"
