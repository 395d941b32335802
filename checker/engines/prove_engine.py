"""One proof engine on one model: `prove`'s ``engine="kind"``/``"pdr"``, and each engine of
the portfolio (`checker.engines.portfolio`), in this process or a child's.

A model whose sets are encoded as intervals where a reachable step would leave a gap in one
(`checker.lang.intervals`) is run again with every set as an array: that was the encoding's
choice, not the model's fault.
"""

from __future__ import annotations

from typing import Any

from ..encoding import Encoding
from ..errors import ModelError
from ..lang.intervals import is_gap_error
from ..lang.model import ModelInstance
from ..results import PropertyResult
from .bmc import run_bmc
from .kind import run_kind
from .pdr import run_pdr

_BMC_DEPTH = 10_000  # BMC in the portfolio runs until stopped


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
