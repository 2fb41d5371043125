"""The report opens with one sortable row per feature; a distance is red only when it counts."""

from __future__ import annotations

import dataclasses
import html
import re

from datacheck.report import render_html
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile
from datacheck.validate import ValidationReport, validate_statistics

HEADERS = ["feature", "type", "missing", "distinct", "worst distance", "anomalies"]


def _overview(page: str) -> list[list[str]]:
    """The overview's rows: each cell's sort key (``data-v``)."""
    table = re.search(r'<table class="dcr-overview">(.*?)</table>', page, re.S)
    assert table is not None
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1).split("<tbody>")[1], re.S)
    return [[html.unescape(v) for v in re.findall(r'<td[^>]*data-v="([^"]*)"', r)] for r in rows]


def test_the_overview_comes_before_the_cards_with_one_row_per_feature(
    profile, baseline, schema, validation
) -> None:
    page = render_html(profile, baseline=baseline, schema=schema, validation=validation)
    assert page.index('<table class="dcr-overview">') < page.index("<article ")
    heads = re.findall(r'<th[^>]*title="sort by [^"]*">([^<]*)</th>', page)
    assert heads == HEADERS
    rows = _overview(page)
    assert sorted(r[0] for r in rows) == sorted(profile.features)
    # Each name links to its card.
    for anchor in re.findall(r'<td data-v="[^"]*"><a href="#(dcr-f\d+)">', page):
        assert f'id="{anchor}"' in page


def test_the_overview_lists_features_with_anomalies_first(
    profile, baseline, schema, validation
) -> None:
    rows = _overview(render_html(profile, baseline=baseline, schema=schema, validation=validation))
    flagged = [float(r[5]) > 0 for r in rows]
    assert any(flagged) and not all(flagged)
    assert flagged == sorted(flagged, reverse=True)
    price = next(r for r in rows if r[0] == "price")
    assert (price[1], price[2]) == ("float", "0")
    assert float(price[4]) > 1  # the price distribution moved: far over its threshold


def test_a_counted_distance_is_over_and_a_warning_one_is_not(
    profile: DatasetProfile, baseline: DatasetProfile, schema: Schema, validation: ValidationReport
) -> None:
    page = render_html(profile, baseline=baseline, schema=schema, validation=validation)
    assert re.search(r'<td class="num over" data-v="[^"]*"><span title="drift jensen', page)
    lenient = dataclasses.replace(
        schema, severity_overrides={"COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH": "warning"}
    )
    warned = validate_statistics(profile, lenient, baseline=baseline)
    page = render_html(profile, baseline=baseline, schema=lenient, validation=warned)
    assert not re.search(r'<td class="num over" data-v="[^"]*"><span title="drift jensen', page)
    assert re.search(r'<td class="num warn" data-v="[^"]*"><span title="drift jensen', page)
    assert '<tr class="warn"><td>baseline</td><td>jensen_shannon' in page
    assert "<td>over (warning)</td>" in page


def test_a_distance_for_information_is_marked_so(profile, baseline, schema, validation) -> None:
    page = render_html(profile, baseline=baseline, schema=schema, validation=validation)
    assert '<tr class="info"><td>baseline</td>' in page
    assert "<td>over (info)</td>" in page
    assert "<td>OVER</td>" in page
