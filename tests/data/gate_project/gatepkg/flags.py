"""A flag that is only ever raised."""

from checker import Bool, Model, Process, action, invariant, reachable, require


class Raiser(Process):
    up = Bool()

    @action
    def raise_(self, sys):
        require(~self.up)
        self.up = True


class Flags(Model):
    raiser = Raiser(count=2)

    @invariant
    def never_lowered(sys):
        return sys.raiser[0].up | ~sys.raiser[0].up

    @reachable
    def all_up(sys):
        return sys.raiser[0].up & sys.raiser[1].up
