"""Models whose replicas are *not* interchangeable, each singling one replica out in a
form that no ``self.id`` read or ``sys.worker[i]`` index shows, and one whose replicas are.

Each docstring gives the right answers (found by hand); treating the replicas as
symmetric gave a wrong one for each (see tests/test_symmetry.py).
"""

from __future__ import annotations

from checker import (
    Array,
    Bool,
    Int,
    Model,
    Param,
    Process,
    Store,
    action,
    action_invariant,
    all_of,
    any_of,
    implies,
    invariant,
    reachable,
    require,
    when,
)


class Counted(Model):
    """A property that always holds: with it the explicit search runs to the end, so its
    state counts are exact."""

    @invariant
    def explored(sys):
        return True


# ---------------------------------------------------------------------------- first-match scan
class Client(Process):
    waiting = Bool()
    served = Bool()
    ticket = Int(init=0, min=0, max=2)

    @action
    def arrive(self, sys):
        require(~self.waiting & ~self.served)
        self.waiting = True
        self.ticket = sys.next_ticket
        sys.next_ticket += 1


class Counter(Store):
    """Serves "the first waiting client": the first in iteration order, not the oldest."""

    next_ticket = Int(init=0, min=0, max=2)
    last_served = Int(init=-1, min=-1, max=2)

    @action
    def serve(self, sys):
        require(any_of(c.waiting for c in sys.client))
        waiting = [c.waiting for c in sys.client]
        for i, c in enumerate(sys.client):  # a first-match scan: client1 before client2
            with when(all_of(waiting[i], *(~w for w in waiting[:i]))):
                c.waiting = False
                c.served = True
                sys.last_served = c.ticket


class FirstMatch(Counted):
    """fifo (nobody waits with a ticket older than the last one served) is violated in 3
    steps: client2 arrives, client1 arrives, client1 is served first. States: 11."""

    client = Client(count=2)
    counter = Counter()

    @invariant
    def fifo(sys):
        return all_of(implies(c.waiting, c.ticket > sys.last_served) for c in sys.client)


# ---------------------------------------------------------------------------- list(...)[0], unpacking
class Worker(Process):
    done = Bool()

    @action
    def go(self, sys):
        require(~self.done)
        self.done = True


class ListFirst(Counted):
    """second_alone (worker2 done, worker1 not) is witnessed in 1 step. States: 4."""

    worker = Worker(count=2)

    @reachable
    def second_alone(sys):
        workers = list(sys.worker)
        return workers[1].done & ~workers[0].done


class Unpacking(Counted):
    """in_order (worker2 finishes only after worker1) and its step form second_after_first
    are violated in 1 step. States: 4."""

    worker = Worker(count=2)

    @invariant
    def in_order(sys):
        first, second = sys.worker
        return implies(second.done, first.done)

    @action_invariant
    def second_after_first(old, new):
        (first, second), (_, second_now) = old.worker, new.worker
        return implies(second_now.done & ~second.done, first.done)


# ---------------------------------------------------------------------------- zip
class Flags(Store):
    flags = Array(Bool(), size="workers", init=lambda p: [i == 0 for i in range(p.workers)])


class Zipped(Counted):
    """only_flagged (a worker is done only if its flag is set; only flag 0 is) is violated
    in 1 step, by worker2. States: 4."""

    workers = Param(2, min=2, max=3)
    worker = Worker(count="workers")
    store = Flags()

    @invariant
    def only_flagged(sys):
        return all_of(implies(w.done, f) for w, f in zip(sys.worker, sys.flags, strict=True))


# ---------------------------------------------------------------------------- enumerate
class Referee(Store):
    """Records the number of the first done worker: a state value that names a replica."""

    winner = Int(init=-1, min=-1, max=1)

    @action
    def record(self, sys):
        require(sys.winner == -1)
        require(any_of(w.done for w in sys.worker))
        for i, w in enumerate(sys.worker):
            with when(w.done & (sys.winner == -1)):
                sys.winner = i


class Enumerated(Counted):
    """second_wins (winner 1) is witnessed in 2 steps: worker2 goes, record. States: 10."""

    worker = Worker(count=2)
    referee = Referee()

    @reachable
    def second_wins(sys):
        return sys.winner == 1


# ---------------------------------------------------------------------------- .name
class Booster(Process):
    done = Bool()

    @action
    def boost(self, sys):
        require(self.name == "booster2")
        require(~self.done)
        self.done = True
        sys.boosted = True


class Boost(Store):
    boosted = Bool()


class NameCompare(Counted):
    """never_boosted is violated in 1 step (booster2.boost). States: 2."""

    booster = Booster(count=2)
    store = Boost()

    @invariant
    def never_boosted(sys):
        return ~sys.boosted


# ---------------------------------------------------------------------------- an argument over replicas
class Target(Process):
    done = Bool()


class Poker(Store):
    @action(who=2)
    def poke(self, sys, who):
        target = list(sys.target)[who]  # an action argument that picks a replica
        require(~target.done)
        target.done = True


class PickedByArgument(Counted):
    """Swapping the targets maps poke(who=0) to poke(who=1), not to itself: the check is
    conservative and does not reduce (the answers are the same either way). both_done is
    witnessed in 2 steps. States: 4."""

    target = Target(count=2)
    poker = Poker()

    @reachable
    def both_done(sys):
        return all_of(t.done for t in sys.target)


# ---------------------------------------------------------------------------- symmetric
class Symmetric(Counted):
    """Interchangeable workers (n of them) beside two that are declared not to be:
    2**n * 4 states, (n + 1) * 4 up to permuting the n; all_done is witnessed and
    not_all_done violated in n steps."""

    workers = Param(3, min=1, max=4)
    worker = Worker(count="workers")
    worker_off = Worker(count=2, symmetric=False)

    @reachable
    def all_done(sys):
        return all_of(w.done for w in sys.worker)

    @action_invariant
    def done_stays_done(old, new):
        """Holds (each worker compared with itself across the step: symmetric)."""
        return all_of(implies(o.done, n.done) for o, n in zip(old.worker, new.worker, strict=True))

    @invariant
    def not_all_done(sys):
        """Violated in n steps (n = workers)."""
        return ~all_of(w.done for w in sys.worker)
