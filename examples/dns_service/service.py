"""The DNS Planner and Enactors, written the way a DNS team would, against real stores.

Each method that touches shared state (the plan store, the DNS zone) is one call: `Planner.plan`,
`Enactor.pick`, `Enactor.apply` and `Enactor.cleanup`. A test or raceproof's conformance runner
interleaves them deterministically; `examples.dns_service.run` runs them as free concurrent
processes. Every step that happens appends one JSON line to the event log (if there is one):
the action, the instance, its arguments, and the values it observed before and after, named
by the model's variables (the instrumentation TLA+ trace validation uses).

Variants:
  ``as_designed``  the one-time check at pick; each write is a blind UPDATE (the outage).
  ``version_cas``  each write is an UPDATE with an RFC 2136 prerequisite on the generation
                   TXT value it expects; the server refuses it (NXRRSET) if another Enactor
                   wrote since, and the Enactor retries only while its plan is still newer.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .store import PlanStore
from .zone import Zone, endpoint_label

VARIANTS = ("as_designed", "version_cas")


@dataclass
class Outcome:
    """What one step did: whether it happened at all (a step whose check fails does nothing)."""

    fired: bool
    detail: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


class EventLog:
    """JSON lines, one per step; the lock (flock on the log) makes each logged step atomic.

    Concurrent processes hold the lock for the whole step (its reads, its writes, its log
    line), so the order of the lines is the order in which the steps took effect: the
    atomicity the model assumes of a step, and a total order for `raceproof validate`.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextmanager
    def step(self) -> Iterator[None]:
        with open(self.path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def write(self, action: str, instance: str, outcome: Outcome, args: dict[str, Any] | None = None) -> None:
        event = {
            "action": action,
            "instance": instance,
            "args": args or {},
            "before": outcome.before,
            "after": outcome.after,
            "detail": outcome.detail,
            "pid": os.getpid(),
        }
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, sort_keys=True) + "\n")
            fh.flush()


@dataclass
class Service:
    """What the Planner and Enactors share: the stores, the parameters, the log."""

    store: PlanStore
    zone: Zone
    endpoints: int = 2
    cleanup_age: int = 1
    variant: str = "as_designed"
    log: EventLog | None = None
    #: the planted bug: cleanup deletes plans `<=` (not `<`) the oldest one it must keep
    cleanup_off_by_one: bool = False

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant '{self.variant}' is not implemented (implemented: {', '.join(VARIANTS)})")

    def reset(self) -> None:
        """Plan 1 exists and every endpoint serves it."""
        self.store.reset()
        self.zone.reset(self.endpoints, 1, self.store.addresses(1))

    def locked(self) -> Any:
        return self.log.step() if self.log else nullcontext()

    def record(self, action: str, instance: str, outcome: Outcome) -> Outcome:
        if self.log and outcome.fired:
            self.log.write(action, instance, outcome)
        return outcome


class Planner:
    """Makes plan generation latest+1."""

    name = "planner"

    def __init__(self, service: Service):
        self.service = service

    def plan(self) -> Outcome:
        s = self.service
        with s.locked():
            latest = s.store.latest()
            generation = s.store.new_plan()
            after = {"planner.latest": generation, "plans": s.store.generations()}
            outcome = Outcome(True, f"created plan {generation}", {"planner.latest": latest}, after)
            return s.record("plan", self.name, outcome)


