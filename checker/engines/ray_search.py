"""Distributed explicit search on Ray: the partitions of `partition` as Ray actors.

The coordinator and the level protocol are `parallel`'s; only the transport differs.
Each actor owns one partition and rebuilds the model, its encoding and the compiled
steps from the model class and parameters (compiled code does not travel), so the model's
module must be importable where the actors run: a local cluster (``--ray auto``) gets this
process's ``sys.path``; an existing cluster (``--ray ADDRESS``) needs raceproof and the
model installed on its nodes. Successor batches go from actor to actor as Ray object
references (`expand` returns one object per destination; `receive` takes them as
arguments), so they never pass through the coordinator.

``--ray auto`` starts a private local cluster on loopback (``ray.init(num_cpus=...)``)
and stops it afterwards; ``--ray ADDRESS`` connects to a running one (``ray start
--head``) and leaves it running.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any

from ..errors import InternalError, RaceproofError
from ..lang.model import Instance, ModelInstance
from .explicit.common import Search
from .explicit.compile import Compiled
from .parallel import Transport
from .partition import Batch, LevelReport, Partition


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RaceproofError("--ray needs Ray: pip install 'raceproof[ray]' (or pip install ray)") from None
    return ray


class PartitionActor:
    """One partition, rebuilt from the model class and parameters on the actor's side."""

    def __init__(
        self,
        model_class: type,
        params: Any,
        properties: list[str],
        group_names: list[list[str]],
        index: int,
        count: int,
        seconds_left: float | None,
        count_fresh: bool,
    ):
        from ..encoding import Encoding

        model = ModelInstance(model_class, params)
        enc = Encoding(model)
        for name in properties:
            enc.prop(name, enc.x, enc.x_next)
        by_name = {inst.name: inst for inst in model.instances}
        groups = [[by_name[n] for n in names] for names in group_names]
        deadline = time.monotonic() + seconds_left if seconds_left is not None else None
        self.part = Partition(Compiled(model, properties, enc), properties, groups, index, count, deadline, count_fresh)
        self.own: Batch | None = None

    def start(self) -> LevelReport:
        return self.part.start()

    def expand(self, pending: list[str]) -> tuple[Any, ...]:
        """One object per partition (this one's stays here: through the object store it was a
        second copy, mapped by this actor alone), then the report."""
        batches, report = self.part.expand(pending)
        self.own, batches[self.part.index] = batches[self.part.index], None  # type: ignore[call-overload]
        return (*batches, report)

    def receive(self, *batches: Batch | None) -> int:
        arrived = list(batches)
        arrived[self.part.index], self.own = self.own, None
        return self.part.receive(arrived)

    def commit(self, quota: int | None) -> LevelReport:
        return self.part.commit(quota)

    def parent_of(self, gid: int) -> tuple[int, int]:
        return self.part.parent_of(gid)

    def packages(self) -> list[str]:
        """The top-level packages imported in this actor: its fixed memory beyond Ray's own
        (numpy, and z3 to compile the steps; not the CLI's rich, networkx or jinja2)."""
        return sorted({name.partition(".")[0] for name in sys.modules})


def connect(address: str, cpus: int) -> bool:
    """Start a private local cluster on loopback (``"auto"``) or connect to ``address``,
    unless Ray is already up in this process. Returns whether this call started it."""
    ray = _ray()
    if ray.is_initialized():
        return False
    if address == "auto":  # with this process's import path, so the actors find the models
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}}
        ray.init(
            num_cpus=cpus,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env=env,
            object_store_memory=local_object_store_bytes(),
            _node_ip_address="127.0.0.1",
        )
    else:
        _reachable(address)
        try:
            ray.init(address=address, log_to_driver=False)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise RaceproofError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
    return True


#: the smallest object store Ray accepts (``ray_constants.OBJECT_STORE_MINIMUM_MEMORY_BYTES``)
_OBJECT_STORE_MINIMUM = 75 * 2**20
#: a local cluster's object store, MB: a level's batches are a few MB at millions of states, and
#: Ray's default (30% of RAM) let its allocator touch fresh pages for every level's batches: 29 MB
#: of shared memory resident per actor at 1.77M states, against 7-12 MB in an 80 MB store. A
#: larger batch than fits is still exact: Ray then writes it to disk (fallback allocation)
LOCAL_OBJECT_STORE_MB = 80


