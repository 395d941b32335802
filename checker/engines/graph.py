"""Graph properties on the explicit state graph: `recoverable` (AG EF good) and `eventually`
(AF p under weak fairness).

**recoverable(good)**: the states that can still reach a good state are found backwards
from the good ones; any other reachable state is a violation. The counterexample is the
shortest path from the initial state to such a state (BFS order), replayed concretely; its
final state is one from which no good state is reachable (re-explored concretely from the
replayed state, within a cap, to cross-check the graph).

**eventually(p)**: violated iff some path that is weakly fair never reaches p. Such a path
stays in the ¬p states reachable from the initial state through ¬p states, and either

* ends in a *deadlock* (no transition enabled): the path stops there forever, which is fair
  because nothing is enabled; reported as a lasso whose cycle is empty (``loop`` is the
  last state's index, ``notes["deadlock"]``); or
* runs around a cycle forever. Weak fairness: a transition declared ``@action(fair=True)``
  that is enabled in every state of the cycle must fire on it. Fairness is per transition:
  one instance, one action, one choice of arguments (``enactor1.apply`` is not
  ``enactor2.apply``; ``a.send(to=1)`` is not ``a.send(to=2)``). A strongly connected
  component C of the ¬p subgraph holds a fair cycle iff for every fair transition f, f
  fires on an edge inside C or f is disabled in some state of C: then a cycle through
  those witnesses (and the whole of C if need be) is fair; otherwise every cycle inside C
  has f always enabled and never taken. (Weak fairness needs no recursive decomposition,
  unlike strong fairness.)

Of all candidates the one entered first (fewest steps through ¬p states) is reported. The
lasso is ``states[0..loop]`` (the prefix) then the cycle ``states[loop..]`` whose last state
equals ``states[loop]``; it is replayed concretely, the closure of the cycle, ¬p in every
state and the fairness of the cycle are re-checked on the replayed states before it is
reported.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import numpy as np

from ..errors import InternalError, ModelError
from ..lang.declare import GRAPH_KINDS
from ..lang.model import ModelInstance
from ..lang.runtime import CONCRETE, evaluate, fire
from ..results import PropertyResult, Verdict
from ..trace import Trace, normalize, replay
from .fair_cycle import shortest_fair_cycle
from .graph_build import DEFAULT_GRAPH_STATES, StateGraph, build_graph

#: states re-explored concretely from a recoverable counterexample's last state
CLOSURE_CAP = 20_000


def run_graph(
    model: ModelInstance,
    properties: list[str],
    max_states: int | None = None,
    timeout: float | None = None,
    backend: str = "auto",
) -> list[PropertyResult]:
    """Check `recoverable`/`eventually` ``properties`` on the explicit state graph (engine
    ``"explicit"``; ``extra["edges"]`` tells these results apart). Verdicts are HOLDS
    (exhaustive, this finite instance), VIOLATED (a replayed trace or lasso), or UNKNOWN when
    the graph could not be completed (``max_states``, default `DEFAULT_GRAPH_STATES`, or ``timeout``)."""
    started = time.monotonic()
    for name in properties:
        prop = model.properties.get(name)
        if prop is None:
            raise ModelError(f"the model has no property '{name}' (it has: {', '.join(model.properties) or 'none'})")
        if prop.kind not in GRAPH_KINDS:
            raise ModelError(f"property '{name}' is an {prop.kind}, not a graph property", prop.file, prop.line)
    cap = max_states if max_states is not None else DEFAULT_GRAPH_STATES
    graph = build_graph(model, properties, cap, started + timeout if timeout else None, backend)
    extra = {
        "states": graph.nodes,
        "edges": graph.edges,
        "depth": int(graph.depth.max()) if graph.nodes else 0,
        "exhaustive": graph.complete,
        "symmetry": False,
        "backend": graph.backend,
        "graph_seconds": round(graph.seconds, 4),
    }
    if graph.note:
        extra["backend_note"] = graph.note
    counts = f"{graph.nodes:,} states, {graph.edges:,} edges"
    extra["coverage"] = _coverage(model, graph, counts)
    out = []
    for name in properties:
        kind = model.properties[name].kind
        r = PropertyResult(name, kind, Verdict.UNKNOWN, "explicit", extra=dict(extra))
        if not graph.complete:
            r.reason = f"state graph incomplete ({graph.stop}): {counts} so far"
        else:
            trace = _recoverable(graph, name) if kind == "recoverable" else _eventually(graph, name)
            if trace is None:
                r.verdict, r.reason = Verdict.HOLDS, f"exhaustive state graph: {counts}"
            else:
                r.verdict, r.trace, r.depth, r.checked = Verdict.VIOLATED, trace, len(trace), True
        if graph.note:  # the reason is what the text and JSON reports show
            r.reason = f"{r.reason} ({graph.note})" if r.reason else graph.note
        r.seconds = time.monotonic() - started
        out.append(r)
    return out


def _coverage(model: ModelInstance, graph: StateGraph, counts: str) -> dict[str, Any]:
    """Which actions label some edge of the graph: with the whole graph built, an action on no
    edge never fires in this instance (vacuity, for ``--strict``)."""
    from ..coverage import action_coverage, counts_by_action
    from ..encoding import Encoding

    live = [t.index for t, _ in Encoding(model).fired]  # guards not statically false
    per_transition = {int(i): int(n) for i, n in enumerate(np.bincount(graph.via, minlength=len(model.transitions)))}
    fired = counts_by_action(model, {i: n for i, n in per_transition.items() if n})
    scope = f"exhaustive state graph: {counts}" if graph.complete else f"incomplete state graph: {counts}"
    return action_coverage(model, live, fired, graph.complete, scope)


# ---------------------------------------------------------------------------- reachability
def _backward(graph: StateGraph, targets: np.ndarray) -> np.ndarray:
    """Nodes from which some node in ``targets`` is reachable (level by level over all edges)."""
    reached, frontier = targets.copy(), targets.copy()
    while frontier.any():
        step = np.zeros(graph.nodes, dtype=bool)
        step[graph.src[frontier[graph.dst]]] = True
        frontier = step & ~reached
        reached |= frontier
    return reached


def _bfs_within(graph: StateGraph, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest paths from the initial nodes through ``allowed`` nodes only: (depth or -1, parent, via)."""
    n = graph.nodes
    depth = np.full(n, -1, np.int64)
    parent = np.full(n, -1, np.int64)
    via = np.full(n, -1, np.int64)
    frontier = (graph.parent_via < 0) & allowed  # the initial states (roots of the BFS tree) allowed
    depth[frontier] = 0
    level = 0
    inside = allowed[graph.src] & allowed[graph.dst]
    while frontier.any():
        level += 1
        edges = np.flatnonzero(inside & frontier[graph.src])
        edges = edges[depth[graph.dst[edges]] < 0]
        targets, first = np.unique(graph.dst[edges], return_index=True)  # one parent edge each
        depth[targets] = level
        parent[targets] = graph.src[edges[first]]
        via[targets] = graph.via[edges[first]]
        frontier = np.zeros(n, dtype=bool)
        frontier[targets] = True
    return depth, parent, via


