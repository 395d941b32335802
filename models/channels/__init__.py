"""Message passing over lossy FIFO channels: the alternating-bit protocol, and a sender that ignores the ack's bit."""

from .model import VARIANTS, AlternatingBit

MODEL = AlternatingBit

__all__ = ["MODEL", "VARIANTS", "AlternatingBit"]
