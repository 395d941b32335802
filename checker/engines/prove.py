"""`prove`: the proof engines behind one call, alone or side by side.

``engine="kind"`` and ``engine="pdr"`` run one engine in this process. ``engine="auto"``
runs PDR, k-induction and BMC side by side: PDR in a thread of this process, on the model it
already has (`checker.engines.local`: no process start-up before the engine that usually
proves first), the others each in a child process (z3 gives no speed-up from threads, and z3
objects cannot cross processes, so each child rebuilds the model from its class and
parameters), started only when PDR has not answered within ``_CHILDREN_AFTER`` seconds (or
has given up): most proofs need no child at all.

PDR and BMC (which finds violations) run at normal priority, BMC beyond the
spec's bound (``bound``) and k-induction at ``nice 10``. Per property the first conclusive
answer wins (proved, with a re-checked certificate; or violated, with a replayed trace);
once every property has one, the other engines are stopped. A violation found in a child is
replayed again here, from the transitions' indices, before it is reported.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection as mp_connection
import os
import re
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import children, interrupts
from ..atomic import write_text_atomic
from ..deadline import Deadline, current, is_timeout, run_within
from ..encoding import Encoding
from ..errors import InternalError, ModelError, OutputError, RaceproofError
from ..lang.intervals import is_gap_error
from ..lang.model import Model, ModelInstance
from ..results import PropertyResult, Verdict
from ..trace import Trace, replay
from . import phases
from .bmc import run_bmc
from .finite_proof import prove_finite
from .kind import DEFAULT_MAX_K, run_kind
from .local import LocalEngine
from .pdr import run_pdr

ENGINES = ("auto", "kind", "pdr")
CONCLUSIVE = (Verdict.PROVED, Verdict.VIOLATED)
# The children's deadline is this much before the portfolio's, to leave them time to send what
# they found (their own hard stop comes 0.4 s after their deadline).
_SLACK = 0.8
_BMC_DEPTH = 10_000  # BMC in the portfolio runs until stopped
_BMC_DEPTH_PHASE = re.compile(r"bmc: depth (\d+)")  # BMC's announcement of the depth it starts (`run_bmc`)
_NICE = 10
_NICED = ("kind",)  # the engines that run at `nice _NICE` (see `_worker`)
_LOCAL = "pdr"  # the engine the portfolio runs in its own process (`checker.engines.local`)
_CHILDREN = ("kind", "bmc")  # ... and those it runs in child processes
# CPU seconds PDR runs alone before the children start (at most a tenth of the timeout): PDR
# proves the DNS fixes at 3 Enactors x 2 endpoints in 0.3-1.3 s of CPU on a quiet machine, up
# to twice that on a loaded one (where 2 s started them, only to be stopped again at once).
_CHILDREN_AFTER = 3.0
_CHILDREN_WALL = 20  # ... and at the latest after this many times as many seconds of the wall clock
_LEAVING_PATIENCE = 2.0  # seconds of interrupting a PDR thread inside z3 after Ctrl-C
_CHILDREN_POLL = 0.1  # seconds between looks at PDR's CPU time until then


def prove(
    model: ModelInstance,
    properties: list[str],
    engine: str = "auto",
    timeout: float | None = None,
    certificate: str | Path | None = None,
    *,
    strengthen: list[str] | tuple[str, ...] = (),
    max_k: int = DEFAULT_MAX_K,
    sets: str = "auto",
    progress: Callable[[str], None] | None = None,
    bound: int | None = None,
) -> list[PropertyResult]:
    """Prove or refute each of ``properties`` for every reachable state.

    Verdicts: PROVED (``checked``; ``extra["invariant"]`` lists the invariant's conjuncts in
    the model's names, ``extra["certificate"]`` is the SMT-LIB2 file when ``certificate`` is
    given), VIOLATED (a replayed trace), or UNKNOWN with a reason (timeout; or a
    counterexample to induction in ``extra["cti"]``, which is not a real violation).
    ``strengthen`` names extra invariants of the model that k-induction proves along.
    ``bound`` (the spec's depth, for ``engine="auto"``): the portfolio's BMC searches that deep
    at normal priority, as `check` would, and deeper at ``nice 10`` (None: all at normal priority).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    for name in list(properties) + list(strengthen):
        if name not in model.properties:
            raise ModelError(f"unknown property '{name}' (this model has: {', '.join(model.properties)})")
    options = {"timeout": timeout, "strengthen": tuple(strengthen), "max_k": max_k, "sets": sets, "bound": bound}
    if engine == "auto":
        tell = progress or (lambda _: None)
        started = time.monotonic()
        # a finite instance small enough to enumerate: its reachable set is the invariant (and
        # a property false in it gets the explicit engine's trace, as from `check`)
        try:  # under the deadline: building the encoding and enumerating run model code here
            enc, decided = run_within(timeout, _finite_first, model, list(properties), timeout, tell, sets)
        except BaseException as exc:  # model code that never returns: the portfolio says "timeout"
            if not is_timeout(exc):
                raise
            enc, decided = None, {}
        left = [n for n in properties if n not in decided]
        if timeout is not None:
            options["timeout"] = max(timeout - (time.monotonic() - started), 0.01)
        found = {r.name: r for r in _portfolio(model, left, options, tell, enc)} if left else {}
        results = [decided.get(n) or found[n] for n in properties]
    else:
        with phases.listening(progress):
            results = _run(engine, model, list(properties), options)
    _write_certificates(results, certificate)
    return results


def _children_after() -> float:
    """Seconds of PDR's CPU before the child engines start: ``RACEPROOF_CHILDREN_AFTER`` (0:
    every engine at once, as on a machine with cores to spare), else `_CHILDREN_AFTER`."""
    try:
        return max(float(os.environ.get("RACEPROOF_CHILDREN_AFTER", _CHILDREN_AFTER)), 0.0)
    except ValueError:  # not a number: the default (a tuning knob, not worth stopping a proof for)
        return _CHILDREN_AFTER


def _finite_first(
    _deadline: Deadline,
    model: ModelInstance,
    properties: list[str],
    timeout: float | None,
    tell: Callable[[str], None],
    sets: str,
) -> tuple[Encoding | None, dict[str, PropertyResult]]:
    """The encoding, built once (for the finite check, then for PDR), and what the finite
    instance's reachable set decides (`checker.engines.finite_proof`)."""
    enc = _encoding(model, sets)
    return enc, {r.name: r for r in prove_finite(model, properties, timeout, progress=tell, encoding=enc)}


def _encoding(model: ModelInstance, sets: str) -> Encoding | None:
    try:
        return Encoding(model, sets=sets)
    except ModelError:  # reported by the engine that builds it again (or the encoding falls back to arrays)
        return None


def _run(
    engine: str,
    model: ModelInstance,
    properties: list[str],
    options: dict[str, Any],
    encoding: Encoding | None = None,
) -> list[PropertyResult]:
    """``encoding``: the model's, with ``options["sets"]``, if the caller has it already."""
    try:
        return _run_with(engine, model, properties, options, options["sets"], encoding)
    except ModelError as exc:
        if options["sets"] != "auto" or not is_gap_error(exc.message):
            raise
    # A reachable state where a set held as an interval would need a gap: that was the
    # encoding's choice, not the model's fault. Arrays represent every set.
    results = _run_with(engine, model, properties, options, "array")
    for r in results:
        r.extra["sets"] = "array (a reachable step leaves a gap in an interval-encoded set)"
    return results


def _run_with(
    engine: str,
    model: ModelInstance,
    properties: list[str],
    options: dict[str, Any],
    sets: str,
    encoding: Encoding | None = None,
) -> list[PropertyResult]:
    enc = encoding or Encoding(model, sets=sets)
    timeout = options["timeout"]
    if engine == "kind":
        return run_kind(model, properties, options["max_k"], timeout, options["strengthen"], enc)
    if engine == "pdr":
        return run_pdr(model, properties, timeout, enc)
    if engine == "bmc":
        return run_bmc(model, properties, _BMC_DEPTH, timeout, enc)
    raise ValueError(engine)  # pragma: no cover


def _write_certificates(results: list[PropertyResult], path: str | Path | None) -> None:
    """One file per distinct certificate: ``path`` itself, then ``stem.2.suffix``, ..."""
    written: dict[str, str] = {}
    failed: dict[str, str] = {}
    for r in results:
        text = r.extra.pop("certificate_text", None)
        if text is None or path is None:
            continue
        if text not in written and text not in failed:
            base, n = Path(path), len(written) + len(failed)
            target = base if not n else base.with_name(f"{base.stem}.{n + 1}{base.suffix}")
            try:
                write_text_atomic(target, text)
            except OutputError as exc:  # the proof stands; the CLI reports the file it could not write
                failed[text] = str(exc)
            else:
                written[text] = str(target)
        if text in failed:
            r.extra["certificate_error"] = failed[text]
        else:
            r.extra["certificate"] = written[text]


# ---------------------------------------------------------------------------- portfolio
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


def _worker(
    engine: str,
    cls: type[Model],
    params: dict[str, Any],
    properties: list[str],
    options: dict[str, Any],
    answers: Any,
    parent: int,
    at: float | None,
) -> None:
    children.die_with_parent(parent)
    before = os.nice(0) if hasattr(os, "nice") else 0

    def niced() -> int:  # how much lower than the command this engine runs
        return os.nice(0) - before if hasattr(os, "nice") else 0

    try:
        if engine in _NICED and hasattr(os, "nice"):
            # Three engines on (here) two cores: PDR, the one that proves, and BMC, the one that
            # finds violations, keep normal priority; k-induction, which does a little of both
            # and is rarely first, yields to them. (BMC niced too starved on a loaded machine:
            # a violation that `check` finds in 6 s took `prove` minutes.)
            os.nice(_NICE)
        answers.send(("nice", niced()))
        left = None if at is None else max(at - time.monotonic(), 0.01)

        def phase(text: str) -> None:  # for the parent's progress line
            answers.send(("phase", text))
            deeper = _BMC_DEPTH_PHASE.match(text)
            bound = options.get("bound")
            past = deeper is not None and bound is not None and int(deeper[1]) > bound
            if engine == "bmc" and past and hasattr(os, "nice") and niced() == 0:
                # past the spec's bound, where `check` would have stopped: yield to PDR
                os.nice(_NICE)
                answers.send(("nice", niced()))

        try:
            with phases.listening(phase):
                results = run_within(left, _build_and_run, engine, cls, params, properties, options | {"timeout": left})
        except BaseException as exc:
            if not is_timeout(exc):
                raise
            answers.send(("ok", []))  # the deadline passed before this engine had an answer
            return
        answers.send(("ok", [_portable(r) for r in results]))
    except RaceproofError as exc:
        answers.send(("error", type(exc).__name__, exc.message, exc.file, exc.line))
    except Exception as exc:  # noqa: BLE001 - reported in the parent as an internal error
        answers.send(("error", "InternalError", f"{engine}: {exc}\n{traceback.format_exc()}", None, None))


def _build_and_run(
    _: Deadline, engine: str, cls: type[Model], params: dict[str, Any], properties: list[str], options: dict[str, Any]
) -> list[PropertyResult]:
    return _run(engine, cls.build(**params), properties, options)


def _reraise(payload: tuple[Any, ...]) -> None:
    _, kind, message, file, line = payload
    if kind == "ModelError" or kind == "NotAnInterval":
        raise ModelError(message, file, line)
    if kind == "InternalError":
        raise InternalError(message)
    raise RaceproofError(message, file, line)


# ---------------------------------------------------------------------------- crossing processes
def _portable(r: PropertyResult) -> dict[str, Any]:
    """A result as plain data (no z3 objects, no model): traces become transition indices."""
    extra = {k: (_portable_trace(v) if isinstance(v, Trace) else v) for k, v in r.extra.items()}
    return {
        "name": r.name, "kind": r.kind, "verdict": r.verdict.value, "engine": r.engine, "depth": r.depth,
        "trace": _portable_trace(r.trace) if r.trace is not None else None, "reason": r.reason,
        "seconds": r.seconds, "checked": r.checked, "extra": extra,
    }  # fmt: skip


def _portable_trace(t: Trace) -> dict[str, Any]:
    return {
        "__trace__": True,
        "steps": [s.index for s in t.transitions],
        "states": t.states if t.kind == "cti" else None,  # a CTI cannot be replayed from init
        "start": t.model.inits.index(t.states[0]) if t.kind != "cti" else None,  # which initial state
        "property": t.property,
        "kind": t.kind,
        "notes": t.notes,
    }


def _restore(model: ModelInstance, d: dict[str, Any]) -> PropertyResult:
    def value(v: Any) -> Any:
        return _restore_trace(model, v) if isinstance(v, dict) and v.get("__trace__") else v

    extra = {k: value(v) for k, v in d["extra"].items()}
    trace = _restore_trace(model, d["trace"]) if d["trace"] is not None else None
    return PropertyResult(
        d["name"], d["kind"], Verdict(d["verdict"]), d["engine"], depth=d["depth"], trace=trace,
        reason=d["reason"], seconds=d["seconds"], checked=d["checked"], extra=extra,
    )  # fmt: skip


def _restore_trace(model: ModelInstance, d: dict[str, Any]) -> Trace:
    steps = [model.transitions[i] for i in d["steps"]]
    if d["states"] is not None:
        return Trace(model, [tuple(s) for s in d["states"]], steps, d["property"], d["kind"], notes=d["notes"])
    start = model.inits[d["start"]]
    trace = Trace(model, replay(model, steps, start), steps, d["property"], d["kind"], notes=d["notes"])
    trace.confirm()  # replayed again in this process, not taken on the child's word
    return trace
