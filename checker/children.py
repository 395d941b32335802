"""Worker processes that never outlive the command that started them.

`prove`'s portfolio and the gate's ``--jobs`` pool run work in child processes (spawned:
z3's state must not be shared). A parent can end without cleaning up: SIGKILL, SIGTERM
(whose default action runs no ``finally``), a crash. So every child, first thing, calls
`die_with_parent`:

* Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the child when its parent
  goes, even while the child is deep in z3's C code;
* then it compares ``getppid()`` with the pid the parent passed (the parent may have died
  before the prctl), and a daemon thread keeps comparing (other systems; and PDEATHSIG
  follows the parent *thread* that spawned the child, not the process);
* and it ignores Ctrl-C, which a terminal sends to the whole process group: the parent
  handles it and stops its children (`checker.interrupts`).

Grandchildren (a gate worker running a `prove` portfolio) do the same with their own parent,
so a kill anywhere takes the whole subtree down. The parent, for its part, terminates and
reaps its children on every normal or exceptional exit (`stop`), and `stop_tracker` ends
multiprocessing's resource tracker, which would otherwise outlive the command briefly.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

from . import interrupts

_PR_SET_PDEATHSIG = 1
_POLL = 0.5  # seconds between the fallback's parent checks


def pdeathsig() -> None:
    """Linux: the kernel sends this process SIGKILL when its parent ends (kept across exec, so
    it also serves as ``preexec_fn`` of `subprocess` for external programs such as ``z3``)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def die_with_parent(parent: int) -> None:
    """In a child process: be killed as soon as ``parent`` (its parent's pid) is gone; leave
    Ctrl-C to the parent, which stops its children (`checker.interrupts.ignore_in_child`)."""
    pdeathsig()
    interrupts.ignore_in_child()
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="raceproof-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(_POLL)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)


def stop(processes: Iterable[Any], wait: float = 2.0) -> None:
    """Terminate, then kill, and reap ``processes`` (multiprocessing.Process objects; one that
    never started is skipped)."""
    procs = []
    for p in processes:
        with contextlib.suppress(ValueError):  # (closed already)
            if p.pid is not None:
                procs.append(p)
    for p in procs:
        if p.is_alive():
            with contextlib.suppress(OSError, ValueError):
                p.terminate()
    ends = time.monotonic() + wait
    for p in procs:
        with contextlib.suppress(ValueError):
            p.join(timeout=max(ends - time.monotonic(), 0.0))
    for p in procs:
        with contextlib.suppress(ValueError):
            if p.is_alive():
                p.kill()
                p.join(timeout=wait)


def stop_tracker() -> None:
    """End multiprocessing's resource tracker once no child needs it (it restarts on demand).

    It is a child of this process that exits only when every holder of its pipe is gone; after
    our own exit it would be left running for a moment. Call this only after `stop`."""
    with contextlib.suppress(Exception):
        from multiprocessing import resource_tracker

        tracker = resource_tracker._resource_tracker  # noqa: SLF001 - no public way to stop it
        stop_fn = getattr(tracker, "_stop", None)
        if stop_fn is not None and getattr(tracker, "_pid", None) is not None:
            stop_fn()
