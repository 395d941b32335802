"""`prove`'s portfolio (``engine="auto"``): PDR, k-induction and BMC side by side.

PDR runs in a thread of this process, on the model it already has (`checker.engines.local`:
no process start-up before the engine that usually proves first), the others each in a child
process (`checker.engines.prove_child`; z3 gives no speed-up from threads, and z3 objects
cannot cross processes, so each child rebuilds the model from its class and parameters),
started only when PDR has not answered within ``_CHILDREN_AFTER`` seconds (or has given up):
most proofs need no child at all. Per property the first conclusive answer wins (proved, with
a re-checked certificate; or violated, with a replayed trace); once every property has one,
the other engines are stopped. A violation found in a child is replayed again here, from the
transitions' indices, before it is reported (`checker.engines.prove_wire`).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection as mp_connection
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

from .. import children, interrupts
from ..deadline import current, is_timeout
from ..encoding import Encoding
from ..errors import InternalError, RaceproofError
from ..lang.model import ModelInstance
from ..results import PropertyResult, Verdict
from .local import LocalEngine
from .prove_child import _reraise, _worker
from .prove_engine import _run
from .prove_wire import _restore

CONCLUSIVE = (Verdict.PROVED, Verdict.VIOLATED)
# The children's deadline is this much before the portfolio's, to leave them time to send what
# they found (their own hard stop comes 0.4 s after their deadline).
_SLACK = 0.8
_LOCAL = "pdr"  # the engine the portfolio runs in its own process (`checker.engines.local`)
_CHILDREN = ("kind", "bmc")  # ... and those it runs in child processes
# CPU seconds PDR runs alone before the children start (at most a tenth of the timeout): PDR
# proves the DNS fixes at 3 Enactors x 2 endpoints in 0.3-1.3 s of CPU on a quiet machine, up
# to twice that on a loaded one (where 2 s started them, only to be stopped again at once).
_CHILDREN_AFTER = 3.0
_CHILDREN_WALL = 20  # ... and at the latest after this many times as many seconds of the wall clock
_LEAVING_PATIENCE = 2.0  # seconds of interrupting a PDR thread inside z3 after Ctrl-C
_CHILDREN_POLL = 0.1  # seconds between looks at PDR's CPU time until then


def _children_after() -> float:
    """Seconds of PDR's CPU before the child engines start: ``RACEPROOF_CHILDREN_AFTER`` (0:
    every engine at once, as on a machine with cores to spare), else `_CHILDREN_AFTER`."""
    try:
        return max(float(os.environ.get("RACEPROOF_CHILDREN_AFTER", _CHILDREN_AFTER)), 0.0)
    except ValueError:  # not a number: the default (a tuning knob, not worth stopping a proof for)
        return _CHILDREN_AFTER


def _portfolio(
    model: ModelInstance,
    properties: list[str],
    options: dict[str, Any],
    progress: Callable[[str], None],
    encoding: Encoding | None = None,
) -> list[PropertyResult]:
    started = time.monotonic()
    timeout = options["timeout"]
    # One absolute deadline for every engine (time.monotonic is system-wide on Linux): a
    # child's start-up (Python, z3, rebuilding the model) comes out of the same time budget.
    at = started + timeout if timeout else None
    # the engines stop a little earlier, so that what they found arrives before ``at``
    child_at = None if at is None else at - min(_SLACK, timeout / 2)
    readers: dict[str, Any] = {}
    procs: dict[str, Any] = {}
    # PDR, the engine that usually proves first, here: no process to start (`checker.engines.local`)
    left = None if child_at is None else max(child_at - time.monotonic(), 0.01)
    local = LocalEngine(_LOCAL, lambda: _run(_LOCAL, model, properties, options | {"timeout": left}, encoding))
    readers[_LOCAL] = local.reader
    # The other engines start only when PDR has not answered soon: a child costs a fresh
    # Python, its imports and the model rebuilt (0.3-0.5 s of CPU each on a quiet machine),
    # as much as PDR's whole proof of the DNS fixes, and on two cores they would slow it down.
    # PDR's time is counted in CPU seconds of this process (this thread only waits), so that a
    # loaded machine does not start the children early; the wall clock starts them at the latest.
    after = _children_after()
    delay = min(after, timeout / 10 if timeout else after)
    cpu_at, spawn_at = time.process_time() + delay, started + delay * _CHILDREN_WALL
    spawned = False
    engines: tuple[str, ...] = (_LOCAL, *_CHILDREN)  # (a child that could not start is dropped)
    best: dict[str, PropertyResult] = {}
    fallback: dict[str, list[PropertyResult]] = {n: [] for n in properties}
    done: set[str] = set()
    now: dict[str, str] = {}  # each engine's phase, as it announced it
    nice = {_LOCAL: 0}  # each engine's niceness above this process's, as it reported it
    leaving = False
    try:
        local.start()  # in the `try`: a Timeout landing just after it still stops the thread (`_stop_all`)
        while len(done) < len(engines) and not all(n in best for n in properties):
            if not spawned and (_LOCAL in done or time.process_time() >= cpu_at or time.monotonic() >= spawn_at):
                spawned = True
                _spawn(model, properties, options, child_at, procs, readers)
                engines = (_LOCAL, *procs)
            if {"pdr", "kind"} <= done and timeout is None:
                break  # BMC alone can refute but never prove, and would run for ever
            if at is not None and time.monotonic() >= at:
                break  # the engines had their deadline (and its hard stop): no more waiting
            wait = 1.0 if at is None else min(1.0, max(at - time.monotonic(), 0.0))
            if not spawned:
                wait = min(wait, _CHILDREN_POLL)
            running = [e for e in engines if e not in done and e in readers]
            doing = " · ".join(now.get(e, f"{e} running") for e in running)
            progress(f"{doing} ({len(best)}/{len(properties)} decided)")
            for conn in mp_connection.wait([readers[e] for e in running], timeout=wait):
                engine = next(e for e in running if readers[e] is conn)
                try:
                    payload = conn.recv()
                except (EOFError, OSError):
                    done.add(engine)
                    continue  # the child died without an answer
                if payload[0] == "phase":  # what the engine is doing now (`checker.engines.phases`)
                    now[engine] = payload[1]
                    continue
                if payload[0] == "nice":  # the priority it runs at, relative to this process
                    nice[engine] = payload[1]
                    continue
                done.add(engine)
                if payload[0] == "error":
                    _reraise(payload)
                if engine == _LOCAL:
                    if local.error is not None:
                        _raise_local(local.error)
                    found = local.results or []
                else:
                    found = [_restore(model, d) for d in payload[1]]
                for r in found:
                    if r.verdict in CONCLUSIVE and r.name not in best:
                        best[r.name] = r
                    fallback[r.name].append(r)
    except BaseException as exc:  # the caller's deadline (`checker.deadline`): the answers so far stand
        leaving = isinstance(exc, KeyboardInterrupt)
        if not is_timeout(exc):
            raise
    finally:
        while True:  # a last Timeout landing in the clean-up must not leave an engine running
            try:
                _stop_all(local, procs, readers, leaving)
                break
            except BaseException as exc:
                if not is_timeout(exc):
                    raise
    if _LOCAL not in done and local.results:  # it ended as it was stopped: keep what it proved
        for r in local.results:
            if r.verdict in CONCLUSIVE and r.name not in best:
                best[r.name] = r
    elapsed = time.monotonic() - started
    out = []
    for n in properties:
        r = best.get(n) or _inconclusive(model, n, fallback[n], elapsed, timeout)
        r.extra["portfolio_seconds"] = round(elapsed, 3)
        r.extra["portfolio_nice"] = dict(nice)
        out.append(r)
    return out


def _spawn(
    model: ModelInstance,
    properties: list[str],
    options: dict[str, Any],
    child_at: float | None,
    procs: dict[str, Any],
    readers: dict[str, Any],
) -> None:
    """Start the portfolio's child engines (`_CHILDREN`), each answering on a pipe of its own."""
    ctx = multiprocessing.get_context("spawn")
    for e in _CHILDREN:
        # a pipe per engine, not a Queue: no semaphores, so nothing for the resource tracker to
        # clean up when it is stopped (`children.stop_tracker`)
        reader, writer = ctx.Pipe(duplex=False)
        procs[e] = ctx.Process(
            target=_worker,
            args=(e, model.model, model.param_dict(), properties, options, writer, os.getpid(), child_at),
            name=f"raceproof-{e}",
            daemon=True,
        )
        try:
            with interrupts.deferred():  # a Ctrl-C halfway through would leave a child unknown to `_stop_all`
                procs[e].start()
        except Exception:  # noqa: BLE001 - e.g. a model class a fresh process cannot import by name
            del procs[e]
            reader.close()
        else:
            readers[e] = reader
        writer.close()  # the child holds the other end: EOF here when it exits


