"""A child process of the portfolio (`checker.engines.portfolio`): one proof engine on the
model rebuilt from its class and parameters (z3 objects cannot cross processes), at its
priority, answering on a pipe: ("nice", n), ("phase", text), then ("ok", results as plain
data, `checker.engines.prove_wire`) or ("error", kind, message, file, line).

k-induction runs at ``nice 10`` (`_NICED`); BMC at normal priority to the spec's bound
(``options["bound"]``), as `check` would, and at ``nice 10`` beyond it.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from typing import Any

from .. import children
from ..deadline import Deadline, is_timeout, run_within
from ..errors import InternalError, ModelError, RaceproofError
from ..lang.model import Model
from ..results import PropertyResult
from . import phases
from .prove_engine import _run
from .prove_wire import _portable

_BMC_DEPTH_PHASE = re.compile(r"bmc: depth (\d+)")  # BMC's announcement of the depth it starts (`run_bmc`)
_NICE = 10
_NICED = ("kind",)  # the engines that run at `nice _NICE` (see `_worker`)


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
