"""A lease-based lock protecting a storage service, without and with fencing tokens.

Martin Kleppmann's argument ("How to do distributed locking", 2016): a client acquires a
lease on a lock, then pauses (a GC pause, a page fault, a slow network); the lease expires
while it is paused, another client acquires the lock and writes to storage; the paused client
resumes and writes too, believing it still holds the lock. A lock with leases alone cannot
stop this: the client cannot know that it was paused. The fix is in the storage: each lease
comes with a *fencing token* from a counter that only grows, every write carries its token,
and storage rejects a token lower than the highest it has accepted.

Time is abstracted: a pause is simply other steps in between, and the lease expiring is a
step of the lock service that may happen at any moment while the lease is held (the holder is
not told). ``max_leases`` bounds how many leases the lock service grants, so the instance is
finite. Each lease writes once: acquire, write, release.

Variants (parameter ``variant``): see VARIANTS.
"""

from __future__ import annotations

from checker import (
    Bool,
    Enum,
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

VARIANTS = {
    "no_fencing": "storage accepts every write: a client whose lease expired while it was paused still writes",
    "fencing": "each lease carries a fencing token; storage rejects a token lower than the highest it accepted",
}


class LockService(Store):
    """Grants numbered leases; ``next_token`` is the number of the next lease (the fencing token counter)."""

    next_token = Int(init=1, min=1, max=lambda p: p.max_leases + 1)


class Storage(Store):
    """The protected storage: the token of the last write it accepted (0: none yet).

    Storage always records the token a write came with; only the fencing variant checks it.
    """

    last_token = Int(init=0, min=0, max="max_leases")


class Client(Process):
    """Acquires the lease, writes once to storage, releases the lease; may pause anywhere."""

    pc = Enum("idle", "holding", "wrote")
    token = Int(init=0, min=0, max="max_leases")  # its lease's fencing token (0: none)
    # the lock service's record that this client holds the lease (at most one client at a time)
    leased = Bool(init=False)

    @action
    def acquire(self, sys):
        """The lock is free: take a lease, with the next token."""
        require(self.pc == "idle")
        require(all_of(~c.leased for c in sys.client))
        require(sys.next_token <= sys.params.max_leases)
        self.leased = True
        self.token = sys.next_token
        sys.next_token += 1
        self.pc = "holding"

    @action
    def write(self, sys):
        """Write to storage, believing the lease is still held (it may have expired meanwhile)."""
        require(self.pc == "holding")
        accepted = True
        if sys.params.variant == "fencing":
            accepted = self.token >= sys.last_token  # storage rejects a token older than one it accepted
        with when(accepted):
            sys.last_token = self.token
        self.pc = "wrote"

    @action
    def release(self, sys):
        """Give the lease back, if it is still this client's (an expired lease is not released twice)."""
        require(self.pc == "wrote")
        self.leased = False
        self.token = 0
        self.pc = "idle"

    @action
    def expire(self, sys):
        """Time passes: the lease runs out. The lock service frees it; the client is not told."""
        require(self.leased)
        self.leased = False


class Lease(Model):
    """Clients sharing a storage service under a lease-based lock, with or without fencing tokens."""

    description = "Lease-based lock with and without fencing tokens (Kleppmann, 2016)"

    clients = Param(2, min=1, max=8, help="clients competing for the lock")
    max_leases = Param(3, min=1, max=16, help="leases the lock service grants in all (a finite instance)")
    variant = Param("no_fencing", choices=VARIANTS, help="which storage to check")

    lock = LockService()
    storage = Storage()
    client = Client(count="clients")

    @action_invariant
    def writes_in_lease_order(old, new):
        """Storage never accepts a write of an older lease after a write of a newer one."""
        return new.last_token >= old.last_token

    @action_invariant
    def writes_under_live_lease(old, new):
        """Every write storage accepts comes from the lease the lock service considers current.

        Fencing does not give this: an expired lease's write is still accepted until a newer
        lease has written. What fencing guarantees is the order (``writes_in_lease_order``).
        """
        accepted = new.last_token != old.last_token  # each lease writes once, with its own token
        current = any_of(c.leased for c in old.client) & (new.last_token == old.next_token - 1)
        return implies(accepted, current)

    @invariant
    def written_token_was_granted(sys):
        """Storage only ever holds tokens the lock service has handed out."""
        return sys.last_token < sys.next_token

    @reachable
    def paused_past_expiry(sys):
        """Witness: a client still believes it holds a lease that has expired."""
        return any_of((c.pc == "holding") & ~c.leased for c in sys.client)
