"""Feeding a whole batch to a KLL sketch through a numpy sort, without the GIL.

``kll_doubles_sketch.update(array)`` inserts values one by one in C++ while holding the GIL,
so numeric columns could not share the two cores. KLL's compaction of a sorted level keeps
every other item from a random offset, promoting it to the next level with twice the weight,
and leaves one item behind when the level's size is odd. Applied to a sorted batch directly,
that is a handful of numpy slices: the batch becomes a valid KLL sketch (levels ``0..h-1`` hold
the left-over items, level ``h`` at most ``k`` items), written in DataSketches' serialization
format and merged into the running sketch. Sorting releases the GIL; the sketch sees a few
hundred items per batch. Each level's compaction adds at most its weight ``2**j`` of rank
error, zero on average, the same error KLL's own compactions add.

The format (datasketches-cpp ``kll_sketch::serialize``, serial version 1, little-endian):
preamble ints, serial version, family (15), flags, k (u16), m (u8), unused; n (u64), min_k
(u16), number of levels (u8), unused; each level's start offset (u32) into a buffer whose
total capacity KLL derives from k and the level count; min and max; the retained items.
"""

from __future__ import annotations

import random
import struct
from typing import Any

import datasketches as ds
import numpy as np

__all__ = ["kll_add"]

_PREAMBLE_INTS_FULL = 5
_SERIAL_VERSION = 1
_FAMILY_KLL = 15
_FLAG_LEVEL_ZERO_SORTED = 1 << 1
_M = 8
#: integers below this are exact in float32
_FLOAT32_EXACT = float(2**24)


def _level_capacity(k: int, num_levels: int, height: int) -> int:
    """KLL's capacity of a level: about k * (2/3)**depth, never below m (kll_helper)."""
    depth = num_levels - height - 1
    return max(_M, int((((2 * k) << depth) // (3**depth) + 1) >> 1))


def _sketch_of_sorted(ordered: np.ndarray, k: int, low: float, high: float, offset: float) -> Any:
    """A KLL sketch of ``ordered + offset`` (more than ``k`` sorted values) whose min and max
    are ``low`` and ``high``."""
    parts: list[np.ndarray] = []
    level = ordered
    while level.size > k:
        if level.size % 2:
            parts.append(level[:1])
            level = level[1:]
        else:
            parts.append(level[:0])
        level = level[random.getrandbits(1) :: 2]
    parts.append(level)
    num_levels = len(parts)
    capacity = sum(_level_capacity(k, num_levels, h) for h in range(num_levels))
    retained = sum(p.size for p in parts)
    starts, position = [], capacity - retained
    for part in parts:
        starts.append(position)
        position += part.size
    # Rounding may carry an item a hair past the exact extremes; KLL wants them inside.
    items = np.clip(np.concatenate(parts).astype(np.float64) + offset, low, high)
    image = b"".join(
        (
            struct.pack(
                "<BBBBHBB",
                _PREAMBLE_INTS_FULL,
                _SERIAL_VERSION,
                _FAMILY_KLL,
                _FLAG_LEVEL_ZERO_SORTED,
                k,
                _M,
                0,
            ),
            struct.pack("<QHBB", ordered.size, k, num_levels, 0),
            struct.pack(f"<{num_levels}I", *starts),
            struct.pack("<dd", low, high),
            items.astype("<f8", copy=False).tobytes(),
        )
    )
    return ds.kll_doubles_sketch.deserialize(image)


def kll_add(sketch: Any, values: np.ndarray, k: int, low: float, high: float) -> None:
    """Add NaN-free ``values`` (any order, ints or floats) whose min and max are ``low`` and
    ``high`` to a ``kll_doubles_sketch`` of size ``k``.

    Integers spanning less than 2**24 are sorted as float32 offsets from ``low``: half the
    bytes to sort, and still exact. Everything else sorts as float64, so that the sketch holds
    the data's own values (rounded offsets would split ties: 5.6 stored as 5.59999981 in one
    profile and 5.60000038 in another).
    """
    if values.size == 0:
        return
    if values.size <= k:
        # Few enough to keep exactly; the binding refuses read-only arrays.
        sketch.update(np.array(values, dtype=np.float64))
        return
    span = float(high) - float(low)
    if values.dtype.kind in "iu" and span < _FLOAT32_EXACT:
        ordered = np.sort((values - low).astype(np.float32))
        sketch.merge(_sketch_of_sorted(ordered, k, float(low), float(high), float(low)))
    else:
        ordered = np.sort(values.astype(np.float64, copy=False))
        sketch.merge(_sketch_of_sorted(ordered, k, float(low), float(high), 0.0))