class Enactor:
    """Applies the newest plan to every endpoint, then cleans up old plans."""

    def __init__(self, service: Service, name: str):
        self.service = service
        self.name = name
        self.pc = "idle"
        self.plan = 0
        self.cursor = 0
        self.seen: int | None = None  # the regional endpoint's generation at pick (the CAS's first guess)

    def _mine(self) -> dict[str, Any]:
        return {f"{self.name}.pc": self.pc, f"{self.name}.plan": self.plan, f"{self.name}.cursor": self.cursor}

    def pick(self) -> Outcome:
        """Take the newest plan if it is newer than the regional endpoint's (the one-time check)."""
        s = self.service
        with s.locked():
            if self.pc != "idle":
                return Outcome(False, f"busy ({self.pc})")
            latest = s.store.latest()
            regional = s.zone.generation(0)
            before = {"planner.latest": latest, "endpoint_plan[0]": regional, **self._mine()}
            if regional is None or latest <= regional:
                return Outcome(False, f"plan {latest} is not newer than the regional endpoint's {regional}", before)
            self.plan, self.cursor, self.pc, self.seen = latest, 0, "apply", regional
            outcome = Outcome(True, f"picked plan {latest} (regional endpoint serves {regional})", before, self._mine())
            return s.record("pick", self.name, outcome)

    def apply(self) -> Outcome:
        """Write the held plan to the next endpoint: one DNS UPDATE."""
        s = self.service
        with s.locked():
            if self.pc != "apply":
                return Outcome(False, f"nothing to apply ({self.pc})")
            endpoint = self.cursor
            current = s.zone.generation(endpoint)
            before = {f"endpoint_plan[{endpoint}]": current, **self._mine()}
            detail = self._transact(endpoint, current)
            self.cursor += 1
            self.pc = "cleanup" if self.cursor == s.endpoints else "apply"
            after = {f"endpoint_plan[{endpoint}]": s.zone.generation(endpoint), **self._mine()}
            return s.record("apply", self.name, Outcome(True, detail, before, after))

    def _transact(self, endpoint: int, current: int | None) -> str:
        s = self.service
        where = endpoint_label(endpoint)
        # Like Route53's transaction, a write first reads the plan the record serves: a record
        # whose plan was deleted cannot be read, so the write fails (nothing repairs it).
        if s.variant == "version_cas":
            return self._compare_and_swap(endpoint)
        if current is None or not s.store.exists(current):
            return f"{where}: transaction failed: it serves plan {current}, which no longer exists"
        rcode = s.zone.write(endpoint, self.plan, s.store.addresses(self.plan))
        if rcode != "NOERROR":
            raise RuntimeError(f"{where}: UPDATE failed: {rcode}")
        return f"{where}: wrote plan {self.plan} over plan {current}"

    def _compare_and_swap(self, endpoint: int) -> str:
        """The version CAS: an UPDATE conditional (RFC 2136 prerequisite) on the generation the
        Enactor expects the record to hold, first the one the regional endpoint had at pick.
        When the server refuses it (NXRRSET: another Enactor wrote since), read the record's
        generation and try again with it, but only while that generation is older than the
        held plan: a newer one means this Enactor is stale, and it gives up, harmlessly."""
        s = self.service
        where = endpoint_label(endpoint)
        expected, refusals = self.seen, []
        for _ in range(16):  # each retry follows another Enactor's successful write: bounded in practice
            if expected is None or not s.store.exists(expected):
                current = s.zone.generation(endpoint)
                if current == expected or current is None or not s.store.exists(current):
                    return f"{where}: transaction failed: it serves plan {current}, which no longer exists"
                expected = current
                continue
            if expected >= self.plan:
                return (
                    f"{where}: not written: " + "; ".join(refusals) + f"; plan {expected} is not older than {self.plan}"
                )
            rcode = s.zone.write(endpoint, self.plan, s.store.addresses(self.plan), expect=expected)
            if rcode == "NOERROR":
                return f"{where}: wrote plan {self.plan} (prerequisite generation={expected} held)" + "".join(
                    f" after {r}" for r in refusals
                )
            current = s.zone.generation(endpoint)
            refusals.append(f"server refused the UPDATE ({rcode}: generation is {current}, not {expected})")
            expected = current
        raise RuntimeError(f"{where}: version CAS did not settle after 16 attempts")

    def cleanup(self) -> Outcome:
        """Delete plans older than the held plan by more than `cleanup_age`, and the DNS
        records of endpoints that served them."""
        s = self.service
        with s.locked():
            if self.pc != "cleanup":
                return Outcome(False, f"nothing to clean up ({self.pc})")
            oldest_kept = self.plan - s.cleanup_age
            before = self._mine()
            deleted = s.store.delete_older_than(oldest_kept, inclusive=s.cleanup_off_by_one)
            emptied = []
            for endpoint in range(s.endpoints):
                generation = s.zone.generation(endpoint)
                if generation in deleted and s.zone.remove_addresses(endpoint, generation) == "NOERROR":
                    emptied.append(endpoint_label(endpoint))
            self.pc = "idle"
            detail = f"deleted plans {deleted or 'none'}" + (f"; emptied {', '.join(emptied)}" if emptied else "")
            after = {"plans": s.store.generations(), **self._mine()}
            return s.record("cleanup", self.name, Outcome(True, detail, before, after))
