"""The HTML report: every feature drawn, data escaped, nothing external, small enough."""

from __future__ import annotations

import dataclasses
import html
import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from datacheck.report import render_html, write_html
from datacheck.schema import Feature, FeatureType, Presence, Schema
from datacheck.stats import DatasetProfile, StatsOptions, generate_statistics
from datacheck.validate import AnomalyCode, ValidationReport, validate_statistics
from tests.unit.report.conftest import HOSTILE


def _cards(page: str) -> dict[str, str]:
    """Feature path -> the HTML of its card."""
    cards = re.findall(r'<article [^>]*data-name="([^"]*)"[^>]*>(.*?)</article>', page, re.S)
    return {html.unescape(name): body for name, body in cards}


def _full(
    profile: DatasetProfile, baseline: DatasetProfile, schema: Schema, validation: ValidationReport
) -> str:
    return render_html(profile, baseline=baseline, schema=schema, validation=validation)


def test_every_feature_has_a_card_with_a_chart(profile, baseline, schema, validation):
    cards = _cards(_full(profile, baseline, schema, validation))
    assert set(cards) == set(profile.features)
    assert all('<svg class="dcr-chart"' in body for body in cards.values())


def test_chart_kind_follows_the_feature_kind(profile):
    cards = _cards(render_html(profile))
    assert 'data-chart="histogram"' in cards["price"]
    assert 'data-chart="histogram"' in cards["day"]
    assert 'data-chart="bars"' in cards["colour"]
    assert 'data-chart="bars"' in cards["flag"]
    assert 'data-chart="presence"' in cards["blob"]
    assert 'data-chart="presence"' in cards["empty"]


def test_a_category_value_from_the_data_renders_as_text(profile, baseline, schema, validation):
    page = _full(profile, baseline, schema, validation)
    assert HOSTILE not in page
    assert html.escape(HOSTILE) in page
    # the only script element is the report's own
    assert page.count("<script") == 1


def test_a_feature_name_from_the_data_is_escaped():
    table = pa.table({'<img src=x onerror="alert(1)">': pa.array([1.0, 2.0])})
    page = render_html(generate_statistics(table))
    assert "<img" not in page
    assert 'data-name="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"' in page


def test_the_page_references_no_external_resource(profile, baseline, schema, validation):
    page = _full(profile, baseline, schema, validation)
    for marker in ("src=", "<link", "@import", "url(", "//cdn", "fonts.g"):
        assert marker not in page
    assert set(re.findall(r"https?://[^\"' ]+", page)) == {"http://www.w3.org/2000/svg"}


def test_a_drifted_feature_shows_its_distances_against_thresholds(
    profile, baseline, schema, validation
):
    card = _cards(_full(profile, baseline, schema, validation))["price"]
    assert "data-drifted" in _full(profile, baseline, schema, validation)
    assert '<table class="dcr-drift">' in card
    assert '<tr class="over"><td>baseline</td><td>jensen_shannon' in card
    assert 'class="dcr-meter-mark"' in card


def test_a_feature_with_anomalies_is_highlighted_and_listed_first(
    profile, baseline, schema, validation
):
    page = _full(profile, baseline, schema, validation)
    first = re.search(r'<article [^>]*class="([^"]*)"', page)
    assert first is not None and "dcr-has-error" in first.group(1)
    assert "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH" in _cards(page)["price"]


def test_the_schema_is_shown_beside_the_statistics(profile, baseline, schema, validation):
    card = _cards(_full(profile, baseline, schema, validation))["colour"]
    assert '<div class="dcr-schema">' in card
    assert f"<code>{html.escape(HOSTILE)}</code>" in card  # the inferred string domain
    assert "l_infinity ≤ 0.1" in card


def test_statistics_sit_beside_the_baseline_and_the_chart_overlays_it(
    profile, baseline, schema, validation
):
    card = _cards(_full(profile, baseline, schema, validation))["price"]
    assert '<th class="num">baseline</th>' in card
    assert '<path class="dcr-base"' in card
    # Every quantile, labelled as a percentile (the profile's labels), names beside the ends.
    for label in ("missing", "distinct", "p0 (min)", "p1", "p5", "p50 (median)", "p99"):
        assert f"<th>{label}</th>" in card
    assert card.index("<th>p95</th>") < card.index("<th>p100 (max)</th>")


