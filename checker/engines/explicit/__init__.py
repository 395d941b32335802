"""The explicit-state engine: breadth-first search over concrete states, compiled to numpy
(`compile`, `bounds`, `matrix`, `rows`) or in plain Python (`tuples`), with symmetry reduction
(`symmetry`); `engine.run_explicit` is the entry point."""

from .engine import run_explicit

__all__ = ["run_explicit"]
