"""How the partitioned search moves and holds its data (issue 15 §4): successor batches pass
between worker processes through anonymous memory files, whole and unaltered, and a
multi-word widening re-packs the store in small pieces (its transient was the largest
allocation of a symmetric search)."""

from __future__ import annotations

import os
import tracemalloc

import numpy as np
import pytest

from checker.engines.partition import Batch
from checker.engines.processes import inbox_pair, receive_batch, send_batch
from checker.state_store import KeyLayout, repack_keys


def _batch(n: int, words: int) -> Batch:
    rng = np.random.default_rng(n + words)
    layout = KeyLayout([0] * (2 * words), [40] * (2 * words), [False] * (2 * words))
    keys = layout.pack(rng.integers(0, 2**40, size=(2 * words, n)))
    return Batch(
        keys,
        rng.integers(0, 2**31, n).astype(np.int32),
        rng.integers(0, 60, n).astype(np.uint16),
        rng.integers(0, 2**63, n).astype(np.uint64),
        tuple(layout.lo),
        tuple(layout.width),
    )


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "unlinked-temporary-file"])  # Linux; macOS
@pytest.mark.parametrize(("n", "words"), [(0, 1), (1, 1), (100_000, 1), (70_000, 2)])
def test_a_batch_arrives_whole_through_an_anonymous_memory_file(
    n: int, words: int, memfd: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not memfd:
        monkeypatch.delattr(os, "memfd_create", raising=False)
    elif not hasattr(os, "memfd_create"):
        pytest.skip("memfd_create is Linux's")
    inbox, outbox = inbox_pair()
    try:
        sent = _batch(n, words)
        before = _fds()
        send_batch(outbox, 1, sent)
        source, got = receive_batch(inbox)
        assert source == 1 and got is not None
        assert (got.lo, got.width) == (sent.lo, sent.width)
        pairs = [(got.keys, sent.keys), (got.parents, sent.parents), (got.via, sent.via), (got.hashes, sent.hashes)]
        assert all(a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b) for a, b in pairs)
        del got, pairs
        assert _fds() == before  # the mapping (and its descriptor) goes with the batch: nothing left behind
        send_batch(outbox, 0, None)  # a failed sender still sends, so that its peers never wait
        assert receive_batch(inbox) == (0, None)
    finally:
        inbox.close()
        outbox.close()


def test_multi_word_repack_is_exact_and_unpacks_a_few_columns_of_states_at_a_time() -> None:
    rng = np.random.default_rng(3)
    m, n = 40, 150_000  # 40 columns: a 65,536-state piece would unpack into a 21 MB matrix
    S = rng.integers(0, 50, size=(m, n))
    old = KeyLayout([0] * m, [6] * m, [False] * m)
    new = old.widened([(0, 0, 2**20)])
    assert old.words != new.words or old.words > 1
    keys = old.pack(S)
    tracemalloc.start()
    try:
        out = repack_keys(keys, old, new)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(new.unpack(out), S)
    assert peak < out.nbytes + 8 * 2**20  # the new keys plus a few MB, not the 21 MB matrix


def test_a_ray_actor_keeps_its_own_successors_out_of_the_object_store() -> None:
    """`PartitionActor` (driven here as a plain object) returns None for its own partition, so
    only what goes to a peer passes through Ray's shared memory; the search still stores
    exactly one process's states."""
    from checker.engines.explicit import run_explicit
    from checker.engines.ray_search import PartitionActor
    from models.dns.model import Dns

    params = {"variant": "fencing_token", "max_plans": 3}
    model = Dns.build(**params)
    props = [n for n, p in model.properties.items() if p.kind == "invariant"]
    actors = [PartitionActor(Dns, model.params, props, [], i, 2, None, False) for i in range(2)]
    for a in actors:
        a.start()
    frontier = 1
    while frontier:
        out = [a.expand(props) for a in actors]
        assert all(out[i][i] is None and isinstance(out[i][1 - i], Batch) for i in range(2))
        for q, a in enumerate(actors):
            a.receive(*[out[p][q] for p in range(2)])
        frontier = sum(a.commit(None).frontier for a in actors)
    one = run_explicit(Dns.build(**params), props, symmetry=False)[0].extra["states"]
    assert sum(a.part.store.count for a in actors) == one
