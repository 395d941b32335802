"""N processes incrementing one shared counter: the lost-update race and its atomic fix.

Known answers, for N processes:

* ``NonAtomicCounter`` (read, then write, in separate steps): ``no_lost_update`` is violated
  at exactly depth 2N (every process must read and write); ``value_never_decreases`` holds
  for N = 2 (every behaviour ends within 4 steps) and is violated at depth 6 for N = 3.
* ``AtomicCounter`` (read and write in one step): both hold; every behaviour ends within N
  steps; ``all_done`` is witnessed at depth N; ``overshoot`` (value N+1) is unreachable.
"""

from __future__ import annotations

from checker import (
    Enum,
    Int,
    Model,
    Param,
    Process,
    Store,
    action,
    action_invariant,
    all_of,
    implies,
    invariant,
    reachable,
    require,
)


class Shared(Store):
    value = Int(init=0, min=0)


class SplitIncrement(Process):
    """Reads the counter into a register, then writes register + 1: two steps."""

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


class AtomicIncrement(Process):
    """Reads and writes the counter in one step."""

    pc = Enum("idle", "done")

    @action
    def incr(self, sys):
        require(self.pc == "idle")
        sys.value = sys.value + 1
        self.pc = "done"


class _Properties(Model):
    procs = Param(2, min=1, max=8, help="number of incrementing processes")
    shared = Shared()

    @invariant
    def no_lost_update(sys):
        """Once every process is done, the counter equals the number of processes."""
        return implies(all_of(w.pc == "done" for w in sys.worker), sys.value == sys.params.procs)

    @action_invariant
    def value_never_decreases(old, new):
        """No step moves the counter down."""
        return new.value >= old.value

    @reachable
    def all_done(sys):
        """Every process finishes."""
        return all_of(w.pc == "done" for w in sys.worker)

    @reachable
    def overshoot(sys):
        """Impossible: the counter exceeds the number of processes."""
        return sys.value > sys.params.procs


class NonAtomicCounter(_Properties):
    """The lost-update race."""

    worker = SplitIncrement(count="procs")


class AtomicCounter(_Properties):
    """The atomic fix."""

    worker = AtomicIncrement(count="procs")
