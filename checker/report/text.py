"""Terminal output (rich): a verdict line per property, and labelled traces."""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..explain import Part
from ..lang.declare import GRAPH_KINDS
from ..params import show_params
from ..results import PropertyResult, Verdict
from ..run import SpecResult
from ..trace import Trace
from .view import TraceView, fmt, from_trace

#: each verdict's mark and style in the terminal (the sweep table uses the same)
MARKS = {
    Verdict.VIOLATED: ("✗", "bold red"),
    Verdict.UNREACHABLE: ("✗", "bold red"),
    Verdict.HOLDS: ("✓", "green"),
    # a bounded pass is not a ✓: "≤" reads as "up to the bound" and never as complete
    Verdict.HOLDS_TO_DEPTH: ("≤", "cyan"),
    Verdict.PROVED: ("✓", "bold green"),
    Verdict.WITNESSED: ("✓", "green"),
    Verdict.UNKNOWN: ("?", "yellow"),
}


def verdict_line(r: PropertyResult, bound: int) -> Text:
    # `prove --for-all`: this line is the spec's instance; `for_all_lines` say what holds for every size
    instance = r.extra.get("for_all_instance")
    reason = instance["reason"] if instance else r.reason
    mark, style = MARKS[r.verdict]
    line = Text(f"  {mark} ", style=style)
    line.append(f"{r.name:<28}", style="bold")
    line.append(f" {r.verdict.value:<14}", style=style)
    if r.trace is not None and r.trace.kind == "lasso" and r.trace.loop is not None:
        loop = r.trace.loop
        if r.trace.notes.get("deadlock"):
            detail = f"deadlock after {loop} steps (a lasso that stays put; replayed concretely)"
        else:
            detail = f"lasso: {loop}-step prefix, {len(r.trace) - loop}-step cycle (replayed concretely)"
    elif r.verdict in (Verdict.VIOLATED, Verdict.WITNESSED) and r.trace is not None and r.engine == "simulate":
        detail = f"in {len(r.trace)} steps ({reason}; replayed concretely)"  # shortest only where proved
    elif r.verdict in (Verdict.VIOLATED, Verdict.WITNESSED) and r.trace is not None:
        detail = f"in {len(r.trace)} steps (shortest; replayed concretely)"
    elif r.verdict is Verdict.HOLDS and r.engine == "explicit":
        detail = reason + (f", reachable diameter {r.diameter}" if r.diameter is not None else "")
    elif r.verdict is Verdict.HOLDS:
        detail = f"complete: {reason}" if reason else "complete"
    elif r.verdict is Verdict.HOLDS_TO_DEPTH:
        detail = f"no violation in any behaviour of up to {r.depth} steps (bounded: longer ones not checked)"
    else:
        detail = reason
    if instance:
        detail = f"this instance ({instance['at']}): {detail}"
    line.append(f" {detail}")
    if r.expected is not None:
        ok = r.meets_expectation
        line.append(f"   expected {r.expected}: ", style="dim")
        if ok is None:  # no verdict, or a bounded pass where a complete one is expected
            line.append("inconclusive", style="yellow")
        else:
            line.append("ok" if ok else "MISMATCH", style="green" if ok else "bold red")
    return line


