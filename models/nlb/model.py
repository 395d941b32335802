"""Network Load Balancer health checks and automatic AZ DNS failover (us-east-1, 20 Oct 2025).

NLB nodes sit in ``azs`` Availability Zones, ``nodes_per_az`` nodes each, and together must
carry ``load`` nodes' worth of traffic. A health check subsystem checks each AZ; when an
AZ's checks fail, automatic AZ DNS failover removes the AZ from DNS (its capacity leaves
service), and puts it back when a check passes again.

During the event, EC2 was launching instances whose network state Network Manager had not
yet propagated. Checks of those nodes failed although the nodes were healthy, and then
passed, and failed again: results flapped. The environment here is adversarial in exactly
that way: while an AZ's network state has not propagated, each of its checks may pass or
fail; once it has, checks pass (the nodes are healthy). New launches can un-propagate an
AZ again at any time. As designed, two AZs flapping at once take two thirds of the capacity
out of service: connection errors (5:30 AM to 2:09 PM PDT; engineers disabled automatic
failover at 9:36 AM).

AWS's remedy is a velocity control: failover may remove at most ``removal_budget`` nodes'
worth of capacity per time window of ``window`` ticks. Capacity a failover took out and
that has not come back still counts against the next window's budget; the naive variant
that refills the whole budget every window lets flapping remove one AZ per window until
nothing is left.

Time is a window counter that resets, so every state is bounded and the proof covers
traces of any length.
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
    invariant,
    ite,
    reachable,
    require,
    sum_of,
)

VARIANTS = {
    "as_designed": "an AZ whose checks fail is removed from DNS at once; no limit",
    "velocity_control": "at most `removal_budget` nodes removed per window; capacity still out counts against it",
    "velocity_reset": "naive: the budget refills completely every window, whatever is still out",
}


def removed_capacity(sys) -> Any:
    """Nodes' worth of capacity that failover has taken out of DNS."""
    return sum_of(ite(served, 0, sys.params.nodes_per_az) for served in sys.az_in_dns)


def capacity_in_service(sys) -> Any:
    """Nodes' worth of capacity DNS serves (a sum over the AZs: the same for any number of them)."""
    return sum_of(ite(served, sys.params.nodes_per_az, 0) for served in sys.az_in_dns)


class NetworkState(Store):
    """Per AZ: has Network Manager propagated the network state of its newest instances?"""

    propagated = Array(Bool(), size="azs", init=False)  # 5:30 AM: a backlog of propagations

    @action(az="azs")
    def launch(self, sys, az):
        """New instances in the AZ: their network state is not yet propagated."""
        sys.propagated[az] = False

    @action(az="azs")
    def propagate(self, sys, az):
        """Network Manager catches up with the AZ."""
        require(~sys.propagated[az])
        sys.propagated[az] = True


class HealthChecks(Store):
    """The latest health check result per AZ."""

    check_passes = Array(Bool(), size="azs", init=True)

    @action(az="azs", passes=(False, True))
    def check(self, sys, az, passes):
        """A health check of the AZ: healthy nodes pass unless their network state lags (then: either)."""
        require(~sys.propagated[az] | passes)
        sys.check_passes[az] = passes


class Dns(Store):
    """Which AZs DNS serves (automatic AZ DNS failover writes it)."""

    az_in_dns = Array(Bool(), size="azs", init=True)


class Failover(Process):
    """Automatic AZ DNS failover, with the variant's velocity control."""

    budget = Int(init="removal_budget", min=0, max="removal_budget")  # nodes it may still remove this window
    window_clock = Int(init=0, min=0, max=lambda p: p.window - 1)

    @action(az="azs")
    def fail_over(self, sys, az):
        """The AZ's checks fail: take it out of DNS."""
        require(sys.az_in_dns[az] & ~sys.check_passes[az])
        if sys.params.variant != "as_designed":
            require(self.budget >= sys.params.nodes_per_az)
            self.budget -= sys.params.nodes_per_az
        sys.az_in_dns[az] = False

    @action(az="azs")
    def restore(self, sys, az):
        """A check passes again: the AZ returns to DNS (returning capacity needs no budget)."""
        require(~sys.az_in_dns[az] & sys.check_passes[az])
        sys.az_in_dns[az] = True

    @action
    def tick(self, sys):
        """Time passes; at the end of a window the removal budget is renewed."""
        ends = self.window_clock + 1 == sys.params.window
        self.window_clock = ite(ends, 0, self.window_clock + 1)
        full = sys.params.removal_budget
        if sys.params.variant == "velocity_control":
            self.budget = ite(ends, full - removed_capacity(sys), self.budget)
        elif sys.params.variant == "velocity_reset":
            self.budget = ite(ends, full, self.budget)


class Nlb(Model):
    """NLB health checks flapping while network state lags, and automatic AZ DNS failover."""

    description = "NLB health-check flapping and automatic AZ DNS failover (us-east-1, Oct 2025)"

    azs = Param(3, min=2, max=6, help="Availability Zones the load balancer spans")
    nodes_per_az = Param(2, min=1, max=16, help="NLB nodes (units of capacity) in each AZ")
    load = Param(4, min=1, help="nodes' worth of capacity the application needs in service")
    removal_budget = Param(2, min=0, help="velocity control: nodes failover may remove per window")
    window = Param(2, min=1, max=16, help="ticks per velocity-control window")
    variant = Param("as_designed", choices=VARIANTS, help="which design to check")

    network = NetworkState()
    health = HealthChecks()
    dns = Dns()
    failover = Failover()

    @classmethod
    def param_constraints(cls, p: SimpleNamespace) -> Iterator[tuple[tuple[str, ...], str]]:
        """Beyond each parameter's own range: the load must fit in the whole fleet."""
        if p.load > p.azs * p.nodes_per_az:
            yield (
                ("load", "nodes_per_az", "azs"),
                (f"load ({p.load}) exceeds the whole fleet ({p.azs} x {p.nodes_per_az} nodes)"),
            )

    @invariant
    def capacity_covers_load(sys):
        """The capacity DNS keeps in service never drops below the load it must carry."""
        return capacity_in_service(sys) >= sys.params.load

    @reachable
    def az_failed_over(sys):
        """Witness: failover does take an AZ out of DNS (the control is not simply off)."""
        return any_of(~served for served in sys.az_in_dns)
