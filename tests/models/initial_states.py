"""Models with several initial states (`tests/test_initial.py`): each form of initial choice,
small enough that every count is worked out by hand in the tests."""

from __future__ import annotations

from checker import (
    Array,
    Bool,
    Enum,
    Int,
    Map,
    Model,
    Param,
    Process,
    Store,
    action,
    all_of,
    eventually,
    implies,
    initial,
    invariant,
    recoverable,
    require,
)


class Counter(Store):
    x = Int(init=range(0, 3), min=0, max=4)

    @action
    def inc(self, sys):
        require(self.x < 4)
        self.x = self.x + 1


class RangeStart(Model):
    """x starts at 0, 1 or 2 and counts up to 4: 5 states; x == 4 is 2 steps from x = 2."""

    counter = Counter()

    @invariant
    def below_four(sys):
        return sys.x < 4

    @invariant
    def at_most_four(sys):
        return sys.x <= 4


class EvenStore(Store):
    y = Int(init={0, 2}, min=0, max=10)

    @action
    def add_two(self, sys):
        require(self.y < 8)
        self.y = self.y + 2


class EvenStart(Model):
    """y starts at 0 or 2 and grows by 2: always even (inductive), states 0, 2, 4, 6, 8."""

    store = EvenStore()

    @invariant
    def even(sys):
        return sys.y % 2 == 0


class OddStore(Store):
    y = Int(init={0, 1}, min=0, max=10)

    @action
    def add_two(self, sys):
        require(self.y < 8)
        self.y = self.y + 2


class OddStart(Model):
    """y may start at 1: 'even' fails in the initial state itself (0 steps)."""

    store = OddStore()

    @invariant
    def even(sys):
        return sys.y % 2 == 0


class Modes(Store):
    mode = Enum("a", "b", "c", init=any)
    flag = Bool(init=any)
    bits = Array(Bool(), size=2, init=any)
    level = Map(Enum("p", "q"), Int(min=0, max=1), init={"p": {0, 1}})


class AnyStart(Model):
    """No actions: the states are the initial ones, 3 * 2 * 4 * 2 = 48."""

    modes = Modes()

    @invariant
    def mode_is_a(sys):
        return sys.mode == "a"


class Worker(Process):
    v = Int(min=0, max=3)

    @initial(k=3)
    def pick(self, sys, k):
        require(k != 1)
        self.v = k

    @action
    def bump(self, sys):
        require(self.v < 3)
        self.v = self.v + 1


class HookStart(Model):
    """Each worker starts at 0 or 2 (the hook refuses 1): 4 initial states, symmetric.
    Reachable: every pair over 0..3 (16); one per multiset with symmetry (10)."""

    workers = Param(2, min=1)
    worker = Worker(count="workers")

    @invariant
    def not_both_three(sys):
        return ~all_of(*(w.v == 3 for w in sys.worker))


class Idle(Process):
    v = Int(min=0, max=3)


class SkewedStart(Model):
    """worker1 starts at 0 or 1, worker2 at 0: {(0, 0), (1, 0)} is not closed under the swap
    (no (0, 1)), so the replicas must not be reduced."""

    worker = Idle(count=2)

    @initial(k=2)
    def skew(sys, k):
        first = list(sys.worker)[0]
        first.v = k

    @invariant
    def sum_small(sys):
        return sys.worker[0].v + sys.worker[1].v < 5


class GateStore(Store):
    x = Int(init={0, 2}, min=0, max=3)

    @action(fair=True)
    def open(self, sys):
        require(self.x == 2)
        self.x = 3


class GateStart(Model):
    """From x = 2 the gate opens (x = 3); from x = 0 nothing ever happens."""

    gate = GateStore()

    @recoverable
    def can_open(sys):
        return sys.x == 3

    @eventually
    def opens(sys):
        return sys.x == 3

    @invariant
    def zero_or_more(sys):
        return implies(sys.x == 3, sys.x > 0)


class TooMany(Store):
    cells = Array(Int(min=0, max=9), size=5, init=any)  # BAD-TOO-MANY


class TooManyStarts(Model):
    store = TooMany()


class Refusing(Store):
    x = Int()

    @initial(k=2)  # BAD-REFUSE
    def never(self, sys, k):
        require(k > 5)
        self.x = k


class NoStart(Model):
    store = Refusing()


class InfiniteAny(Store):
    x = Int(init=any)  # BAD-ANY


class AnyUnbounded(Model):
    store = InfiniteAny()


class HugeRange(Store):
    x = Int(init=range(0, 10**9), min=0)  # BAD-HUGE


class HugeRangeStart(Model):
    store = HugeRange()


class Dial(Store):
    shown = Int(init=0, min=0, max=3)
    step_by = Int(init={1, 2}, min=1, max=2)  # not observable in the conformance tests' implementation

    @action
    def turn(self, sys):
        require(self.shown + self.step_by <= 3)
        self.shown = self.shown + self.step_by


class HiddenStart(Model):
    """Two initial states that look the same from outside (shown = 0): which one the
    implementation started in shows only after its first step (shown 1 or 2)."""

    dial = Dial()

    @invariant
    def in_range(sys):
        return sys.shown <= 3
