"""One self-contained HTML file per report: inline CSS, SVG and JS, no network fetch of any kind.

Each trace gets a swimlane diagram (a lane per instance and store, a column per step, a
line from the acting instance to every store it changed), the per-step diff table, the
whole state of a step on click, the failing property highlighted, and the stale-read
explanation. The page is built from a jinja2 template (`templates/report.html.j2`) with
autoescaping; the layout numbers are computed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jinja2
import markupsafe

from .. import __version__
from .view import TraceView, fmt

LANE_H = 46
LABEL_W = 150
COL_W = 64
TOP = 40  # room above the lanes for a lasso's back-arrow


@dataclass
class LaneStep:
    index: int
    x: int
    y: int
    action: str
    instance: str
    links: list[int]  # y of each other lane this step changed
    title: str
    classes: list[str] = field(default_factory=list)


@dataclass
class Lane:
    name: str
    kind: str
    y: int
    doc: str


@dataclass
class Swimlanes:
    width: int
    height: int
    lanes: list[Lane]
    steps: list[LaneStep]
    cycle: tuple[int, int] | None  # x from, x to (a lasso's repeating part)
    #: instances and stores that neither take nor feel a step of the trace: no lane of their own
    idle: list[str] = field(default_factory=list)


def swimlanes(view: TraceView) -> Swimlanes:
    acting = [s.instance or "system" for s in view.steps[1:]]
    involved = set(acting) | {t for i in range(1, len(view.steps)) for t in view.touched(i)}
    # a lane per participant that acts or is changed in this trace; the others are listed, not drawn
    names = [p.name for p in view.participants if p.name in involved or not acting]
    idle = [p.name for p in view.participants if p.name not in names]
    if "system" in acting:
        names.append("system")
    lanes = [
        Lane(n, next((p.kind for p in view.participants if p.name == n), "process"), TOP + k * LANE_H, _doc(view, n))
        for k, n in enumerate(names)
    ]
    y = {lane.name: lane.y + LANE_H // 2 for lane in lanes}
    roles = _roles(view)
    steps = []
    for step in view.steps[1:]:
        i = step.index
        actor = step.instance or "system"
        touched = [t for t in view.touched(i) if t != actor]
        changes = "; ".join(f"{c.var}: {fmt(c.old)} → {fmt(c.new)}" for c in view.changes(i))
        title = f"step {i}: {actor} {step.action}" + (f" — {changes}" if changes else "")
        classes = list(roles.get(i, []))
        if view.in_cycle(i):
            classes.append("cycle")
        if i == len(view) and view.kind in ("violation", "lasso"):
            classes.append("failing")
        x = LABEL_W + (i - 1) * COL_W + COL_W // 2
        steps.append(LaneStep(i, x, y[actor], step.action, actor, [y[t] for t in touched if t in y], title, classes))
    cycle = None
    if view.loop is not None and len(view) > view.loop:
        cycle = (LABEL_W + view.loop * COL_W, LABEL_W + len(view) * COL_W)
    width = LABEL_W + max(len(view), 1) * COL_W + 20
    return Swimlanes(width, TOP + len(lanes) * LANE_H + 10, lanes, steps, cycle, idle)


def _doc(view: TraceView, name: str) -> str:
    return next((p.doc for p in view.participants if p.name == name), "")


def _roles(view: TraceView) -> dict[int, list[str]]:
    """Steps of the stale reads: where the check read, where it went stale, where it acted."""
    out: dict[int, list[str]] = {}
    for s in view.stale:
        out.setdefault(s.read_step, []).append("stale-read")
        out.setdefault(s.write_step, []).append("stale-write")
        out.setdefault(s.act_step, []).append("stale-act")
    return out


def code_spans(text: str) -> markupsafe.Markup:
    """Escaped text whose `backticked` names (actions, in the explanation's sentences) are ``<code>``."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("checker.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["code"] = code_spans
    return env


def trace_context(view: TraceView, n: int) -> dict[str, Any]:
    rows = []
    for step in view.steps:
        i = step.index
        changed = {c.var.split("[")[0] for c in view.changes(i)} if i else set()
        rows.append({
            "step": step,
            "changes": view.changes(i) if i else [],
            "state": [(k, fmt(v), k in changed) for k, v in view.shown(step.values).items()],
            "cycle": view.in_cycle(i),
            "loop_target": view.loop == i and not view.deadlock,
            "failing": i == len(view) and view.kind in ("violation", "lasso"),
        })  # fmt: skip
    doc = view.property_doc.splitlines()[0] if view.property_doc else ""
    return {"n": n, "view": view, "lanes": swimlanes(view), "rows": rows, "doc": doc}


def document_html(views: list[TraceView], title: str = "raceproof report") -> str:
    template = _env().get_template("report.html.j2")
    traces = [trace_context(v, n) for n, v in enumerate(views)]
    return template.render(title=title, traces=traces, version=__version__, lane_h=LANE_H, label_w=LABEL_W)
