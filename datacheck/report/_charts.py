"""Inline SVG charts: histograms, top-value bars and presence bars, with a baseline drawn over.

Charts are drawn in Python as SVG text, so a report needs no script library, no CDN and no
font download. Colours come from CSS classes (``_assets.py``), which keeps each chart small.
Both distributions are drawn as shares of their own values, so a baseline of a different size
lies on the same scale. Every label from the data is escaped.

A histogram is exact where the profile allows it: counted from a feature's exact value counts
(few distinct values), or from a KLL sketch that never compacted (it still holds every value).
Otherwise it is the sketch's PMF, whose bars may each be off by KLL's normalized rank error (a
bin of 191 values in 54,571 drew as empty), and :class:`Bins` carries that bound for the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from datasketches import kll_doubles_sketch

from datacheck._format import fmt_share
from datacheck.stats import NumericStatistics

__all__ = [
    "BarRow",
    "Bins",
    "bars_svg",
    "histogram_svg",
    "numeric_bins",
    "presence_svg",
]

#: most bins of a histogram
MAX_BINS = 20
#: a histogram's range shrinks to the 1st..99th percentiles when those span less than this
#: share of min..max, so one outlier does not squeeze every other value into one bar
_CLIP_SPAN = 0.2
_LABEL_CHARS = 18


@dataclass(frozen=True, slots=True, kw_only=True)
class Bins:
    """A histogram of one feature on edges shared with its baseline."""

    #: bin edges, one more than bins, increasing
    edges: tuple[float, ...]
    #: share of the current values in each bin (sums to 1)
    current: tuple[float, ...]
    #: share of the baseline values in each bin, or None without a baseline
    baseline: tuple[float, ...] | None
    #: the range was cut to the central percentiles; the end bins hold the tails
    clipped: bool
    #: bins are centred on whole numbers
    integer: bool
    #: the current shares are exact: counted from the profile's exact value counts, or from a
    #: sketch that still holds every value (few rows)
    exact: bool = True
    #: where not exact, the most a bar's share may be off (KLL's normalized rank error for a
    #: PMF, at 99% confidence), for a sketch of :attr:`num_values` values
    rank_error: float | None = None
    #: the values the current histogram describes
    num_values: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class BarRow:
    """One category of a bar chart."""

    label: str
    #: share of the current values
    current: float
    #: share of the baseline values, or None without a baseline
    baseline: float | None


def _sketch(stats: NumericStatistics | None) -> kll_doubles_sketch | None:
    if stats is None:
        return None
    sketch = kll_doubles_sketch.deserialize(stats.kll_sketch)
    return None if sketch.is_empty() else sketch


def _range(sketches: Sequence[kll_doubles_sketch]) -> tuple[float, float, bool]:
    lo = min(s.get_min_value() for s in sketches)
    hi = max(s.get_max_value() for s in sketches)
    q_lo = min(s.get_quantile(0.01) for s in sketches)
    q_hi = max(s.get_quantile(0.99) for s in sketches)
    if not (math.isfinite(lo) and math.isfinite(hi)) or (
        hi > lo and q_hi - q_lo < _CLIP_SPAN * (hi - lo)
    ):
        if math.isfinite(q_lo) and math.isfinite(q_hi):
            return q_lo, q_hi, True
        finite = [v for v in (lo, hi, q_lo, q_hi) if math.isfinite(v)] or [0.0]
        return min(finite), max(finite), True
    return lo, hi, False


def _edges(lo: float, hi: float, integer: bool) -> tuple[list[float], bool]:
    if integer and hi - lo + 1 <= MAX_BINS:
        start, stop = math.floor(lo), math.ceil(hi)
        return [k - 0.5 for k in range(start, stop + 2)], True
    if hi <= lo:
        return [lo - 0.5, lo + 0.5], False
    return np.linspace(lo, hi, MAX_BINS + 1).tolist(), False


def _shares(sketch: kll_doubles_sketch, edges: Sequence[float]) -> tuple[float, ...]:
    if len(edges) == 2:
        return (1.0,)
    # The PMF over the inner edges puts everything below (above) the range in the first (last)
    # bin: that is where a clipped histogram shows its tails.
    return tuple(float(p) for p in sketch.get_pmf(list(edges[1:-1])))


def _exact_shares(counts: Mapping[float, int], edges: Sequence[float]) -> tuple[float, ...]:
    """Shares counted from exact value counts, binned as the sketch's PMF bins them."""
    total = sum(counts.values())
    if len(edges) == 2 or not total:
        return (1.0,) if len(edges) == 2 else tuple(0.0 for _ in edges[1:])
    values = np.fromiter(counts.keys(), dtype=np.float64, count=len(counts))
    weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    # side="right": a value on an inner edge belongs to the bin that starts there, as in
    # the PMF; values past either end fall in the end bins (a clipped histogram's tails).
    index = np.searchsorted(np.asarray(edges[1:-1]), values, side="right")
    binned = np.bincount(index, weights=weights, minlength=len(edges) - 1)
    return tuple(float(c) / total for c in binned)


