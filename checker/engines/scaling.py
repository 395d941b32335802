"""How many processes (or Ray actors) an explicit search uses, and when.

`scale_out` sets it for a block of code (the CLI's ``check --workers/--ray``), so the
engine selection in `checker.run` needs no new parameters; `run_explicit`'s own
``workers``/``ray`` arguments win over it. Library calls default to one process.

``workers="auto"`` (the CLI's default) means all cores, but only once the search has
shown it is big: it first runs in this process with a budget of `AUTO_THRESHOLD`
states. Below that, workers do not pay (measured: 636,105 states cost 0.28 CPU seconds in
one process, 0.34 per core with 2 workers: hashing and exchanging each successor, and
numpy's per-call cost on the smaller per-worker levels); a larger instance restarts
partitioned, having spent about a second. The restart is from scratch, so its results are
exactly a partitioned search's.
"""

from __future__ import annotations

import contextlib
import os
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
            return search_exactly(compiled, search, groups)
        cap = search.max_states
        trial = search.restart(search.note)
        trial.max_states = AUTO_THRESHOLD if cap is None else min(cap, AUTO_THRESHOLD)
        trial = search_exactly(compiled, trial, groups)
        outgrew = trial.stop is not None and trial.stop.startswith("max_states") and trial.max_states != cap
        if not outgrew:
            trial.max_states = cap
            return trial
        if trial.backend != "numpy":  # exact Python integers (`explicit_bounds`): one process, the real cap
            return search_exactly(None, search.restart(trial.note), groups, trial.note)
        from .parallel import search_partitioned

        return search_partitioned(compiled, search, groups, cores)
    if workers == 1:
        return search_exactly(compiled, search, groups)
    from .parallel import search_partitioned

    return search_partitioned(compiled, search, groups, int(workers))


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