def local_object_store_bytes() -> int:
    """The object store of a local cluster (``--ray auto``): ``RACEPROOF_RAY_OBJECT_STORE_MB``
    or `LOCAL_OBJECT_STORE_MB`, at least Ray's minimum."""
    raw = os.environ.get("RACEPROOF_RAY_OBJECT_STORE_MB", "")
    mb = int(raw) if raw.strip().isdigit() else LOCAL_OBJECT_STORE_MB
    return max(mb * 2**20, _OBJECT_STORE_MINIMUM)


def _reachable(address: str) -> None:
    """Refuse an address nothing listens on at once (``ray.init`` would retry for minutes)."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise RaceproofError(f"--ray: expected auto or HOST:PORT (a running Ray cluster), not {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise RaceproofError(f"cannot connect to the Ray cluster at {address}: {exc}") from None


def _blocks_task(model_class: type, params: Any, *args: Any) -> Any:
    from .simulate import run_blocks

    return run_blocks(ModelInstance(model_class, params), *args)


def ray_blocks(
    model: ModelInstance,
    properties: list[str],
    walks: int,
    depth: int,
    seed: int,
    bias: str,
    blocks: list[int],
    workers: int,
    address: str,
) -> tuple[list[Any], list[str], list[int]]:
    """`simulate.run_blocks` as Ray tasks, the blocks dealt out over ``workers`` tasks."""
    ray = _ray()
    started = connect(address, workers)
    try:
        task = ray.remote(num_cpus=1)(_blocks_task)
        parts = [blocks[i::workers] for i in range(min(workers, len(blocks)))]
        refs = [task.remote(model.model, model.params, properties, walks, depth, seed, bias, p) for p in parts]
        try:
            out = ray.get(refs)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            raise (cause if isinstance(cause, BaseException) else InternalError(str(exc))) from None
        return [h for found, _, _ in out for h in found], [n for _, n, _ in out], [r for _, _, r in out]
    finally:
        if started:
            ray.shutdown()


class RayTransport(Transport):
    # a batch is written into the object store by its sender and mapped by its receiver
    shared_counted_twice = True

    def __init__(self, compiled: Compiled, search: Search, groups: list[list[Instance]], count: int, address: str):
        ray = self.ray = _ray()
        self.count = count
        self.owns_cluster = connect(address, count)
        model = compiled.model
        left = search.deadline - time.monotonic() if search.deadline is not None else None
        names = [[inst.name for inst in group] for group in groups]
        actor = ray.remote(num_cpus=1)(PartitionActor)
        capped = search.max_states is not None
        self.actors = [
            actor.remote(model.model, model.params, search.properties, names, i, count, left, capped)
            for i in range(count)
        ]

    def _get(self, refs: Any) -> Any:
        """``ray.get``, raising an actor's own exception (a located `ModelError`, `Exceeds`)."""
        try:
            return self.ray.get(refs)
        except self.ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise InternalError(f"a Ray search actor failed: {exc}") from None
        except self.ray.exceptions.RayError as exc:
            raise InternalError(f"a Ray search actor failed: {type(exc).__name__}: {exc}") from None

    def start(self) -> list[LevelReport]:
        return self._get([a.start.remote() for a in self.actors])

    def expand(self, pending: list[str]) -> tuple[list[LevelReport], list[int]]:
        n = self.count
        refs = [a.expand.options(num_returns=n + 1).remote(pending) for a in self.actors]
        fresh = [self.actors[q].receive.remote(*[refs[p][q] for p in range(n)]) for q in range(n)]
        return self._get([r[n] for r in refs]), self._get(fresh)

    def commit(self, quotas: list[int | None]) -> list[LevelReport]:
        return self._get([a.commit.remote(q) for a, q in zip(self.actors, quotas, strict=True)])

    def parent_of(self, gid: int) -> tuple[int, int]:
        return self._get(self.actors[gid % self.count].parent_of.remote(gid))

    def close(self) -> None:
        for a in getattr(self, "actors", []):
            self.ray.kill(a)
        self.actors = []
        if self.owns_cluster:
            self.ray.shutdown()
            self.owns_cluster = False

    @property
    def label(self) -> str:
        return f"{self.count} Ray actors"
