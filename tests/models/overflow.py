"""Models whose values leave the 64-bit range: every engine must compute them exactly.

* ``ProductGuard``: ``x`` and ``y`` are set to 3e9 and 4e9 (two steps); ``alarm`` fires when
  ``x * y > 10**19`` (1.2e19 is: exact arithmetic says so, int64 wraps it to a negative
  number). ``quiet`` is violated in 3 steps. ``BoundedProduct``: the same with declared
  bounds up to 5e9 and the threshold 1e18 (a constant that fits: the product does not).
* ``Squarer``: an unbounded ``Int`` squared while it is below 2**40: 2, 4, 16, 256, 65536,
  2**32, 2**64 (7 states, 6 squarings; 2**64 does not fit 64 bits). ``below_2_62`` is violated
  and ``huge`` witnessed in 6 steps, ``halt`` fires once (from 2**64); ``positive`` holds.
* ``BigCounter``: a counter set to ``start`` (near 2**61 or 2**63) that may climb 5 past it
  or reset: ``can_reset`` (recoverable) holds; ``reaches_top`` (eventually, under weak
  fairness of ``climb`` and ``mark``) is violated by resetting forever (begin, then a
  climb/reset cycle); ``past_start`` is witnessed in 5 steps and ``mark`` fires.
"""

from __future__ import annotations

from checker import (
    Array,
    Bool,
    Int,
    Model,
    Param,
    Process,
    Set,
    Store,
    action,
    eventually,
    invariant,
    ite,
    reachable,
    recoverable,
    require,
)


class Multiplier(Process):
    x = Int(init=0)
    y = Int(init=0)
    alarm = Bool(init=False)

    @action
    def set_x(self, sys):
        require(self.x == 0)
        self.x = 3_000_000_000

    @action
    def set_y(self, sys):
        require(self.y == 0)
        self.y = 4_000_000_000

    @action
    def check(self, sys):
        require((self.x * self.y > 10**19) & ~self.alarm)
        self.alarm = True


class ProductGuard(Model):
    m = Multiplier()

    @invariant
    def quiet(sys):
        """Violated in 3 steps: 3e9 * 4e9 = 1.2e19 > 1e19."""
        return ~sys.m.alarm


class BoundedMultiplier(Process):
    x = Int(init=0, min=0, max=5_000_000_000)
    y = Int(init=0, min=0, max=5_000_000_000)
    alarm = Bool(init=False)

    @action
    def set_x(self, sys):
        require(self.x == 0)
        self.x = 3_000_000_000

    @action
    def set_y(self, sys):
        require(self.y == 0)
        self.y = 4_000_000_000

    @action
    def check(self, sys):
        require((self.x * self.y > 10**18) & ~self.alarm)
        self.alarm = True


class BoundedProduct(Model):
    m = BoundedMultiplier()

    @invariant
    def quiet(sys):
        """Violated in 3 steps: every constant fits 64 bits, the product (up to 2.5e19) may not."""
        return ~sys.m.alarm


class Square(Process):
    x = Int(init=2)
    halted = Bool(init=False)

    @action
    def square(self, sys):
        require(self.x < 2**40)
        self.x = self.x * self.x

    @action
    def halt(self, sys):
        require((self.x > 2**40) & ~self.halted)
        self.halted = True


class Squarer(Model):
    s = Square()

    @invariant
    def below_2_62(sys):
        """Violated in 6 steps: x reaches 2**64."""
        return sys.s.x < 2**62

    @invariant
    def positive(sys):
        """Holds: a square of a positive number is positive (int64 would wrap 2**64 to 0)."""
        return sys.s.x > 0

    @reachable
    def huge(sys):
        """Witnessed in 6 steps."""
        return sys.s.x > 2**62


class Climber(Process):
    n = Int(init=0)
    started = Bool(init=False)
    top = Bool(init=False)

    @action
    def begin(self, sys):
        require(~self.started)
        self.n = sys.params.start
        self.started = True

    @action(fair=True)
    def climb(self, sys):
        require(self.started & (self.n < sys.params.start + 5))
        self.n = self.n + 1

    @action
    def reset(self, sys):
        require(self.started)
        self.n = sys.params.start

    @action(fair=True)
    def mark(self, sys):
        require((self.n > sys.params.start + 3) & ~self.top)
        self.top = True


class BigCounter(Model):
    """``start`` 2**61 - 3 (the default) outgrows what the numpy backend holds exactly while
    searching; 2**63 - 3 makes a constant (``start + 5``) that does not fit 64 bits at all."""

    start = Param(2**61 - 3)
    c = Climber()

    @recoverable
    def can_reset(sys):
        """Holds: reset is enabled in every state after begin."""
        return sys.c.started & (sys.c.n == sys.params.start)

    @eventually
    def reaches_top(sys):
        """Violated: begin, then climb and reset forever (climb is taken infinitely often: fair)."""
        return sys.c.top

    @reachable
    def past_start(sys):
        """Witnessed in 5 steps (begin, climb x4)."""
        return sys.c.n > sys.params.start + 3


class Table(Store):
    cells = Array(Int(), size=3, init=0)
    tags = Set(Int(min=0, max=3))  # finite: one bit column per element


class Indexer(Process):
    x = Int(init=0)

    @action
    def begin(self, sys):
        require(self.x == 0)
        self.x = sys.params.start

    @action
    def grow(self, sys):
        """Writes at an index computed from a square, tags an element computed the same way."""
        require((self.x != 0) & (self.x < sys.params.start + 3 * sys.params.stride))
        sys.cells[(self.x * self.x) % 3] = self.x
        sys.tags.add((self.x * self.x + 1) % 4)
        self.x = self.x + sys.params.stride


class Indexed(Model):
    """Array indices and set elements computed from ``x * x``: with ``start`` 2**31 - 1 and
    ``stride`` 2**31 the squares leave int64 (numpy would index the wrong cell); with small
    values the numpy backend computes them exactly."""

    start = Param(2**31 - 1)
    stride = Param(2**31)
    table = Table()
    indexer = Indexer()

    @invariant
    def middle_cell_small(sys):
        return sys.cells[1] < 2**32

    @reachable
    def tag_two(sys):
        return sys.tags.contains(2)

    @reachable
    def tag_one(sys):
        return sys.tags.contains(1)


class Scaler(Process):
    a = Int(init=0)
    r = Int(init=0)

    @action
    def scale(self, sys):
        """r = a * 2**64: a constant that does not fit 64 bits, inside arithmetic."""
        require(self.a < 2)
        self.a = self.a + 1
        self.r = self.a * 2**64


class WideConstant(Model):
    s = Scaler()

    @invariant
    def below_2_65(sys):
        """Violated in 2 steps (r = 2 * 2**64)."""
        return sys.s.r < 2**65


class Stepper(Process):
    a = Int(init=0)

    @action
    def step(self, sys):
        require(self.a < 10**30)  # "no limit": the search ends by the property below, not this guard
        self.a = ite(self.a < 3, self.a + 1, self.a)


class Sentinel(Model):
    """Comparisons with constants beyond 64 bits (``10**30`` as "no limit"): decided for every
    value that fits, so the numpy backend stays exact and in use."""

    s = Stepper()

    @invariant
    def a_below_sentinel(sys):
        """Holds."""
        return (sys.s.a < 10**30) & (sys.s.a != 2**64) & (-(10**30) < sys.s.a)

    @reachable
    def a_beyond(sys):
        """Unreachable."""
        return sys.s.a >= 10**20
