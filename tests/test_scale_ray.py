"""The distributed search and swarm simulation on a local Ray cluster (loopback, 2 CPUs):
the same verdicts, shortest lengths and exact state counts as one process.

Skipped when Ray is not installed or cannot start here, with the reason; under CI
(``RACEPROOF_CI=1`` or ``CI=1``), where `pip install '.[test]'` installs Ray, they fail instead."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from checker.engines.simulate import BLOCK, simulate
from models.dns.model import Dns
from tests.test_scale_out import _found, searched, summary

IN_CI = bool(os.environ.get("RACEPROOF_CI") or os.environ.get("CI"))


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    try:
        import ray
    except ImportError:
        if IN_CI:
            pytest.fail("Ray is not installed (pip install '.[test]' installs it)")
        pytest.skip("Ray is not installed (pip install 'raceproof[ray]')")
    from checker.engines.ray_search import connect

    try:
        started = connect("auto", 2)
    except Exception as exc:  # noqa: BLE001 - any reason Ray cannot start is the skip's reason
        if IN_CI:
            raise
        pytest.skip(f"Ray cannot start here: {type(exc).__name__}: {exc}")
    yield ray
    if started:
        ray.shutdown()


def test_ray_search_matches_one_process(ray_cluster: Any) -> None:
    params = {"variant": "as_designed", "max_plans": 3}
    one = summary(searched(Dns.build(**params), workers=1))
    on_ray = searched(Dns.build(**params), workers=2, ray="auto")
    assert summary(on_ray) == one
    scale = next(iter(on_ray.values())).extra["scale_out"]
    assert scale["transport"] == "ray" and scale["workers"] == 2 and all(scale["worker_peak_rss_bytes"])
    # the actors are not this process's children: they report their own CPU and shared memory
    assert len(scale["worker_cpu_seconds"]) == 2 and all(c > 0 for c in scale["worker_cpu_seconds"])
    assert len(scale["worker_shared_rss_bytes"]) == 2


@pytest.mark.slow
@pytest.mark.parametrize("symmetry", [True, False])
def test_ray_search_counts_exactly_with_and_without_symmetry(ray_cluster: Any, symmetry: bool) -> None:
    params = {"variant": "fencing_token", "max_plans": 3}
    one = summary(searched(Dns.build(**params), symmetry=symmetry, workers=1))
    assert summary(searched(Dns.build(**params), symmetry=symmetry, workers=2, ray="auto")) == one


@pytest.mark.slow
def test_ray_simulation_is_the_local_one(ray_cluster: Any) -> None:
    props = ["endpoint_never_empty", "plan_never_regresses"]
    local = _found(simulate(Dns.build(max_plans=5), props, 2 * BLOCK, 30, seed=11)[0])
    remote = _found(simulate(Dns.build(max_plans=5), props, 2 * BLOCK, 30, seed=11, workers=2, ray="auto")[0])
    assert remote == local


def test_ray_actors_report_their_pids_and_import_only_what_the_search_needs(ray_cluster: Any) -> None:
    """An actor's fixed memory: numpy and z3 (to compile the steps), not the CLI's libraries."""
    from checker.engines.ray_search import PartitionActor

    on_ray = searched(Dns.build(variant="as_designed", max_plans=2), workers=2, ray="auto")
    pids = next(iter(on_ray.values())).extra["scale_out"]["worker_pids"]
    assert len(set(pids)) == 2 and os.getpid() not in pids and all(p > 0 for p in pids)
    params = Dns.build(max_plans=2).params
    actor = ray_cluster.remote(num_cpus=1)(PartitionActor).remote(Dns, params, [], [], 0, 1, None, False)
    try:
        packages = set(ray_cluster.get(actor.packages.remote()))
    finally:
        ray_cluster.kill(actor)
    assert {"numpy", "checker", "models"} <= packages
    assert not packages & {"rich", "networkx", "jinja2", "matplotlib", "pandas"}


def test_a_local_cluster_gets_a_small_object_store(monkeypatch: Any) -> None:
    from checker.engines.ray_search import LOCAL_OBJECT_STORE_MB, local_object_store_bytes

    monkeypatch.delenv("RACEPROOF_RAY_OBJECT_STORE_MB", raising=False)
    assert local_object_store_bytes() == LOCAL_OBJECT_STORE_MB * 2**20
    monkeypatch.setenv("RACEPROOF_RAY_OBJECT_STORE_MB", "512")
    assert local_object_store_bytes() == 512 * 2**20
    monkeypatch.setenv("RACEPROOF_RAY_OBJECT_STORE_MB", "10")  # below Ray's minimum: the minimum
    assert local_object_store_bytes() == 75 * 2**20
