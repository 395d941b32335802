"""How many processes (or Ray actors) an explicit search uses, and when.

`scale_out` sets it for a block of code (the CLI's ``check --workers/--ray``), so the
engine selection in `checker.run` needs no new parameters; `run_explicit`'s own
``workers``/``ray`` arguments win over it. Library calls default to one process.

``workers="auto"`` (the CLI's default) partitions a search only where that is expected to
be faster in wall-clock. It first runs in this process with a budget of `AUTO_THRESHOLD`
states. Below that, workers do not pay (measured: 636,105 states cost 0.28 CPU seconds in
one process, 0.34 per core with 2 workers: hashing and exchanging each successor, and
numpy's per-call cost on the smaller per-worker levels). While that trial runs, it measures
how many of this process's cores were idle (`IdleCores`: Linux ``/proc/stat``); the cores a
partitioned search can use are this one plus those, and its expected speed-up is that over
`PARTITION_CPU_FACTOR` (the partitioned search's CPU over one process's). Only if that
exceeds `MIN_GAIN` does a larger instance restart partitioned (from scratch, so its results
are exactly a partitioned search's, having spent about a second); otherwise the trial's cap
is lifted and the search goes on in this process, losing nothing. Where the idle cores
cannot be measured, it partitions from `BLIND_MIN_CORES` cores up.

Measured (issue 15 §4, fencing_token 3x2, 8 plans, 2 cores): without symmetry (4,332,914
states) one process takes 4.9-5.7 CPU s, 2 workers 7.2-8.6 (a factor ~1.45: hashing, routing
and exchanging each successor); with symmetry (722,432 states) 1.4-1.6 against 2.1-2.7 (~1.7).
On two free cores that bounds the speed-up at ~1.4 and ~1.2, less the level barriers, so on 2
cores `auto` partitions only a search without symmetry, and only if the other core was idle:
with another process busy on it, 2 workers took 8.2 s against one process's 5.8 s (0.7x),
their barriers waiting for whichever worker the scheduler left waiting (`--stats` of a
partitioned search shows each worker's barrier and run-queue seconds).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import RaceproofError
from ..lang.model import Instance
from .explicit.common import Search

if TYPE_CHECKING:  # numpy only where a search runs: the CLI imports this module for its options
    from .explicit.compile import Compiled

#: states searched in one process before ``workers="auto"`` goes parallel
AUTO_THRESHOLD = 1_000_000
#: CPU seconds of a partitioned search over one process's (measured: see above), without and with symmetry
PARTITION_CPU_FACTOR = 1.45
PARTITION_CPU_FACTOR_SYMMETRY = 1.7
#: the least expected wall speed-up for which ``workers="auto"`` partitions (margin for the level barriers)
MIN_GAIN = 1.2
#: where idle cores cannot be measured, ``workers="auto"`` partitions from this many cores up
BLIND_MIN_CORES = 4
#: wall seconds of the trial over which its idle cores are measured before deciding
IDLE_WINDOW = 0.25


@dataclass(frozen=True)
class ScaleOut:
    workers: int | str = 1  # a count, or "auto"
    ray: str | None = None  # "auto" (a local Ray cluster) or the address of a running one


_SETTING: ContextVar[ScaleOut | None] = ContextVar("raceproof_scale_out", default=None)


@contextlib.contextmanager
def scale_out(workers: int | str = 1, ray: str | None = None) -> Iterator[None]:
    token = _SETTING.set(ScaleOut(parse_workers(workers), ray))
    try:
        yield
    finally:
        _SETTING.reset(token)


def current() -> ScaleOut:
    return _SETTING.get() or ScaleOut()


def parse_workers(value: int | str) -> int | str:
    """An int >= 1 or "auto"; anything else is bad input."""
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return "auto"
        try:
            value = int(value)
        except ValueError:
            raise RaceproofError(f"--workers must be a number of processes or 'auto', not {value!r}") from None
    if value < 1:
        raise RaceproofError(f"--workers must be at least 1, not {value}")
    return value


def search_scaled(
    compiled: Compiled,
    search: Search,
    groups: list[list[Instance]],
    workers: int | str | None = None,
    ray: str | None = None,
) -> Search:
    """Run the numpy search in one process, or partitioned (`parallel`) as configured."""
    setting = current()
    workers = parse_workers(setting.workers if workers is None else workers)
    ray = setting.ray if ray is None else ray
    from .explicit.matrix import search_exactly

    # `parallel` (and multiprocessing) is imported only where a search is partitioned: most
    # searches run in this process, and the import is a noticeable part of a quick check
    if ray is not None:
        from .parallel import search_partitioned

        count = 2 if workers == "auto" else int(workers)
        return search_partitioned(compiled, search, groups, max(count, 1), ray)
    if not hasattr(os, "fork"):  # workers inherit the compiled model by fork (multiprocessing offers it iff os does)
        workers = 1
    if workers == "auto":
        cores = available_cores()
        if cores == 1:
            search.workers_choice = "1 process (1 core)"
            return search_exactly(compiled, search, groups)
        cap = search.max_states
        trial = search.restart(search.note)
        trial.max_states = AUTO_THRESHOLD if cap is None else min(cap, AUTO_THRESHOLD)
        decision = AutoDecision(cores, cap)
        trial.on_level = decision
        trial = search_exactly(compiled, trial, groups)
        trial.on_level = None
        outgrew = trial.stop is not None and trial.stop.startswith("max_states") and trial.max_states != cap
        if not outgrew:
            trial.max_states = cap
            lifted = decision.choice and not decision.workers
            trial.workers_choice = decision.choice if lifted else f"1 process (under {AUTO_THRESHOLD:,} states)"
            return trial
        if not decision.choice:  # outgrew before the idle window closed (a very fast machine)
            decision.decide(trial.symmetry)
        if trial.backend != "numpy":  # exact Python integers (`explicit_bounds`): one process, the real cap
            fresh = search.restart(trial.note)
            fresh.workers_choice = "1 process (exact integers)"
            return search_exactly(None, fresh, groups, trial.note)
        if not decision.workers:  # lifted too late to keep the trial: one process, from scratch
            search.workers_choice = decision.choice
            return search_exactly(compiled, search, groups)
        from .parallel import search_partitioned

        search.workers_choice = decision.choice
        return search_partitioned(compiled, search, groups, decision.workers)
    if workers == 1:
        return search_exactly(compiled, search, groups)
    from .parallel import search_partitioned

    return search_partitioned(compiled, search, groups, int(workers))


class IdleCores:
    """How many of this process's cores were idle since it was made: from the idle and iowait
    jiffies of each core in ``/proc/stat`` (Linux). None where that cannot be read."""

    def __init__(self) -> None:
        self.cpus = _affinity()
        self.start = _cpu_times(self.cpus)

    def since(self) -> float | None:
        now = _cpu_times(self.cpus)
        if self.start is None or now is None:
            return None
        idle = 0.0
        for cpu, (idle1, total1) in now.items():
            idle0, total0 = self.start.get(cpu, (idle1, total1))
            if total1 > total0:
                idle += (idle1 - idle0) / (total1 - total0)
        return idle


def _affinity() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return None


def _cpu_times(cpus: set[int] | None) -> dict[int, tuple[int, int]] | None:
    """{core: (idle + iowait jiffies, all jiffies)} for ``cpus`` (None: every core)."""
    try:
        with open("/proc/stat") as f:
            lines = [line.split() for line in f if line.startswith("cpu") and line[3:4].isdigit()]
        out = {}
        for fields in lines:
            cpu, ticks = int(fields[0][3:]), [int(x) for x in fields[1:9]]
            if cpus is None or cpu in cpus:
                out[cpu] = (ticks[3] + ticks[4], sum(ticks))
        return out or None
    except (OSError, ValueError, IndexError):
        return None


class AutoDecision:
    """``workers="auto"``'s choice, made once during the one-process trial (a `Search.on_level`
    hook): after `IDLE_WINDOW` seconds it measures the idle cores, and either keeps the trial's
    cap (the search will restart partitioned over `workers`) or lifts it (the search goes on in
    this process: nothing is lost)."""

    def __init__(self, cores: int, cap: int | None):
        self.cores, self.cap = cores, cap
        self.idle = IdleCores()
        self.started = time.monotonic()
        self.workers = 0  # 0: one process
        self.choice = ""

    def __call__(self, search: Search) -> None:
        if self.choice or time.monotonic() - self.started < IDLE_WINDOW:
            return
        self.decide(search.symmetry)
        if not self.workers:
            search.max_states = self.cap

    def decide(self, symmetry: bool) -> None:
        free = self.idle.since()
        if free is None:
            if self.cores >= BLIND_MIN_CORES:
                self.workers = self.cores
                self.choice = f"{self.cores} worker processes ({self.cores} cores; idle cores not measurable)"
            else:
                self.choice = f"1 process ({self.cores} cores, idle not measurable: partitions from {BLIND_MIN_CORES})"
            return
        usable = min(float(self.cores), 1.0 + free)
        gain = usable / (PARTITION_CPU_FACTOR_SYMMETRY if symmetry else PARTITION_CPU_FACTOR)
        why = f"{free:.1f} of {self.cores - 1} other cores idle, expected speed-up {gain:.2f}"
        if gain > MIN_GAIN:
            self.workers = max(2, min(self.cores, int(usable + 0.5)))
            self.choice = f"{self.workers} worker processes ({why})"
        else:
            self.choice = f"1 process ({why}: partitions above {MIN_GAIN})"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
