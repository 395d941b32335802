"""Broken models, one mistake each; each mistake's line carries its own ``# BAD-...`` marker."""

from checker import Array, Enum, Int, Store, action, invariant, require

from ._base import Base, FlagProcess


class Idle(FlagProcess):
    @action
    def set_on(self, sys):
        require(~self.on)
        self.on = True


class RequireInProperty(Base):
    flag = Idle()

    @invariant
    def guarded(sys):
        require(sys.count == 0)  # BAD-REQUIRE: a property returns a bool
        return True


class ComparesEnumWithInt(FlagProcess):
    pc = Enum("idle", "busy")

    @action
    def start(self, sys):
        require(self.pc == 1)  # BAD-ENUM: an enum is not an int
        self.pc = "busy"


class EnumVsInt(Base):
    flag = ComparesEnumWithInt()


class Recurses(FlagProcess):
    def spin(self, n):
        return self.spin(n + 1)  # BAD-RECURSION

    @action
    def start(self, sys):
        self.spin(0)


class Recursion(Base):
    flag = Recurses()


class DividesByState(FlagProcess):
    ratio = Int()  # unbounded, and no property reads it: only the division itself is wrong

    @action
    def bump(self, sys):
        require(~self.on)
        self.ratio = 4 // sys.count  # BAD-STATEZERO: count is 0 at first
        self.on = True


class StateZero(Base):
    flag = DividesByState()


class Exits(FlagProcess):
    @action
    def stop(self, sys):
        raise SystemExit(0)  # BAD-EXIT: model code must not end the checker


class ExitsModel(Base):
    flag = Exits()


class Sized(FlagProcess):
    cells = Array(Int(), size="no_such_param")  # BAD-SIZE: a state size names a parameter the model lacks


class UnknownSizeParam(Base):
    flag = Sized()


class Advances(FlagProcess):
    cursor = Int(init=0, min=0, max=3)

    @action
    def step(self, sys):
        require(self.cursor < 3)
        self.cursor += 1


class Cells(Store):
    cells = Array(Int(min=0), size=3, init=0)


class PropertyIndex(Base):
    flag = Advances()
    store = Cells()

    @invariant
    def cell_under_cursor_empty(sys):
        return sys.cells[sys.flag.cursor] == 0  # BAD-PROPINDEX: the cursor reaches 3, past the end
