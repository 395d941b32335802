"""Two-phase commit: a transaction manager and replicated resource managers, with and without the TM's timeout."""

from .model import VARIANTS, TwoPhase

MODEL = TwoPhase

__all__ = ["MODEL", "VARIANTS", "TwoPhase"]
