"""Inline SVG charts: bins from the sketches, a shared scale with the baseline, escaped labels."""

from __future__ import annotations

import html
import re

import numpy as np
import pyarrow as pa
import pytest

from datacheck._format import fmt_number
from datacheck.report._charts import (
    BarRow,
    bars_svg,
    histogram_svg,
    numeric_bins,
    presence_svg,
)
from datacheck.stats import NumericStatistics, generate_statistics


def _numeric(values: object) -> NumericStatistics:
    stats = generate_statistics(pa.table({"x": pa.array(values)})).features["x"].numeric
    assert stats is not None
    return stats


def test_bins_hold_every_value_once():
    bins = numeric_bins(_numeric(np.random.default_rng(0).normal(0, 1, 3000)))
    assert bins is not None
    assert len(bins.edges) == len(bins.current) + 1
    assert sum(bins.current) == pytest.approx(1.0)
    assert list(bins.edges) == sorted(bins.edges)


def test_a_narrow_integer_range_gets_one_bin_per_number():
    bins = numeric_bins(_numeric([3, 4, 4, 8, 8, 8]), integer=True)
    assert bins is not None and bins.integer
    assert bins.edges == tuple(k - 0.5 for k in range(3, 10))
    assert bins.current[1] == pytest.approx(2 / 6)
    assert bins.current[5] == pytest.approx(3 / 6)


def test_one_outlier_does_not_squeeze_the_rest_into_one_bar():
    values = np.concatenate([np.random.default_rng(1).uniform(0, 1, 5000), [1e6]])
    bins = numeric_bins(_numeric(values))
    assert bins is not None and bins.clipped
    assert bins.edges[-1] < 2
    assert max(bins.current) < 0.2
    assert sum(bins.current) == pytest.approx(1.0)


def test_the_baseline_shares_the_current_edges():
    rng = np.random.default_rng(2)
    bins = numeric_bins(_numeric(rng.normal(0, 1, 2000)), _numeric(rng.normal(3, 1, 500)))
    assert bins is not None and bins.baseline is not None
    assert len(bins.baseline) == len(bins.current)
    assert sum(bins.baseline) == pytest.approx(1.0)
    assert bins.edges[-1] > 4  # the range covers the baseline's values too


def test_a_constant_feature_gets_one_bin():
    bins = numeric_bins(_numeric([2.5, 2.5, 2.5]))
    assert bins is not None and bins.current == (1.0,)


def test_no_values_give_no_bins():
    assert numeric_bins(_numeric(pa.nulls(3, pa.float64()))) is None


def test_histogram_draws_a_bar_per_bin_and_the_baseline_as_a_line():
    rng = np.random.default_rng(3)
    bins = numeric_bins(_numeric(rng.normal(0, 1, 500)), _numeric(rng.normal(0, 1, 500)))
    assert bins is not None
    svg = histogram_svg(bins, fmt_number, label="x")
    assert svg.count('<rect class="dcr-bar"') == len(bins.current)
    assert svg.count('<path class="dcr-base"') == 1


def test_bar_labels_are_escaped_and_long_ones_cut_with_the_full_text_in_the_tooltip():
    label = "<b>" + "x" * 40
    svg = bars_svg([BarRow(label=label, current=0.5, baseline=0.25)], label="c")
    assert "<b>" not in svg
    assert f"<title>{html.escape(label)}: 50.0% (baseline 25.0%)</title>" in svg
    shown = re.search(r'<text class="dcr-label"[^>]*>([^<]*)</text>', svg)
    assert shown is not None and len(html.unescape(shown.group(1))) == 18
    assert html.unescape(shown.group(1)).endswith("…")


def test_bars_put_the_baseline_on_the_same_scale():
    svg = bars_svg([BarRow(label="a", current=0.5, baseline=0.25)], label="c")
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_presence_bar_splits_present_and_missing():
    svg = presence_svg(3, 1, label="p")
    assert "present 75.0%" in svg and "missing 25.0%" in svg
