"""Action coverage for BMC: which action declarations can fire within the bound.

Actions seen in a trace the check already found are covered for free. For each other one
the unrolling's solver is asked, under push/pop, whether its oracle value can be taken at
some step: one query per action, a disjunction over every step and every transition of
the declaration. A satisfying assignment is a whole trace, replayed concretely before it
counts, so every action on it is covered too, and most models need a query or two. An
unsatisfiable query means no trace of up to ``bound`` steps fires the action.

The unrolling is extended to the bound first when the check stopped short of it (every
property answered early). Extending is not undone, so where no trace is long enough (the
model always stops sooner) the solver is dead; coverage then starts a fresh unrolling as
long as the longest trace, and the verdict covers every behaviour.
"""

from __future__ import annotations

import time

import z3

from ..coverage import action_coverage, action_key, action_keys
from ..encoding import Encoding
from ..trace import Trace
from .bmc import Unrolling


def bmc_coverage(
    enc: Encoding,
    bound: int,
    deadline: float | None,
    symmetry: bool = True,
    unrolling: Unrolling | None = None,
    traces: list[Trace] | None = None,
    exhausted_at: int | None = None,
) -> dict:
    """The coverage record (`checker.coverage.action_coverage`) of traces of up to ``bound``
    steps. ``unrolling`` is the check's own (reused when it is still satisfiable);
    ``exhausted_at`` is the length every behaviour ends within, if the check found one."""
    model = enc.model
    live = [t.index for t, _ in enc.fired]
    live_set = set(live)
    keys = {k: [i for i in idx if i in live_set] for k, idx in action_keys(model).items()}
    fired: dict[str, int | None] = {}
    for trace in traces or []:
        for t in trace.transitions:
            fired[action_key(t)] = None
    todo = [k for k, idx in keys.items() if idx and k not in fired]
    unknown: list[str] = []
    u, depth, exhaustive = unrolling, bound, False
    if exhausted_at is not None:
        depth, exhaustive, u = min(bound, exhausted_at), True, None
    if todo and unrolling is not None and unrolling.reach is not None and depth <= unrolling.depth:
        # An action none of whose transitions can be enabled at any step within the bound (the
        # over-approximation of `bmc_reach`, which keeps every transition that can fire) never
        # fires: no query needed. Only within the depth the check reached: its range checks
        # are what that analysis rests on
        steps = [unrolling.reach.at(k) for k in range(depth)]
        if all(s is not None for s in steps):
            todo = [k for k in todo if any(i in s for s in steps if s is not None for i in keys[k])]
    if todo and u is not None and u.oracles and u.depth <= depth:
        # Actions that fire within the depth the check reached need no longer unrolling: ask there
        # first, and extend (step by step, each a query) only for the actions still not seen
        _ask(u, keys, todo, fired, [], deadline)
        todo = [k for k in todo if k not in fired]
    if todo:
        # the fresh unrollings keep the check's decision on symmetry (the same properties)
        names = unrolling.properties if unrolling is not None else None
        if u is None or u.depth > depth:
            u = Unrolling(enc, symmetry, names, prune=False)
        # steps past the check's depth are built without its range checks: no pruning (`bmc_reach`)
        u.reach = None
        while u.depth < depth:
            if deadline is not None and time.monotonic() >= deadline:
                depth = u.depth  # out of time: what is decided below is decided within this many steps
                break
            u.extend()
            if u.query(z3.BoolVal(True), deadline) == z3.unsat:  # no trace is this long
                depth, exhaustive = u.depth - 1, True
                u = Unrolling(enc, symmetry, names, prune=False)
                for _ in range(depth):
                    u.extend()
                break
        _ask(u, keys, todo, fired, unknown, deadline)
    if deadline is not None and time.monotonic() >= deadline and unknown:
        scope = f"timeout before deciding, within {depth} steps"
    elif exhaustive:
        scope = f"every behaviour: all end within {depth} steps"
    else:
        scope = f"within {depth} steps"
    return action_coverage(model, live, fired, True, scope, unknown)


def _ask(
    u: Unrolling,
    keys: dict[str, list[int]],
    todo: list[str],
    fired: dict[str, int | None],
    unknown: list[str],
    deadline: float | None,
) -> None:
    """Whether each action of ``todo`` fires on some trace of the unrolling (its current depth)."""
    for key in todo:
        if key in fired:
            continue  # seen on the trace of an earlier query
        goal = z3.Or([o == i for o in u.oracles for i in keys[key]]) if u.oracles else z3.BoolVal(False)
        answer = u.query(goal, deadline)
        if answer == z3.sat:
            # replayed concretely (and compared with the solver's states), like every trace:
            # "this action fires" is never the solver's word alone
            trace = u.trace(u.depth, None, "witness")
            for t in trace.transitions:
                fired[action_key(t)] = None
        elif answer == z3.unknown:
            unknown.append(key)
