"""NLB health-check flapping, automatic AZ DNS failover, and the velocity control that bounds it."""

from .model import VARIANTS, Nlb

MODEL = Nlb

__all__ = ["MODEL", "VARIANTS", "Nlb"]
