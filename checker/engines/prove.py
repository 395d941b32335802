"""`prove`: the proof engines behind one call, alone or side by side.

``engine="kind"`` and ``engine="pdr"`` run one engine in this process
(`checker.engines.prove_engine`). ``engine="auto"`` first decides what a finite instance's
reachable set decides (`checker.engines.finite_proof`), then runs PDR, k-induction and BMC
side by side on the rest (`checker.engines.portfolio`): PDR in a thread of this process, the
others in child processes (`checker.engines.prove_child`) started only when PDR has not
answered soon. PDR and BMC (which finds violations) run at normal priority, BMC beyond the
spec's bound (``bound``) and k-induction at ``nice 10``. Per property the first conclusive
answer wins (proved, with a re-checked certificate; or violated, with a replayed trace).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ..atomic import write_text_atomic
from ..deadline import Deadline, is_timeout, run_within
from ..encoding import Encoding
from ..errors import ModelError, OutputError
from ..lang.model import ModelInstance
from ..results import PropertyResult
from . import phases
from .finite_proof import prove_finite
from .kind import DEFAULT_MAX_K

# the portfolio's parts, importable from here as before (tests patch and call some of them)
from .portfolio import _CHILDREN_AFTER, CONCLUSIVE, _children_after, _portfolio  # noqa: F401
from .prove_child import _NICE, _worker  # noqa: F401
from .prove_engine import _run

ENGINES = ("auto", "kind", "pdr")


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
