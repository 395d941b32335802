"""Broken: raises while the module is imported."""

from ._base import Base

LIMIT = int("ten")  # BAD: ValueError at import time


class BadImport(Base):
    pass
