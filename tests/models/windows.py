"""Small models whose traces have a known stale-read explanation, or known to have none.

* ``RereadIncrement``: a process reads the counter in one step (a body read into its own
  register) and then increments it with a read-modify-write that reads it again: whatever
  another process did in between is counted. No stale read.
* ``CheckThenIncrement``: a process checks the counter is below a limit, then increments it
  in a later step (read-modify-write). Another's increment in between makes the check stale:
  a stale check, acted on; the act read the counter afresh, so it did not act "on the old
  value".
* ``CheckThenRecheck``: the same, but the increment's own guard checks the counter again
  (too weakly: ``<=``): the act did not rely on the first check for the counter. No stale read.
* ``Consumers``: each consumer takes a plan from an inbox (check and take in one atomic step),
  publishes it, then cleans up older plans. The first consumer publishes plan 1 after the
  second one's cleanup deleted it. The inbox changed after the first consumer's receive, but
  its receive was atomic: no check went stale. The cause is the cleanup (the failing part of
  the property names it); no stale read. With ``check_exists``, the receive also checks the
  plan store, which the receive does not change: that check went stale when the cleanup
  deleted the plan, and the explanation says so.
"""

from __future__ import annotations

from checker import Enum, Int, Model, Param, Process, Set, Store, action, invariant, require


class Counter(Store):
    value = Int(init=0, min=0)


class ReadThenReread(Process):
    pc = Enum("read", "write", "done")
    seen = Int(init=0, min=0)

    @action
    def read(self, sys):
        """Note the counter's value."""
        require(self.pc == "read")
        self.seen = sys.value
        self.pc = "write"

    @action
    def write(self, sys):
        """Add one to the counter as it is now."""
        require(self.pc == "write")
        sys.value = sys.value + 1
        self.pc = "done"


class CheckThenAdd(Process):
    pc = Enum("idle", "checked", "done")

    @action
    def check(self, sys):
        """Make sure the counter is below the limit."""
        require(self.pc == "idle")
        require(sys.value < sys.params.limit)
        self.pc = "checked"

    @action
    def add(self, sys):
        """Add one to the counter as it is now."""
        require(self.pc == "checked")
        sys.value = sys.value + 1
        self.pc = "done"


class CheckThenRecheckAdd(CheckThenAdd):
    @action
    def add(self, sys):
        """Check the counter has not passed the limit, and add one."""
        require(self.pc == "checked")
        require(sys.value <= sys.params.limit)  # a check of its own (too weak: the bug is here)
        sys.value = sys.value + 1
        self.pc = "done"


class _Counting(Model):
    procs = Param(2, min=1, max=4)
    limit = Param(1, min=0, max=4)
    counter = Counter()

    @invariant
    def within_limit(sys):
        """The counter never passes the limit."""
        return sys.value <= sys.params.limit


class RereadIncrement(_Counting):
    worker = ReadThenReread(count="procs")

    @invariant
    def at_most_one(sys):
        """At most one increment (false once both are done: nothing is lost)."""
        return sys.value <= 1


class CheckThenIncrement(_Counting):
    worker = CheckThenAdd(count="procs")


class CheckThenRecheck(_Counting):
    worker = CheckThenRecheckAdd(count="procs")


class PlanStore(Store):
    inbox = Set(Int(min=1, max=2), init={1, 2})
    plans = Set(Int(min=1, max=2), init={1, 2})
    served = Int(init=2, min=1, max=2)


class Consumer(Process):
    pc = Enum("idle", "publish", "cleanup", "done")
    plan = Int(init=0, min=0, max=2)

    @action(p=[1, 2])
    def receive(self, sys, p):
        """Take a plan from the inbox (check and take in one step)."""
        require(self.pc == "idle")
        require(sys.inbox.contains(p))
        if sys.params.check_exists:
            require(sys.plans.contains(p))  # a check of the plan store, which the receive does not change
        sys.inbox.discard(p)
        self.plan = p
        self.pc = "publish"

    @action
    def publish(self, sys):
        """Serve the plan taken."""
        require(self.pc == "publish")
        sys.served = self.plan
        self.pc = "cleanup"

    @action
    def cleanup(self, sys):
        """Delete the plans older than the one taken."""
        require(self.pc == "cleanup")
        sys.plans.discard_if(lambda g: g < self.plan)
        self.pc = "done"


class Consumers(Model):
    check_exists = Param(0, min=0, max=1, help="1: the receive also checks that the plan exists")
    store = PlanStore()
    consumer = Consumer(count=2)

    @invariant
    def served_exists(sys):
        """The plan served exists."""
        return sys.plans.contains(sys.served)
