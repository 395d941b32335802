"""Broken: ``x in set`` on a state set."""

from checker import action, require

from ._base import Base, FlagProcess


class UsesIn(FlagProcess):
    @action
    def set_on(self, sys):
        require(1 in sys.items)  # BAD: use sys.items.contains(1)
        self.on = True


class BadIn(Base):
    flag = UsesIn()