def _exact_counts(stats: NumericStatistics | None) -> Mapping[float, int] | None:
    """The feature's exact value counts, where the profile kept them (few distinct values)."""
    return None if stats is None else stats.exact_counts


def _side(
    stats: NumericStatistics | None, sketch: kll_doubles_sketch, edges: Sequence[float]
) -> tuple[tuple[float, ...], bool]:
    """One side's shares, and whether they are exact."""
    counts = _exact_counts(stats)
    if counts is not None:
        return _exact_shares(counts, edges), True
    # A sketch that never compacted holds every value: its PMF is a count.
    return _shares(sketch, edges), not sketch.is_estimation_mode()


def numeric_bins(
    current: NumericStatistics | None,
    baseline: NumericStatistics | None = None,
    *,
    integer: bool = False,
) -> Bins | None:
    """Histogram bins of ``current`` (and ``baseline``) on common edges, from the KLL sketches.

    Args:
        current: the feature's numeric statistics.
        baseline: the baseline's numeric statistics of the same feature, if any.
        integer: the values are whole numbers; a narrow range gets one bin per number.

    Returns:
        The bins, or None when the current data has no value to draw.
    """
    cur = _sketch(current)
    if cur is None:
        return None
    base = _sketch(baseline)
    lo, hi, clipped = _range([s for s in (cur, base) if s is not None])
    edges, by_integer = _edges(lo, hi, integer)
    shares, exact = _side(current, cur, edges)
    return Bins(
        edges=tuple(edges),
        current=shares,
        baseline=None if base is None else _side(baseline, base, edges)[0],
        clipped=clipped,
        integer=by_integer,
        exact=exact,
        rank_error=None if exact else kll_doubles_sketch.get_normalized_rank_error(cur.k, True),
        num_values=int(cur.n),
    )


def _svg(kind: str, width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg class="dcr-chart" data-chart="{kind}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}">' + "".join(body) + "</svg>"
    )


