"""`raceproof simulate SPEC --walks N --depth D --seed S`: swarm simulation (bug hunting).

Random walks (`checker.engines.simulate`) on the spec's model instance, in this process,
in ``--workers`` processes or on Ray. A violation found is replayed, shortened and
reported like `check`'s (exit 1); nothing found is no proof (exit 3, "not exhaustive").
"""

from __future__ import annotations

import time

import click

from ..results import ExitCode


def register(main: click.Group) -> None:
    """Add the command to the CLI (one line in cli.py, so merges stay easy)."""
    from .check import _finish, _show
    from .common import handle_errors, load_all, make_console
    from .options import Outputs, writable

    @main.command()
    @click.argument("spec", type=click.Path(dir_okay=False))
    @click.option("--walks", type=click.IntRange(min=1), default=1000, show_default=True, help="Random walks to run.")
    @click.option("--depth", type=click.IntRange(min=1), default=50, show_default=True, help="Steps per walk, at most.")
    @click.option("--seed", type=int, default=0, show_default=True, help="Walks are reproducible from the seed.")
    @click.option(
        "--bias",
        type=click.Choice(["uniform", "rare"]),
        default="uniform",
        show_default=True,
        help="uniform over enabled steps, or favour steps fired rarely so far (per block of 256 walks).",
    )
    @click.option("--property", "properties", multiple=True, metavar="NAME", help="Only this property (repeatable).")
    @click.option("--workers", default="1", show_default=True, metavar="N|auto", help="Processes running the walks.")
    @click.option("--ray", "ray_address", metavar="auto|ADDRESS", help="Run the walks on Ray (auto: a local cluster).")
    @click.option(
        "--shorten-states",
        type=click.IntRange(min=1),
        default=200_000,
        show_default=True,
        help="States the breadth-first search may store while shortening a found trace.",
    )
    @click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds for the shortening search.")
    @click.option(
        "--itf", "itf_path", type=click.Path(dir_okay=False), callback=writable, help="Write the counterexample as ITF."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print one machine-readable result object.")
    @click.option("--all-vars", is_flag=True, help="Show every variable at every step, not only changes.")
    @handle_errors
    def simulate(
        spec: str,
        walks: int,
        depth: int,
        seed: int,
        bias: str,
        properties: tuple[str, ...],
        workers: str,
        ray_address: str | None,
        shorten_states: int,
        timeout: float | None,
        itf_path: str | None,
        as_json: bool,
        all_vars: bool,
    ) -> None:
        """Hunt for violations in SPEC with random walks (not a proof).

        Exit 1 with a replayed counterexample if a walk violates a property (shortened by
        a breadth-first search; called shortest only when that search proves it), 3 if no
        walk did: "no violation found" is not "holds". The same seed gives the same walks,
        whatever --workers or --ray.
        """
        from ..engines.parallel import available_cores
        from ..engines.scaling import parse_workers
        from ..engines.simulate import simulate as run_simulation
        from ..run import SpecResult

        (loaded,) = load_all((spec,), properties)
        count = parse_workers(workers)
        count = available_cores() if count == "auto" else int(count)
        model = loaded.build()
        names = list(properties) or loaded.properties
        started = time.monotonic()
        results, sim = run_simulation(
            model, names, walks, depth, seed, bias, count, ray_address, shorten_states, timeout
        )
        for r in results:
            if r.trace is not None:  # an expectation is met or missed only by a found trace
                r.expected = loaded.expect.get(r.name)
        engine = f"simulate ({walks:,} walks, seed {seed}, {bias}, {sim.workers} {sim.transport} worker(s))"
        sr = SpecResult(loaded, results, time.monotonic() - started, depth, engine)
        console = make_console()
        _show(console, sr, as_json, all_vars)
        _finish(console, [sr], as_json, itf_path, Outputs())
        raise SystemExit(int(ExitCode.INCONCLUSIVE))  # pragma: no cover - _finish exits


__all__ = ["register"]
