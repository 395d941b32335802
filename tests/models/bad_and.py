"""Broken: state values combined with Python ``and`` / ``not``."""

from checker import action, require

from ._base import Base, FlagProcess


class UsesAnd(FlagProcess):
    @action
    def set_on(self, sys):
        require(~self.on and sys.count < 2)  # BAD: `and` makes a Python bool
        self.on = True


class UsesNot(FlagProcess):
    @action
    def set_on(self, sys):
        require(not self.on)  # BAD: `not` makes a Python bool
        self.on = True


class BadAnd(Base):
    flag = UsesAnd()


class BadNot(Base):
    flag = UsesNot()
