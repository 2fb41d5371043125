"""Update regions: where a change to a layer's input changes its output, per query.

Each query carries two rectangles per layer output, half-open ``[y0, y1) x [x0, x1)``:

- the *changed* region, every output position whose value may differ from the base image's;
- the *materialized* region, the positions whose new values are held. All queries of a batch
  share its size (the largest changed region, clamped inside the map), so one batched layer
  call computes every query at once; a border query's smaller changed region sits inside it.

A sliding window (kernel ``k``, stride ``s``, padding ``p`` before the first row, dilation
``d``) reads input rows ``o*s - p .. o*s - p + d*(k-1)`` for output row ``o``, so input rows
``[a, b)`` reach output rows ``ceil((a + p - d*(k-1)) / s) .. floor((b - 1 + p) / s)``,
clipped to the map. The approximate mode (Krypton's projective-field threshold ``tau``) caps a
region at ``ceil(tau * size)`` positions per axis, centred on the exact region, and leaves the
positions it drops at their base values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Axis", "Regions", "affected", "materialize", "truncate", "union"]

#: one int64 per query
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Axis:
    """A sliding window's geometry along one axis."""

    #: kernel size
    kernel: int
    #: stride
    stride: int
    #: padding before the first position
    padding: int
    #: dilation
    dilation: int

    @property
    def extent(self) -> int:
        """How many input positions one output position reads, end to end."""
        return self.dilation * (self.kernel - 1) + 1


@dataclass(frozen=True, slots=True)
class Regions:
    """The changed and materialized rectangles of one layer output, for each query."""

    #: changed rows ``[y0, y1)`` and columns ``[x0, x1)``, one entry per query
    y0: Ints
    y1: Ints
    x0: Ints
    x1: Ints
    #: the materialized region's top-left corner per query; its size is ``(h, w)`` for all
    my0: Ints
    mx0: Ints
    h: int
    w: int


def affected(lo: Ints, hi: Ints, axis: Axis, size_out: int) -> tuple[Ints, Ints]:
    """Output positions ``[lo', hi')`` a change to input positions ``[lo, hi)`` reaches.

    Never empty: a change no output reads (a 1x1 stride-2 window skipping it) still gives one
    position, recomputed to its unchanged value, so every query has a region to hold.
    """
    start = -((-(lo + axis.padding - (axis.extent - 1))) // axis.stride)
    stop = (hi - 1 + axis.padding) // axis.stride + 1
    start = np.clip(start, 0, size_out - 1)
    stop = np.clip(stop, start + 1, size_out)
    return start.astype(np.int64), stop.astype(np.int64)


def truncate(lo: Ints, hi: Ints, tau: float, size: int) -> tuple[Ints, Ints]:
    """Cap ``[lo, hi)`` at ``ceil(tau * size)`` positions, centred (Krypton's threshold)."""
    cap = max(1, int(np.ceil(tau * size)))
    long = (hi - lo) > cap
    if not long.any():
        return lo, hi
    centre = (lo + hi) // 2
    start = np.clip(centre - cap // 2, 0, size - cap)
    return np.where(long, start, lo), np.where(long, start + cap, hi)


def materialize(y0: Ints, y1: Ints, x0: Ints, x1: Ints, height: int, width: int) -> Regions:
    """The batch's common region size, each query's placed over its changed region."""
    h = int((y1 - y0).max())
    w = int((x1 - x0).max())
    my0 = np.minimum(y0, height - h)
    mx0 = np.minimum(x0, width - w)
    return Regions(y0=y0, y1=y1, x0=x0, x1=x1, my0=my0, mx0=mx0, h=h, w=w)


def union(regions: list[Regions], height: int, width: int) -> Regions:
    """Where any of several same-shaped inputs changed (the output of an add or a concat)."""
    y0 = np.minimum.reduce([r.y0 for r in regions])
    y1 = np.maximum.reduce([r.y1 for r in regions])
    x0 = np.minimum.reduce([r.x0 for r in regions])
    x1 = np.maximum.reduce([r.x1 for r in regions])
    return materialize(y0, y1, x0, x1, height, width)
