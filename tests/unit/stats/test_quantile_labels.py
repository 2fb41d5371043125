"""Quantiles in a profile document are keyed by label (p0 ... p100); old bare lists still load."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pyarrow as pa
import pytest

from datacheck.stats import (
    QUANTILE_LABELS,
    QUANTILE_RANKS,
    DatasetProfile,
    StatsOptions,
    generate_statistics,
    load_profile,
    quantile_label,
    save_profile,
)

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "schemas" / "statistics.v1.json").read_text()
)


@pytest.mark.parametrize(
    ("rank", "label"), [(0.0, "p0"), (0.01, "p1"), (0.05, "p5"), (0.5, "p50"), (1.0, "p100")]
)
def test_a_rank_reads_as_its_percentile(rank: float, label: str) -> None:
    assert quantile_label(rank) == label


def test_the_labels_follow_the_ranks() -> None:
    assert QUANTILE_LABELS == (
        "p0", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p100"
    )  # fmt: skip
    assert len(QUANTILE_LABELS) == len(QUANTILE_RANKS)


def _profile() -> DatasetProfile:
    x = np.arange(1, 1001, dtype=np.float64)
    return generate_statistics(pa.table({"x": x, "w": np.ones(1000)}), StatsOptions(weight="w"))


def test_the_document_labels_each_quantile(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_profile(_profile(), path)
    document = json.loads(path.read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    numeric = next(f for f in document["features"] if f["path"] == "x")["numeric"]
    quantiles = numeric["quantiles"]
    assert list(quantiles) == list(QUANTILE_LABELS)
    assert quantiles["p0"] == 1 and quantiles["p100"] == 1000
    assert 450 <= quantiles["p50"] <= 550
    assert list(numeric["weighted"]["quantiles"]) == list(QUANTILE_LABELS)
    assert load_profile(path) == _profile()


def test_a_profile_written_with_a_bare_list_still_loads(tmp_path: Path) -> None:
    profile = _profile()
    path = tmp_path / "old.json"
    save_profile(profile, path)
    document = json.loads(path.read_text())
    for feature in document["features"]:
        numeric = feature.get("numeric")
        if numeric is None:
            continue
        # As profiles were written before labels: the values alone, in rank order.
        numeric["quantiles"] = list(numeric["quantiles"].values())
        numeric["weighted"]["quantiles"] = list(numeric["weighted"]["quantiles"].values())
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    path.write_text(json.dumps(document))
    assert load_profile(path) == profile
