"""Feeding a whole batch to a KLL sketch from a sorted numpy array, without the GIL.

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

__all__ = ["kll_add_sorted"]

_PREAMBLE_INTS_FULL = 5
_SERIAL_VERSION = 1
_FAMILY_KLL = 15
_FLAG_LEVEL_ZERO_SORTED = 1 << 1
_M = 8


def _level_capacity(k: int, num_levels: int, height: int) -> int:
    """KLL's capacity of a level: about k * (2/3)**depth, never below m (kll_helper)."""
    depth = num_levels - height - 1
    return max(_M, int((((2 * k) << depth) // (3**depth) + 1) >> 1))


def _sketch_of_sorted(values: np.ndarray, k: int) -> Any:
    """A KLL sketch of ``values`` (sorted float64, more than ``k`` of them)."""
    parts: list[np.ndarray] = []
    level = values
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
    image = b"".join(
        (
            struct.pack(
                "<BBBBHBB", _PREAMBLE_INTS_FULL, _SERIAL_VERSION, _FAMILY_KLL,
                _FLAG_LEVEL_ZERO_SORTED, k, _M, 0,
            ),
            struct.pack("<QHBB", values.size, k, num_levels, 0),
            struct.pack(f"<{num_levels}I", *starts),
            struct.pack("<dd", values[0], values[-1]),
            np.concatenate(parts).astype("<f8", copy=False).tobytes(),
        )
    )
    return ds.kll_doubles_sketch.deserialize(image)


def kll_add_sorted(sketch: Any, values: np.ndarray, k: int) -> None:
    """Add sorted, NaN-free float64 ``values`` to a ``kll_doubles_sketch`` of size ``k``."""
    if values.size == 0:
        return
    if values.size <= k:
        # Few enough to keep exactly; the binding refuses read-only arrays.
        sketch.update(np.array(values, dtype=np.float64))
        return
    sketch.merge(_sketch_of_sorted(values, k))
