"""A histogram from a sketch says how far off it may be; exact value counts give exact bars.

The case from real data: 191 of 54,571 rows (0.35%) in one bin, drawn from a KLL sketch as an
empty bar. The fixture puts 191 values alone in the bin [50, 55) of a range 0..100.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from datacheck.report import render_html
from datacheck.report._charts import numeric_bins
from datacheck.stats import DatasetProfile, generate_statistics

ROWS = 54_571
SMALL = 191


@pytest.fixture(scope="module")
def profile() -> DatasetProfile:
    rng = np.random.default_rng(0)
    rest = ROWS - SMALL
    wide = np.concatenate(
        [
            [0.0, 100.0],  # the range: bins of 5 from 0 to 100
            rng.uniform(0, 40, rest // 2 - 1),
            rng.uniform(60, 100, rest - rest // 2 - 1),
            rng.uniform(50, 55, SMALL),
        ]
    )
    # The same shape in whole numbers with few distinct values: the profile counts each one.
    counted = np.concatenate([rng.integers(0, 17, rest), np.full(SMALL, 17)])
    return generate_statistics(pa.table({"wide": rng.permutation(wide), "counted": counted}))


def _card(page: str, name: str) -> str:
    found = re.search(rf'<article [^>]*data-name="{name}"[^>]*>(.*?)</article>', page, re.S)
    assert found is not None
    return found.group(1)


def test_a_sketched_histogram_states_its_error_bound(profile) -> None:
    bins = numeric_bins(profile.features["wide"].numeric)
    assert bins is not None and not bins.exact
    assert bins.rank_error is not None and 0.01 < bins.rank_error < 0.02
    # The bound covers the bar the sketch gets wrong: 191 values drawn as (nearly) nothing.
    small = bins.current[bins.edges.index(50.0)]
    assert abs(small - SMALL / ROWS) <= bins.rank_error
    card = _card(render_html(profile), "wide")
    note = re.search(r'<p class="dcr-note dcr-approx" data-rank-error="([^"]+)">(.*?)</p>', card)
    assert note is not None
    assert float(note.group(1)) == pytest.approx(bins.rank_error, rel=1e-5)
    assert "Approximate" in note.group(2) and "54,571 values" in note.group(2)
    assert "1.7%" in note.group(2)  # k=200: 1.65%
    assert "<title>[50, 55): about " in card


def test_exact_value_counts_give_exact_bars(profile) -> None:
    stats = profile.features["counted"].numeric
    assert stats is not None and stats.exact_counts is not None
    bins = numeric_bins(stats, integer=True)
    assert bins is not None and bins.exact and bins.rank_error is None
    assert round(bins.current[-1] * ROWS) == SMALL
    card = _card(render_html(profile), "counted")
    assert "dcr-approx" not in card
    assert "<title>17: 191 values, 0.4%</title>" in card


def test_a_sketch_that_holds_every_value_is_exact() -> None:
    x = np.linspace(0, 1, 150)
    bins = numeric_bins(generate_statistics(pa.table({"x": x})).features["x"].numeric)
    assert bins is not None and bins.exact
    assert sum(round(share * 150) for share in bins.current) == 150