def for_all_lines(r: PropertyResult) -> list[Text]:
    """`prove --for-all` where this instance's verdict is not a proof for every size: the answer
    for every size (violated at which size and how it was found, held at every value searched,
    or why it is open), one or two lines under the verdict line (which shows the instance)."""
    instance = r.extra.get("for_all_instance")
    if not instance or not r.extra.get("for_all"):
        return []
    every = str(r.extra["for_all"]).replace(",", " and ")
    whole = r.reason.removesuffix(f"; this instance ({instance['at']}): {instance['reason']}")
    whole = whole.removeprefix(f"for all {every}: ")
    failure, searched = r.extra.get("for_all_failure"), r.extra.get("for_all_searched")
    first = failure if isinstance(failure, str) and searched else whole  # the search's finding: a line of its own
    answer = searched or first
    if first.startswith("violated") or "violated at" in answer:
        mark, style = "✗", "bold red"
    elif r.extra.get("for_all_holds") or answer.startswith("every value searched: holds"):
        mark, style = "✓", "green"
    else:  # refused, not found or not decided: no answer for every size
        mark, style = "?", "yellow"
    line = Text(f"      {mark} for all {every}: ", style=style)
    line.append(first)
    lines = [line]
    if searched:
        lines.append(Text(f"        instead, {searched}"))
    if r.extra.get("for_all_invariant"):  # the counting proof's invariant, for every size from `for_all_from`
        lines.append(Text(f"        invariant for every {every} ≥ {r.extra.get('for_all_from')} (#{{...}}: how many "
                          "units are in that local state; re-checked):", style="bold"))  # fmt: skip
        lines += [Text(f"          {c}") for c in r.extra["for_all_invariant"]]
        if r.extra.get("for_all_certificate"):
            lines.append(Text(f"        certificate: {r.extra['for_all_certificate']}", style="dim"))
    return lines


def coverage_lines(cov: dict[str, Any]) -> list[Text]:
    """Which actions fired (with counts from an explicit search), which never did, which are
    switched off by the parameters, and the `reachable` properties never witnessed."""
    scope = cov["scope"]
    fired = [f"{k} ×{n:,}" if n is not None else k for k, n in cov["fired"].items()]
    lines = []
    total = len(cov["fired"]) + len(cov["never"]) + len(cov["undetermined"])
    what = "every action fired" if len(cov["fired"]) == total else f"{len(cov['fired'])} of {total} actions fired"
    head = Text(f"  coverage: {what} ({scope}): {', '.join(fired) or 'none'}", style="dim")
    lines.append(head)
    if cov["never"]:
        line = Text("  ✗ never fired ", style="bold red")
        line.append(f"({scope}): {', '.join(cov['never'])}: no state the search reached lets them fire, ")
        line.append("so every property about them holds vacuously")
        lines.append(line)
    if cov["undetermined"]:
        line = Text("  ? not seen firing ", style="yellow")
        line.append(f"({scope}): {', '.join(cov['undetermined'])}: the search stopped (every property ")
        line.append("was answered, or a limit was hit) before it could tell whether they can fire")
        lines.append(line)
    if cov["static"]:
        off = ", ".join(cov["static"])
        line = Text(f"  switched off by these parameters: {off}: their guards are false in every state", style="dim")
        lines.append(line)
    if cov.get("unwitnessed"):
        line = Text("  ✗ reachable never witnessed: ", style="bold red")
        line.append(", ".join(cov["unwitnessed"]))
        lines.append(line)
    return lines


def state_lines(view: TraceView, i: int) -> list[str]:
    """A state, one line per participant: ``enactor1: pc=idle, plan=0`` and ``plans = {1}``."""
    values = view.shown(view.steps[i].values)
    lines = []
    for p in view.participants:
        names = [v for v in p.vars if v in values]
        if p.kind != "process":
            lines += [f"{v} = {fmt(values[v])}" for v in names]
        elif names:
            lines.append(f"{p.name}: " + ", ".join(f"{v.removeprefix(p.name + '.')}={fmt(values[v])}" for v in names))
    return lines


def change_lines(view: TraceView, i: int) -> list[str]:
    return [f"{c.var}: {fmt(c.old)} → {fmt(c.new)}" + (f"  ({c.note})" if c.note else "") for c in view.changes(i)] or [
        "(no change)"
    ]


def _as_view(trace: Trace | TraceView) -> TraceView:
    return trace if isinstance(trace, TraceView) else from_trace(trace, explained=False)


