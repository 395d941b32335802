"""Small systems over replica identities for the keyed proofs for every replica count
(tests/test_param_keyed.py): sets of replica ids, actions over a chosen replica, and
all_of/any_of over the replicas. Known answers, for N voters (``voters`` = N):

* ``Ballot``: each voter votes once (its id joins ``ballot.cast``); the tally closes only
  when every voter has voted; ``closed_after_all`` (every voter voted once the tally is
  closed) holds for every N.
* ``HastyBallot``: the tally closes when *some* voter has voted: ``closed_after_all`` holds
  for N = 1 and is violated for every N >= 2.
* ``Mutex`` keeps "whoever is in the critical section holds the lock" (a shared
  ``Ref`` holder) for every N; ``GreedyMutex`` takes the lock without looking (N >= 2: violated).
* ``SummingBallot`` counts the votes with ``sum``, ``SizedBallot`` with ``len(sys.voter)``,
  ``LeaderBallot`` keeps a voter's id in a shared `Ref` without ``none`` (it starts naming
  voter1): the keyed reading refuses them,
  each with its reason.
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
    initial,
    invariant,
    ite,
    require,
)


class Tally(Store):
    cast = Set(Ref("voter"))  # the voters whose vote is in
    counted = Set(Ref("voter"))  # the votes the clerk has counted
    closed = Bool()


class Voter(Process):
    state = Enum("idle", "voted")

    @action
    def vote(self, sys):
        require(self.state == "idle")
        self.state = "voted"
        sys.cast.add(self.ref)


class Clerk(Process):
    @action(voter=Ref("voter"))
    def count(self, sys, voter):
        require(sys.cast.contains(voter) & ~sys.counted.contains(voter))
        sys.counted.add(voter)

    @action
    def close(self, sys):
        require(~sys.closed)
        require(all_of(sys.counted.contains(v.ref) for v in sys.voter))
        sys.closed = True


class HastyClerk(Clerk):
    @action
    def close(self, sys):
        require(~sys.closed)
        require(any_of(sys.counted.contains(v.ref) for v in sys.voter))
        sys.closed = True


class Ballot(Model):
    voters = Param(2, min=1, max=5)
    tally = Tally()
    clerk = Clerk()
    voter = Voter(count="voters")

    @invariant
    def closed_after_all(sys):
        return ~sys.closed | all_of(v.state == "voted" for v in sys.voter)


class HastyBallot(Ballot):
    clerk = HastyClerk()


class SummingBallot(Ballot):
    @invariant
    def few_counted(sys):
        return sum(ite(sys.counted.contains(v.ref), 1, 0) for v in sys.voter) <= 5


class SizedBallot(Ballot):
    @invariant
    def few_voters(sys):
        return len(sys.voter) <= 5


class Chair(Store):
    leader = Ref("voter")  # starts naming voter1: singles one out


class LeaderVoter(Voter):
    @action
    def lead(self, sys):
        require(self.state == "voted")
        sys.leader = self.ref


class LeaderBallot(Ballot):
    chair = Chair()
    voter = LeaderVoter(count="voters")


# A lock whose holder is a shared Ref: ``Mutex`` keeps "whoever is in the critical section
# holds the lock" for every N; ``GreedyMutex`` takes the lock without looking: violated for N >= 2.
class Lock(Store):
    holder = Ref("client", none=True)


class Client(Process):
    pc = Enum("idle", "critical")

    @action
    def acquire(self, sys):
        require(self.pc == "idle")
        require(sys.holder == "none")
        sys.holder = self.ref
        self.pc = "critical"

    @action
    def release(self, sys):
        require(self.pc == "critical")
        sys.holder = "none"
        self.pc = "idle"


class GreedyClient(Client):
    @action
    def acquire(self, sys):
        require(self.pc == "idle")
        sys.holder = self.ref
        self.pc = "critical"


class Mutex(Model):
    clients = Param(2, min=1, max=5)
    lock = Lock()
    client = Client(count="clients")

    @invariant
    def critical_holds_lock(sys):
        return all_of((c.pc != "critical") | (sys.holder == c.ref) for c in sys.client)


class GreedyMutex(Mutex):
    client = GreedyClient(count="clients")


# Several initial states: each worker starts with a budget of 1..3 (its own choice), the pool
# with 0 or 1 spent. ``Budgets`` keeps every budget positive for every N; ``HookedBudgets``
# chooses them with an @initial hook, which the reading refuses.
class Pool(Store):
    spent = Int(init=range(0, 2), min=0, max=1)


class Spender(Process):
    budget = Int(init=range(1, 4), min=0, max=3)

    @action
    def spend(self, sys):
        require(self.budget > 1)
        self.budget = self.budget - 1


class Budgets(Model):
    workers = Param(2, min=1, max=4)
    pool = Pool()
    worker = Spender(count="workers")

    @invariant
    def budgets_positive(sys):
        return all_of(w.budget >= 1 for w in sys.worker)


class BrokeSpender(Spender):
    @action
    def spend(self, sys):
        require(self.budget > 0)
        self.budget = self.budget - 1


class BrokeBudgets(Budgets):
    worker = BrokeSpender(count="workers")


class HookedSpender(Spender):
    budget = Int(init=1, min=0, max=3)

    @initial(b=range(1, 3))
    def pick(self, sys, b):
        self.budget = b


class HookedBudgets(Budgets):
    worker = HookedSpender(count="workers")


class Ledger(Store):
    spenders = Set(Ref("worker"))  # the workers that have spent


class RecordingSpender(Spender):
    @action
    def spend(self, sys):
        require(self.budget > 1)
        self.budget = self.budget - 1
        sys.spenders.add(self.ref)


class RecordedBudgets(Budgets):
    """Budgets with a shared set of worker ids (the keyed reading) and several initial states."""

    ledger = Ledger()
    worker = RecordingSpender(count="workers")

    @invariant
    def spenders_started_above_one(sys):
        return all_of(~sys.spenders.contains(w.ref) | (w.budget >= 1) for w in sys.worker)


# A shared Map keyed by replica: each replica marks its own entry once. ``Hits`` keeps "a
# marked entry's replica has acted" for every N; ``StrayHits`` lets the store mark any entry.
class Board(Store):
    hits = Map(Ref("player"), Int(min=0, max=1))


class Player(Process):
    acted = Bool()

    @action
    def hit(self, sys):
        require(sys.hits[self.ref] == 0)
        sys.hits[self.ref] = 1
        self.acted = True


class StrayBoard(Board):
    @action(to=Ref("player"))
    def mark(self, sys, to):
        sys.hits[to] = 1


class Hits(Model):
    players = Param(2, min=1, max=4)
    board = Board()
    player = Player(count="players")

    @invariant
    def marked_have_acted(sys):
        return all_of((sys.hits[p.ref] == 0) | p.acted for p in sys.player)


class StrayHits(Hits):
    board = StrayBoard()
