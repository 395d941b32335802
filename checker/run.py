"""Running a spec: build the model, pick the engine, attach the expectations."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .engines.bmc import run_bmc
from .engines.explicit import run_explicit
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
    progress: Callable[..., None] | None = None,
    engine: str | None = None,
    max_states: int | None = None,
) -> SpecResult:
    """Check a spec with its engine (or ``engine``): ``bmc`` to the bound, or ``explicit``
    (exhaustive breadth-first search of a finite instance, up to ``max_states``)."""
    names = properties or spec.properties
    model = spec.build()
    for name in names:
        if name not in model.properties:
            known = ", ".join(model.properties)
            raise SpecError(f"unknown property '{name}' (this model has: {known})", str(spec.path))
    bound = spec.depth if depth is None else depth
    engine = engine or spec.engine
    limit = timeout if timeout is not None else spec.timeout
    started = time.monotonic()
    if engine == "explicit":
        cap = max_states if max_states is not None else spec.max_states
        results = run_explicit(model, names, cap, limit, symmetry=symmetry, progress=progress)
        bound = max((r.extra.get("depth", 0) for r in results), default=0)
    else:
        results = run_bmc(model, names, bound, limit, symmetry=symmetry, progress=progress)
    for r in results:
        r.expected = spec.expect.get(r.name)
    return SpecResult(spec, results, time.monotonic() - started, bound, engine)
