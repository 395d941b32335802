"""Terminal output (rich): a verdict line per property, and labelled traces."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import GRAPH_KINDS
from ..results import PropertyResult, Verdict
from ..run import SpecResult
from ..trace import Trace

_STYLE = {
    Verdict.VIOLATED: ("✗", "bold red"),
    Verdict.UNREACHABLE: ("✗", "bold red"),
    Verdict.HOLDS: ("✓", "green"),
    Verdict.PROVED: ("✓", "bold green"),
    Verdict.WITNESSED: ("✓", "green"),
    Verdict.UNKNOWN: ("?", "yellow"),
}


def fmt(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{fmt(k)}: {fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def verdict_line(r: PropertyResult, bound: int) -> Text:
    mark, style = _STYLE[r.verdict]
    line = Text(f"  {mark} ", style=style)
    line.append(f"{r.name:<28}", style="bold")
    line.append(f" {r.verdict.value:<10}", style=style)
    if r.trace is not None and r.trace.kind == "lasso" and r.trace.loop is not None:
        loop = r.trace.loop
        if r.trace.notes.get("deadlock"):
            detail = f"deadlock after {loop} steps (a lasso that stays put; replayed concretely)"
        else:
            detail = f"lasso: {loop}-step prefix, {len(r.trace) - loop}-step cycle (replayed concretely)"
    elif r.verdict in (Verdict.VIOLATED, Verdict.WITNESSED) and r.trace is not None:
        detail = f"in {len(r.trace)} steps (shortest; replayed concretely)"
    elif r.verdict is Verdict.HOLDS and r.engine == "explicit":
        detail = r.reason
    elif r.verdict is Verdict.HOLDS:
        detail = f"up to depth {r.depth}" + (f" ({r.reason})" if "every behaviour" in r.reason else "")
    else:
        detail = r.reason
    line.append(f" {detail}")
    if r.expected is not None:
        ok = r.meets_expectation
        line.append(f"   expected {r.expected}: ", style="dim")
        line.append("ok" if ok else "MISMATCH", style="green" if ok else "bold red")
    return line


def state_lines(trace: Trace, i: int) -> list[str]:
    """A state, one line per instance: ``enactor1: pc=idle, plan=0`` and ``plans = [1]``."""
    values = trace.values(i)
    lines = []
    for inst in trace.model.instances:
        if inst.is_store:
            lines += [f"{v.name} = {fmt(values[v.name])}" for v in inst.vars.values()]
        elif inst.vars:
            lines.append(f"{inst.name}: " + ", ".join(f"{n}={fmt(values[v.name])}" for n, v in inst.vars.items()))
    return lines


def trace_table(trace: Trace, all_vars: bool = False) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, padding=(0, 2))
    table.add_column("step", justify="right")
    table.add_column("instance")
    table.add_column("action")
    table.add_column("changes (old → new)" if not all_vars else "state")
    table.add_row("0", "", "init", "\n".join(state_lines(trace, 0)))
    for i, t in enumerate(trace.transitions, start=1):
        if all_vars:
            body = "\n".join(state_lines(trace, i))
        else:
            body = "\n".join(f"{c.var}: {fmt(c.old)} → {fmt(c.new)}" for c in trace.changes(i)) or "(no change)"
        table.add_row(str(i), t.instance.name, t.label, body + _loop_mark(trace, i))
    return table


def _loop_mark(trace: Trace, i: int) -> str:
    """Where a lasso's cycle starts and closes, in the changes column of its rows."""
    if trace.loop is None:
        return ""
    marks = []
    if i == trace.loop and i < len(trace):
        marks.append("◀── cycle starts here (state after this step)")
    if i == len(trace):
        if trace.notes.get("deadlock"):
            marks.append("■ deadlock: no action is enabled; the path stays here forever")
        else:
            marks.append(f"↺ back to step {trace.loop}: the cycle repeats forever")
    return "".join("\n" + m for m in marks)


