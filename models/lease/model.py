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
    Enum,
    Int,
    Model,
    Param,
    Process,
    Ref,
    Store,
    action,
    action_invariant,
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
    """Grants numbered leases to one client at a time; ``next_token`` numbers the next lease
    (the fencing token counter)."""

    holder = Ref("client", none=True)  # the client holding the lease ("none": free)
    next_token = Int(init=1, min=1, max=lambda p: p.max_leases + 1)

    @action
    def expire(self, sys):
        """Time passes: the lease runs out and the lock is free again. The holder is not told."""
        require(sys.holder != "none")
        sys.holder = "none"


class Storage(Store):
    """The protected storage: the token of the last write it accepted (0: none yet).

    Storage always records the token a write came with; only the fencing variant checks it.
    """

    last_token = Int(init=0, min=0, max="max_leases")


class Client(Process):
    """Acquires the lease, writes once to storage, releases the lease; may pause anywhere."""

    pc = Enum("idle", "holding", "wrote")
    token = Int(init=0, min=0, max="max_leases")  # its lease's fencing token (0: none)

    @action
    def acquire(self, sys):
        """The lock is free: take a lease, with the next token."""
        require(self.pc == "idle")
        require(sys.holder == "none")
        require(sys.next_token <= sys.params.max_leases)
        sys.holder = self.ref
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
        """Give the lease back, if it is still this client's (not a newer holder's lease)."""
        require(self.pc == "wrote")
        with when(sys.holder == self.ref):
            sys.holder = "none"
        self.token = 0
        self.pc = "idle"


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
        current = (old.holder != "none") & (new.last_token == old.next_token - 1)
        return implies(accepted, current)

    @invariant
    def written_token_was_granted(sys):
        """Storage only ever holds tokens the lock service has handed out."""
        return sys.last_token < sys.next_token

    @reachable
    def paused_past_expiry(sys):
        """Witness: a client still believes it holds a lease that has expired."""
        return any_of((c.pc == "holding") & (sys.holder != c.ref) for c in sys.client)
