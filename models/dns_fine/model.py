"""The DynamoDB DNS race (models/dns) with each Enactor's work split into eight small steps.

Models translated from PlusCal or Promela have one action per label: many small actions and
deep shortest traces. This is the same race at that grain, the benchmark for deep BMC
(issue 15 §3) and the twin of benchmarks/tla/dns_fine/DnsFine.tla (TLC counts the same
distinct states as raceproof's explicit search).

An Enactor's steps (``pc`` names the next one):

1. ``pick``: read the newest plan generation into ``plan``;
2. ``check``: the one-time check that ``plan`` is newer than the regional endpoint's (endpoint 0);
   not newer: back to idle. This is the check that goes stale;
3. ``begin``: start at the first endpoint;
4. ``read_record``: read the endpoint's record into ``current`` (the value its change batch
   will name);
5. ``write``: one Route53 transaction: it replaces the record only if the record still holds
   ``current`` and that plan still exists (a DELETE must name the record's exact value, and a
   record naming a deleted plan cannot be read), else it changes nothing;
6. ``advance``: on to the next endpoint, or to cleanup after the last one;
7. ``cleanup``: compute the oldest generation to keep (``plan - cleanup_age``);
8. ``delete``: delete every older plan, and go idle.

The transaction's own comparison is with the record's value, never with the plan's
generation: a delayed Enactor that re-reads a newer record still overwrites it with its
older plan, and a faster Enactor's cleanup then deletes the plan the endpoint serves.

The plan store and the properties the two models share are models/dns's own (imported, not
repeated), so that both check the same claims.
"""

from __future__ import annotations

from checker import (
    Array,
    Enum,
    Int,
    Model,
    Param,
    Process,
    Store,
    action,
    invariant,
    ite,
    require,
    when,
)

from ..dns.model import Dns, PlanStore


class Planner(Process):
    """Creates plan generation latest+1, up to `max_plans`."""

    latest = Int(init=1, min=1, max="max_plans")

    @action
    def plan(self, sys):
        require(self.latest < sys.params.max_plans)
        self.latest += 1
        sys.plans.add(self.latest)


class Route53(Store):
    """Per endpoint: the plan generation its record serves."""

    endpoint_plan = Array(Int(min=1, max="max_plans"), size="endpoints", init=1)


class Enactor(Process):
    """Applies the newest plan to every endpoint, then deletes older plans: eight steps."""

    pc = Enum("idle", "check", "begin", "read_record", "write", "advance", "cleanup", "delete")
    plan = Int(init=0, min=0, max="max_plans")  # the generation this Enactor holds
    cursor = Int(init=0, min=0, max="endpoints")  # the endpoint being written
    current = Int(init=0, min=0, max="max_plans")  # the record's value as read by read_record
    oldest = Int(init=0, min=-16, max="max_plans")  # cleanup keeps generations >= oldest

    @action
    def pick(self, sys):
        require(self.pc == "idle")
        self.plan = sys.planner.latest
        self.pc = "check"

    @action
    def check(self, sys):
        require(self.pc == "check")
        self.pc = ite(self.plan > sys.endpoint_plan[0], "begin", "idle")

    @action
    def begin(self, sys):
        require(self.pc == "begin")
        self.cursor = 0
        self.pc = "read_record"

    @action
    def read_record(self, sys):
        require(self.pc == "read_record")
        self.current = sys.endpoint_plan[self.cursor]
        self.pc = "write"

    @action
    def write(self, sys):
        require(self.pc == "write")
        record = sys.endpoint_plan[self.cursor]
        with when((record == self.current) & sys.plans.contains(record)):
            sys.endpoint_plan[self.cursor] = self.plan
        self.current = 0  # a local of the step: forgotten (fewer distinct states, as in the TLA+ twin)
        self.pc = "advance"

    @action
    def advance(self, sys):
        require(self.pc == "advance")
        last = self.cursor + 1 == sys.params.endpoints
        self.cursor = ite(last, self.cursor, self.cursor + 1)
        self.pc = ite(last, "cleanup", "read_record")

    @action
    def cleanup(self, sys):
        require(self.pc == "cleanup")
        self.oldest = self.plan - sys.params.cleanup_age
        self.pc = "delete"

    @action
    def delete(self, sys):
        require(self.pc == "delete")
        sys.plans.discard_if(lambda g: g < self.oldest)
        self.oldest = 0
        self.pc = "idle"


class DnsFine(Model):
    """DNS Planner, N Enactors of eight steps each, the plan store and Route53."""

    description = "DynamoDB DNS race, fine-grained Enactors (8 steps each)"

    enactors = Param(3, min=1, max=8, help="number of independent DNS Enactors")
    endpoints = Param(2, min=1, max=4, help="DNS endpoints; endpoint 0 is the regional one")
    cleanup_age = Param(1, min=0, max=16, help="cleanup deletes plans more than this many generations older")
    max_plans = Param(4, min=1, max=16, help="bound on plan generations")

    planner = Planner()
    enactor = Enactor(count="enactors")
    plan_store = PlanStore()
    route53 = Route53()

    endpoint_never_empty = Dns.endpoint_never_empty
    plan_never_regresses = Dns.plan_never_regresses

    @invariant
    def newest_plan_exists(sys):
        """Cleanup never deletes the newest plan (it keeps its own, which is at most the newest): holds."""
        return sys.plans.contains(sys.planner.latest)

    every_endpoint_updated = Dns.every_endpoint_updated