def trace_table(trace: Trace | TraceView, all_vars: bool = False) -> Table:
    view = _as_view(trace)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, padding=(0, 2))
    table.add_column("step", justify="right")
    table.add_column("instance")
    table.add_column("action")
    table.add_column("changes (old → new)" if not all_vars else "state")
    lasso = view.loop is not None
    if lasso:
        table.add_column("cycle")
    for step in view.steps:
        i = step.index
        body = state_lines(view, i) if all_vars or i == 0 else change_lines(view, i)
        # Text, not str: rich would read "[alice]" in "balances[alice]" as markup
        row = [Text(str(i)), Text(step.instance or ""), Text(step.action), Text("\n".join(body))]
        if lasso:
            row.append(Text(_cycle_mark(view, i)))
        table.add_row(*row)
    return table


def _cycle_mark(view: TraceView, i: int) -> str:
    """Where a lasso's cycle starts, which steps repeat, and where it closes (or deadlocks)."""
    n, loop = len(view), view.loop
    assert loop is not None
    if loop >= n:  # a deadlock: the path stops in its last state
        return "■ deadlock: nothing is enabled, it stays here forever" if i == n else ""
    if i == loop:
        return "◀── cycle starts here (the state after this step)"
    if i == n:
        return f"↻ repeats; ↺ back to step {loop}"
    return "↻ repeats" if view.in_cycle(i) else ""


def part_line(part: Part) -> str:
    """``sys.plans.contains(p) is false for p = 2: endpoint_plan[0] = 2 (step 8, enactor1 apply), ...``."""
    where = ", ".join(f"{k} = {fmt(v)}" for k, v in part.bindings.items())
    reads = []
    for name, value in part.reads.items():
        last = part.last_changed.get(name)
        since = f" (set at step {last[0]} by {last[1]}'s {last[2]})" if last else " (initial value)"
        reads.append(f"{name} = {fmt(value)}{since}")
    return (
        f"{part.text} is {fmt(part.value)}"
        + (f" for {where}" if where else "")
        + (f": {', '.join(reads)}" if reads else "")
    )


def print_view(console: Console, view: TraceView, all_vars: bool = False) -> None:
    """A whole trace report: the table, what made the property false, and the stale reads."""

    def say(line: str, style: str = "") -> None:
        console.print(Text(line, style=style))  # Text: model names like "a[k]" are not rich markup

    replayed = ", replayed concretely" if view.replayed else ""
    say(f"\n{view.title} ({len(view)} steps{replayed}):", "bold")
    console.print(trace_table(view, all_vars))
    doc = view.property_doc.splitlines()[0].rstrip(".") if view.property_doc else ""
    if view.verdict_sentence:
        say(f"  {view.verdict_sentence.rstrip('.')}" + (f" ({doc})." if doc else "."))
    if view.failure:
        say("  What makes it false:", "bold")
        for part in view.failure:
            say(f"    {part_line(part)}")
    if view.stale:
        say(f"  Why: {'a check went stale' if view.stale[0].in_guard else 'an update was lost'}", "bold")
        for n, s in enumerate(view.stale):
            if n:
                say("")
            phase = view.phase(s)
            say(f"    {s.headline}" + (f" [{phase}]" if phase else ""), "bold")
            for sentence in s.sentences:
                say(f"    - {sentence}")
    if view.basis and (view.stale or not view.replayed or view.basis.startswith("no ")):
        say(f"  ({'stale reads from ' + view.basis if view.stale else view.basis})", "dim")
    for note in view.notes:
        say(f"  ({note})", "dim")


def print_trace(console: Console, r: PropertyResult, all_vars: bool = False) -> None:
    assert r.trace is not None
    print_view(console, from_trace(r.trace, explained=r.trace.kind != "witness"), all_vars)


def model_source_line(spec: Any) -> str:
    """``model dns from models/dns/model.py (the spec's project)``: the file whose code was loaded."""
    assert spec.source is not None
    file = str(spec.model_origin() or spec.source.origin)
    rel = os.path.relpath(file)
    return f"model {spec.model_ref} from {file if rel.startswith('..') else rel} ({spec.source.describe()})"


