"""Models over `Seq` for tests/test_seq.py: every operation, canonical counts, symmetry, errors."""

from __future__ import annotations

from checker import Bool, Int, Model, Param, Process, Seq, Store, action, invariant, reachable, require, when


class Queues(Store):
    q = Seq(Int(min=0, max=1), capacity=3)
    r = Seq(Int(min=0, max=1), capacity=2)
    x = Int(min=0, max=3)
    b = Bool()


class Ops(Process):
    """One action per operation; `x` serves as an index, an element and a predicate's bound."""

    @action(v=2)
    def append(self, sys, v):
        sys.q.append(v)  # full: an error

    @action
    def pop(self, sys):
        sys.x = sys.q.pop()  # empty: an error

    @action
    def tail(self, sys):
        sys.q.tail()

    @action
    def head(self, sys):
        sys.x = sys.q.head()

    @action(i=3)
    def index_const(self, sys, i):
        sys.x = sys.q[i]  # outside the length: an error

    @action
    def index_state(self, sys):
        sys.x = sys.q[sys.x]  # x == 3: outside the capacity

    @action
    def set_state(self, sys):
        sys.q[sys.x] = 1

    @action
    def set_const(self, sys):
        sys.r[1] = sys.x % 2  # len(r) < 2: an error

    @action
    def pop_at(self, sys):
        sys.x = sys.q.pop(sys.x)

    @action(i=3)
    def pop_at_const(self, sys, i):
        sys.q.pop(i)

    @action
    def select(self, sys):
        sys.q = sys.q.select(lambda e: e != sys.x)

    @action
    def select_into_smaller(self, sys):
        sys.r = sys.q.select(lambda e: e == 1)  # three 1s do not fit

    @action
    def concat(self, sys):
        sys.q = sys.r.concat(sys.q)  # longer than 3: an error

    @action
    def assign_list(self, sys):
        sys.r = [sys.x, 1]  # x >= 2 is not an element

    @action
    def assign_other(self, sys):
        sys.r = sys.q  # longer than 2: an error

    @action
    def clear(self, sys):
        sys.q = []

    @action
    def tests(self, sys):
        sys.b = sys.q.contains(sys.x) ^ sys.q.is_empty() ^ sys.r.is_full()

    @action
    def equal(self, sys):
        sys.b = (sys.q == sys.r) | (sys.r == [1])

    @action
    def quantifiers(self, sys):
        sys.b = sys.q.all(lambda e: e < sys.x) ^ sys.r.any(lambda e: e == sys.x)

    @action
    def get(self, sys):
        sys.x = sys.q.get(sys.x, 3) + sys.r.len() - sys.r.length

    @action
    def guarded(self, sys):
        with when(sys.b):
            sys.q.append(1)  # an error only where b holds and q is full

    @action
    def require_after(self, sys):
        sys.q.append(0)
        require(sys.q.len() <= 2)  # disables the step where q was full: no error


class AllOps(Model):
    queues = Queues()
    ops = Ops()

    @invariant
    def fine(sys):
        return sys.q.len() <= 3


class Bag(Store):
    q = Seq(Int(min=0, max=1), capacity=3)


class Shuffler(Process):
    """Reaches every sequence over {0, 1} of length <= 3 along many paths."""

    @action(v=2)
    def push(self, sys, v):
        require(~sys.q.is_full())
        sys.q.append(v)

    @action(i=3)
    def drop(self, sys, i):
        require(i < sys.q.len())
        sys.q.pop(i)

    @action
    def drop_zeros(self, sys):
        sys.q = sys.q.select(lambda e: e == 1)

    @action
    def double(self, sys):
        require(sys.q.len() <= 1)
        sys.q = sys.q.concat(sys.q)


class Canonical(Model):
    """15 sequences (1 + 2 + 4 + 8), each reached along several paths: 15 states."""

    bag = Bag()
    shuffler = Shuffler()

    @invariant
    def short(sys):
        return sys.q.len() <= 3

    @reachable
    def one_zero_one(sys):
        return sys.q == [1, 0, 1]