def _path(parent: np.ndarray, via: np.ndarray, node: int) -> tuple[list[int], int]:
    """The steps from an initial node to ``node`` along ``parent``, and that initial node."""
    steps = []
    while parent[node] >= 0:
        steps.append(int(via[node]))
        node = int(parent[node])
    steps.reverse()
    return steps, node


# ---------------------------------------------------------------------------- recoverable
def _recoverable(graph: StateGraph, name: str) -> Trace | None:
    good = graph.holds(name)
    stuck = np.flatnonzero(~_backward(graph, good))
    if not stuck.size:
        return None
    node = int(stuck[0])  # BFS order: the shallowest
    model = graph.model
    steps = [model.transitions[i] for i in graph.path_to(node)]
    trace = Trace(model, replay(model, steps, graph.root_of(node)), steps, name, "violation")
    if trace.states[-1] != graph.state(node):
        raise InternalError(f"'{name}': the replayed trace does not end in the state graph's state")
    trace.confirm()
    seen = _no_good_reachable(model, name, trace.states[-1])
    trace.notes["unrecoverable"] = True
    trace.notes["closure_states"] = seen  # None: too many to re-explore concretely
    # the same steps in the engines' canonical order: it ends in the same state, so the check
    # above still holds for it
    return normalize(trace)


