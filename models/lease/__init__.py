"""A lease-based lock without and with fencing tokens (Kleppmann's paused-client argument)."""

from .model import VARIANTS, Lease

MODEL = Lease

__all__ = ["MODEL", "VARIANTS", "Lease"]
