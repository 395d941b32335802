"""Broken: an unguarded increment leaves the declared range of a bounded Int (max 2) at step 3."""

from checker import action

from ._base import Base, FlagProcess


class Overflows(FlagProcess):
    @action
    def bump(self, sys):
        sys.count += 1  # BAD: count is Int(min=0, max=2)


class BadRange(Base):
    flag = Overflows()
