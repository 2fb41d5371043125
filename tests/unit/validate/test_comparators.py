"""The comparator registry: every method the schema allows has a distance for each feature kind
it applies to, a reference threshold, an anomaly code and a place in the report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from datacheck._types import CATEGORICAL_TYPES, NUMERIC_TYPES, FeatureType
from datacheck.schema import (
    CATEGORICAL_DRIFT,
    CATEGORICAL_SKEW,
    NUMERIC_DRIFT,
    NUMERIC_SKEW,
    ComparatorMethod,
)
from datacheck.schema._defaults import default_comparators
from datacheck.validate import CATEGORICAL_DISTANCES, NUMERIC_DISTANCES
from datacheck.validate._comparators import REFERENCE_THRESHOLDS, feature_kind
from datacheck.validate._statistics import _DISTANCE_CODES

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
M = ComparatorMethod
#: which feature kinds each method applies to: KS and Wasserstein need ordered values
APPLIES_TO = {
    M.JENSEN_SHANNON: {"numeric", "categorical"},
    M.L_INFINITY: {"numeric", "categorical"},
    M.PSI: {"numeric", "categorical"},
    M.KS: {"numeric"},
    M.WASSERSTEIN: {"numeric"},
}
REGISTRY: dict[str, Mapping[ComparatorMethod, object]] = {
    "numeric": NUMERIC_DISTANCES,
    "categorical": CATEGORICAL_DISTANCES,
}


def _schema_methods() -> set[str]:
    document = json.loads((SCHEMAS / "schema.v1.json").read_text("utf-8"))
    return set(document["$defs"]["comparator"]["properties"]["method"]["enum"])


def test_the_schema_document_allows_exactly_the_comparator_methods() -> None:
    assert _schema_methods() == {str(m) for m in ComparatorMethod}
    assert set(APPLIES_TO) == set(ComparatorMethod)


def test_every_method_has_a_distance_for_each_kind_it_applies_to() -> None:
    for kind, registry in REGISTRY.items():
        assert set(registry) == {m for m, kinds in APPLIES_TO.items() if kind in kinds}, kind


def test_every_registered_distance_has_a_reference_threshold() -> None:
    for kind, registry in REGISTRY.items():
        assert set(REFERENCE_THRESHOLDS[kind]) == {str(m) for m in registry}, kind


def test_every_method_has_an_anomaly_code_and_a_report_name() -> None:
    report = json.loads((SCHEMAS / "report.v1.json").read_text("utf-8"))
    reported = set(report["$defs"]["measurement"]["properties"]["method"]["enum"])
    for method in ComparatorMethod:
        assert method in _DISTANCE_CODES
        assert str(method) in reported


def test_default_comparators_use_a_method_of_their_kind() -> None:
    for comparator in (NUMERIC_DRIFT, NUMERIC_SKEW):
        assert comparator.method in NUMERIC_DISTANCES
    for comparator in (CATEGORICAL_DRIFT, CATEGORICAL_SKEW):
        assert comparator.method in CATEGORICAL_DISTANCES


def test_feature_kinds_follow_the_type_families() -> None:
    for t in FeatureType:
        kind = feature_kind(t)
        assert (kind == "numeric") == (t in NUMERIC_TYPES)
        assert (kind == "categorical") == (t in CATEGORICAL_TYPES)
        drift, _ = default_comparators(t)
        if kind is None:
            assert drift is None
        else:
            assert drift is not None and drift.method in REGISTRY[kind]
