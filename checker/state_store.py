"""Compact storage of visited states for the explicit-state engine.

A state (an int64 column of the engine's state matrix) is packed into a key of one or
more 64-bit words: each flat slot gets a bit field just wide enough for the values seen so
far (`KeyLayout`). Unbounded ints widen their field when a larger value shows up, and
then every stored key is re-packed; that happens a few times per run at most.

`VisitedStore` keeps the keys sorted (binary search with numpy, no Python object per
state) next to the state ids, plus each state's parent id and the transition that reached
it, so a shortest trace can be rebuilt. That is 8 bytes per key word plus 6 bytes per
state (a uint16 transition index where the model has fewer than 65,535 transitions, else
8), against 150-250 bytes for a Python dict of tuples.

Values are exact or refused: a field holds values within ``+-VALUE_LIMIT`` (at most 63
bits, so ``value - lo`` never wraps in int64), and a layout asked to hold a value beyond
that raises `ValueError` rather than pack it truncated. The numpy search never lets a
value get that far (`explicit_bounds`): it switches to exact Python integers first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WORD = 64
#: the largest magnitude a field holds: offsets from ``lo`` then stay below 2**62
VALUE_LIMIT = 2**61
_CHUNK = 1 << 16  # keys merged at a time (`VisitedStore._merge`): bounds the merge's extra memory
#: int64 cells (columns x states) a multi-word re-pack unpacks at a time: 2 MB. A fixed 65,536
#: states of a 35-column model were an 18 MB matrix, the largest transient of a widening
_REPACK_CELLS = 1 << 18


def _check_value(column: int, value: int | None) -> None:
    if value is not None and abs(value) > VALUE_LIMIT:
        raise ValueError(f"flat column {column} holds {value}, beyond the +-2**61 a packed key holds exactly")


def _bits(span: int) -> int:
    """Bits needed for the values 0..span."""
    return max(1, int(span).bit_length())


@dataclass
class KeyLayout:
    """Per flat column: the value stored as 0 (``lo``) and the field width in bits."""

    lo: list[int]
    width: list[int]
    fixed: list[bool]  # declared bounds: the field never needs to widen
    word: list[int] = field(init=False)
    shift: list[int] = field(init=False)
    words: int = field(init=False)

    def __post_init__(self) -> None:
        self._place()

    @classmethod
    def for_columns(cls, bounds: list[tuple[int | None, int | None]], sample: np.ndarray) -> KeyLayout:
        """Fields from declared bounds where both exist, else from the values in ``sample``."""
        lo, width, fixed = [], [], []
        for j, (low, high) in enumerate(bounds):
            for v in (low, high, *((int(sample[j].min()), int(sample[j].max())) if sample.shape[1] else ())):
                _check_value(j, v)
            if low is not None and high is not None:
                lo.append(low)
                width.append(_bits(high - low))
                fixed.append(True)
            else:
                mn, mx = int(sample[j].min()), int(sample[j].max())
                start = low if low is not None else max(mn - 4, -VALUE_LIMIT)  # a little room below
                lo.append(start)
                width.append(min(_bits(mx - start) + 1, _bits(2 * VALUE_LIMIT)))  # and one spare bit above
                fixed.append(False)
        return cls(lo, width, fixed)

    def _place(self) -> None:
        """Pack fields into words; a field never straddles two words."""
        self.word, self.shift = [], []
        w, used = 0, 0
        for width in self.width:
            if width > WORD:
                raise ValueError(f"a field of {width} bits does not fit a {WORD}-bit word")
            if used + width > WORD:
                w, used = w + 1, 0
            self.word.append(w)
            self.shift.append(used)
            used += width
        self.words = w + 1

    def covers(self, S: np.ndarray) -> list[tuple[int, int, int]]:
        """Columns whose values in ``S`` fall outside their field: (column, min, max)."""
        if S.shape[1] == 0:
            return []
        mins, maxs = S.min(axis=1), S.max(axis=1)
        out = []
        for j, (lo, width) in enumerate(zip(self.lo, self.width, strict=True)):
            mn, mx = int(mins[j]), int(maxs[j])
            if mn < lo or mx > lo + (1 << width) - 1:
                out.append((j, mn, mx))
        return out

    def widened(self, outside: list[tuple[int, int, int]]) -> KeyLayout:
        lo, width = list(self.lo), list(self.width)
        for j, mn, mx in outside:
            if self.fixed[j]:  # a write outside declared bounds is a model error raised earlier
                raise ValueError(f"flat column {j} holds {mn}..{mx}, outside its declared range")
            _check_value(j, mn)
            _check_value(j, mx)
            old_hi = lo[j] + (1 << width[j]) - 1
            if mn < lo[j]:
                lo[j] = max(mn - (old_hi - mn), -VALUE_LIMIT)  # double the room below, so widening stays rare
            hi = min(max(old_hi, mx), VALUE_LIMIT)  # every value held so far is within the limit
            # exactly wide enough: a spare bit per field would have cost the DNS model a
            # second key word (69 bits instead of 63), and each widening adds a bit anyway
            width[j] = _bits(hi - lo[j])
        return KeyLayout(lo, width, list(self.fixed))

    def pack(self, S: np.ndarray) -> np.ndarray:
        """Keys of the states (columns of ``S``): uint64 if one word, else a void of 8*words bytes."""
        n = S.shape[1]
        words = np.zeros((self.words, n), dtype=np.uint64)
        for j in range(len(self.lo)):
            field_ = (S[j] - self.lo[j]).astype(np.uint64)
            if self.shift[j]:
                field_ <<= np.uint64(self.shift[j])
            words[self.word[j]] |= field_
        return self._keys(words)

    def _keys(self, words: np.ndarray) -> np.ndarray:
        """Keys from their ``(words, n)`` native words: uint64 if one word, else each key's words
        big-endian, first word first, so that the keys' byte order (how numpy sorts and
        searches void keys) is their words' numeric order, lexicographically: a widening that
        keeps every field in its word keeps the keys' order (`VisitedStore.widen`)."""
        if self.words == 1:
            return words[0]
        out = np.empty((words.shape[1], self.words), dtype=">u8")
        out[...] = words.T
        return out.view(np.dtype((np.void, 8 * self.words))).ravel()

    def repack(self, keys: np.ndarray, old: KeyLayout) -> np.ndarray:
        """Keys packed with ``old`` packed with this layout instead (a widening of ``old``)."""
        if old.words != 1 or self.words != 1:
            return self.pack(old.unpack(keys))
        # One word to one word: move runs of adjacent fields that keep their width and offset
        # (``lo``) with one shift each, instead of unpacking and packing every field.
        out = np.zeros(keys.shape[0], dtype=np.uint64)
        j, m = 0, len(self.lo)
        while j < m:
            if self.lo[j] != old.lo[j]:  # the stored number changes: this field alone
                field_ = ((keys >> np.uint64(old.shift[j])) & np.uint64((1 << old.width[j]) - 1)).view(np.int64)
                field_ += old.lo[j] - self.lo[j]
                out |= field_.view(np.uint64) << np.uint64(self.shift[j])
                j += 1
                continue
            k, bits = j, 0  # fields j..k-1 keep their offsets and their places relative to field j
            while k < m and self.lo[k] == old.lo[k] and self.shift[k] - self.shift[j] == old.shift[k] - old.shift[j]:
                bits = self.shift[k] - self.shift[j] + min(self.width[k], old.width[k])
                if self.width[k] != old.width[k]:  # widened: the fields after it move
                    k += 1
                    break
                k += 1
            run = (keys >> np.uint64(old.shift[j])) & np.uint64((1 << bits) - 1)
            out |= run << np.uint64(self.shift[j])
            j = k
        return out

    def words_of(self, keys: np.ndarray) -> np.ndarray:
        """The keys as a ``(words, n)`` native uint64 array (a view when one word, else a copy)."""
        n = keys.shape[0]
        if self.words == 1:
            return keys.reshape(1, n)
        return keys.view(">u8").reshape(n, self.words).T.astype(np.uint64, order="C")

    def unpack_row(self, words: np.ndarray, j: int) -> np.ndarray:
        """Flat column ``j`` of the states whose keys are ``words`` (from `words_of`)."""
        row = np.right_shift(words[self.word[j]], np.uint64(self.shift[j]))
        row &= np.uint64((1 << self.width[j]) - 1)
        out = row.view(np.int64)  # the same bits as astype(int64), without a copy
        out += self.lo[j]
        return out

    def unpack(self, keys: np.ndarray) -> np.ndarray:
        words = self.words_of(keys)
        S = np.empty((len(self.lo), keys.shape[0]), dtype=np.int64)
        for j in range(len(self.lo)):
            S[j] = self.unpack_row(words, j)
        return S

    def outside(self, values: dict[int, list[np.ndarray]]) -> list[tuple[int, int, int]]:
        """Like `covers`, for some columns only: ``values[j]`` lists arrays of column ``j``'s new
        values. Columns with declared bounds are skipped (a write outside them is a range error
        that the compiled checks have raised already)."""
        out = []
        for j, arrays in values.items():
            if self.fixed[j]:
                continue
            mn = min(int(np.min(a)) for a in arrays)
            mx = max(int(np.max(a)) for a in arrays)
            if mn < self.lo[j] or mx > self.lo[j] + (1 << self.width[j]) - 1:
                out.append((j, mn, mx))
        return out

    def derive(self, parents: np.ndarray, changed: list[int], values: list[np.ndarray]) -> np.ndarray:
        """Keys of states that equal ``parents`` (keys) but in columns ``changed``, which hold
        ``values`` (arrays, or 0-d for a constant): the parent's words with those fields cleared
        and re-filled, so the columns a step leaves alone are never unpacked and packed again.
        The values must fit (`outside`)."""
        n = parents.shape[0]
        words = self.words_of(parents) if self.words > 1 else parents.reshape(1, n).copy()  # a copy either way
        clear, const = [0] * self.words, [0] * self.words
        for j, v in zip(changed, values, strict=True):
            clear[self.word[j]] |= ((1 << self.width[j]) - 1) << self.shift[j]
            if v.ndim == 0:  # an update to a constant: part of one mask, not an array op
                const[self.word[j]] |= (int(v) - self.lo[j]) << self.shift[j]
        for w, (bits, fill) in enumerate(zip(clear, const, strict=True)):
            if bits:
                words[w] &= np.uint64(~bits & ((1 << WORD) - 1))
            if fill:
                words[w] |= np.uint64(fill)
        for j, v in zip(changed, values, strict=True):
            if v.ndim == 0:
                continue
            field_ = np.subtract(v, self.lo[j], dtype=np.int64).view(np.uint64)  # a new array
            if self.shift[j]:
                field_ <<= np.uint64(self.shift[j])
            words[self.word[j]] |= field_
        return self._keys(words)


