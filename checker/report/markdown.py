"""Markdown reports (pull-request comments, CI step summaries) with a Mermaid sequence diagram.

The diagram has a participant per instance that takes a step and per store a step
changes; each step is an arrow from the instance to every participant whose state it
changed (to itself when it changed only its own), labelled with the step number, the
action and the changes. A lasso's cycle is a Mermaid ``loop`` block; the act on a stale
read gets a note.
"""

from __future__ import annotations

import re

from ..explain import Part, StaleRead
from .view import STATE, TraceView, fmt

#: who takes a step that names no instance (ITF from other tools)
SYSTEM = "system"

#: characters Mermaid would read as syntax in a message, as its entity codes (``#59;`` is ``;``)
_MERMAID_ENTITIES = {";": "#59;", "#": "#35;", "<": "#60;", ">": "#62;", "%": "#37;"}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ENTITIES)) + "]")
#: characters Markdown (and the HTML it allows) would read as syntax in running text
# `|` only matters in tables (see _cell); `_` inside a word (never_empty) is no emphasis in GFM;
# brackets make a link only as `[text](url)`, `[text][ref]` or `[ref]: url`, so `a[0]` stays as it is
_MD_SPECIAL = re.compile(r"([\\`*~]|(?<!\w)_|_(?!\w)|\](?=[(\[:]))")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def _mermaid_text(text: str) -> str:
    """Text Mermaid shows verbatim, whole: its syntax characters as entity codes, one line."""
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ENTITIES[m.group(0)], text.replace("\n", " "))


