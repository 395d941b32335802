"""Compact storage of visited states for the explicit-state engine.

States are stored as packed keys (`key_layout`). `VisitedStore` keeps the keys sorted
(binary search with numpy, no Python object per state) next to the state ids, plus each
state's parent id and the transition that reached it, so a shortest trace can be rebuilt.
That is 8 bytes per key word plus 6 bytes per state (a uint16 transition index where the
model has fewer than 65,535 transitions, else 8), against 150-250 bytes for a Python dict
of tuples.
"""

from __future__ import annotations

import numpy as np

from .key_layout import _REPACK_CELLS, VALUE_LIMIT, WORD, KeyLayout, repack_keys

__all__ = ["VALUE_LIMIT", "WORD", "KeyLayout", "VisitedStore", "repack_keys", "via_dtype"]

_CHUNK = 1 << 16  # keys merged at a time (`VisitedStore._merge`): bounds the merge's extra memory


def _seen(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions of the sorted ``queries`` in the sorted ``keys``, whether each is there)."""
    pos = np.searchsorted(keys, queries)  # fast for sorted queries: each search starts at the last
    inside = pos < len(keys)
    seen = np.zeros(len(queries), dtype=bool)
    seen[inside] = keys[pos[inside]] == queries[inside]
    return pos, seen


def unique_first(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_index=True)``: the distinct keys, sorted, and the position of
    each one's first occurrence. The same answer, about ten times faster on one-word keys:
    `np.unique` finds first occurrences with a stable argsort, a merge sort, while numpy's
    default argsort is a vectorised quicksort; it finds the runs of equal keys just as well,
    and a run's smallest position is where its key first occurs."""
    if keys.shape[0] == 0 or keys.dtype.kind == "V":  # (keys of several words: numpy sorts voids one way only)
        return np.unique(keys, return_index=True)
    n = keys.shape[0]
    bits = (n - 1).bit_length()  # a position's bits
    if keys.dtype == np.uint64 and int(keys.max()) < 1 << (64 - bits):
        # key and position in one word: a plain sort (a third faster than argsort here) orders by
        # key, then position, so each run of equal keys starts at its key's first occurrence
        both = (keys << np.uint64(bits)) | np.arange(n, dtype=np.uint64)
        both.sort()
        ordered = both >> np.uint64(bits)
        starts = np.empty(n, dtype=bool)
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        runs = np.flatnonzero(starts)
        return ordered[runs], (both[runs] & np.uint64((1 << bits) - 1)).astype(np.intp)
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.empty(ordered.shape[0], dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    runs = np.flatnonzero(starts)
    return ordered[runs], np.minimum.reduceat(order, runs)


def via_dtype(transitions: int | None) -> np.dtype:
    """The narrowest dtype holding every transition index below ``transitions`` and the
    root's -1 (stored as the dtype's maximum, never read back: a trace stops at the root)."""
    if transitions is not None and transitions < np.iinfo(np.uint16).max:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


class VisitedStore:
    """Sorted packed keys, and each state's parent and incoming transition.

    The keys are two sorted arrays: the bulk (``bulk``) and the recent ones (``recent``).
    A level's new keys go into ``recent``, which is merged into the bulk once it holds a
    quarter as many: an insert into one sorted array copies all of it, and doing that every
    level over the whole store was the search's largest single cost.

    ``transitions`` (the model's transition count) lets the incoming transitions be stored
    as uint16 when every index fits; None keeps int32."""

    def __init__(self, layout: KeyLayout, transitions: int | None = None):
        self.layout = layout
        self.bulk = layout.pack(np.zeros((len(layout.lo), 0), dtype=np.int64))
        self.recent = self.bulk.copy()  # never a view of the bulk: the bulk is resized in place
        self.parent = np.zeros(1024, dtype=np.int32)
        self.via = np.zeros(1024, dtype=via_dtype(transitions))  # transition index into model.transitions
        self.transitions = transitions
        self.count = 0
        self.repacks = 0

    def novel(self, keys: np.ndarray, *aligned: np.ndarray, key_order: bool = False) -> tuple[np.ndarray, ...]:
        """``keys`` (and the arrays ``aligned`` with them) without the keys stored already and
        without repeats (the first of equal keys stays), in their order (with ``key_order``:
        sorted by key). `add` of the result stores exactly what `add` of the input would, with
        the same parents: a level filtered a chunk at a time, in order, keeps each key's first
        occurrence (a key occurs at most once per filtered chunk, so the chunks' order decides
        which occurrence is first, whatever the order inside each). Holding only these per
        chunk, instead of every successor of the level, bounds the level's memory."""
        if keys.shape[0] == 0:
            return (keys, *aligned)
        uniq, first = unique_first(keys)
        keep = ~_seen(self.bulk, uniq)[1]
        if len(self.recent):
            keep[keep] = ~_seen(self.recent, uniq[keep])[1]
        first = first[keep]
        if key_order:  # `add(..., ordered=True)` then needs no sort of its own
            return (uniq[keep], *(a[first] for a in aligned))
        first.sort()  # back to the input's order
        return tuple(a[first] for a in (keys, *aligned))

    @property
    def keys(self) -> np.ndarray:
        """Every stored key, sorted."""
        self._merge()
        return self.bulk

    def ensure_covers(self, S: np.ndarray) -> None:
        """Widen the layout (re-packing every stored key) if ``S`` holds values it cannot."""
        self.widen(self.layout.covers(S))

    def widen(self, outside: list[tuple[int, int, int]]) -> None:
        """Widen the layout for the (column, min, max) of ``outside`` and re-pack every stored key."""
        if not outside:
            return
        new = self.layout.widened(outside)
        if not (new.words > self.layout.words and self._grow_keys_in_place(new)):
            self.bulk = repack_keys(self.bulk, self.layout, new)
        self.recent = repack_keys(self.recent, self.layout, new)
        # Fields are laid out in column order, lowest first, so a word's numeric order is the
        # order of its (value - lo) fields from the last column down, and a key's order is its
        # words' in turn (`KeyLayout._keys`). A widening maps every value monotonically and
        # keeps the fields' order, so it preserves the keys' order unless a field moves to
        # another word. Re-sorting (void keys sort slowly) was a third of a search's time.
        if new.word != self.layout.word:
            self.bulk.sort()
            self.recent.sort()
        self.layout = new
        self.repacks += 1

    def _grow_keys_in_place(self, new: KeyLayout) -> bool:
        """Re-pack the bulk into the longer keys of ``new`` inside its own buffer: grown in place
        (``ndarray.resize``, a ``realloc``), then filled from its end a chunk at a time, so a
        widening that adds a key word holds the keys once, in the new size, plus a chunk, instead
        of in both sizes (at two words, 8 + 16 bytes per stored state: the search's peak when it
        came late). False, with nothing changed, where the bulk cannot be resized (it is shared).

        Key i moves from byte ``i * old`` to ``i * new`` (``new > old``): working down from the
        end, a chunk's new place covers only its own old keys (copied out first) and those above
        it (already moved), never a key still to move."""
        old, n = self.layout, self.bulk.shape[0]
        size_old, size_new = 8 * old.words, 8 * new.words
        items = -(-n * size_new // size_old)  # elements of the old dtype holding n new keys...
        while (items * size_old) % size_new:  # ...and a whole number of them
            items += 1
        try:
            self.bulk.resize(items, refcheck=True)  # raises if anything else holds the array
        except ValueError:
            return False
        raw = self.bulk.view(np.uint8)
        step = max(1024, _REPACK_CELLS // max(len(new.lo), 1))
        b = n
        while b > 0:
            a = max(b - step, 0)
            chunk = raw[a * size_old : b * size_old].view(self.bulk.dtype).copy()
            raw[a * size_new : b * size_new] = new.repack(chunk, old).view(np.uint8)
            b = a
        del raw
        keys = np.dtype((np.void, size_new))
        try:
            self.bulk.dtype = keys  # the same buffer, read as the new keys
        except (AttributeError, TypeError, DeprecationWarning):  # a numpy that no longer lets it: a copy
            self.bulk = self.bulk.view(keys)[:n].copy()
            return True
        self.bulk.resize(n, refcheck=True)
        return True

    def add(
        self,
        keys: np.ndarray,
        parents: np.ndarray,
        via: np.ndarray,
        limit: int | None = None,
        none_stored: bool = False,
        distinct: bool = False,
        ordered: bool = False,
    ) -> tuple[np.ndarray, bool]:
        """Store the keys not seen before (the first of equal keys wins). Returns the positions
        (into ``keys``) of the new states, in the order of their new ids (the keys' sorted
        order), and whether ``limit`` (a cap on how many are stored) cut some off.

        What the caller vouches for saves work with the same outcome: ``none_stored``, no key
        is stored yet (each chunk of a level went through `novel`, the store unchanged since);
        ``distinct`` (with it), no two keys are equal (one `novel` call's answer); ``ordered``
        (with both), they are sorted too (`novel` with ``key_order``)."""
        if ordered and distinct and none_stored:  # sorted and distinct: each key is its own run
            first = np.arange(keys.shape[0])
            uniq = keys
        elif distinct and none_stored:
            # distinct keys: every sort orders them as `unique_first` would, and each is its own first
            first = np.argsort(keys)
            uniq = keys[first]
        else:
            uniq, first = unique_first(keys)
        if none_stored:
            fresh = np.arange(uniq.size)
            pos = np.searchsorted(self.recent, uniq)
        else:
            fresh = np.flatnonzero(~_seen(self.bulk, uniq)[1])
            pos, seen = _seen(self.recent, uniq[fresh])
            fresh, pos = fresh[~seen], pos[~seen]
        cut = limit is not None and fresh.size > limit
        if cut:
            fresh, pos = fresh[:limit], pos[:limit]
        k = fresh.size
        self.recent = np.insert(self.recent, pos, uniq[fresh])
        if 4 * len(self.recent) > len(self.bulk):
            self._merge()
        self._grow(self.count + k)
        chosen = first[fresh]
        self.parent[self.count : self.count + k] = parents[chosen]
        picked = via[chosen]
        if picked.dtype != self.via.dtype and picked.size:  # narrowed: every index must fit (the root's -1 wraps)
            if int(picked.max()) >= np.iinfo(self.via.dtype).max or int(picked.min()) < -1:
                raise ValueError(f"a transition index outside -1..{np.iinfo(self.via.dtype).max - 1}")
        self.via[self.count : self.count + k] = picked.astype(self.via.dtype)
        self.count += k
        return chosen, cut

    def _merge(self) -> None:
        """Merge ``recent`` into ``bulk``: the bulk grows in place (``ndarray.resize``, a
        ``realloc`` that Linux satisfies without copying large blocks) and is merged from its
        end a block at a time, so the merge holds one block more than the keys, not a copy."""
        recent, n, r = self.recent, len(self.bulk), len(self.recent)
        if not r:
            return
        ins = np.searchsorted(self.bulk, recent)  # recent[j] goes before bulk[ins[j]]
        try:
            self.bulk.resize(n + r, refcheck=True)  # raises if anything else holds the array
        except ValueError:
            self.bulk = np.insert(self.bulk, ins, recent)
            self.recent = np.empty(0, dtype=self.bulk.dtype)
            return
        a = self.bulk
        b1, j1 = n, r
        while j1 > 0:  # bulk[b0:b1] and recent[j0:j1] fill a[b0 + j0 : b1 + j1], above what is left to move
            b0 = max(b1 - _CHUNK, 0)
            j0 = int(np.searchsorted(ins, b0, side="right")) if b0 else 0
            block = np.empty(b1 - b0 + j1 - j0, dtype=a.dtype)
            at = ins[j0:j1] + np.arange(j0, j1) - (b0 + j0)
            mask = np.ones(block.shape[0], dtype=bool)
            mask[at] = False
            block[at] = recent[j0:j1]
            block[mask] = a[b0:b1]
            a[b0 + j0 : b1 + j1] = block
            b1, j1 = b0, j0
        self.recent = np.empty(0, dtype=a.dtype)

    def _grow(self, size: int) -> None:
        if size <= len(self.parent):
            return
        cap = max(size, len(self.parent) + len(self.parent) // 4)  # 25% spare at most: bytes per state
        self.parent = np.resize(self.parent, cap)
        self.via = np.resize(self.via, cap)

    def path(self, state_id: int) -> list[int]:
        """The transition indices from an initial state (a root: no incoming transition) to ``state_id``."""
        out = []
        while not self._is_root(state_id):
            out.append(int(self.via[state_id]))
            state_id = int(self.parent[state_id])
        return out[::-1]

    def root_init(self, state_id: int) -> int:
        """Which initial state (its index in `ModelInstance.inits`) `path` starts from: a root
        is stored with no incoming transition and parent ``-1 - k`` for initial state k."""
        while not self._is_root(state_id):
            state_id = int(self.parent[state_id])
        return max(-1 - int(self.parent[state_id]), 0)

    def _is_root(self, state_id: int) -> bool:
        """No incoming transition (via -1, which a uint16 ``via`` holds as its maximum), or its own
        parent (a root stored the old way, as id 0)."""
        via = int(self.via[state_id])
        no_transition = via < 0 if self.via.dtype.kind == "i" else via == np.iinfo(self.via.dtype).max
        return no_transition or int(self.parent[state_id]) == state_id

    @property
    def nbytes(self) -> int:
        """Bytes held for the stored states (keys, parents, transitions; with spare capacity)."""
        return self.bulk.nbytes + self.recent.nbytes + self.parent.nbytes + self.via.nbytes