def print_spec_result(console: Console, sr: SpecResult, all_vars: bool = False, witnesses: bool = False) -> None:
    spec = sr.spec
    params = show_params(spec.params)  # as -P takes them: none for an unset optional parameter
    head = Text(f"{spec.path}", style="bold")
    head.append(f"  model {spec.model_ref}" + (f" ({params})" if params else ""), style="dim")
    if sr.engine == "explicit":
        states = max((r.extra.get("states", 0) for r in sr.results), default=0)
        symmetry = "on" if any(r.extra.get("symmetry") for r in sr.results) else "off"
        exhaustive = all(r.extra.get("exhaustive") for r in sr.results)
        depth = f"reachable diameter {sr.depth}" if exhaustive else f"depth {sr.depth}"
        head.append(
            f"  explicit search, {states:,} distinct states (symmetry reduction {symmetry}), {depth}, "
            f"{sr.seconds:.2f}s",
            style="dim",
        )
    elif sr.engine.startswith("prove"):
        head.append(
            f"  {sr.engine}: every reachable state; witnesses by breadth-first search, then (if needed) bmc to"
            f" depth {sr.depth} and explicit search, {sr.seconds:.2f}s",
            style="dim",
        )
    else:
        depth = f" to depth {sr.depth}" if sr.engine.startswith("bmc") else f", depth {sr.depth}"
        head.append(f"  {sr.engine}{depth}, {sr.seconds:.2f}s", style="dim")
    console.print(head)
    if spec.source is not None:  # which code ran: resolved from the spec's project, else the bundled models
        console.print(Text(f"  {model_source_line(spec)}", style="dim"))
    symmetry = next((r.extra["symmetry_reduction"] for r in sr.results if "symmetry_reduction" in r.extra), None)
    if symmetry and symmetry["summary"]:  # which replicas were reduced, and why others were not
        console.print(Text(f"  {symmetry['summary']}", style="dim"))
    for why in sr.engine_why:  # which engine decided each property, and why
        console.print(Text(f"  engine: {why}", style="dim"))
    graph = [r for r in sr.results if r.kind in GRAPH_KINDS and "edges" in r.extra]
    if graph:
        asked = graph[0].extra.get("requested_engine", "explicit")
        why = "" if asked in ("explicit", "auto") else f" (not {asked}: these properties need the whole state graph)"
        console.print(
            Text(
                f"  {', '.join(r.name for r in graph)}: explicit engine{why}, state graph of "
                f"{graph[0].extra.get('states', 0):,} states, {graph[0].extra.get('edges', 0):,} edges, "
                + (f"reachable diameter {graph[0].diameter}, " if graph[0].diameter is not None else "")
                + "no symmetry reduction",
                style="dim",
            )
        )
    for r in sr.results:
        console.print(verdict_line(r, sr.depth))
        for line in for_all_lines(r):
            console.print(line)
    # a found trace's line shows its length, not its reason: say there how the search computed
    for note in dict.fromkeys(r.reason for r in sr.results if r.trace is not None and r.extra.get("backend_note")):
        console.print(Text(f"  note: {note}", style="dim"))
    if sr.coverage is not None:
        for line in coverage_lines(sr.coverage):
            console.print(line)
    shown: set[tuple[str, ...]] = set()
    for r in sr.results:
        invariant = tuple(r.extra.get("invariant") or ())
        if r.verdict is Verdict.PROVED and invariant and invariant not in shown:
            shown.add(invariant)
            names = [x.name for x in sr.results if tuple(x.extra.get("invariant") or ()) == invariant]
            console.print(
                Text(f"\nInductive invariant proving {', '.join(names)} (re-checked by a fresh solver):", style="bold")
            )
            # the same conjunct for every replica folded into one ∀ line (--json has both forms)
            for conjunct in r.extra.get("invariant_compact") or invariant:
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
            more = r.extra.get("more_traces", [])
            if not more:
                print_trace(console, r, all_vars)
            for n, trace in enumerate([r.trace, *more] if more else [], start=1):
                view = from_trace(trace, explained=trace.kind != "witness")
                view.number, view.of = n, len(more) + 1  # the title says "Counterexample 2 of 3 to P"
                print_view(console, view, all_vars)
