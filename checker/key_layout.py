"""Packed keys of states for the explicit-state engine (`state_store` keeps them).

A state (an int64 column of the engine's state matrix) is packed into a key of one or
more 64-bit words: each flat slot gets a bit field just wide enough for the values seen so
far (`KeyLayout`). Unbounded ints widen their field when a larger value shows up, and
then every stored key is re-packed (`repack_keys`); that happens a few times per run at most.
A one-word key is a uint64; a longer one a void of 8 bytes per word, each word big-endian,
so that numpy's byte order of keys is their words' numeric order.

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
#: keys re-packed at a time by a one-word re-pack (a few arrays of this size)
REPACK_CHUNK = 1 << 16
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

    def _place(self, prefer: list[int] | None = None) -> None:
        """Pack fields into words; a field never straddles two words. ``prefer``: each field's
        word in the layout this one widens, kept while every word still holds its fields, so
        that the keys keep their order (`VisitedStore.widen` re-sorts the store otherwise).
        When the fields must move, the fewest words are filled evenly, in column order, so that
        each keeps room for its fields to widen into: packed full, every later widening of a
        field in a full word pushed a field into the next word and re-sorted the whole store."""
        for width in self.width:
            if width > WORD:
                raise ValueError(f"a field of {width} bits does not fit a {WORD}-bit word")
        if prefer is not None and len(prefer) == len(self.width):
            used: dict[int, int] = {}
            for w, width in zip(prefer, self.width, strict=True):
                used[w] = used.get(w, 0) + width
            if max(used.values(), default=0) <= WORD:
                self._shifts(list(prefer))
                return
        fewest = len(set(_fill(self.width, WORD)))
        cap = -(-sum(self.width) // fewest)  # ceil: the even share of a word
        while len(set(words := _fill(self.width, cap))) > fewest:  # cap reaches WORD at worst: the fewest
            cap += 1
        self._shifts(words)

    def _shifts(self, words: list[int]) -> None:
        """Each field at the next free bit of its word, in column order."""
        self.word, self.shift = words, []
        used: dict[int, int] = {}
        for w, width in zip(words, self.width, strict=True):
            self.shift.append(used.get(w, 0))
            used[w] = used.get(w, 0) + width
        self.words = max(words, default=0) + 1

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
        out = KeyLayout(lo, width, list(self.fixed))
        out._place(prefer=self.word)
        return out

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


def _fill(widths: list[int], cap: int) -> list[int]:
    """Each field's word when fields fill words in column order up to ``cap`` bits (a field
    wider than ``cap`` gets a word of its own)."""
    out, w, used = [], 0, 0
    for width in widths:
        if used and used + width > cap:
            w, used = w + 1, 0
        out.append(w)
        used += width
    return out


def repack_keys(keys: np.ndarray, old: KeyLayout, new: KeyLayout) -> np.ndarray:
    """Keys packed with ``old`` re-packed with ``new``, a chunk at a time: in place when the
    key size stays (and the array is writable), so a widening never holds two copies."""
    in_place = old.words == new.words and keys.flags.writeable and keys.flags.owndata
    out = keys if in_place else np.empty(keys.shape[0], dtype=new.pack(np.zeros((len(new.lo), 0), np.int64)).dtype)
    # a one-word re-pack shifts whole keys (a few arrays of the chunk's size); any other unpacks every column
    step = REPACK_CHUNK if old.words == new.words == 1 else max(1024, _REPACK_CELLS // max(len(new.lo), 1))
    for i in range(0, keys.shape[0], step):
        out[i : i + step] = new.repack(keys[i : i + step], old)
    return out
