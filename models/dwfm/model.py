"""EC2's DropletWorkflow Manager (DWFM) after the DynamoDB outage: congestive collapse.

DWFM holds a lease on every droplet (physical server); renewing it needs DynamoDB. While
DynamoDB is down the renewals fail and leases time out one by one; each droplet without a
lease asks DWFM for a new one, and DWFM queues the work. Establishing a lease takes
``work_time`` ticks of a worker. A request not answered within ``timeout`` ticks of being
queued is given up and queued again ("additional work was queued to reattempt establishing
the droplet lease"), but the old work item stays in the queue: a worker still spends
``work_time`` on it, and the lease it would establish is thrown away. Once working off the
backlog takes longer than ``timeout``, every request waits behind others until it is
stale, is worked on anyway, and is queued again: even with DynamoDB back, no lease is ever
re-established (the postmortem's "congestive collapse", 2:25 to 5:28 AM PDT).

Abstractions, and why they are sound for this question:

* Droplets are interchangeable, so the fleet is a count of leased droplets. A work item
  needs no droplet identity: a droplet re-queues only when its request went stale, so an
  item still within its deadline is the one live request of an unleased droplet, and a
  stale item is wasted work. Completing a fresh item leases one more droplet.
* The queue is FIFO, so item ages never increase from head to tail, and an age saturates
  at ``timeout + 1`` (stale; how stale no longer matters). That keeps the state finite.
* Time is discrete: the clock's ``tick`` ages every item and advances the workers. Every
  other action is instantaneous and *urgent*: the clock ticks only when no worker can take,
  finish or drop work and no droplet can queue a request (maximal progress), so time never
  passes while a worker sits idle in front of a non-empty queue.
* The real queue is unbounded; the model's holds ``queue_capacity`` items and a full queue
  refuses new items. ``queue_bounded`` (at most ``queue_limit`` waiting items) is checked
  below that capacity, so it is the design, not the model's size, that keeps it true.

Variants (parameter ``variant``) are the designs; see VARIANTS. ``throttled`` works when
``throttle * work_time <= timeout`` (every admitted request can be finished in time);
``drop_expired`` drops an item at the head of the queue once its deadline has passed or
would pass before a worker could finish it, and the droplet's request is queued again,
fresh. The naive fixes are parameters, not variants: a longer ``timeout`` that is still
shorter than the backlog (specs/dwfm_longer_timeout.toml), a ``throttle`` set too loose
(specs/dwfm_loose_throttle.toml).

Fairness: every action except a lease expiring is weakly fair (`@action(fair=True)`): a
worker that can go on does, DynamoDB does recover, time does pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from checker import (
    Array,
    Bool,
    Int,
    Model,
    Param,
    Process,
    Store,
    action,
    any_of,
    count_of,
    eventually,
    invariant,
    ite,
    min_,
    reachable,
    require,
)

VARIANTS = {
    "as_designed": "every request is queued; stale work is still processed and its lease thrown away",
    "throttled": "a request is admitted only while the backlog (waiting + in progress) is below `throttle`",
    "drop_expired": "work whose deadline has passed (or will before it could finish) is dropped, not worked on",
}


def stale_age(p: Any) -> int:
    """The saturated age of an item past its deadline (ages 0..timeout are within it)."""
    return p.timeout + 1


def queue_limit(p: Any) -> int:
    """A healthy DWFM holds at most one request per droplet."""
    return p.droplets if p.queue_limit is None else p.queue_limit


# ---------------------------------------------------------------------------- helpers
def fresh_waiting(sys) -> Any:
    """Queued items still within their deadline: each is an unleased droplet's live request."""
    return sum(ite((i < sys.queued) & (sys.queue[i] <= sys.params.timeout), 1, 0) for i in range(len(sys.queue)))


def live_requests(sys) -> Any:
    """Droplets with a request that can still succeed: fresh queued items and fresh work in progress."""
    in_progress = count_of(w.busy & (w.age <= sys.params.timeout) for w in sys.worker)
    return fresh_waiting(sys) + in_progress


