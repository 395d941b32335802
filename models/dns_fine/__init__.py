"""The DNS race at a finer grain: each Enactor's work as eight small steps (a translated-PlusCal granularity)."""

from .model import DnsFine

MODEL = DnsFine

__all__ = ["MODEL", "DnsFine"]
