"""The reachable state graph as DOT or GraphML, for looking at small models.

Nodes carry the state's variables (GraphML: one attribute per variable, arrays and sets
written as text; DOT: a label with one line per variable), edges the transition that
fired, as ``instance.action``. Parallel edges (two transitions to the same successor)
stay separate.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import write_text_atomic
from .engines.graph_build import StateGraph
from .values import show as fmt

if TYPE_CHECKING:
    import networkx as nx


def to_networkx(graph: StateGraph) -> nx.MultiDiGraph:
    import networkx as nx  # here, not at the top: only GraphML export needs it (0.1-0.3 s to import)

    model = graph.model
    g = nx.MultiDiGraph(model=model.model.__name__)
    for node in range(graph.nodes):
        values = model.describe_state(graph.state(node))
        g.add_node(
            f"s{node}", **{name: _attr(v) for name, v in values.items()}, initial=bool(graph.parent_via[node] < 0)
        )
    for a, b, t in zip(graph.src.tolist(), graph.dst.tolist(), graph.via.tolist(), strict=True):
        g.add_edge(f"s{a}", f"s{b}", label=str(model.transitions[t]))
    return g


def _attr(value: Any) -> Any:
    """GraphML attributes are scalars: ints, bools and names stay; lists and sets become text."""
    return value if isinstance(value, bool | int | str) else fmt(value)


def write_graphml(graph: StateGraph, path: str | Path) -> Path:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(to_networkx(graph), buffer)
    write_text_atomic(path, buffer.getvalue().decode("utf-8"))
    return Path(path)


def write_dot(graph: StateGraph, path: str | Path) -> Path:
    model = graph.model
    lines = [f"digraph {_quote(model.model.__name__)} {{", "  node [shape=box, fontname=monospace];"]
    for node in range(graph.nodes):
        values = model.describe_state(graph.state(node))
        label = "\\l".join(_escape(f"{k} = {fmt(v)}") for k, v in values.items()) + "\\l"
        style = ", peripheries=2" if graph.parent_via[node] < 0 else ""  # an initial state
        lines.append(f'  s{node} [label="{label}"{style}];')
    for a, b, t in zip(graph.src.tolist(), graph.dst.tolist(), graph.via.tolist(), strict=True):
        lines.append(f"  s{a} -> s{b} [label={_quote(str(model.transitions[t]))}];")
    lines.append("}")
    write_text_atomic(path, "\n".join(lines) + "\n")
    return Path(path)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'