def _stop_all(local: LocalEngine, procs: dict[str, Any], readers: dict[str, Any], leaving: bool = False) -> None:
    # ``leaving``: interrupted by the user, the process exits next: a PDR thread that z3 does not
    # let go of soon is left to die with it rather than waited for
    local.stop(_LEAVING_PATIENCE) if leaving else local.stop()
    children.stop(procs.values())
    for conn in readers.values():
        conn.close()
    children.stop_tracker()


def _raise_local(exc: BaseException) -> None:
    """An error of the engine run in this process, raised here as a child's would be."""
    if isinstance(exc, RaceproofError) or is_timeout(exc):
        raise exc
    text = "".join(traceback.format_exception(exc))
    raise InternalError(f"{_LOCAL}: {exc}\n{text}")


def _inconclusive(
    model: ModelInstance, name: str, tried: list[PropertyResult], elapsed: float, timeout: float | None
) -> PropertyResult:
    """The most useful non-answer: a CTI if k-induction found one, else the engines' reasons."""
    for r in tried:
        if "cti" in r.extra:
            return r
    reasons = [f"{r.engine}: {r.verdict.value}{' (' + r.reason + ')' if r.reason else ''}" for r in tried]
    if timeout is not None and elapsed >= timeout:
        d = current()  # the spec's whole deadline, when there is one, rather than this stage's share
        reasons.insert(0, d.describe() if d is not None and d.seconds is not None else f"timeout after {timeout:.1f} s")
    reason = "; ".join(reasons) or "no engine answered"
    return PropertyResult(name, model.properties[name].kind, Verdict.UNKNOWN, "auto", seconds=elapsed, reason=reason)
