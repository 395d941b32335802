"""Two-phase commit (after Lamport's TLA+ specification TwoPhase, with messages as sets).

Resource managers (RMs) vote on a transaction: each one either prepares (votes yes, and sends
"Prepared" to the transaction manager) or, while still working, aborts on its own. The TM
commits once every RM is prepared and aborts otherwise; RMs learn the decision from a
message. Messages are never lost or reordered in a way that matters: they are sets.

The TM cannot tell an RM that is slow to vote from one that aborted on its own and will never
vote. Without a rule to give up (variant ``no_timeout``), the TM waits forever for the missing
vote and every prepared RM waits forever for a decision: the protocol blocks. The timeout
(variant ``timeout``) lets the TM abort at any moment before it decides; time is abstracted,
so the timeout is a step that may happen whenever the TM is undecided, as in Lamport's TMAbort.

Either way, no RM commits while another aborts (``consistent``): the timeout gives liveness
without costing safety.
"""

from __future__ import annotations

from checker import (
    Enum,
    Model,
    Param,
    Process,
    Ref,
    Set,
    Store,
    action,
    all_of,
    any_of,
    eventually,
    invariant,
    reachable,
    require,
)

VARIANTS = {
    "no_timeout": "the TM commits when every RM is prepared and otherwise waits: a vote that never comes blocks it",
    "timeout": "the TM may also abort while undecided (a timeout): every RM eventually learns the outcome",
}


class Network(Store):
    """The messages sent so far (Lamport's ``msgs``): the RMs' Prepared votes, and the TM's
    decision once sent. Nothing is ever removed, so delivery may be late but never lost."""

    votes = Set(Ref("rm"))  # the RMs whose Prepared message is in the network
    decision = Enum("none", "commit", "abort")


class TransactionManager(Process):
    """Collects the votes and decides."""

    state = Enum("init", "committed", "aborted")
    prepared = Set(Ref("rm"))  # the RMs whose Prepared message it has received

    @action(rm=Ref("rm"), fair=True)
    def receive_vote(self, sys, rm):
        """Receive ``rm``'s Prepared message while still undecided."""
        require(self.state == "init")
        require(sys.votes.contains(rm) & ~self.prepared.contains(rm))
        self.prepared.add(rm)

    @action(fair=True)
    def commit(self, sys):
        """Every RM's Prepared message has arrived: commit and tell them."""
        require(self.state == "init")
        require(all_of(self.prepared.contains(r.ref) for r in sys.rm))
        self.state = "committed"
        sys.decision = "commit"

    @action(fair=True)
    def abort(self, sys):
        """The timeout: give up waiting for votes, abort and tell the RMs."""
        require(sys.params.variant == "timeout")
        require(self.state == "init")
        self.state = "aborted"
        sys.decision = "abort"


class ResourceManager(Process):
    """Votes, then follows the TM's decision."""

    state = Enum("working", "prepared", "committed", "aborted")

    @action(fair=True)
    def prepare(self, sys):
        """Vote yes: prepare and send Prepared to the TM."""
        require(self.state == "working")
        self.state = "prepared"
        sys.votes.add(self.ref)

    @action
    def choose_to_abort(self, sys):
        """Abort on its own while still working (it will never vote); not fair: it may never happen."""
        require(self.state == "working")
        self.state = "aborted"

    @action(fair=True)
    def receive_commit(self, sys):
        require(sys.decision == "commit")
        require(self.state == "prepared")
        self.state = "committed"

    @action(fair=True)
    def receive_abort(self, sys):
        require(sys.decision == "abort")
        require((self.state == "working") | (self.state == "prepared"))
        self.state = "aborted"


class TwoPhase(Model):
    """Two-phase commit with ``rms`` resource managers and one transaction manager."""

    description = "Two-phase commit, with and without the transaction manager's timeout"

    rms = Param(3, min=1, max=8, help="resource managers taking part in the transaction")
    variant = Param("no_timeout", choices=VARIANTS, help="which transaction manager to check")

    network = Network()
    tm = TransactionManager()
    rm = ResourceManager(count="rms")

    @invariant
    def consistent(sys):
        """No RM has committed while another has aborted."""
        committed = any_of(r.state == "committed" for r in sys.rm)
        aborted = any_of(r.state == "aborted" for r in sys.rm)
        return ~(committed & aborted)

    @eventually
    def every_rm_decided(sys):
        """Every fair path reaches a state where each RM has committed or aborted (none blocked)."""
        return all_of((r.state == "committed") | (r.state == "aborted") for r in sys.rm)

    @reachable
    def all_committed(sys):
        """Witness: the transaction can commit everywhere (the protocol is not trivially aborting)."""
        return all_of(r.state == "committed" for r in sys.rm)
