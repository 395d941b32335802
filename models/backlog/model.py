"""EC2 Network Manager's propagation backlog after DWFM recovered (us-east-1, 20 Oct 2025).

When DWFM had leases again (5:28 AM PDT), EC2 launches resumed, and every launch queued
network state propagation work for Network Manager (``fanout`` items: the new instance and
the appliances and instances that must learn about it). Network Manager propagates ``rate``
items per tick. Launches arrived faster than that, on top of the backlog the outage had left
(``initial_backlog``): from 6:21 AM propagation latency grew, and new instances launched
without network connectivity until 10:36 AM.

Time is discrete, with maximal progress: the clock ticks only once Network Manager has used
its whole ``rate`` for the tick (or has nothing to do), and at most ``launch_rate`` launches
arrive per tick. The backlog is an unbounded integer: as designed it grows without limit.
AWS's remedy is to throttle incoming work on the size of the waiting queue: a launch is
admitted only if its work fits under ``limit`` (otherwise it is refused: "request limit
exceeded"). Both properties are then proved for traces of any length.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

from checker import Int, Model, Param, Process, Store, action, invariant, reachable, require

VARIANTS = {
    "as_designed": "every launch queues its propagation work",
    "throttled": "a launch is admitted only if the backlog with its work stays within `limit`",
}


class Backlog(Store):
    """Network state propagations waiting for Network Manager."""

    backlog = Int(init="initial_backlog", min=0)


class Launches(Process):
    """EC2 launch requests, at most `launch_rate` per tick."""

    this_tick = Int(init=0, min=0, max="launch_rate")

    @action
    def launch(self, sys):
        """An instance launches and queues `fanout` propagation items (if admitted)."""
        require(self.this_tick < sys.params.launch_rate)
        if sys.params.variant == "throttled":
            require(sys.backlog + sys.params.fanout <= sys.params.limit)  # else: request limit exceeded
        self.this_tick += 1
        sys.backlog += sys.params.fanout


class NetworkManager(Process):
    """Propagates one item per step, at most `rate` per tick."""

    this_tick = Int(init=0, min=0, max="rate")

    @action
    def propagate(self, sys):
        require((sys.backlog > 0) & (self.this_tick < sys.params.rate))
        sys.backlog -= 1
        self.this_tick += 1


class Clock(Process):
    """A tick: only once Network Manager has done its tick's work (maximal progress)."""

    @action
    def tick(self, sys):
        nm = sys.network_manager
        require((nm.this_tick == sys.params.rate) | (sys.backlog == 0))
        nm.this_tick = 0
        sys.launches.this_tick = 0


class NetworkBacklog(Model):
    """Network Manager's propagation backlog, as designed and with queue-size throttling."""

    description = "EC2 Network Manager propagation backlog after the outage; throttling by queue size"

    rate = Param(2, min=1, max=100, help="items Network Manager propagates per tick")
    launch_rate = Param(2, min=0, max=100, help="launches arriving per tick")
    fanout = Param(2, min=1, max=100, help="propagation items each launch queues")
    initial_backlog = Param(2, min=0, help="items the outage left waiting")
    limit = Param(6, min=1, help="the backlog's limit (throttled: the admission threshold)")
    max_delay = Param(3, min=1, help="ticks within which a newly queued change must be propagated")
    variant = Param("as_designed", choices=VARIANTS, help="which design to check")

    backlog_store = Backlog()
    launches = Launches()
    network_manager = NetworkManager()
    clock = Clock()

    @classmethod
    def param_constraints(cls, p: SimpleNamespace) -> Iterator[tuple[tuple[str, ...], str]]:
        """Beyond each parameter's own range: the backlog must start within its limit."""
        if p.initial_backlog > p.limit:
            yield ("initial_backlog", "limit"), f"initial_backlog ({p.initial_backlog}) is above limit ({p.limit})"

    @invariant
    def backlog_under_limit(sys):
        """Network Manager's backlog never exceeds `limit` items."""
        return sys.backlog <= sys.params.limit

    @invariant
    def propagation_delay_bounded(sys):
        """A change queued now is propagated within `max_delay` ticks (at most max_delay x rate items ahead)."""
        return sys.backlog <= sys.params.max_delay * sys.params.rate

    @reachable
    def backlog_reaches_limit(sys):
        """Witness: the backlog does fill up to its limit (throttling is exercised, not idle)."""
        return sys.backlog == sys.params.limit
