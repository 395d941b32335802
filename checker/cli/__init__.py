"""The `raceproof` command line: `app` (the group), one module per verb or two (`check`,
`gate`, `report`, `graph`, `listing`), and what they share (`common`, `options`).

``main`` is imported on first use (PEP 562): `python -m checker.cli` and the `raceproof`
script (`__main__.run`) set up the process before the command line's imports run."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import main

#: Objects allocated between two young-generation collections during a command (Python's
#: default is 700). A command imports numpy and z3 and builds the model's encoding and compiled
#: steps: a few hundred thousand objects that live until it exits, which the default threshold
#: scans again and again (about a tenth of a quick check's CPU time). Cyclic garbage is still
#: collected, after this many allocations instead of 700.
GC_YOUNG_THRESHOLD = 100_000


def __getattr__(name: str) -> Any:
    if name == "main":
        from .app import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["main"]
