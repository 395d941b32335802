"""Small systems with known answers for the proof engines (tests/test_prove*.py).

* ``Peterson``: Peterson's mutual exclusion for two processes. ``variant="correct"``:
  ``mutex`` holds (not 1-inductive on its own; k-induction needs several steps, PDR finds
  the invariant). ``variant="turn_first"`` sets ``turn`` before raising its flag, a known
  broken order: ``mutex`` is violated.
* ``CopyCounter``: ``inc`` adds 1 to ``x``; ``copy`` sets ``y = x``. ``y_nonneg`` holds but
  is not k-inductive for any k (a state with x < 0 can wait any number of steps before the
  copy); with ``x_nonneg`` as a strengthening invariant it is 1-inductive; PDR needs no help.
  ``y_small`` (y <= 3) is violated at depth 5 (four incs and a copy).
* ``GapSet``: adds 1, 3, 5, ... to an unbounded set, which is never an interval; the
  interval encoding must notice, and the proof still come out right with arrays.
"""

from __future__ import annotations

from checker import (
    Array,
    Bool,
    Enum,
    Int,
    Model,
    Param,
    Process,
    Set,
    Store,
    action,
    action_invariant,
    invariant,
    require,
)


class Flags(Store):
    flag = Array(Bool(), size=2)
    turn = Int(init=0, min=0, max=1)


class PetersonProcess(Process):
    pc = Enum("idle", "flagged", "waiting", "critical")

    @action
    def want(self, sys):
        require(self.pc == "idle")
        me, other = self.id - 1, 2 - self.id
        if sys.params.variant == "turn_first":
            sys.turn = other  # the broken order: give way first ...
            self.pc = "flagged"
        else:
            sys.flag[me] = True
            self.pc = "flagged"

    @action
    def yield_turn(self, sys):
        require(self.pc == "flagged")
        me, other = self.id - 1, 2 - self.id
        if sys.params.variant == "turn_first":
            sys.flag[me] = True  # ... then raise the flag
        else:
            sys.turn = other
        self.pc = "waiting"

    @action
    def enter(self, sys):
        require(self.pc == "waiting")
        me, other = self.id - 1, 2 - self.id
        require(~sys.flag[other] | (sys.turn == me))
        self.pc = "critical"

    @action
    def leave(self, sys):
        require(self.pc == "critical")
        sys.flag[self.id - 1] = False
        self.pc = "idle"


class Peterson(Model):
    """Peterson's mutual exclusion for two processes."""

    variant = Param("correct", choices=("correct", "turn_first"))
    flags = Flags()
    proc = PetersonProcess(count=2, symmetric=False)

    @invariant
    def mutex(sys):
        """Never both processes in the critical section."""
        return ~((sys.proc[0].pc == "critical") & (sys.proc[1].pc == "critical"))


class Registers(Store):
    x = Int(init=0)
    y = Int(init=0)


class Worker(Process):
    @action
    def inc(self, sys):
        sys.x = sys.x + 1

    @action
    def copy(self, sys):
        sys.y = sys.x


class CopyCounter(Model):
    """y copies a counter x that only grows."""

    regs = Registers()
    worker = Worker()

    @invariant
    def y_nonneg(sys):
        return sys.y >= 0

    @invariant
    def x_nonneg(sys):
        """The strengthening that makes y_nonneg inductive."""
        return sys.x >= 0

    @invariant
    def y_small(sys):
        """Violated: four incs and a copy."""
        return sys.y <= 3

    @action_invariant
    def x_grows(old, new):
        return new.x >= old.x


class Bag(Store):
    items = Set(Int(min=0), init={1})
    top = Int(init=1, min=1)


class Adder(Process):
    @action
    def add_two(self, sys):
        sys.top = sys.top + 2
        sys.items.add(sys.top)


class GapSet(Model):
    """Every element of the set is odd, and the set keeps its largest element."""

    bag = Bag()
    adder = Adder()

    @invariant
    def holds_top(sys):
        return sys.items.contains(sys.top)

    @invariant
    def no_even_top(sys):
        return ~sys.items.contains(sys.top + 1)
