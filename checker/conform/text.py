"""Plain-text output of `replay`, `conform` and `validate` (stable: the README shows it)."""

from __future__ import annotations

from typing import Any

from .conform import ConformResult
from .replay import ReplayResult
from .validate import Validation
from .values import fmt


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and name != "plans":
            out.extend(
                f"{name}[{k}]: {fmt(o)} → {fmt(v)}" for k, (o, v) in enumerate(zip(old, new, strict=True)) if o != v
            )
        else:
            out.append(
                f"{name}: {fmt(set(old) if name == 'plans' else old)} → {fmt(set(new) if name == 'plans' else new)}"
            )
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
        lines.append(
            "parameters changed from the trace's: " + ", ".join(f"{k}={v}" for k, v in result.overridden.items())
        )
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
        compared = {k: v for k, v in last.model_values.items() if result.mapping.get(k) is not None}
        lines.append("model state:          " + "; ".join(f"{k}={fmt(v)}" for k, v in compared.items()))
        if last.observed.text:
            lines.append("implementation state: " + last.observed.text)
    lines.append(result.message)
    return "\n".join(lines) + "\n"


def conform_text(result: ConformResult, spec: str, adapter: str) -> str:
    params = ", ".join(f"{k}={v}" for k, v in result.model.param_dict().items() if v is not None)
    lines = [
        f"conform {spec} on {adapter}",
        f"model {result.model.model.__name__} ({params}); "
        f"{result.examples} examples of up to {result.steps} steps, seed {result.seed}",
    ]
    run = result.divergence
    if run is None:
        lines.append(
            f"conforms: no divergence in {result.examples} sequences (a test of the sequences tried, not a proof)"
        )
        return "\n".join(lines) + "\n"
    if run.flaky:
        lines.append(
            f"DIVERGED (once: a re-run did not diverge again, so not shrunk reliably) after {len(run.steps)} steps:"
        )
    else:
        lines.append(f"DIVERGED: shrunk to {len(run.steps)} steps:")
    lines.extend(f"  {n:>2}. {step}" for n, step in enumerate(run.steps, start=1))
    lines.append(run.message)
    lines.append("model state:          " + "; ".join(f"{k}={fmt(v)}" for k, v in run.model_values.items()))
    if run.observed is not None and run.observed.text:
        lines.append("implementation state: " + run.observed.text)
    return "\n".join(lines) + "\n"


def _state_line(model: Any, state: tuple[Any, ...]) -> str:
    return "; ".join(f"{k}={fmt(v)}" for k, v in model.describe_state(state).items())


def validation_text(result: Validation, model: Any, log: str, spec: str) -> str:
    params = ", ".join(f"{k}={v}" for k, v in model.param_dict().items() if v is not None)
    lines = [f"validate {log} against {spec}", f"model {model.model.__name__} ({params})"]
    if result.too_many:
        lines.append(f"inconclusive: after {result.events} events more model states fit than --max-states allows")
        return "\n".join(lines) + "\n"
    if result.consistent:
        lines.append(
            f"consistent: a model execution explains all {result.events} events "
            f"({len(result.final)} possible final state{'s' if len(result.final) != 1 else ''})"
        )
        for state in result.final[:3]:
            lines.append(f"  final: {_state_line(model, state)}")
        for name in result.broken:
            lines.append(
                f"  the run ended in a state where invariant {name} is false (in every state that explains it)"
            )
        return "\n".join(lines) + "\n"
    event = result.rejected
    assert event is not None
    lines.append(
        f"rejected: no behaviour of the model explains event {result.events + 1} "
        f"({log}:{event.line}): {event.describe()}"
    )
    if event.before:
        lines.append("  logged before: " + "; ".join(f"{k}={fmt(v)}" for k, v in event.before.items()))
    if event.after:
        lines.append("  logged after:  " + "; ".join(f"{k}={fmt(v)}" for k, v in event.after.items()))
    lines.append(f"  model states possible just before it ({len(result.possible)}):")
    for state in result.possible[:5]:
        lines.append(f"    {_state_line(model, state)}")
    if len(result.possible) > 5:
        lines.append(f"    ... and {len(result.possible) - 5} more")
    lines.append("  why not:")
    reasons = list(dict.fromkeys(result.reasons))
    lines.extend(f"    {r}" for r in reasons[:10])
    if len(reasons) > 10:
        lines.append(f"    ... and {len(reasons) - 10} more")
    return "\n".join(lines) + "\n"
