"""The visited store's memory (issue 15 §4): what it holds per state, its in-place merge and
re-pack, the per-chunk filtering of a level's successors, and the figures `check` reports."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from checker.engines.explicit import run_explicit
from checker.state_store import KeyLayout, VisitedStore, repack_keys, via_dtype
from models.dns.model import Dns
from tests.conftest import run_cli


def _keys(store: VisitedStore) -> set[bytes]:
    keys = store.keys
    return {bytes(k) for k in np.atleast_1d(keys).view(np.uint8).reshape(len(keys), -1)}


@pytest.mark.parametrize("fields", [1, 2])  # a one-word key (uint64) and a two-word one (void)
def test_store_merges_in_place_and_keeps_every_key_once_sorted(fields: int) -> None:
    rng = np.random.default_rng(7)
    layout = KeyLayout([0] * fields, [40] * fields, [False] * fields)
    store, seen = VisitedStore(layout, 16), set()
    for level in range(25):
        S = rng.integers(0, 2**18 if level % 3 else 2**6, size=(fields, int(rng.integers(1, 40_000))))
        keys = layout.pack(S)
        store.add(keys, np.zeros(keys.shape[0], np.int32), np.zeros(keys.shape[0], np.uint16))
        seen |= {bytes(k) for k in np.atleast_1d(keys).view(np.uint8).reshape(keys.shape[0], -1)}
        if level % 5 == 4:  # the merge then runs with `keys` held elsewhere: the copying fallback
            assert _keys(store) == seen and store.count == len(seen)
    stored = store.keys
    assert store.count == len(seen) == len(stored) == len(np.unique(stored))
    if fields == 1:
        assert np.all(stored[:-1] < stored[1:])


def test_novel_keeps_first_occurrences_not_stored_in_input_order() -> None:
    layout = KeyLayout([0], [10], [True])
    store = VisitedStore(layout, 16)
    store.add(layout.pack(np.array([[5, 9]])), np.zeros(2, np.int32), np.zeros(2, np.uint16))
    keys = layout.pack(np.array([[7, 5, 3, 7, 9, 3, 1]]))
    ids = np.arange(7, dtype=np.int32)
    k, p = store.novel(keys, ids)
    assert list(layout.unpack(k)[0]) == [7, 3, 1] and list(p) == [0, 2, 6]


def test_transition_indices_are_uint16_only_when_every_index_fits() -> None:
    assert via_dtype(16) == np.uint16 and via_dtype(65_534) == np.uint16
    assert via_dtype(65_535) == np.int32 and via_dtype(None) == np.int32
    store = VisitedStore(KeyLayout([0], [10], [True]), 16)
    with pytest.raises(ValueError, match="transition index"):
        store.add(np.array([3], np.uint64), np.zeros(1, np.int32), np.array([70_000], np.int32))


def test_store_holds_at_most_64_bytes_per_state_and_counts_agree_across_modes() -> None:
    """The engine's own accounting (keys, parents, transitions with their spare capacity) is
    deterministic; one process and two workers store the same states, in either symmetry mode."""
    model = Dns.build(variant="fencing_token", enactors=3, endpoints=2, max_plans=4)
    props = ["endpoint_never_empty"]
    for symmetry in (False, True):
        one = run_explicit(model, props, symmetry=symmetry)[0].extra
        two = run_explicit(model, props, symmetry=symmetry, workers=2)[0].extra
        assert one["states"] == two["states"] and one["depth"] == two["depth"]
        for extra in (one, two):
            assert extra["exhaustive"] and extra["bytes_per_state"] <= 64
            assert extra["peak_rss_bytes"] > 0 and extra["peak_rss_growth_bytes"] >= 0
        # 6 bytes of parent and transition per state, plus at least one 8-byte key word
        assert one["bytes_per_state"] >= 14
        assert two["scale_out"]["worker_rss_growth_bytes"] >= 0


def test_check_stats_prints_peak_rss_and_bytes_per_state(tmp_path: Any) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(
        'model = "dns"\n[params]\nmax_plans = 3\nvariant = "fencing_token"\n[check]\nengine = "explicit"\n'
        '[expect]\nendpoint_never_empty = "holds"\n'
    )
    for extra in ([], ["--workers", "2"]):
        res = run_cli("check", str(spec), "--property", "endpoint_never_empty", "--stats", *extra)
        assert res.exit_code == 0, res.output
        assert "stats: 1,171 states in" in res.output and "peak RSS" in res.output
        assert "B per state" in res.output
        assert ("2 worker processes" in res.output) == bool(extra)
    res = run_cli("check", str(spec), "--property", "endpoint_never_empty", "--json")
    search = json.loads(res.stdout)["specs"][0]["search"]
    assert search["bytes_per_state"] <= 64 and search["peak_bytes_per_state"] >= 0


def test_widening_multi_word_keys_keeps_the_store_sorted_and_exact() -> None:
    """Multi-word keys are re-sorted only when a field changes word (`VisitedStore.widen`): after
    every widening the store must still be sorted, hold each key once, and answer membership
    exactly (a mis-sorted store would miss states and make a search claim fewer)."""
    rng = np.random.default_rng(11)
    m = 9
    S0 = rng.integers(0, 4, size=(m, 10))
    layout = KeyLayout.for_columns([(None, None)] * m, S0)
    store, seen = VisitedStore(layout, 16), set()
    resorted = 0
    for level in range(40):
        top = 4 << (level // 3)  # the values grow: the fields widen, and some move to another word
        S = rng.integers(-(level // 5), top, size=(m, int(rng.integers(1, 1500))))
        S[0] = rng.integers(0, 3, size=S.shape[1])  # repeats, so that `add` has keys it stored already
        words_before = list(store.layout.word)
        store.ensure_covers(S)
        resorted += store.layout.word != words_before
        store.add(store.layout.pack(S), np.zeros(S.shape[1], np.int32), np.zeros(S.shape[1], np.uint16))
        seen |= {tuple(col) for col in S.T.tolist()}
        keys = store.keys
        assert np.array_equal(np.sort(keys), keys) and len(np.unique(keys)) == len(keys) == store.count
        assert {tuple(col) for col in store.layout.unpack(keys).T.tolist()} == seen
        probe = rng.integers(-(level // 5), top, size=(m, 500))
        store.ensure_covers(probe)
        novel = store.novel(store.layout.pack(probe))[0]
        assert {tuple(c) for c in store.layout.unpack(novel).T.tolist()} == {tuple(c) for c in probe.T.tolist()} - seen
    assert store.layout.words > 1 and 0 < resorted < store.repacks  # both kinds of widening happened


def test_fields_fill_the_fewest_words_evenly_and_stay_in_them_while_they_fit() -> None:
    """Room in every word (not one full word and a near-empty one) lets fields widen without
    moving, so the store keeps its order and is not re-sorted (`KeyLayout._place`)."""
    layout = KeyLayout([0] * 10, [7] * 10, [False] * 10)  # 70 bits: two words of 35
    assert layout.words == 2 and layout.word == [0] * 5 + [1] * 5
    wider = layout.widened([(2, 0, 2**20 - 1)])  # field 2 takes 20 bits: word 0 holds 48
    assert wider.width[2] == 20 and wider.word == layout.word
    moved = wider.widened([(3, 0, 2**30 - 1)])  # field 3 takes 30 bits: word 0 would hold 78, so fields move
    assert moved.words == 2 and moved.word != wider.word  # 108 bits still fit two words, spread anew
    for lay in (layout, wider, moved):
        per_word = [sum(w for w, at in zip(lay.width, lay.word, strict=True) if at == k) for k in range(lay.words)]
        assert max(per_word) <= 64 and sorted(set(lay.word)) == list(range(lay.words))
        S = np.array([[(1 << b) - 1 for b in lay.width], [0] * 10]).T
        assert np.array_equal(lay.unpack(lay.pack(S)), S)


@pytest.mark.parametrize("fields", [3, 12])  # one word growing to two, and two growing to three or more
def test_a_widening_that_adds_key_words_repacks_the_bulk_in_its_own_buffer_exactly(fields: int) -> None:
    """The bulk is grown in place and re-packed from its end (`VisitedStore._grow_keys_in_place`):
    byte for byte what the copying re-pack gives, still owning its buffer (so later merges stay in
    place), and the store still answers membership exactly."""
    rng = np.random.default_rng(5)
    S = rng.integers(0, 2**10, size=(fields, 70_000))
    layout = KeyLayout.for_columns([(None, None)] * fields, S)
    store = VisitedStore(layout, 16)
    store.add(layout.pack(S), np.zeros(S.shape[1], np.int32), np.zeros(S.shape[1], np.uint16))
    store._merge()
    before, old = store.bulk.copy(), store.layout
    outside = [(j, 0, 2**40) for j in range(0, fields, 2)]  # every other field needs 41 bits
    new = old.widened(outside)
    assert new.words > old.words
    expected = repack_keys(before, old, new)
    assert store._grow_keys_in_place(new)
    assert store.bulk.flags.owndata and store.bulk.dtype == expected.dtype
    assert store.bulk.tobytes() == expected.tobytes()
    # and through `widen`, on a fresh store: sorted, exact
    store2 = VisitedStore(layout, 16)
    store2.add(layout.pack(S), np.zeros(S.shape[1], np.int32), np.zeros(S.shape[1], np.uint16))
    store2._merge()
    store2.widen(outside)
    assert store2.layout.words == new.words and store2.bulk.flags.owndata
    keys = store2.keys
    assert np.array_equal(np.sort(keys), keys)
    assert {tuple(c) for c in store2.layout.unpack(keys).T.tolist()} == {tuple(c) for c in S.T.tolist()}
    fresh = [2**40 if j % 2 == 0 else 0 for j in range(fields)]  # within the widened fields
    probe = np.concatenate([S[:, :100], np.array([fresh] * 5).T], axis=1)
    novel = store2.novel(store2.layout.pack(probe))[0]
    assert store2.layout.unpack(novel).T.tolist() == [fresh]
