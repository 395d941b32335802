"""Broken: model code that raises (ZeroDivisionError) in an action, or in a property."""

from checker import action, invariant

from ._base import Base, FlagProcess


class Divides(FlagProcess):
    @action
    def bump(self, sys):
        sys.count = sys.count + 10 // sys.params.divisor  # BAD-ACTION: divisor is 0
        self.on = True


class BadZero(Base):
    flag = Divides()


class Harmless(FlagProcess):
    @action
    def set_on(self, sys):
        self.on = True


class BadZeroProperty(Base):
    flag = Harmless()

    @invariant
    def ratio_ok(sys):
        return sys.count * (1 // sys.params.divisor) >= 0  # BAD-PROPERTY: divisor is 0