def backlog(sys) -> Any:
    """Work DWFM holds: waiting items plus items a worker is on."""
    return sys.queued + count_of(w.busy for w in sys.worker)


def can_request(sys) -> Any:
    """An unleased droplet without a live request can queue one (if the queue admits it)."""
    unserved = sys.params.droplets - sys.leased - live_requests(sys)
    admitted = sys.queued < sys.params.queue_capacity
    if sys.params.variant == "drop_expired":
        admitted = admitted & ~can_drop(sys)  # expired work leaves before new work is admitted
    if sys.params.variant == "throttled":
        admitted = admitted & (backlog(sys) < sys.params.throttle)
    return (unserved > 0) & admitted


def head_doomed(sys) -> Any:
    """The head item's deadline has passed, or will before a worker could finish it."""
    return (sys.queued > 0) & (sys.queue[0] + sys.params.work_time > sys.params.timeout)


def can_drop(sys) -> Any:
    return head_doomed(sys) if sys.params.variant == "drop_expired" else False


def can_take(sys, worker) -> Any:
    ready = ~worker.busy & (sys.queued > 0)
    if sys.params.variant == "drop_expired":
        ready = ready & ~head_doomed(sys)  # a doomed head is dropped, not worked on
    return ready


def can_finish(sys, worker) -> Any:
    return worker.busy & (worker.progress == sys.params.work_time)


def anything_urgent(sys) -> Any:
    return can_request(sys) | can_drop(sys) | any_of(can_take(sys, w) | can_finish(sys, w) for w in sys.worker)


# ---------------------------------------------------------------------------- components
class DynamoDB(Store):
    """The dependency: down at the start (11:48 PM PDT); recovers; may fail again `outages - 1` times."""

    ddb_up = Bool(init=False)
    outages_left = Int(init=lambda p: p.outages - 1, min=0, max=lambda p: p.outages - 1)

    @action(fair=True)
    def recover(self, sys):
        require(~sys.ddb_up)
        sys.ddb_up = True

    @action
    def fail(self, sys):
        require(sys.params.outages > 1)  # with one outage, off for these parameters (not a dead guard)
        require(sys.ddb_up & (sys.outages_left > 0))
        sys.ddb_up = False
        sys.outages_left -= 1


class Fleet(Store):
    """How many droplets hold a lease; every one does at the start."""

    leased = Int(init="droplets", min=0, max="droplets")
    fewest_leased = Int(init="droplets", min=0, max="droplets")  # history, for a witness only

    @action
    def lease_expires(self, sys):
        """A lease times out: its renewal (a state check) needs DynamoDB."""
        require(~sys.ddb_up & (sys.leased > 0))
        sys.leased -= 1
        sys.fewest_leased = min_(sys.fewest_leased, sys.leased)

    @action(fair=True)
    def request(self, sys):
        """An unleased droplet without a live request (re)queues lease work, age 0."""
        require(can_request(sys))
        sys.queued += 1  # the slot at position `queued` already holds age 0


class WorkQueue(Store):
    """DWFM's FIFO work queue: the age in ticks of each waiting item, oldest first."""

    queue = Array(Int(min=0, max=stale_age), size="queue_capacity", init=0)
    queued = Int(init=0, min=0, max="queue_capacity")

    def pop(self, sys) -> Any:
        """Remove the head item and return its age; the freed slot at the tail reads 0."""
        age = sys.queue[0]
        for i in range(len(sys.queue) - 1):
            sys.queue[i] = sys.queue[i + 1]
        sys.queue[len(sys.queue) - 1] = 0
        sys.queued -= 1
        return age

    @action(fair=True)
    def drop_stale(self, sys):
        """drop_expired: the head item cannot meet its deadline: drop it without working on it."""
        require(can_drop(sys))
        self.pop(sys)


