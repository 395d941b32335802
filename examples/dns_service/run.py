"""Run the service for real: a Planner and N Enactors as concurrent processes.

    python -m examples.dns_service.run --log events.jsonl --enactors 3 --plans 4

starts a private BIND and an SQLite plan store (``--store postgresql`` starts a private
PostgreSQL instead; ``--store postgresql://...`` uses a running one),
resets them to plan 1, and lets the processes run: the Planner makes ``--plans`` new plans,
each Enactor loops pick → apply to every endpoint → cleanup until the Planner is done and no
newer plan is left (at most 3 more rounds after the Planner is done: after the outage, the
Enactors retry forever). Random pauses between steps (``--seed``) vary the interleaving. Every
step is appended to the event log (`raceproof validate` reads it); at the end the endpoints'
answers are printed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .bind import BindServer, TsigKey, scratch_dir
from .postgres import PostgresServer
from .service import VARIANTS, Enactor, EventLog, Planner, Service
from .store import PlanStore
from .zone import Zone, endpoint_label


@dataclass
class Config:
    host: str
    port: int
    key: TsigKey
    store: str
    log: str
    endpoints: int
    cleanup_age: int
    variant: str
    pause: float
    delays: dict[str, float]

    def service(self) -> Service:
        zone = Zone(self.host, self.port, self.key)
        log = EventLog(self.log)
        return Service(PlanStore.open(self.store), zone, self.endpoints, self.cleanup_age, self.variant, log)


def _planner(config: Config, plans: int, seed: int) -> None:
    rng = random.Random(seed)
    planner = Planner(config.service())
    for _ in range(plans):
        time.sleep(rng.uniform(0, config.pause))
        planner.plan()


def _enactor(config: Config, name: str, seed: int, done: multiprocessing.synchronize.Event) -> None:
    rng = random.Random(seed)
    enactor = Enactor(config.service(), name)
    idle_after_done = 0
    # After the outage an Enactor picks the newest plan again and again (the regional endpoint
    # serves an older, deleted one) and every write fails: a livelock. Bound the rounds.
    rounds_after_done = 0
    while idle_after_done < 3 and rounds_after_done < 3:
        time.sleep(rng.uniform(0, config.pause))
        if enactor.pc == "idle":
            finished = done.is_set()  # read before trying: a plan made after this is still picked up
            if enactor.pick().fired:
                idle_after_done = 0
                rounds_after_done += finished
            elif finished:
                idle_after_done += 1
        elif enactor.pc == "apply":
            time.sleep(config.delays.get(name, 0.0))  # an unusually slow Enactor, as in the outage
            enactor.apply()
        else:
            enactor.cleanup()


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="raceproof-dns-run-", dir=scratch_dir()))
    postgres = PostgresServer() if args.store == "postgresql" else None
    try:
        if postgres is not None:
            postgres.start()
        with BindServer() as bind:
            assert bind.key is not None
            store = postgres.dsn if postgres is not None else args.store or str(workdir / "plans.sqlite")
            config = Config(
                bind.host,
                bind.port,
                bind.key,
                store,
                args.log,
                args.endpoints,
                args.cleanup_age,
                args.variant,
                args.pause,
                dict(_delay(d) for d in args.delay),
            )
            Path(args.log).write_text("")
            setup = Service(PlanStore.open(store), Zone(bind.host, bind.port, bind.key), args.endpoints)
            setup.reset()
            ctx = multiprocessing.get_context("fork")
            done = ctx.Event()
            planner = ctx.Process(target=_planner, args=(config, args.plans, args.seed))
            enactors = [
                ctx.Process(target=_enactor, args=(config, f"enactor{i}", args.seed * 100 + i, done))
                for i in range(1, args.enactors + 1)
            ]
            for p in [planner, *enactors]:
                p.start()
            planner.join()
            done.set()
            for p in enactors:
                p.join(120)
            failed = [p for p in [planner, *enactors] if p.exitcode != 0]
            for e in range(args.endpoints):
                print(f"{endpoint_label(e)}: {setup.zone.answer(e).describe()}")
            setup.zone.close()
            setup.store.close()
            return 1 if failed else 0
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _delay(text: str) -> tuple[str, float]:
    name, sep, seconds = text.partition("=")
    if not sep:
        raise SystemExit(f"--delay {text}: expected ENACTOR=SECONDS, e.g. enactor1=0.5")
    return name, float(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.dns_service.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", required=True, help="event log to write (JSON lines)")
    parser.add_argument("--enactors", type=int, default=3)
    parser.add_argument("--endpoints", type=int, default=2)
    parser.add_argument("--cleanup-age", type=int, default=1)
    parser.add_argument("--plans", type=int, default=4, help="new plans the Planner makes")
    parser.add_argument("--variant", choices=VARIANTS, default="as_designed")
    parser.add_argument(
        "--store",
        help="plan store: an SQLite path, 'postgresql' (a private server) or postgresql://... (default: SQLite)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.01, help="longest random pause between steps (s)")
    parser.add_argument(
        "--delay", action="append", default=[], metavar="ENACTOR=SECONDS", help="slow one Enactor before each write"
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