class Mailbox(Process):
    """A replica with its own inbox: a Seq belongs to its instance."""

    inbox = Seq(Int(min=0, max=1), capacity=2)

    @action(v=2)
    def receive(self, sys, v):
        require(~self.inbox.is_full())
        self.inbox.append(v)

    @action
    def consume(self, sys):
        require(~self.inbox.is_empty())
        self.inbox.tail()


class Mailboxes(Model):
    """Per replica 7 inboxes; two replicas: 49 states, 28 orbits (7 * 8 / 2)."""

    boxes = Param(2, min=1)
    box = Mailbox(count="boxes")

    @invariant
    def not_all_full(sys):
        return ~sys.box[0].inbox.is_full() | ~sys.box[1].inbox.is_full() | sys.box[0].inbox.contains(0)


class SymmetricMailboxes(Mailboxes):
    @invariant
    def not_all_full(sys):  # no replica singled out
        from checker import any_of

        return any_of(~b.inbox.is_full() for b in sys.box)


class Overflow(Process):
    @action
    def push(self, sys):
        sys.q.append(1)  # OVERFLOW


class Overflowing(Model):
    """Appends until the fourth append overflows: a model error at the marked line."""

    bag = Bag()
    pusher = Overflow()

    @invariant
    def short(sys):
        return sys.q.len() <= 3


class Producer(Process):
    """Any number of these share one queue: replicas reading and writing only shared state."""

    sent = Bool()

    @action
    def produce(self, sys):
        require(~sys.q.is_full())
        sys.q.append(1)
        self.sent = True

    @action
    def consume(self, sys):
        require(~sys.q.is_empty())
        sys.q.tail()


class Producers(Model):
    """Replicas append only 1s to the shared queue: every element is 1, for any number of them."""

    producers = Param(2, min=1)
    bag = Bag()
    producer = Producer(count="producers")

    @invariant
    def only_ones(sys):
        return sys.q.all(lambda e: e == 1)


class Relay(Process):
    """A replica with its own outbox, flushed into the shared queue."""

    outbox = Seq(Int(min=0, max=1), capacity=2)

    @action
    def produce(self, sys):
        require(~self.outbox.is_full())
        self.outbox.append(1)

    @action
    def flush(self, sys):
        require(~self.outbox.is_empty() & ~sys.q.is_full())
        sys.q.append(self.outbox.pop())

    @action
    def consume(self, sys):
        require(~sys.q.is_empty())
        sys.q.tail()


class Relays(Model):
    """Every element that reaches the shared queue is 1, for any number of relays."""

    relays = Param(2, min=1)
    bag = Bag()
    relay = Relay(count="relays")

    @invariant
    def only_ones(sys):
        return sys.q.all(lambda e: e == 1)


class Inboxes(Mailboxes):
    """Mailboxes with a property every replica satisfies alike: its TLA+ twin is
    benchmarks/tla/mailboxes (TLC with SYMMETRY counts the same orbits)."""

    @invariant
    def bounded(sys):
        from checker import all_of

        return all_of(b.inbox.len() <= 2 for b in sys.box)


class Mixed(Store):
    high = Seq(Int(min=5, max=6), capacity=2)  # padded with 5
    low = Seq(Int(min=0, max=6), capacity=3)  # padded with 0


class Mixer(Process):
    @action(v=[5, 6])
    def put(self, sys, v):
        require(~sys.high.is_full())
        sys.high.append(v)

    @action
    def copy(self, sys):
        sys.low = sys.high  # the padding becomes low's own

    @action
    def join(self, sys):
        require(sys.high.len() + sys.low.len() <= 3)
        sys.low = sys.high.concat(sys.low)

    @action
    def clear(self, sys):
        sys.high = []


class MixedTypes(Model):
    """Sequences of two element types: assignment and == look at the elements, not the padding."""

    mixed = Mixed()
    mixer = Mixer()

    @invariant
    def never_same(sys):  # violated: both empty at the start
        return ~(sys.high == sys.low)

    @invariant
    def low_from_high(sys):
        return sys.low.all(lambda e: e >= 5)
