"""N processes incrementing a shared counter: split (racy) or atomic."""

from checker import Enum, Int, Model, Param, Process, action, all_of, implies, invariant, reachable, require

from .shared import Shared


class Split(Process):
    pc = Enum("read", "write", "done")
    tmp = Int(init=0, min=0)

    @action
    def read(self, sys):
        require(self.pc == "read")
        self.tmp = sys.value
        self.pc = "write"

    @action
    def write(self, sys):
        require(self.pc == "write")
        sys.value = self.tmp + 1
        self.pc = "done"


class Atomic(Process):
    pc = Enum("idle", "done")

    @action
    def incr(self, sys):
        require(self.pc == "idle")
        sys.value = sys.value + 1
        self.pc = "done"


class _Counter(Model):
    procs = Param(2, min=1, max=8)
    shared = Shared()

    @invariant
    def no_lost_update(sys):
        return implies(all_of(w.pc == "done" for w in sys.worker), sys.value == sys.params.procs)

    @reachable
    def all_done(sys):
        return all_of(w.pc == "done" for w in sys.worker)

    @reachable
    def overshoot(sys):
        return sys.value > sys.params.procs


class Racy(_Counter):
    worker = Split(count="procs")


class Fixed(_Counter):
    worker = Atomic(count="procs")
