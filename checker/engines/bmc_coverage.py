"""Action coverage for BMC: which action declarations can fire within the bound.

An action fires within N steps if some trace of *at most* N steps fires it, and then the
trace's prefix that ends with that firing is a trace too. So the question is asked step by
step: at each depth k (1..N) of an unrolling grown one step at a time, whether the *last*
step (k-1) can be one of the action's transitions. Asking "some step of a trace of exactly N
steps" instead would miss an action that only fires on behaviours that stop (deadlock)
before N steps, and report it as never fired.

Actions seen in a trace the check already found are covered for free. Next the check's own
unrolling (when still satisfiable) is asked once for any uncovered action at any step: every
satisfying assignment is a whole trace, replayed concretely before it counts, so each action
on it is covered too, and most models need a query or two. Only the actions still uncovered
are asked depth by depth on a fresh unrolling; an unsatisfiable query at every depth up to
``bound`` means no trace of up to ``bound`` steps fires the action. When no trace is longer
than some depth (every behaviour ends), the depths asked cover every behaviour. That claim
(the scope "every behaviour: all end within N steps") never rests on symmetry breaking: where
the unrolling was reduced, it is re-checked on one without the reduction, and without that
re-check passing the scope says only "within N steps".
"""

from __future__ import annotations

import time

import z3