def _no_good_reachable(model: ModelInstance, name: str, start: tuple) -> int | None:
    """Re-explore from ``start`` with the concrete interpreter: the number of states reached
    (none of them good), or None past `CLOSURE_CAP`. Raises if a good state is reachable."""
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        if evaluate(model, CONCRETE, name, state):
            raise InternalError(f"'{name}': a good state is reachable from the reported state after all")
        for t in model.transitions:
            nxt = fire(model, t, state)
            if nxt is not None and nxt not in seen:
                if len(seen) >= CLOSURE_CAP:
                    return None
                seen.add(nxt)
                queue.append(nxt)
    return len(seen)


# ---------------------------------------------------------------------------- eventually
def _eventually(graph: StateGraph, name: str) -> Trace | None:
    bad = ~graph.holds(name)
    depth, parent, via = _bfs_within(graph, bad)
    region = depth >= 0  # ¬p states reachable from init through ¬p states
    if not region.any():
        return None  # p holds in every initial state: every path reaches it at once
    outdeg = np.bincount(graph.src, minlength=graph.nodes)
    candidates: list[tuple[int, int, list[int] | None]] = []  # (entry depth, entry node, cycle)
    dead = np.flatnonzero(region & (outdeg == 0))
    if dead.size:
        entry = int(dead[np.argmin(depth[dead])])
        candidates.append((int(depth[entry]), entry, None))
    fair_scc = _fair_component(graph, region, depth)
    exact = True
    if fair_scc is not None:
        entry, cycle, exact = fair_scc
        candidates.append((int(depth[entry]), entry, cycle))
    if not candidates:
        return None
    _, entry, cycle = min(candidates, key=lambda c: (c[0], 0 if c[2] is None else len(c[2])))
    prefix, root = _path(parent, via, entry)
    trace = _lasso(graph, name, prefix, cycle or [], graph.state(root))
    if cycle:
        trace.notes["shortest_cycle"] = exact
    return trace


def _fair_component(graph: StateGraph, region: np.ndarray, depth: np.ndarray) -> tuple[int, list[int], bool] | None:
    """The fair strongly connected component of the ¬p region entered first: (the cycle's
    first state, the transitions of a shortest fair cycle from it back to it, whether it is
    known to be shortest: `checker.engines.fair_cycle`); None if there is none. The cycle
    starts at its state nearest the initial state, so the prefix is as short as it can be."""
    import networkx as nx  # here, not at the top: 0.1-0.3 s that only graph properties need

    model = graph.model
    inside = region[graph.src] & region[graph.dst]
    h = nx.DiGraph()
    h.add_edges_from(zip(graph.src[inside].tolist(), graph.dst[inside].tolist(), strict=True))
    comp = np.full(graph.nodes, -1, np.int64)
    members: list[np.ndarray] = []
    for k, scc in enumerate(nx.strongly_connected_components(h)):
        nodes = np.fromiter(scc, dtype=np.int64, count=len(scc))
        comp[nodes] = k
        members.append(nodes)
    same = inside & (comp[graph.src] == comp[graph.dst]) & (comp[graph.src] >= 0)
    cyclic = np.zeros(len(members), dtype=bool)
    cyclic[comp[graph.src[same]]] = True  # an edge inside: size > 1, or a self-loop
    ok = cyclic.copy()
    fair = [t.index for t in model.transitions if t.action.fair]
    enabled_at: dict[int, np.ndarray] = {}
    for f in fair:
        en = np.zeros(graph.nodes, dtype=bool)
        en[graph.src[graph.via == f]] = True
        enabled_at[f] = en
        taken = np.zeros(len(members), dtype=bool)
        taken[comp[graph.src[same & (graph.via == f)]]] = True
        disabled = np.zeros(len(members), dtype=bool)
        where = region & ~en & (comp >= 0)
        disabled[comp[where]] = True
        ok &= taken | disabled
    good = np.flatnonzero(ok)
    if not good.size:
        return None
    entries = [int(members[k][np.argmin(depth[members[k]])]) for k in good]
    best = min(range(len(good)), key=lambda i: depth[entries[i]])
    k, entry = int(good[best]), entries[best]
    edges = same & (comp[graph.src] == k)
    waypoints = _fair_cycle(graph, members[k], entry, fair, enabled_at, edges)
    found = shortest_fair_cycle(
        graph.src[edges], graph.dst[edges], graph.via[edges], members[k], depth, fair, enabled_at, (entry, waypoints)
    )
    # start the cycle at its state nearest the initial state (ties: the lower node id, BFS order)
    r = min(range(len(found.nodes)), key=lambda i: (int(depth[found.nodes[i]]), found.nodes[i]))
    return found.nodes[r], found.steps[r:] + found.steps[:r], found.exact


