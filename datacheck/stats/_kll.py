"""datacheck's own KLL quantile sketch: deterministic compactions, DataSketches' bytes.

A KLL sketch keeps items in levels; an item of level ``h`` stands for ``2**h`` values. When
the sketch holds more items than its capacity (set by ``k``), a level is compacted: every other
item of the sorted level, from an offset of 0 or 1, moves up a level with twice the weight (the
first item stays behind when the level's size is odd). A compaction of level ``h`` moves any
rank by at most ``2**h``, by zero on average over the two offsets; KLL's error bound needs only
that the offsets of different compactions are independent fair coins.

DataSketches draws those coins from an unseeded generator inside its C++ code, so the same data,
or the same merge of the same sketches, gave different bytes and different medians from run to
run (issue 12: merging the same 10 serialized sketches 5 times gave 5 byte strings). Here a coin
is the top bit of a 64-bit mix (splitmix64) of where the compaction happens: the item counts of
the two sides, the level, and the first and last items of the level. These are the same on every
run over the same input in the same order, and differ between the compactions of one run, so the
coins behave as independent fair ones while one input always gives one sketch.

Adding a batch sorts it (numpy, without the GIL) and halves it level by level until at most ``k``
items remain, a handful of numpy slices; those levels then merge into the sketch's. A merge joins
the two sketches level by level, then compacts the levels over their capacity bottom-up until the
sketch fits (DataSketches' ``general_compress``). Merging an empty sketch changes nothing.

Queries (quantiles, ranks, PMFs) go to DataSketches: :meth:`KllSketch.view` reads the image,
which is deterministic. The image is datasketches-cpp's ``kll_sketch::serialize`` (little-endian):
preamble ints (2 when empty or of one item, else 5), serial version (1, or 2 for one item),
family (15), flags (1 empty, 2 level zero sorted, 4 one item), k (u16), m (u8), unused; then
n (u64), min_k (u16), number of levels (u8), unused; each level's start offset (u32) into a
buffer whose total capacity KLL derives from k and the level count; min and max; the items.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from itertools import pairwise
from typing import Any

import datasketches as ds
import numpy as np

__all__ = ["KllSketch"]

_PREAMBLE_INTS_SHORT = 2
_PREAMBLE_INTS_FULL = 5
_SERIAL_VERSION = 1
_SERIAL_VERSION_SINGLE = 2
_FAMILY_KLL = 15
_FLAG_EMPTY = 1 << 0
_FLAG_LEVEL_ZERO_SORTED = 1 << 1
_FLAG_SINGLE_ITEM = 1 << 2
_HEADER = struct.Struct("<BBBBHBB")
_COUNTS = struct.Struct("<QHBB")
_M = 8
#: integers below this are exact in float32
_FLOAT32_EXACT = float(2**24)
_MASK = (1 << 64) - 1
#: what a coin's key starts with: a batch's own halving, or a merge of two sketches' levels
_HALVE, _MERGE = 1, 2


def _level_capacity(k: int, num_levels: int, height: int) -> int:
    """KLL's capacity of a level: about ``k * (2/3)**depth``, never below m (kll_helper)."""
    depth = num_levels - height - 1
    if depth > 30:  # datasketches-cpp rounds twice there; the same integers here
        half = depth // 2
        return max(_M, _cap_aux(_cap_aux(k, half), depth - half))
    return max(_M, _cap_aux(k, depth))