def md_text(text: str) -> str:
    """Text Markdown shows verbatim: HTML and emphasis, links, code and table syntax escaped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_prose(text: str) -> str:
    """A sentence that marks names as code spans (explanations): the spans kept, the rest escaped."""
    out, last = [], 0
    for m in _CODE_SPAN.finditer(text):
        out += [md_text(text[last : m.start()]), m.group(0)]
        last = m.end()
    return "".join(out) + md_text(text[last:])


def _pid(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name)


def mermaid(view: TraceView) -> str:
    """A Mermaid ``sequenceDiagram`` of the trace."""
    arrows: list[tuple[int, str, str, str]] = []  # step, from, to, label
    for step in view.steps[1:]:
        i = step.index
        actor = step.instance or SYSTEM
        touched = view.touched(i)
        targets = [t for t in touched if t != actor] or [actor]
        for n, target in enumerate(targets):
            # the first arrow also carries the actor's changes to its own state: every change is shown
            owners = {target} | ({actor} if n == 0 else set())
            mine = [c for c in view.changes(i) if view.owner.get(c.var.split("[")[0], STATE) in owners]
            shown = ", ".join(f"{_short(c.var, target)}: {fmt(c.old)} → {fmt(c.new)}" for c in mine)
            head = f"{i}. {step.action}" if n == 0 else f"{i}. (cont.)"
            arrows.append((i, actor, target, head + (f" — {shown}" if shown else "")))
    used: list[str] = []
    for _, a, b, _ in arrows:
        for x in (a, b):
            if x not in used:
                used.append(x)
    order = [SYSTEM] + [p.name for p in view.participants]
    kinds = {p.name: p.kind for p in view.participants}
    lines = ["sequenceDiagram"]
    for name in sorted(used, key=lambda x: order.index(x) if x in order else len(order)):
        label = f"{name} (store)" if kinds.get(name) == "store" else name
        lines.append(f"    participant {_pid(name)} as {_mermaid_text(label)}")
    acts = {s.act_step: s for s in reversed(view.stale)}
    in_loop = False
    for i, a, b, label in arrows:
        if view.in_cycle(i) and not in_loop:
            lines.append(f"    loop repeats forever (back to state {view.loop})")
            in_loop = True
        lines.append(f"    {_pid(a)}->>{_pid(b)}: {_mermaid_text(label)}")
        stale = acts.pop(i, None)
        if stale is not None:
            if stale.in_guard:
                note = (
                    f"acts on its check of {stale.var} = {fmt(stale.seen)} at step {stale.read_step}, "
                    f"stale since step {stale.write_step}"
                )
            else:
                note = (
                    f"overwrites the change to {stale.var} made at step {stale.write_step} "
                    f"(it read {fmt(stale.seen)} at step {stale.read_step})"
                )
            lines.append(f"    Note over {_pid(a)}: {_mermaid_text(note)}")
    if in_loop:
        lines.append("    end")
    if view.verdict_sentence and used:
        lines.append(f"    Note over {_pid(used[0])}: {_mermaid_text(view.verdict_sentence)}")
    return "\n".join(lines) + "\n"


def _short(var: str, owner: str) -> str:
    return var.removeprefix(owner + ".")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def part_md(part: Part) -> str:
    where = ", ".join(md_code(f"{k} = {fmt(v)}") for k, v in part.bindings.items())
    reads = []
    for name, value in part.reads.items():
        last = part.last_changed.get(name)
        since = f" (set at step {last[0]} by {md_text(last[1])}'s {md_code(last[2])})" if last else " (initial value)"
        reads.append(f"{md_code(f'{name} = {fmt(value)}')}{since}")
    out = f"{md_code(part.text)} is **{md_text(fmt(part.value))}**" + (f" for {where}" if where else "")
    return out + (": " + ", ".join(reads) if reads else "")


def stale_md(s: StaleRead, phase: str = "") -> list[str]:
    head = f"**{md_prose(s.headline)}**" + (f" _({md_text(phase)})_" if phase else "")
    return [head, "", *[f"- {md_prose(x)}" for x in s.sentences], ""]


def trace_md(view: TraceView, all_vars: bool = False, heading: str = "###") -> str:
    mark = "✓" if view.kind == "witness" else "✗"
    out = [f"{heading} {mark} {md_text(view.title)} ({len(view)} steps)", ""]
    facts = [md_code(view.source)] if view.source else []
    facts.append("replayed concretely" if view.replayed else "as read from the trace file")
    out += [" · ".join(facts), ""]
    if view.verdict_sentence:
        doc = view.property_doc.splitlines()[0].rstrip(".") if view.property_doc else ""
        out += [f"**{md_prose(view.verdict_sentence)}**" + (f" ({md_prose(doc)}.)" if doc else ""), ""]
    if view.failure:
        out += ["What makes it false:", "", *[f"- {part_md(p)}" for p in view.failure], ""]
    if view.stale:
        why = "a check went stale" if view.stale[0].in_guard else "an update was lost"
        out += [f"#### Why: {why}", ""]
        for s in view.stale:
            out += stale_md(s, view.phase(s))
    if view.basis:
        out += [f"<sub>{'Stale reads from ' + view.basis if view.stale else view.basis}.</sub>", ""]
    for note in view.notes:
        out += [f"<sub>{note}.</sub>", ""]
    out += ["```mermaid", mermaid(view).rstrip("\n"), "```", ""]
    out += ["| step | instance | action | " + ("state" if all_vars else "changes (old → new)") + " |"]
    out += ["|---:|---|---|---|"]
    for step in view.steps:
        i = step.index
        if i == 0 or all_vars:
            body = "<br>".join(f"{md_code(k)} = {md_text(fmt(v))}" for k, v in view.shown(step.values).items())
        else:
            changes = view.changes(i)
            body = "<br>".join(
                f"{md_code(c.var)}: {md_text(fmt(c.old))} → {md_text(fmt(c.new))}"
                + (f" ({md_text(c.note)})" if c.note else "")
                for c in changes
            )
            body = body or "(no change)"
        num = f"{i} ↻" if view.in_cycle(i) else str(i)
        instance = md_text(step.instance or "")
        out.append(f"| {num} | {_cell(instance)} | {_cell(md_code(step.action))} | {_cell(body)} |")
    if view.loop_sentence:
        out += ["", ("■ " if view.deadlock else "↻ ") + md_prose(view.loop_sentence)]
    return "\n".join(out) + "\n"


def document_md(views: list[TraceView], title: str = "raceproof report", all_vars: bool = False) -> str:
    if not views:
        return f"## {title}\n\nNo counterexample: nothing to report.\n"
    return f"## {title}\n\n" + "\n".join(trace_md(v, all_vars) for v in views)


def document_mermaid(views: list[TraceView]) -> str:
    """Only the diagrams (``.mmd``); several traces are separated by a comment line."""
    return "\n".join(f"%% {v.title}\n{mermaid(v)}" for v in views)
