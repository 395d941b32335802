"""Small models with known stale-read windows (and some without), for `checker.explain`.

* ``Overdraft``: each withdrawer checks the balance in one step and withdraws in the next:
  one withdrawer's check goes stale when the other withdraws first (a guard read).
* ``AtomicWithdraw``: check and withdrawal in one step: no window.
* ``Toggle``: one process flips a flag forever (a lasso, for rendering cycles).
"""

from __future__ import annotations

from checker import Bool, Enum, Int, Model, Param, Process, Store, action, invariant, require


class Account(Store):
    """The shared balance."""

    balance = Int(init="start")


class CheckThenWithdraw(Process):
    """Checks the balance covers the amount, then withdraws it in a later step."""

    pc = Enum("idle", "checked", "done")

    @action
    def check(self, sys):
        """Make sure the balance covers one unit."""
        require(self.pc == "idle")
        require(sys.balance >= 1)
        self.pc = "checked"

    @action
    def withdraw(self, sys):
        """Take one unit out of the account."""
        require(self.pc == "checked")
        sys.balance = sys.balance - 1
        self.pc = "done"


class CheckAndWithdraw(Process):
    """Checks and withdraws in one atomic step."""

    pc = Enum("idle", "done")

    @action
    def withdraw(self, sys):
        require(self.pc == "idle")
        require(sys.balance >= 1)
        sys.balance = sys.balance - 1
        self.pc = "done"


class _Bank(Model):
    withdrawers = Param(2, min=1)
    start = Param(1, min=0, help="initial balance")
    account = Account()

    @invariant
    def never_overdrawn(sys):
        """The balance never goes below zero."""
        return sys.balance >= 0


class Overdraft(_Bank):
    who = CheckThenWithdraw(count="withdrawers")


class AtomicWithdraw(_Bank):
    who = CheckAndWithdraw(count="withdrawers")


class Flipper(Process):
    on = Bool()

    @action
    def flip(self, sys):
        """Turn the flag over."""
        self.on = ~self.on


class Toggle(Model):
    flipper = Flipper()

    @invariant
    def stays_off(sys):
        return ~sys.flipper.on
