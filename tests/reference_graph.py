"""The reference's graph properties (see `tests.reference_model`): `recoverable` by backward
reachability, `eventually` under weak fairness with its own Tarjan SCC decomposition, and the
re-check of an engine's lasso. Like the rest of the reference, it imports nothing from `checker`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.reference_model import Explorer, PlainModel


def recoverable(pm: PlainModel, ex: Explorer, name: str) -> tuple[bool, int | None]:
    """AG EF name: (holds, shortest distance to a state from which no good state is reachable)."""
    pred: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {s: [] for s in ex.dist}
    for s, out in ex.succ.items():
        for _, t in out:
            pred[t].append(s)
    back = [s for s in ex.dist if pm.holds(name, s)]
    seen = set(back)
    while back:
        t = back.pop()
        for s in pred[t]:
            if s not in seen:
                seen.add(s)
                back.append(s)
    stuck = [ex.dist[s] for s in ex.dist if s not in seen]
    return (not stuck, min(stuck) if stuck else None)


def eventually_holds(pm: PlainModel, ex: Explorer, name: str) -> bool:
    """Every weakly fair infinite path (a deadlock repeats its last state) reaches ``name``."""
    bad = {s for s in ex.dist if not pm.holds(name, s)}
    region = {s for s in ex.inits if s in bad}  # reachable from an initial state through states without it
    if not region:
        return True
    todo = list(region)
    while todo:
        s = todo.pop()
        for _, t in ex.succ[s]:
            if t in bad and t not in region:
                region.add(t)
                todo.append(t)
    if any(not ex.succ[s] for s in region):
        return False  # a deadlock without the property
    fair = [i for i, tr in enumerate(pm.transitions) if tr[3]]
    for comp in tarjan(region, lambda s: [t for _, t in ex.succ[s] if t in region]):
        members = set(comp)
        inner = [(i, t) for s in comp for i, t in ex.succ[s] if t in members]
        if not inner:
            continue  # a single state without a self-loop: no cycle
        fired = {i for i, _ in inner}
        disabled_somewhere = {i for i in fair if any(i not in {j for j, _ in ex.succ[s]} for s in comp)}
        if all(i in fired or i in disabled_somewhere for i in fair):
            return False  # a fair cycle that never reaches the property
    return True


def tarjan(nodes: set[Any], edges: Callable[[Any], list[Any]]) -> list[list[Any]]:
    """Strongly connected components (Tarjan's algorithm, iterative)."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    out: list[list[Any]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(edges(w))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def is_fair_lasso(pm: PlainModel, states: list[tuple[Any, ...]], steps: list[int], loop: int, name: str) -> str | None:
    """Why the lasso (``states[loop:]`` closed by the last step) is not a fair counterexample
    to ``eventually name`` in this model, or None if it is one."""
    for k, s in enumerate(states):
        if pm.holds(name, s):
            return f"state {k} satisfies {name}"
    for k, i in enumerate(steps):
        if pm.step(i, states[k]) != states[k + 1]:
            return f"step {k + 1} does not lead to state {k + 1}"
    if states[-1] != states[loop]:
        return "the last state is not the loop state"
    cycle = states[loop:-1] if len(states) - 1 > loop else []
    if not cycle:  # an empty cycle: a deadlock
        s = states[-1]
        live = [i for i in range(len(pm.transitions)) if pm.step(i, s) is not None]
        return f"the final state is no deadlock ({len(live)} enabled)" if live else None
    fired = set(steps[loop:])
    for i, tr in enumerate(pm.transitions):
        if tr[3] and i not in fired and all(pm.step(i, s) is not None for s in cycle):
            return f"fair transition {tr[0]}.{tr[1]}{tr[2]} is always enabled on the cycle and never fires"
    return None
