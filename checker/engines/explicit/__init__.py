"""The explicit-state engine: breadth-first search over concrete states, compiled to numpy
(`compile`, `bounds`, `matrix`, `rows`) or in plain Python (`tuples`), with symmetry reduction
(`symmetry`); `engine.run_explicit` is the entry point."""

from typing import Any


def __getattr__(name: str) -> Any:
    # `run_explicit` on first use: importing a submodule (`explicit.bounds`) runs this file, and
    # importing the engine here would pull in the rest of the engines midway through theirs
    if name == "run_explicit":
        from .engine import run_explicit

        return run_explicit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["run_explicit"]
