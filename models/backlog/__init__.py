"""EC2 Network Manager's propagation backlog, as designed and throttled by queue size."""

from .model import VARIANTS, NetworkBacklog

MODEL = NetworkBacklog

__all__ = ["MODEL", "VARIANTS", "NetworkBacklog"]
