"""The example service's raceproof adapter: how the model's steps and variables meet BIND
and the plan store.

    raceproof replay race.itf.json --adapter examples.dns_service.conformance:DnsAdapter
    raceproof conform specs/dns_conform.toml --adapter examples.dns_service.conformance:DnsAdapter

`start()` starts a private BIND on a loopback port and an SQLite plan store in a temporary
directory. Options (``--adapter-option KEY=VALUE``): ``store=postgresql`` starts a private
PostgreSQL for the plan store instead (``store=postgresql://...`` uses a running one, any
other value is an SQLite path); ``dns=HOST:PORT`` with ``key=NAME:SECRET`` uses a running
DNS server instead of starting BIND. `BuggyCleanupAdapter`
is the same service with a planted bug (cleanup deletes with ``<=`` instead of ``<``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from checker.conform.adapter import Adapter, StepOutcome

from .bind import BindServer, TsigKey, scratch_dir
from .postgres import PostgresServer
from .service import VARIANTS, Enactor, Planner, Service
from .store import PlanStore, plan_addresses
from .zone import Zone, endpoint_label


class DnsAdapter(Adapter):
    model_ref = "models.dns.model:Dns"
    environment_actions = frozenset({"plan"})  # the Planner plans when it likes; max_plans only bounds the model
    cleanup_off_by_one = False

    def __init__(self, params: dict[str, Any], options: dict[str, str]):
        super().__init__(params, options)
        variant = params.get("variant", "as_designed")
        if variant not in VARIANTS:
            raise ValueError(f"the service implements the variants {', '.join(VARIANTS)}, not '{variant}'")
        self.enactors = int(params.get("enactors", 3))
        self.endpoints = int(params.get("endpoints", 2))
        self.cleanup_age = int(params.get("cleanup_age", 1))
        self.variant = variant
        self.bind: BindServer | None = None
        self.postgres: PostgresServer | None = None
        self.workdir: Path | None = None
        self.service: Service | None = None
        self.actors: dict[str, Planner | Enactor] = {}
        names = [f"enactor{i}" for i in range(1, self.enactors + 1)]
        # Every model variable, and what shows it in the implementation (None: nothing does:
        # the fencing tokens and pick-time snapshots belong to variants this service lacks).
        self.mapping = {
            "planner.latest": "planner.latest",
            "plans": "plans",
            "endpoint_plan": "endpoint_plan",
            "next_token": None,
            "endpoint_token": None,
        }
        for n in names:
            self.mapping |= {f"{n}.{v}": f"{n}.{v}" for v in ("pc", "plan", "cursor")}
            self.mapping |= {f"{n}.token": None, f"{n}.seen": None}

    # -- lifecycle
    def start(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="raceproof-dns-service-", dir=scratch_dir()))
        if "dns" in self.options:
            host, _, port = self.options["dns"].rpartition(":")
            name, _, secret = self.options.get("key", "").partition(":")
            zone = Zone(host or "127.0.0.1", int(port), TsigKey(name, "hmac-sha256", secret), timeout=2.0)
        else:
            self.bind = BindServer()
            self.bind.start()
            assert self.bind.key is not None
            zone = Zone(self.bind.host, self.bind.port, self.bind.key)
        where = self.options.get("store", str(self.workdir / "plans.sqlite"))
        if where == "postgresql":
            self.postgres = PostgresServer()
            self.postgres.start()
            where = self.postgres.dsn
        store = PlanStore.open(where)
        self.service = Service(
            store, zone, self.endpoints, self.cleanup_age, self.variant, cleanup_off_by_one=self.cleanup_off_by_one
        )

    def stop(self) -> None:
        if self.service is not None:
            self.service.store.close()
            self.service.zone.close()
            self.service = None
        if self.bind is not None:
            self.bind.stop()
            self.bind = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def reset(self) -> None:
        assert self.service is not None, "start() first"
        self.service.reset()
        self.actors = {"planner": Planner(self.service)}
        for i in range(1, self.enactors + 1):
            self.actors[f"enactor{i}"] = Enactor(self.service, f"enactor{i}")

    # -- steps and observations
    def step(self, instance: str, action: str, args: dict[str, Any]) -> StepOutcome:
        actor = self.actors.get(instance)
        method = getattr(actor, action, None) if action in ("plan", "pick", "apply", "cleanup") else None
        if actor is None or method is None:
            return StepOutcome(False, f"the service has no step {instance}.{action}")
        outcome = method()
        return StepOutcome(outcome.fired, outcome.detail)

    def observe(self) -> dict[str, Any]:
        s = self.service
        assert s is not None, "start() first"
        answers = [s.zone.records(e) for e in range(self.endpoints)]
        obs: dict[str, Any] = {
            "planner.latest": s.store.latest(),
            "plans": set(s.store.generations()),
            "endpoint_plan": [a.generation for a in answers],
            "answers": answers,
        }
        for name, actor in self.actors.items():
            if isinstance(actor, Enactor):
                obs |= {f"{name}.pc": actor.pc, f"{name}.plan": actor.plan, f"{name}.cursor": actor.cursor}
        return obs

    def describe(self, obs: dict[str, Any]) -> str:
        """One line of the real state: the plan store's rows, then what each endpoint answers."""
        shown = [f"plan store {{{', '.join(map(str, sorted(obs['plans'])))}}}"]
        for e, answer in enumerate(obs["answers"]):
            shown.append(f"{endpoint_label(e)}: gen {answer.generation}, {answer.describe()}")
        return "; ".join(shown)

    def problems(self, obs: dict[str, Any]) -> list[str]:
        """An endpoint must serve exactly its plan's addresses, or none once the plan is deleted."""
        out = []
        for e, answer in enumerate(obs["answers"]):
            expected = plan_addresses(answer.generation) if answer.generation in obs["plans"] else []
            if answer.addresses != sorted(expected):
                out.append(f"{endpoint_label(e)} answers {answer.describe()} but serves generation {answer.generation}")
        return out

    def evidence(self, prop: str, obs: dict[str, Any]) -> str | None:
        """The empty endpoint as a resolver sees it: a fresh A query, not the observation's ANY."""
        if prop not in ("endpoint_never_empty", "endpoints_recoverable") or self.service is None:
            return None
        for e in range(self.endpoints):
            answer = self.service.zone.answer(e)
            if answer.generation not in obs["plans"] and not answer.addresses:
                what = "the regional endpoint" if e == 0 else f"endpoint {e}"
                how = "NXDOMAIN" if answer.rcode == "NXDOMAIN" else f"{answer.rcode} with an empty answer"
                return (
                    f"{what} has no records ({how} for A {endpoint_label(e)}.dynamodb.test.; "
                    f"its TXT names plan {answer.generation}, which the plan store no longer has)"
                )
        return None

    def summary(self, obs: dict[str, Any]) -> str | None:
        """What a resolver gets from each endpoint now (fresh A queries)."""
        if self.service is None:
            return None
        parts = []
        for e in range(self.endpoints):
            answer = self.service.zone.answer(e)
            parts.append(f"{endpoint_label(e)} answers {answer.describe()} (plan {answer.generation})")
        return "; ".join(parts)


class BuggyCleanupAdapter(DnsAdapter):
    """The service with a planted bug the model does not have: cleanup uses ``<=``, not ``<``."""

    cleanup_off_by_one = True
