"""Running a spec: build the model, pick the engine, attach the expectations."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .engines.bmc import run_bmc
from .errors import SpecError
from .results import ExitCode, PropertyResult, exit_code
from .spec import Spec


@dataclass
class SpecResult:
    spec: Spec
    results: list[PropertyResult]
    seconds: float
    depth: int
    engine: str

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.results)


def check_spec(
    spec: Spec,
    depth: int | None = None,
    properties: list[str] | None = None,
    timeout: float | None = None,
    symmetry: bool = True,
    progress: Callable[[int, list[str]], None] | None = None,
) -> SpecResult:
    names = properties or spec.properties
    model = spec.build()
    for name in names:
        if name not in model.properties:
            known = ", ".join(model.properties)
            raise SpecError(f"unknown property '{name}' (this model has: {known})", str(spec.path))
    bound = spec.depth if depth is None else depth
    started = time.monotonic()
    results = run_bmc(model, names, bound, timeout if timeout is not None else spec.timeout, symmetry=symmetry, progress=progress)
    for r in results:
        r.expected = spec.expect.get(r.name)
    return SpecResult(spec, results, time.monotonic() - started, bound, "bmc")
