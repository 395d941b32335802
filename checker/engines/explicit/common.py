"""What both explicit-state searches share: the bookkeeping of one run and trace rebuilding.

A search stores one (canonical) representative per class of symmetric states and, per
state, the transition that reached it from its parent's representative. That is not yet a
trace of the model: with symmetry on, the representative of a successor may be a
permutation of the real successor. `concrete_trace` walks from the initial state, at each
step firing a transition (concretely, with `runtime.fire`) whose successor is in the
recorded class; one always exists, because permuting the replicas maps transitions to
transitions. The result is replayed and confirmed like every BMC trace.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ...errors import InternalError
from ...lang.model import ModelInstance
from ...lang.runtime import CONCRETE, evaluate, fire
from ...trace import Trace, normalize, replay

State = tuple[Any, ...]
#: progress(depth, stored states, open properties, frontier size, states expanded so far), as
#: each BFS level starts and then at most every `TICK` seconds within a level
Progress = Callable[[int, int, list[str], int, int], None]
#: seconds between progress reports within one BFS level (a big level takes many seconds)
TICK = 0.25


def peak_rss() -> int:
    """This process's peak resident set size in bytes (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss() -> int:
    """This process's resident set size now, in bytes (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return peak_rss()


@dataclass
class Search:
    """One run: open properties, findings, counters, and why it stopped."""

    model: ModelInstance
    properties: list[str]
    max_states: int | None
    deadline: float | None
    progress: Progress | None
    started: float = field(default_factory=time.monotonic)
    pending: list[str] = field(init=False)
    found: dict[str, Trace] = field(default_factory=dict)
    states: int = 0
    fired: int = 0  # enabled (state, transition) pairs expanded
    fired_by: dict[int, int] = field(default_factory=dict)  # the same, per transition index (coverage)
    depth: int = 0  # BFS depth of the deepest stored state
    stop: str | None = None  # why the search ended before exhausting the state space
    exhaustive: bool = False
    bytes_per_state: float = 0.0
    backend: str = "?"
    symmetry: bool = False
    repacks: int = 0  # times the packed-key layout widened (numpy search)
    search_seconds: float = 0.0
    search_cpu_seconds: float = 0.0  # CPU time of the search (wall time misleads on a loaded machine)
    rss_growth: int = 0  # bytes the search added to this process's peak RSS
    scale_out: dict[str, Any] | None = None  # workers, transport, their peak RSS (`parallel`)
    note: str = ""  # e.g. why the numpy backend gave way to exact Python integers (`explicit_bounds`)
    workers_choice: str = ""  # ``--workers auto``: how many processes it chose, and why (`scaling`)
    # asked once a level, before the level is stored: may change ``max_states`` (`scaling`'s trial)
    on_level: Callable[[Search], None] | None = None
    expanded: int = 0  # frontier states expanded so far, over all levels (progress)
    _last_report: float = 0.0

    def __post_init__(self) -> None:
        self.pending = list(self.properties)
        self._level_start = 0

    def restart(self, note: str) -> Search:
        """A fresh run of the same search (same deadline), carrying ``note``."""
        fresh = Search(self.model, list(self.properties), self.max_states, self.deadline, self.progress, self.started)
        fresh.note = note
        return fresh

    def of_kind(self, *kinds: str) -> list[str]:
        return [n for n in self.pending if self.model.properties[n].kind in kinds]

    @property
    def going(self) -> bool:
        """Whether anything is left to look for (with no properties: explore everything)."""
        return bool(self.pending) or not self.properties

    def timed_out(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.stop = "timeout"
            return True
        return False

    def record(self, name: str, trace: Trace) -> None:
        self.found[name] = trace
        self.pending.remove(name)

    def report(self, frontier: int) -> None:
        """A new level starts with ``frontier`` states to expand."""
        self._level_start = self.expanded
        if self.progress is not None:
            self._last_report = time.monotonic()
            self.progress(self.depth, self.states, list(self.pending), frontier, self.expanded)

    def tick(self, done: int, frontier: int) -> None:
        """``done`` of this level's ``frontier`` states are expanded: report, at most every `TICK` s."""
        self.expanded = self._level_start + done
        if self.progress is not None and 0 < done < frontier and time.monotonic() - self._last_report >= TICK:
            self._last_report = time.monotonic()
            self.progress(self.depth, self.states, list(self.pending), frontier - done, self.expanded)

    def level_done(self, frontier: int) -> None:
        self.expanded = self._level_start + frontier

    def count(self, transition: int, n: int) -> None:
        """``n`` enabled (state, ``transition``) pairs expanded."""
        self.fired += n
        self.fired_by[transition] = self.fired_by.get(transition, 0) + n

    def limit_left(self) -> int | None:
        if self.on_level is not None:
            self.on_level(self)
        return None if self.max_states is None else self.max_states - self.states


def concrete_trace(
    model: ModelInstance,
    hints: list[int],
    targets: list[Hashable],
    key_of: Callable[[State], Hashable],
    prop: str | None,
    kind: str,
) -> Trace:
    """A replayed trace from an initial state through the classes ``targets`` (canonical
    keys, ``targets[0]`` an initial state's class: its first initial state starts the trace).
    ``hints[i]`` is the transition the search applied to the representative of class i:
    tried first, as it is right when no permutation is involved. For an action invariant
    the last step must also violate it."""
    start = next((s for s in model.inits if key_of(s) == targets[0]), None)
    if start is None:
        raise InternalError("explicit search: the trace's root is no initial state's class")
    last_kind = model.properties[prop].kind if prop is not None else None
    state, steps = start, []
    for i, hint in enumerate(hints, start=1):
        final = i == len(hints) and last_kind == "action_invariant"
        order = [model.transitions[hint]] + [t for t in model.transitions if t.index != hint]
        for t in order:
            nxt = fire(model, t, state)
            if nxt is None or key_of(nxt) != targets[i]:
                continue
            if final and bool(evaluate(model, CONCRETE, prop, state, nxt)):
                continue
            state = nxt
            steps.append(t)
            break
        else:
            raise InternalError(f"explicit search: no transition reaches the recorded state at step {i}")
    trace = Trace(model, replay(model, steps, start), steps, prop, kind)
    trace.confirm()
    return normalize(trace)  # the same canonical order of commuting steps as BMC's