from ..coverage import action_coverage, action_key, action_keys
from ..encoding import Encoding
from ..trace import Trace
from .bmc_reach import EnabledSteps
from .bmc_unroll import Unrolling


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
    steps. ``unrolling`` is the check's own (its solver reused when it is still satisfiable);
    ``exhausted_at`` is the length every behaviour ends within, if the check found one (without
    symmetry breaking, or re-checked without it: `run_bmc`)."""
    model = enc.model
    live = [t.index for t, _ in enc.fired]
    live_set = set(live)
    keys = {k: [i for i in idx if i in live_set] for k, idx in action_keys(model).items()}
    fired: dict[str, int | None] = {}
    for trace in traces or []:
        _note(trace, fired)
    todo = [k for k, idx in keys.items() if idx and k not in fired]
    depth, exhaustive = bound, False
    if exhausted_at is not None:
        depth, exhaustive = min(bound, exhausted_at), True
    # the depth up to which the check's range checks passed: its per-step pruning (`bmc_reach`)
    # rests on them, so it applies to the steps from those states only
    checked = unrolling.depth if unrolling is not None and unrolling.reach is not None else 0
    reach = unrolling.reach if unrolling is not None else None
    if todo and reach is not None and depth <= checked:
        # An action none of whose transitions can be enabled at any step within the bound (the
        # over-approximation of `bmc_reach`, which keeps every transition that can fire) never fires
        steps = [reach.at(k) for k in range(depth)]
        if all(s is not None for s in steps):
            todo = [k for k in todo if any(i in s for s in steps if s is not None for i in keys[k])]
    if todo and exhausted_at is None and unrolling is not None and unrolling.oracles and unrolling.depth <= depth:
        # the check's solver (traces of exactly its depth): a quick way to see most actions fire;
        # its "unsat" says nothing about shorter traces, so only its witnesses are used
        _ask_any(unrolling, keys, todo, fired, deadline)
        todo = [k for k in todo if k not in fired]
    unknown: set[str] = set()
    if todo and deadline is not None and time.monotonic() >= deadline:
        unknown = set(todo)  # no time to ask (the check's hard stop): undecided, never "never fired"
    elif todo:
        names = unrolling.properties if unrolling is not None else None
        # the fresh unrolling keeps the check's decision on symmetry (the same properties)
        u = Unrolling(enc, symmetry, names, prune=False)
        depth, ended, unknown = _depth_by_depth(u, reach, checked, keys, todo, fired, depth, deadline)
        if ended and u.decision.groups:  # ended in the reduced unrolling: not yet "every behaviour"
            ended = _ends_unreduced(enc, depth, checked, deadline)
        exhaustive = exhaustive or ended
    unknown -= set(fired)
    if unknown and deadline is not None and time.monotonic() >= deadline:
        scope = f"timeout before deciding, within {depth} steps"
    elif exhaustive:
        scope = f"every behaviour: all end within {depth} steps"
    else:
        scope = f"within {depth} steps"
    return action_coverage(model, live, fired, True, scope, unknown)


def _depth_by_depth(
    u: Unrolling,
    reach: EnabledSteps | None,
    checked: int,
    keys: dict[str, list[int]],
    todo: list[str],
    fired: dict[str, int | None],
    depth: int,
    deadline: float | None,
) -> tuple[int, bool, set[str]]:
    """Extend ``u`` (fresh) step by step up to ``depth``, asking at each depth whether its last
    step can fire an action of ``todo``. Returns the depth decided (less than ``depth`` when
    out of time, or when no trace is longer), whether every behaviour ends within it, and the
    actions a query left undecided."""
    unknown: set[str] = set()
    while todo and u.depth < depth:
        if deadline is not None and time.monotonic() >= deadline:
            unknown.update(todo)  # decided only within the depths asked so far
            return u.depth, False, unknown
        # The check's range checks passed for its states, so up to its depth the states lie in
        # their declared ranges (telling the solver loses nothing), and its pruning holds for the
        # steps from them; past it neither is known (a deeper write may be out of range)
        if u.depth < checked:
            u.solver.add(u.enc.domain(u.states[-1]))
        u.reach = reach if u.depth < checked else None
        u.extend()
        last = u.oracles[-1]
        alive = False  # whether some trace is this long
        while todo:
            answer = u.query(z3.Or([last == i for k in todo for i in keys[k]]), deadline)
            if answer == z3.sat:
                alive = True
                _note(u.trace(u.depth, None, "witness"), fired)
                todo[:] = [k for k in todo if k not in fired]
                continue
            if answer == z3.unknown:  # one action at a time: some may still be decided
                for key in list(todo):
                    if key in fired:
                        continue  # on the trace of an earlier answer
                    one = u.query(z3.Or([last == i for i in keys[key]]), deadline)
                    if one == z3.sat:
                        alive = True
                        _note(u.trace(u.depth, None, "witness"), fired)
                    elif one == z3.unknown:
                        unknown.add(key)  # asked again deeper; undecided unless seen firing there
                todo[:] = [k for k in todo if k not in fired]
            break
        if todo and not alive and u.query(z3.BoolVal(True), deadline) == z3.unsat:
            return u.depth - 1, True, unknown  # no trace is this long: every behaviour was asked about
    return depth, False, unknown


def _ends_unreduced(enc: Encoding, steps: int, checked: int, deadline: float | None) -> bool:
    """Whether no behaviour at all, without symmetry breaking, is longer than ``steps`` (with the
    states assumed in range only up to ``checked``, as the reduced unrolling assumed them)."""
    u = Unrolling(enc, symmetry=False, prune=False)
    while u.depth <= steps:
        if u.depth < checked:
            u.solver.add(enc.domain(u.states[-1]))
        u.extend()
    return u.query(z3.BoolVal(True), deadline) == z3.unsat


def _ask_any(
    u: Unrolling,
    keys: dict[str, list[int]],
    todo: list[str],
    fired: dict[str, int | None],
    deadline: float | None,
) -> None:
    """Actions of ``todo`` that fire at any step of some trace of the unrolling's current
    depth: one query for all of them, repeated while it finds a trace with a new one."""
    while True:
        todo = [k for k in todo if k not in fired]
        if not todo:
            return
        goal = z3.Or([o == i for o in u.oracles for k in todo for i in keys[k]])
        if u.query(goal, deadline) != z3.sat:
            return
        _note(u.trace(u.depth, None, "witness"), fired)


def _note(trace: Trace, fired: dict[str, int | None]) -> None:
    """Every action on ``trace`` fires (the trace was replayed concretely: "this action fires"
    is never the solver's word alone)."""
    for t in trace.transitions:
        fired[action_key(t)] = None