def test_missing_share_and_distinct_count_are_shown(profile):
    card = _cards(render_html(profile))["colour"]
    assert '<th>missing</th><td class="num">0 (0.0%)</td>' in card
    assert '<th>distinct</th><td class="num">4</td>' in card
    empty = _cards(render_html(profile))["empty"]
    assert "400 (100.0%)" in empty


def test_a_numeric_card_shows_its_distinct_count(profile):
    card = _cards(render_html(profile))["count"]
    assert '<th>distinct</th><td class="num">6</td>' in card


def test_a_numeric_count_past_the_cap_shows_as_more_than_the_cap():
    profile = generate_statistics(pa.table({"x": range(50)}), StatsOptions(exact_counts_cap=20))
    card = _cards(render_html(profile))["x"]
    assert '<th>distinct</th><td class="num">&gt;20</td>' in card


def test_the_summary_counts_rows_anomalies_and_drift(profile, baseline, schema, validation):
    page = _full(profile, baseline, schema, validation)
    drifted = len({m.path for m in validation.measurements if m.enforced and m.exceeded})
    assert "<b>400</b><span>rows</span>" in page
    assert f"<b>{len(validation.errors)}</b><span>errors</span>" in page
    assert f"<b>{drifted}</b><span>drifted features</span>" in page
    assert '<span class="dcr-verdict fail">FAIL</span>' in page


def test_a_schema_feature_absent_from_the_data_gets_a_card(profile, schema):
    wider = dataclasses.replace(
        schema,
        features=(
            *schema.features,
            Feature(name="gone", type=FeatureType.INT, presence=Presence(min_fraction=1.0)),
        ),
    )
    report = validate_statistics(profile, wider)
    card = _cards(render_html(profile, schema=wider, validation=report))["gone"]
    assert "absent from the data" in card
    assert str(AnomalyCode.SCHEMA_MISSING_COLUMN) in card


def test_a_validation_report_alone_renders_its_anomalies(validation):
    page = render_html(validation=validation)
    assert all(str(a.code) in page for a in validation.anomalies)
    assert "<svg" not in page


def test_a_fragment_for_a_notebook_is_not_a_whole_document(profile):
    fragment = render_html(profile, standalone=False)
    assert fragment.startswith('<div class="dcr"')
    assert "<html" not in fragment and "<body" not in fragment


def test_two_fragments_use_distinct_element_ids(profile):
    first, second = (render_html(profile, standalone=False) for _ in range(2))
    ids = set(re.findall(r' id="([^"]+)"', first))
    assert ids and not ids & set(re.findall(r' id="([^"]+)"', second))


def test_write_html_writes_the_page_and_returns_its_size(tmp_path: Path, profile):
    out = tmp_path / "report.html"
    size = write_html(out, profile)
    assert out.stat().st_size == size
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_report_of_100_features_stays_under_2_mb():
    rng = np.random.default_rng(7)
    words = np.array([f"category-{i}-with-a-longish-name" for i in range(40)])
    columns = {}
    for i in range(100):
        if i % 2:
            columns[f"feature_{i:03d}"] = pa.array(rng.lognormal(0, 1 + i % 3, 2000))
        else:
            columns[f"feature_{i:03d}"] = pa.array(rng.choice(words, 2000))
    current = generate_statistics(pa.table(columns))
    base = generate_statistics(pa.table({k: v[::-1] for k, v in columns.items()}))
    schema = Schema(
        features=tuple(Feature(name=k, type=f.type) for k, f in current.features.items())
    )
    started = time.perf_counter()
    page = render_html(
        current,
        baseline=base,
        schema=schema,
        validation=validate_statistics(current, schema, baseline=base),
    )
    elapsed = time.perf_counter() - started
    size = len(page.encode("utf-8"))
    print(f"100-feature report: {size / 1024:.0f} KiB, rendered in {elapsed:.2f} s")
    assert len(_cards(page)) == 100
    assert size < 2 * 1024 * 1024


def test_slices_and_unprofiled_columns_are_listed_escaped():
    table = pa.table(
        {
            "c": ["a", "<i>x</i>", "a"],
            "u": pa.UnionArray.from_sparse(
                pa.array([0, 1, 0], pa.int8()), [pa.array([1, 2, 3]), pa.array(["a", "b", "c"])]
            ),
        }
    )
    page = render_html(generate_statistics(table, StatsOptions(slice_by=("c",))))
    assert "<h4>Slices</h4>" in page and "<h4>Columns not profiled</h4>" in page
    assert "<i>x</i>" not in page
    assert "c=&quot;&lt;i&gt;x&lt;/i&gt;&quot;" in page
    assert "union columns are not profiled" in page