def print_trace(console: Console, r: PropertyResult, all_vars: bool = False) -> None:
    trace = r.trace
    assert trace is not None
    what = "Witness for" if trace.kind == "witness" else "Counterexample to"
    if trace.kind == "lasso" and trace.loop is not None:
        shape = f"{trace.loop}-step prefix, then " + (
            "a deadlock" if trace.notes.get("deadlock") else f"a {len(trace) - trace.loop}-step cycle"
        )
        console.print(Text(f"\n{what} {r.name} (a lasso: {shape}; replayed concretely):", style="bold"))
        if trace.loop == 0 and not trace.notes.get("deadlock"):
            console.print("  the cycle starts at the initial state (step 0)")
    else:
        console.print(Text(f"\n{what} {r.name} ({len(trace)} steps, replayed concretely):", style="bold"))
    console.print(trace_table(trace, all_vars))
    prop = trace.model.properties[r.name]
    doc = f" ({prop.doc})" if prop.doc else ""
    if trace.kind == "witness":
        console.print(f"  {r.name} holds in state {len(trace)}{doc}.")
    elif prop.kind == "recoverable":
        console.print(
            f"  {r.name} is false in state {len(trace)}, and no state where it holds is reachable from there{doc}:"
            " nothing in the model can recover."
        )
    elif prop.kind == "eventually":
        fair = sorted({f"{t.instance.name}.{t.label}" for t in trace.model.transitions if t.action.fair})
        how = "stops in a deadlock" if trace.notes.get("deadlock") else "repeats its cycle forever"
        console.print(
            f"  {r.name} is false in every state of this path, which {how}{doc}; weakly fair to "
            + (", ".join(fair) if fair else "no action (none is declared fair)")
            + "."
        )
    elif prop.kind == "action_invariant":
        console.print(f"  {r.name} is false across step {len(trace)}{doc}.")
    else:
        console.print(f"  {r.name} is false in state {len(trace)}{doc}.")


def print_spec_result(console: Console, sr: SpecResult, all_vars: bool = False, witnesses: bool = False) -> None:
    spec = sr.spec
    params = ", ".join(f"{k}={v}" for k, v in spec.params.items())
    head = Text(f"{spec.path}", style="bold")
    head.append(f"  model {spec.model_ref}" + (f" ({params})" if params else ""), style="dim")
    if sr.engine == "explicit":
        states = max((r.extra.get("states", 0) for r in sr.results), default=0)
        head.append(f"  explicit search, {states:,} distinct states, depth {sr.depth}, {sr.seconds:.2f}s", style="dim")
    elif sr.engine.startswith("prove"):
        head.append(
            f"  {sr.engine}: every reachable state; witnesses by bmc to depth {sr.depth}, {sr.seconds:.2f}s",
            style="dim",
        )
    else:
        head.append(f"  {sr.engine} to depth {sr.depth}, {sr.seconds:.2f}s", style="dim")
    console.print(head)
    graph = [r for r in sr.results if r.kind in GRAPH_KINDS and "edges" in r.extra]
    if graph:
        asked = graph[0].extra.get("requested_engine", "explicit")
        why = "" if asked == "explicit" else f" (not {asked}: these properties need the whole state graph)"
        console.print(
            Text(
                f"  {', '.join(r.name for r in graph)}: explicit engine{why}, state graph of "
                f"{graph[0].extra.get('states', 0):,} states, {graph[0].extra.get('edges', 0):,} edges, "
                "no symmetry reduction",
                style="dim",
            )
        )
    for r in sr.results:
        console.print(verdict_line(r, sr.depth))
    shown: set[tuple[str, ...]] = set()
    for r in sr.results:
        invariant = tuple(r.extra.get("invariant") or ())
        if r.verdict is Verdict.PROVED and invariant and invariant not in shown:
            shown.add(invariant)
            names = [x.name for x in sr.results if tuple(x.extra.get("invariant") or ()) == invariant]
            console.print(
                Text(f"\nInductive invariant proving {', '.join(names)} (re-checked by a fresh solver):", style="bold")
            )
            for conjunct in invariant:
                console.print(f"  {conjunct}")
            if r.extra.get("certificate"):
                console.print(f"  certificate: {r.extra['certificate']} (re-check: z3 {r.extra['certificate']})")
        cti = r.extra.get("cti")
        if cti is not None:
            console.print(
                Text(
                    f"\nCounterexample to induction for {r.name} (NOT a real violation: the first state "
                    "need not be reachable; add a strengthening invariant or raise k):",
                    style="bold yellow",
                )
            )
            console.print(trace_table(cti, all_vars=True))
    for r in sr.results:
        if r.trace is not None and (r.trace.kind in ("violation", "lasso") or witnesses):
            print_trace(console, r, all_vars)