def _fair_cycle(
    graph: StateGraph,
    nodes: np.ndarray,
    entry: int,
    fair: list[int],
    enabled_at: dict[int, np.ndarray],
    edges_mask: np.ndarray,
) -> list[int]:
    """A cycle from ``entry`` back to it inside one component, through a witness for each
    fair transition (a state where it is disabled, else an edge where it fires)."""
    import networkx as nx

    edge_ids = np.flatnonzero(edges_mask)
    sub = nx.DiGraph()
    label: dict[tuple[int, int], int] = {}
    for e in edge_ids.tolist():
        u, v = int(graph.src[e]), int(graph.dst[e])
        label.setdefault((u, v), int(graph.via[e]))
        sub.add_edge(u, v)
    waypoints: list[tuple[int, int | None, int | None]] = []  # (node to reach, then fire t to v)
    for f in fair:
        off = nodes[~enabled_at[f][nodes]]
        if off.size:
            waypoints.append((int(off[0]), None, None))
        else:
            e = int(edge_ids[graph.via[edge_ids] == f][0])
            waypoints.append((int(graph.src[e]), f, int(graph.dst[e])))
    steps: list[int] = []
    here = entry

    def walk(to: int) -> None:
        nonlocal here
        if to != here:
            path = nx.shortest_path(sub, here, to)
            steps.extend(label[(a, b)] for a, b in zip(path, path[1:], strict=False))
            here = to

    for node, t, then in waypoints:
        walk(node)
        if t is not None and then is not None:
            steps.append(t)
            here = then
    if not steps:  # every witness is the entry itself: still go round once
        e = int(edge_ids[graph.src[edge_ids] == entry][0])
        steps.append(int(graph.via[e]))
        here = int(graph.dst[e])
    walk(entry)
    return steps


def _lasso(graph: StateGraph, name: str, prefix: list[int], cycle: list[int], start: tuple) -> Trace:
    """Replay prefix + cycle from the initial state ``start`` concretely and check what the lasso claims."""
    model = graph.model
    steps = [model.transitions[i] for i in prefix + cycle]
    states = replay(model, steps, start)
    loop = len(prefix)
    trace = Trace(model, states, steps, name, "lasso", loop=loop)
    if any(bool(evaluate(model, CONCRETE, name, s)) for s in states):
        raise InternalError(f"'{name}': the lasso passes through a state where it holds")
    if not cycle:
        enabled = [t for t in model.transitions if fire(model, t, states[-1]) is not None]
        if enabled:
            raise InternalError(f"'{name}': the lasso's last state is no deadlock ({enabled[0]} is enabled)")
        trace.notes["deadlock"] = True
    else:
        if states[-1] != states[loop]:
            raise InternalError(f"'{name}': the lasso's cycle does not close under concrete replay")
        taken = {t.index for t in steps[loop:]}
        for t in model.transitions:
            if t.action.fair and t.index not in taken:
                if all(fire(model, t, s) is not None for s in states[loop:]):
                    raise InternalError(f"'{name}': the lasso's cycle is unfair to {t}")
        trace.notes["deadlock"] = False
    trace.confirm()
    return trace
