"""Integer division and modulo: the symbolic engines must follow Python's semantics.

Python rounds ``//`` towards minus infinity and gives ``%`` the sign of the divisor, for
either sign of the divisor; SMT-LIB's ``div``/``mod`` do not for negative divisors.
"""

from __future__ import annotations

from checker import Bool, Int, Model, Process, action, implies, invariant, reachable, require, when

NUMERATORS = range(-7, 8)
DIVISORS = (-3, -2, 0, 2, 3)


class Divider(Process):
    a = Int(init=0)
    d = Int(init=1)
    quotient = Int(init=0)
    remainder = Int(init=0)
    done = Bool()

    @action(a=NUMERATORS, d=DIVISORS)
    def pick(self, sys, a, d):
        """Choose a numerator and a divisor (action parameters: one transition per pair)."""
        require(~self.done)
        self.a = a
        self.d = d

    @action
    def divide(self, sys):
        """Divide state by state; a zero divisor is guarded by ``when`` (no error then)."""
        require(~self.done)
        with when(self.d != 0):
            self.quotient = self.a // self.d
            self.remainder = self.a % self.d
        self.done = True


class Division(Model):
    """Every (a, d) is tried in two steps; the properties pin Python's semantics."""

    divider = Divider()

    @invariant
    def python_division(sys):
        """Holds: a == d * (a // d) + a % d, with the remainder between 0 and d."""
        p = sys.divider
        exact = p.d * p.quotient + p.remainder == p.a
        bounded = ((p.d > 0) & (p.remainder >= 0) & (p.remainder < p.d)) | (
            (p.d < 0) & (p.remainder <= 0) & (p.remainder > p.d)
        )
        return implies(p.done & (p.d != 0), exact & bounded)

    @reachable
    def seven_by_minus_two(sys):
        """Witnessed at depth 2: 7 // -2 == -4 and 7 % -2 == -1 in Python."""
        p = sys.divider
        return p.done & (p.a == 7) & (p.d == -2) & (p.quotient == -4) & (p.remainder == -1)
