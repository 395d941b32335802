"""The alternating-bit protocol over two lossy FIFO channels (a message-passing example).

A sender delivers messages ``0 .. msgs-1``, in order, to a receiver over a data channel that
may lose any message in transit; the receiver acknowledges over an ack channel that may lose
them too. A channel is a bounded sequence in a store (`Seq`), as Promela's ``chan`` or P's
send/receive: ``append`` sends, ``pop()`` receives the oldest message, ``pop(i)`` loses the
i-th one in transit.

The sender keeps (re)sending its current message until an acknowledgement carrying that
message's bit (``message % 2``) comes back, then moves on. The receiver delivers a message
whose bit is the one it expects next (the parity of what it delivered so far) and ignores
any other (a retransmission it already has), acknowledging every message it takes with that
message's bit. As designed, nothing is lost, duplicated or reordered (`in_order`), and the
sender is never ahead of the receiver (`sender_not_ahead`). The bug variant
``ignores_ack_bit`` moves on at any acknowledgement: a stale one (for a retransmission of
the previous message) makes the sender skip a message the receiver never got.

The same model in TLA+ is ``benchmarks/tla/alternating_bit/``; TLC's distinct-state counts
equal the explicit engine's (tests/test_tlc_channels.py).
"""

from __future__ import annotations

from checker import Int, Model, Param, Process, Seq, Store, action, all_of, implies, invariant, reachable, require, when

VARIANTS = {
    "alternating_bit": "the sender moves on only at an acknowledgement carrying its message's bit",
    "ignores_ack_bit": "the sender moves on at any acknowledgement (a stale one too)",
}


class Channels(Store):
    """The network: a data channel (message numbers) and an ack channel (bits), both FIFO."""

    data = Seq(Int(min=0, max=lambda p: p.msgs - 1), capacity="capacity")
    acks = Seq(Int(min=0, max=1), capacity="capacity")


class Sender(Process):
    """Sends message ``next`` until it is acknowledged; ``msgs`` when all are."""

    next = Int(init=0, min=0, max="msgs")

    @action
    def send(self, sys):
        """(Re)send the current message: no timer, so a retransmission may happen any time."""
        require(self.next < sys.params.msgs)
        require(~sys.data.is_full())
        sys.data.append(self.next)

    @action
    def receive_ack(self, sys):
        """Take the oldest acknowledgement; move on if it is for the current message."""
        require(~sys.acks.is_empty())
        bit = sys.acks.pop()
        current = bit == self.next % 2
        if sys.params.variant == "ignores_ack_bit":
            current = True  # the bug: any acknowledgement counts
        with when(current & (self.next < sys.params.msgs)):
            self.next += 1


class Receiver(Process):
    """Delivers each message once, in order, and acknowledges what it takes."""

    delivered = Seq(Int(min=0, max=lambda p: p.msgs - 1), capacity="msgs")

    @action
    def receive(self, sys):
        """Take the oldest message; deliver it if its bit is the one expected next; ack it."""
        require(~sys.data.is_empty() & ~sys.acks.is_full())
        message = sys.data.pop()
        with when((message % 2 == self.delivered.len() % 2) & ~self.delivered.is_full()):
            self.delivered.append(message)  # the bit it expects: a new message
        sys.acks.append(message % 2)  # acknowledge what it took, new or not


class Network(Process):
    """Loses any message in transit, on either channel."""

    @action(i="capacity")
    def lose_data(self, sys, i):
        require(i < sys.data.len())
        sys.data.pop(i)

    @action(i="capacity")
    def lose_ack(self, sys, i):
        require(i < sys.acks.len())
        sys.acks.pop(i)


class AlternatingBit(Model):
    """The alternating-bit protocol over lossy FIFO channels."""

    description = (
        "Alternating-bit protocol over lossy FIFO channels (Seq); a sender ignoring the ack bit skips a message"
    )

    msgs = Param(2, min=1, max=20, help="messages to send")
    capacity = Param(2, min=1, max=10, help="messages a channel holds in transit")
    variant = Param("alternating_bit", choices=list(VARIANTS), help="the protocol, or its bug")

    channels = Channels()
    sender = Sender()
    receiver = Receiver()
    network = Network()

    @invariant
    def in_order(sys):
        """What was delivered is 0, 1, 2, ...: nothing lost, duplicated or reordered."""
        return all_of(sys.receiver.delivered.get(i, i) == i for i in range(sys.params.msgs))

    @invariant
    def sender_not_ahead(sys):
        """The sender moved past a message only once the receiver delivered it."""
        return sys.sender.next <= sys.receiver.delivered.len()

    @invariant
    def done_means_delivered(sys):
        """When the sender is done, the receiver has every message."""
        return implies(sys.sender.next == sys.params.msgs, sys.receiver.delivered.len() == sys.params.msgs)

    @reachable
    def all_delivered(sys):
        """A run delivers every message (a guard against a vacuous model)."""
        return sys.receiver.delivered.is_full()
