"""Lease locks whose holder is a process identity (tests/test_ref.py).

`RefLock` stores the holder as a `Ref`, keeps a `Set` of waiting clients and a `Map` of grants
keyed by client, grants through an action argument ranging over the clients, and writes to the
holder through ``sys.client[sys.holder]``: its clients stay interchangeable. `IdLock` is the same
lock storing ``self.id`` (not interchangeable: no permutation renames numbers); `VipLock` treats
``client1`` specially through a Ref constant (its lease never expires: truly asymmetric).
"""

from __future__ import annotations

from checker import (
    Bool,
    Enum,
    Int,
    Map,
    Model,
    Param,
    Process,
    Ref,
    Set,
    Store,
    action,
    all_of,
    any_of,
    invariant,
    ite,
    min_,
    reachable,
    require,
    when,
)


class Client(Process):
    pc = Enum("idle", "waiting", "holding", "writing")
    warned = Bool()

    @action
    def request(self, sys):
        require(self.pc == "idle")
        self.pc = "waiting"
        sys.waiting.add(self.ref)

    @action
    def start_write(self, sys):
        require(self.pc == "holding")
        self.pc = "writing"

    @action
    def finish(self, sys):
        require(self.pc == "writing")
        self.pc = "idle"
        self.warned = False
        sys.last_writer = self.ref
        with when(sys.holder == self.ref):
            sys.holder = "none"


class Lock(Store):
    holder = Ref("client", none=True)
    last_writer = Ref("client", none=True)
    waiting = Set(Ref("client"))
    grants = Map(Ref("client"), Int(min=0, max=1))

    @action(to=Ref("client"))
    def grant(self, sys, to):
        require((sys.holder == "none") & sys.waiting.contains(to))
        sys.holder = to
        sys.waiting.discard(to)
        sys.client[to].pc = "holding"
        sys.grants[to] = min_(sys.grants[to] + 1, 1)

    @action
    def warn(self, sys):
        """Tell the holder its lease is about to expire (a write through a state Ref)."""
        require(sys.holder != "none")
        require(~sys.client[sys.holder].warned)
        sys.client[sys.holder].warned = True

    @action
    def expire(self, sys):
        """The lease runs out; the holder is not told (Kleppmann's paused client)."""
        require(sys.holder != "none")
        sys.holder = "none"


class RefLock(Model):
    clients = Param(3, min=1)
    client = Client(count="clients")
    lock = Lock()

    @invariant
    def explored(sys):
        return True

    @invariant
    def one_writer(sys):
        """At most one client writes at a time: violated once a lease expires mid-write."""
        return sum(ite(c.pc == "writing", 1, 0) for c in sys.client) <= 1

    @invariant
    def holder_is_busy(sys):
        """The holder is holding or writing (holds: grant sets it, finish and expire release)."""
        return (sys.holder == "none") | any_of(
            (c.ref == sys.holder) & ((c.pc == "holding") | (c.pc == "writing")) for c in sys.client
        )

    @invariant
    def warned_holds(sys):
        """A warned client holds the lease: violated (the lease expires after the warning)."""
        return all_of(~c.warned | (c.ref == sys.holder) for c in sys.client)

    @reachable
    def everyone_granted(sys):
        return all_of(g == 1 for g in sys.grants)


# ---------------------------------------------------------------------------- asymmetric variants
class IdClient(Process):
    pc = Enum("idle", "holding")

    @action
    def acquire(self, sys):
        require((self.pc == "idle") & (sys.owner == 0))
        self.pc = "holding"
        sys.owner = self.id  # a number: no permutation of the clients renames it

    @action
    def release(self, sys):
        require(self.pc == "holding")
        self.pc = "idle"
        with when(sys.owner == self.id):
            sys.owner = 0


class IdStore(Store):
    owner = Int(min=0, max=3)

    @action
    def expire(self, sys):
        require(sys.owner != 0)
        sys.owner = 0


class IdLock(Model):
    client = IdClient(count=3)
    lock = IdStore()

    @invariant
    def explored(sys):
        return True

    @invariant
    def one_holder(sys):
        return sum(ite(c.pc == "holding", 1, 0) for c in sys.client) <= 1


class RefClient(Process):
    pc = Enum("idle", "holding")

    @action
    def acquire(self, sys):
        require((self.pc == "idle") & (sys.owner == "none"))
        self.pc = "holding"
        sys.owner = self.ref

    @action
    def release(self, sys):
        require(self.pc == "holding")
        self.pc = "idle"
        with when(sys.owner == self.ref):
            sys.owner = "none"


class RefStore(Store):
    owner = Ref("client", none=True)

    @action
    def expire(self, sys):
        require(sys.owner != "none")
        sys.owner = "none"


class VipStore(RefStore):
    @action
    def expire(self, sys):
        """client1's lease never expires: one replica treated specially through a Ref constant."""
        require((sys.owner != "none") & (sys.owner != "client1"))
        sys.owner = "none"


class SmallRefLock(Model):
    """IdLock with the owner stored as a Ref: symmetric."""

    client = RefClient(count=3)
    lock = RefStore()

    @invariant
    def explored(sys):
        return True

    @invariant
    def one_holder(sys):
        return sum(ite(c.pc == "holding", 1, 0) for c in sys.client) <= 1

    @reachable
    def expired_holder(sys):
        """A client holds a lease that has expired (2 steps: acquire, expire)."""
        return (sys.owner == "none") & any_of(c.pc == "holding" for c in sys.client)


class VipLock(SmallRefLock):
    lock = VipStore()


class DerefStore(RefStore):
    @action
    def poke(self, sys):
        """Writes to the owner without checking there is one: an error where the owner is none."""
        sys.client[sys.owner].pc = "idle"


class BadDeref(SmallRefLock):
    lock = DerefStore()


class FirstOwner(Process):
    busy = Bool()

    @action
    def take(self, sys):
        require(~self.busy)
        self.busy = True
        sys.last = self.ref


class FirstStore(Store):
    last = Ref("worker")  # no none: starts at worker1, which singles it out


class DefaultFirst(Model):
    worker = FirstOwner(count=2)
    store = FirstStore()

    @invariant
    def explored(sys):
        return True


# ---------------------------------------------------------------------------- Refs inside the replicas
class Node(Process):
    """Gossip: each node holds a Set of the nodes it knows of, a Map (keyed by node) of whom it
    told, and the last node it told: Refs inside the replicas that are permuted."""

    knows = Set(Ref("node"))
    told = Map(Ref("node"), Bool())
    last = Ref("node", none=True)

    @action
    def wake(self, sys):
        require(~self.knows.contains(self.ref))
        self.knows.add(self.ref)

    @action(to=Ref("node"))
    def tell(self, sys, to):
        require(~self.knows.is_empty() & ~self.told[to])
        for n in sys.node:
            with when(self.knows.contains(n.ref)):
                sys.node[to].knows.add(n.ref)
        self.told[to] = True
        self.last = to


class Gossip(Model):
    nodes = Param(3, min=1)
    node = Node(count="nodes")

    @invariant
    def explored(sys):
        return True

    @reachable
    def everyone_knows_everyone(sys):
        return all_of(m.knows.contains(n.ref) for m in sys.node for n in sys.node)
