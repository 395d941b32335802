"""Reports of results and traces: for people (text, Markdown + Mermaid, HTML) and machines (JSON, ITF).

The stable entry points:

* ``write_report(spec_result, fmt, path)`` writes every violation trace of a
  `checker.run.SpecResult` as ``fmt`` (text | md | mermaid | html | itf), atomically.
  Text, Markdown and HTML hold every trace in one file; ``mermaid`` and ``itf`` hold one
  trace per file, the first at ``path`` and the others beside it. Returns the paths written.
* ``render(views, fmt)`` is the text of a report of `TraceView`\\ s (``view.from_trace``,
  ``itf_input.load_itf``); ``views_of(spec_result)`` gives a result's violation traces as views.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from json import dumps  # not `import json`: the submodule checker.report.json would shadow it
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import write_text_atomic

if TYPE_CHECKING:  # the views need the model layer (z3): imported where used, so `cli` stays light
    from ..run import SpecResult
    from .view import TraceView

FORMATS = ("text", "md", "mermaid", "html", "itf")
#: formats that hold one trace per file
SINGLE = ("mermaid", "itf")
SUFFIX = {"text": ".txt", "md": ".md", "mermaid": ".mmd", "html": ".html", "itf": ".itf.json"}


def views_of(sr: SpecResult, kinds: Iterable[str] = ("violation", "lasso")) -> list[TraceView]:
    """The result's counterexamples (replayed traces) as views, with their explanations."""
    from .view import from_trace

    out = []
    for r in sr.results:
        traces = [r.trace, *r.extra.get("more_traces", [])] if r.trace is not None else []
        views = [from_trace(t, str(sr.spec.path)) for t in traces if t.kind in kinds]
        for n, view in enumerate(views, start=1):  # several to one property are numbered in their titles
            view.number, view.of = n, len(views)
        out += views
    return out


def render(views: list[TraceView], fmt: str, all_vars: bool = False, title: str = "raceproof report") -> str:
    """One document of ``views`` in ``fmt``; for ``itf`` (one trace a file) the first view only."""
    if fmt == "text":
        return _text(views, all_vars)
    if fmt == "md":
        from .markdown import document_md

        return document_md(views, title, all_vars)
    if fmt == "mermaid":
        from .markdown import document_mermaid

        return document_mermaid(views)
    if fmt == "html":
        from .html import document_html

        return document_html(views, title)
    if fmt == "itf":
        from .itf_output import view_itf

        return dumps(view_itf(views[0]) if views else {}, indent=2) + "\n"
    raise ValueError(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")


def _text(views: list[TraceView], all_vars: bool) -> str:
    from rich.console import Console

    from .text import print_view

    buffer = io.StringIO()
    console = Console(file=buffer, width=160, highlight=False, soft_wrap=True, color_system=None, markup=False)
    if not views:
        console.print("No counterexample: nothing to report.")
    for view in views:
        print_view(console, view, all_vars)
    return buffer.getvalue()


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` so that a crash never leaves a half-written report behind."""
    write_text_atomic(path, text)


def beside(path: str | Path, n: int, view: TraceView) -> Path:
    """Where trace ``n`` (> 0) of a one-trace-a-file format goes: next to ``path``, named by property."""
    base = Path(path)
    stem, _, suffix = base.name.partition(".")
    return base.with_name(f"{stem}.{view.prop or view.kind}.{n}.{suffix}" if suffix else f"{stem}.{n}")


def write_views(views: list[TraceView], fmt: str, path: str | Path, all_vars: bool = False) -> list[str]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt not in SINGLE or len(views) <= 1:
        write_atomic(path, render(views, fmt, all_vars))
        return [str(path)]
    written = []
    for n, view in enumerate(views):
        target = Path(path) if n == 0 else beside(path, n, view)
        write_atomic(target, render([view], fmt, all_vars))
        written.append(str(target))
    return written


def write_report(spec_result: SpecResult, fmt: str, path: str | Path, all_vars: bool = False) -> list[str]:
    """Write every violation trace of ``spec_result`` as ``fmt`` to ``path``; the paths written."""
    return write_views(views_of(spec_result), fmt, path, all_vars)


__all__ = ["FORMATS", "SUFFIX", "render", "views_of", "write_atomic", "write_report", "write_views"]