def _cap_aux(k: int, depth: int) -> int:
    """``k * (2/3)**depth``, rounded to the nearest integer as kll_helper rounds it."""
    return int((((2 * k) << depth) // (3**depth) + 1) >> 1)


@lru_cache(maxsize=256)
def _capacities(k: int, num_levels: int) -> tuple[int, ...]:
    """The capacity of each level of a sketch of ``num_levels`` levels."""
    return tuple(_level_capacity(k, num_levels, h) for h in range(num_levels))


@lru_cache(maxsize=256)
def _total_capacity(k: int, num_levels: int) -> int:
    return sum(_capacities(k, num_levels))


def _mix(x: int) -> int:
    """splitmix64's finaliser: a 64-bit integer whose bits all depend on every bit of ``x``."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _hash(*keys: int) -> int:
    """64 random-looking bits for the position that ``keys`` name."""
    h = 0
    for key in keys:
        h = _mix(h ^ (key & _MASK))
    return h


def _coin(*keys: int) -> int:
    """0 or 1, a fair coin for a compaction at the position that ``keys`` name."""
    return _hash(*keys) >> 63


def _ends(level: np.ndarray) -> tuple[int, int]:
    """The bits of a level's first and last items (one more input to its coin)."""
    bits = level[:: max(1, level.size - 1)].astype(np.float64).view(np.uint64)
    return int(bits[0]), int(bits[-1])


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two sorted levels as one sorted level (neither is changed)."""
    if a.size == 0:
        return b
    if b.size == 0:
        return a
    return np.sort(np.concatenate((a, b)))


class KllSketch:
    """A KLL sketch of doubles whose bytes depend only on its input and the order of it.

    Mutable; merge into the first sketch only. Its arrays are never changed in place, so two
    sketches may share them.

    Args:
        k: The sketch size (DataSketches' ``k``): the normalized rank error is about
            ``1.65 / k``.
    """

    __slots__ = ("k", "levels", "max", "min", "n")

    def __init__(self, k: int) -> None:
        self.k = k
        self.n = 0
        self.min = float("nan")
        self.max = float("nan")
        #: level h: sorted float64 items, each standing for 2**h values
        self.levels: list[np.ndarray] = []

    def is_empty(self) -> bool:
        """Whether no value was added."""
        return self.n == 0

    def add(self, values: np.ndarray, low: float, high: float) -> None:
        """Add NaN-free ``values`` (any order, ints or floats) whose min and max are ``low``
        and ``high``.

        Integers spanning less than 2**24 are sorted as float32 offsets from ``low``: half the
        bytes to sort, and still exact. Everything else sorts as float64, so that the sketch
        holds the data's own values (rounded offsets would split ties: 5.6 stored as 5.59999981
        in one profile and 5.60000038 in another).
        """
        size = int(values.size)
        if size == 0:
            return
        lo, hi = float(low), float(high)
        if values.dtype.kind in "iu" and hi - lo < _FLOAT32_EXACT:
            # In 64 bits: int8 - int8 wraps (-100 - -100 is 0, 100 - -100 is -56).
            wide = np.uint64 if values.dtype == np.uint64 else np.int64
            ordered = np.sort(np.subtract(values, low, dtype=wide).astype(np.float32))
            offset = lo
        else:
            ordered = np.sort(values.astype(np.float64, copy=False))
            offset = 0.0
        parts: list[np.ndarray] = []
        level = ordered
        # One hash, a bit of it per halving (a batch of 2**64 values would need 64 of them).
        coins = _hash(_HALVE, self.n, size)
        while level.size > self.k:
            odd = level.size % 2
            coin = coins >> len(parts) & 1
            parts.append(level[:odd])
            level = level[odd + coin :: 2]
        parts.append(level)
        # A copy (the slices would keep the whole sorted batch alive); rounding may carry an
        # item a hair past the exact extremes, and KLL wants them inside.
        items = np.clip(np.concatenate(parts).astype(np.float64) + offset, lo, hi)
        bounds = np.cumsum([0] + [p.size for p in parts]).tolist()
        batch = KllSketch(self.k)
        batch.n, batch.min, batch.max = size, lo, hi
        batch.levels = [items[a:b] for a, b in pairwise(bounds)]
        self.merge(batch)

    def merge(self, other: KllSketch) -> None:
        """Fold ``other`` (of the same ``k``) into this sketch; ``other`` is not changed."""
        if other.k != self.k:
            raise ValueError(f"cannot merge a KLL sketch of k={other.k} into one of k={self.k}")
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.min, self.max = other.n, other.min, other.max
            self.levels = list(other.levels)
            return
        mine, theirs = self.levels, other.levels
        height = max(len(mine), len(theirs))
        empty = np.empty(0, dtype=np.float64)
        levels = [
            _join(mine[h] if h < len(mine) else empty, theirs[h] if h < len(theirs) else empty)
            for h in range(height)
        ]
        small = min(self.n, other.n)
        self.n += other.n
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)
        self.levels = _compress(levels, self.k, (_MERGE, self.n, small))

    def to_bytes(self) -> bytes:
        """The sketch in DataSketches' serialization (readable by ``kll_doubles_sketch``)."""
        k = self.k
        if self.n == 0:
            return _HEADER.pack(
                _PREAMBLE_INTS_SHORT, _SERIAL_VERSION, _FAMILY_KLL, _FLAG_EMPTY, k, _M, 0
            )
        if self.n == 1:
            return _HEADER.pack(
                _PREAMBLE_INTS_SHORT,
                _SERIAL_VERSION_SINGLE,
                _FAMILY_KLL,
                _FLAG_SINGLE_ITEM | _FLAG_LEVEL_ZERO_SORTED,
                k,
                _M,
                0,
            ) + struct.pack("<d", self.min)
        num_levels = len(self.levels)
        retained = sum(level.size for level in self.levels)
        starts, position = [], _total_capacity(k, num_levels) - retained
        for level in self.levels:
            starts.append(position)
            position += level.size
        return b"".join(
            (
                _HEADER.pack(
                    _PREAMBLE_INTS_FULL,
                    _SERIAL_VERSION,
                    _FAMILY_KLL,
                    _FLAG_LEVEL_ZERO_SORTED,
                    k,
                    _M,
                    0,
                ),
                _COUNTS.pack(self.n, k, num_levels, 0),
                struct.pack(f"<{num_levels}I", *starts),
                struct.pack("<dd", self.min, self.max),
                np.concatenate(self.levels).astype("<f8", copy=False).tobytes(),
            )
        )

    @classmethod
    def from_bytes(cls, image: bytes) -> KllSketch:
        """The sketch of a DataSketches ``kll_doubles_sketch`` image (this class's or not).

        Raises:
            ValueError: The bytes are not such an image.
        """
        try:
            return cls._parse(image)
        except struct.error as e:
            raise ValueError(f"not a KLL sketch of doubles: {e}") from None

    @classmethod
    def _parse(cls, image: bytes) -> KllSketch:
        _, _, family, flags, k, m, _ = _HEADER.unpack_from(image)
        if family != _FAMILY_KLL or m != _M or k < _M:
            raise ValueError(f"not a KLL sketch of doubles (family {family}, k {k}, m {m})")
        sketch = cls(k)
        if flags & _FLAG_EMPTY:
            return sketch
        if flags & _FLAG_SINGLE_ITEM:
            (item,) = struct.unpack_from("<d", image, _HEADER.size)
            sketch.n, sketch.min, sketch.max = 1, item, item
            sketch.levels = [np.array([item], dtype=np.float64)]
            return sketch
        n, _, num_levels, _ = _COUNTS.unpack_from(image, _HEADER.size)
        at = _HEADER.size + _COUNTS.size
        starts = list(struct.unpack_from(f"<{num_levels}I", image, at))
        at += 4 * num_levels
        low, high = struct.unpack_from("<dd", image, at)
        at += 16
        bounds = [*starts, _total_capacity(k, num_levels)]
        count = bounds[-1] - bounds[0]
        if count < 0 or len(image) != at + 8 * count or bounds != sorted(bounds):
            raise ValueError("not a KLL sketch of doubles (its levels do not fit its size)")
        items = np.frombuffer(image, dtype="<f8", count=count, offset=at).astype(np.float64)
        # Level zero of a sketch fed value by value is unsorted; the others are sorted already.
        sketch.levels = [
            np.sort(items[bounds[h] - bounds[0] : bounds[h + 1] - bounds[0]])
            for h in range(num_levels)
        ]
        sketch.n, sketch.min, sketch.max = n, low, high
        return sketch

    def view(self) -> Any:
        """The sketch as a DataSketches ``kll_doubles_sketch``, for queries (not for updates:
        its compactions are random)."""
        return ds.kll_doubles_sketch.deserialize(self.to_bytes())

    def __getstate__(self) -> bytes:
        return self.to_bytes()

    def __setstate__(self, state: bytes) -> None:
        other = KllSketch.from_bytes(state)
        self.k, self.n, self.min, self.max, self.levels = (
            other.k,
            other.n,
            other.min,
            other.max,
            other.levels,
        )


def _compress(levels: list[np.ndarray], k: int, key: tuple[int, ...]) -> list[np.ndarray]:
    """Compact levels over their capacity, lowest first, until the items fit the sketch."""
    total = sum(level.size for level in levels)
    while total > _total_capacity(k, len(levels)):
        h = 0
        while h < len(levels) and total > _total_capacity(k, len(levels)):
            level = levels[h]
            if level.size >= _capacities(k, len(levels))[h]:
                if h == len(levels) - 1:
                    levels.append(level[:0])
                odd = level.size % 2
                promoted = level[odd + _coin(*key, h, *_ends(level)) :: 2]
                levels[h] = level[:odd]
                levels[h + 1] = _join(levels[h + 1], promoted)
                total -= promoted.size
            h += 1
    return levels