def _t(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def _tip(where: str, share: float, baseline: float | None, *, count: str = "") -> str:
    """The tooltip of one bar: where, its share (after ``count``), and the baseline's."""
    tip = f"{where}: {count}{fmt_share(share)}"
    return tip if baseline is None else f"{tip} (baseline {fmt_share(baseline)})"


def histogram_svg(bins: Bins, fmt: Callable[[float], str], *, label: str) -> str:
    """The histogram as SVG: bars for the current data, a step line for the baseline.

    Args:
        bins: from :func:`numeric_bins`.
        fmt: how to write a value on the axis (dates as dates).
        label: what the chart shows, for screen readers.
    """
    width, height, left, right, top, bottom = 360, 150, 42, 8, 8, 30
    pw, ph = width - left - right, height - top - bottom
    n = len(bins.current)
    peak = max([*bins.current, *(bins.baseline or ())]) or 1.0
    bw = pw / n
    body = [
        f'<line class="dcr-axis" x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}"/>',
        f'<line class="dcr-grid" x1="{left}" y1="{top}" x2="{left + pw}" y2="{top}"/>',
        f'<text class="dcr-tick" x="{left - 4}" y="{top + 4}" text-anchor="end">'
        f"{escape(fmt_share(peak))}</text>",
        f'<text class="dcr-tick" x="{left - 4}" y="{top + ph}" text-anchor="end">0</text>',
    ]
    for i, share in enumerate(bins.current):
        h = share / peak * ph
        low, high = bins.edges[i], bins.edges[i + 1]
        where = fmt(low + 0.5) if bins.integer else f"[{fmt(low)}, {fmt(high)})"
        # An exact bar says how many values it holds; a sketch's bar says it is an estimate.
        rows = round(share * bins.num_values)
        count = f"{rows:,} value{'s' * (rows != 1)}, " if bins.exact else "about "
        tip = _tip(where, share, None if bins.baseline is None else bins.baseline[i], count=count)
        body.append(
            f'<rect class="dcr-bar" x="{_t(left + i * bw + 0.5)}" y="{_t(top + ph - h)}" '
            f'width="{_t(max(bw - 1, 0.5))}" height="{_t(h)}"><title>{escape(tip)}</title></rect>'
        )
    if bins.baseline is not None:
        path = [f"M{left} {top + ph}"]
        for i, share in enumerate(bins.baseline):
            y = _t(top + ph - share / peak * ph)
            path.append(f"V{y}H{_t(left + (i + 1) * bw)}")
        path.append(f"V{top + ph}")
        body.append(f'<path class="dcr-base" d="{"".join(path)}"/>')
    if bins.integer:
        ticks = [(0.5, bins.edges[0] + 0.5), (n - 0.5, bins.edges[-1] - 0.5)]
        if n > 2:
            mid = n // 2
            ticks.insert(1, (mid + 0.5, bins.edges[mid] + 0.5))
    else:
        ticks = [
            (0.0, bins.edges[0]),
            (n / 2, (bins.edges[0] + bins.edges[-1]) / 2),
            (float(n), bins.edges[-1]),
        ]
    for k, (pos, value) in enumerate(ticks):
        anchor = "start" if k == 0 else "end" if k == len(ticks) - 1 else "middle"
        text = fmt(value)
        if bins.clipped and k == 0:
            text = "≤" + text
        elif bins.clipped and k == len(ticks) - 1:
            text = "≥" + text
        body.append(
            f'<text class="dcr-tick" x="{_t(left + pos * bw)}" y="{height - 12}" '
            f'text-anchor="{anchor}">{escape(text)}</text>'
        )
    return _svg("histogram", width, height, label, body)


def _short(text: str) -> str:
    text = text.replace("\n", "⏎").replace("\r", "")
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def bars_svg(rows: Sequence[BarRow], *, label: str) -> str:
    """Horizontal bars of category shares, the baseline's share outlined over each bar.

    Args:
        rows: the categories to draw, top first.
        label: what the chart shows, for screen readers.
    """
    width, left, right, row_h, top = 360, 128, 52, 20, 4
    pw = width - left - right
    height = top * 2 + row_h * max(len(rows), 1)
    peak = max([r.current for r in rows] + [r.baseline or 0.0 for r in rows]) or 1.0
    body: list[str] = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        tip = _tip(r.label, r.current, r.baseline)
        body.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text class="dcr-label" x="{left - 6}" y="{y + 14}" text-anchor="end">'
            f"{escape(_short(r.label))}</text>"
            f'<rect class="dcr-bar" x="{left}" y="{y + 3}" width="{_t(r.current / peak * pw)}" '
            f'height="{row_h - 6}"/>'
        )
        if r.baseline is not None:
            body.append(
                f'<rect class="dcr-base" x="{left}" y="{y + 3}" '
                f'width="{_t(r.baseline / peak * pw)}" height="{row_h - 6}"/>'
            )
        body.append(
            f'<text class="dcr-tick" x="{width - right + 4}" y="{y + 14}">'
            f"{escape(fmt_share(r.current))}</text></g>"
        )
    return _svg("bars", width, height, label, body)


def presence_svg(present: int, missing: int, *, label: str) -> str:
    """One bar split into present and missing rows, for features with no value distribution.

    Args:
        present: rows where the feature has a value.
        missing: rows where it has none.
        label: what the chart shows, for screen readers.
    """
    width, height, left, pw = 360, 44, 4, 352
    total = present + missing
    share = present / total if total else 0.0
    w = share * pw
    # Zero rows: no share either way (a dash, not 0%).
    shown = (share, 1 - share) if total else (None, None)
    body = [
        f'<rect class="dcr-missing" x="{left}" y="4" width="{pw}" height="16"/>',
        f'<rect class="dcr-bar" x="{left}" y="4" width="{_t(w)}" height="16"/>',
        f'<text class="dcr-tick" x="{left}" y="36">present {escape(fmt_share(shown[0]))}</text>',
        f'<text class="dcr-tick" x="{left + pw}" y="36" text-anchor="end">'
        f"missing {escape(fmt_share(shown[1]))}</text>",
    ]
    return _svg("presence", width, height, label, body)