class Worker(Process):
    """A DWFM worker: takes the head item and works on it for `work_time` ticks."""

    busy = Bool()
    age = Int(init=0, min=0, max=stale_age)  # the age of the item it is working on
    progress = Int(init=0, min=0, max="work_time")

    @action(fair=True)
    def take(self, sys):
        require(can_take(sys, self))
        self.age = sys.work_queue.pop(sys)
        self.busy = True
        self.progress = 0

    @action(fair=True)
    def finish(self, sys):
        """The lease is established if DynamoDB is up and the request has not gone stale."""
        require(can_finish(sys, self))
        success = sys.ddb_up & (self.age <= sys.params.timeout)
        sys.leased = sys.leased + ite(success, 1, 0)
        self.busy = False
        self.age = 0
        self.progress = 0


class Clock(Process):
    """Discrete time: one tick ages every waiting item and advances every busy worker."""

    @action(fair=True)
    def tick(self, sys):
        require(~anything_urgent(sys))
        stale = stale_age(sys.params)
        for i in range(len(sys.queue)):
            sys.queue[i] = ite(i < sys.queued, min_(sys.queue[i] + 1, stale), sys.queue[i])
        for w in sys.worker:
            w.age = ite(w.busy, min_(w.age + 1, stale), w.age)
            w.progress = ite(w.busy, w.progress + 1, w.progress)


class Dwfm(Model):
    """DWFM re-establishing droplet leases after DynamoDB recovers."""

    description = "EC2 DWFM droplet leases after the DynamoDB outage: congestive collapse (us-east-1, Oct 2025)"

    droplets = Param(3, min=1, max=4, help="droplets whose leases DWFM manages")
    workers = Param(1, min=1, max=2, help="DWFM workers establishing leases")
    work_time = Param(2, min=1, max=4, help="ticks a worker needs to establish one lease")
    timeout = Param(3, min=1, max=8, help="ticks after which a request is given up and queued again")
    queue_capacity = Param(6, min=1, max=8, help="items the model's queue holds (the real one is unbounded)")
    queue_limit = Param(None, type=int, min=1, help="queue_bounded: at most this many waiting items (none: droplets)")
    throttle = Param(1, min=1, help="throttled: admit a request only while the backlog is below this")
    outages = Param(1, min=1, max=2, help="DynamoDB outages (the first is in progress at the start)")
    variant = Param("as_designed", choices=VARIANTS, help="which design to check")

    dynamodb = DynamoDB()
    fleet = Fleet()
    work_queue = WorkQueue()
    worker = Worker(count="workers")
    clock = Clock()

    @classmethod
    def param_constraints(cls, p: SimpleNamespace) -> Iterator[tuple[tuple[str, ...], str]]:
        """Beyond each parameter's own range: combinations that would make a property meaningless."""
        if p.timeout < p.work_time:
            yield (
                ("timeout", "work_time"),
                (f"timeout ({p.timeout}) must be at least work_time ({p.work_time}): no attempt could succeed"),
            )
        limit = p.droplets if p.queue_limit is None else p.queue_limit
        if p.queue_capacity <= limit:
            yield (
                ("queue_capacity", "queue_limit", "droplets"),
                (
                    f"queue_capacity ({p.queue_capacity}) must exceed queue_limit ({limit}), "
                    "or queue_bounded could never fail"
                ),
            )

    @eventually
    def leases_recovered(sys):
        """After DynamoDB recovers, every droplet eventually holds a lease (workers weakly fair)."""
        return sys.ddb_up & (sys.leased == sys.params.droplets)

    @invariant
    def queue_bounded(sys):
        """DWFM's queue never holds more than `queue_limit` waiting items."""
        return sys.queued <= queue_limit(sys.params)

    @invariant
    def no_duplicate_lease(sys):
        """Sanity of the abstraction: live requests never outnumber unleased droplets."""
        return live_requests(sys) + sys.leased <= sys.params.droplets

    @reachable
    def all_leases_lost(sys):
        """Witness: the outage can take every lease."""
        return sys.leased == 0

    @reachable
    def recovered_from_total_loss(sys):
        """Witness: every lease was lost, and every one re-established."""
        return (sys.fewest_leased == 0) & (sys.leased == sys.params.droplets)
