"""EC2 DWFM's droplet leases after the DynamoDB outage: congestive collapse and its fixes."""

from .model import VARIANTS, Dwfm

MODEL = Dwfm

__all__ = ["MODEL", "VARIANTS", "Dwfm"]