def repack_keys(keys: np.ndarray, old: KeyLayout, new: KeyLayout) -> np.ndarray:
    """Keys packed with ``old`` re-packed with ``new``, a chunk at a time: in place when the
    key size stays (and the array is writable), so a widening never holds two copies."""
    in_place = old.words == new.words and keys.flags.writeable and keys.flags.owndata
    out = keys if in_place else np.empty(keys.shape[0], dtype=new.pack(np.zeros((len(new.lo), 0), np.int64)).dtype)
    # a one-word re-pack shifts whole keys (a few arrays of the chunk's size); any other unpacks every column
    step = _CHUNK if old.words == new.words == 1 else max(1024, _REPACK_CELLS // max(len(new.lo), 1))
    for i in range(0, keys.shape[0], step):
        out[i : i + step] = new.repack(keys[i : i + step], old)
    return out


def _seen(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions of the sorted ``queries`` in the sorted ``keys``, whether each is there)."""
    pos = np.searchsorted(keys, queries)  # fast for sorted queries: each search starts at the last
    inside = pos < len(keys)
    seen = np.zeros(len(queries), dtype=bool)
    seen[inside] = keys[pos[inside]] == queries[inside]
    return pos, seen


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

    def novel(self, keys: np.ndarray, *aligned: np.ndarray) -> tuple[np.ndarray, ...]:
        """``keys`` (and the arrays ``aligned`` with them) without the keys stored already and
        without repeats (the first of equal keys stays), in their order. `add` of the result
        stores exactly what `add` of the input would, with the same parents: a level filtered
        a chunk at a time, in order, keeps each key's first occurrence. Holding only these
        per chunk, instead of every successor of the level, bounds the level's memory."""
        if keys.shape[0] == 0:
            return (keys, *aligned)
        uniq, first = np.unique(keys, return_index=True)
        keep = ~_seen(self.bulk, uniq)[1]
        if len(self.recent):
            keep[keep] = ~_seen(self.recent, uniq[keep])[1]
        first = first[keep]
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
        self.bulk, self.recent = repack_keys(self.bulk, self.layout, new), repack_keys(self.recent, self.layout, new)
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

    def add(
        self, keys: np.ndarray, parents: np.ndarray, via: np.ndarray, limit: int | None = None
    ) -> tuple[np.ndarray, bool]:
        """Store the keys not seen before (the first of equal keys wins). Returns the positions
        (into ``keys``) of the new states, in the order of their new ids (the keys' order),
        and whether ``limit`` (a cap on how many are stored) cut some off."""
        uniq, first = np.unique(keys, return_index=True)
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
