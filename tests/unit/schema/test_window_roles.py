"""What inference leaves out of drift (dates, identifiers, counters), the drift level and
freshness in the schema document, the TFDV round trip, diffs, and with_drift_level."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from datacheck.errors import OptionError, SchemaFormatError
from datacheck.schema import (
    NUMERIC_DRIFT,
    ChangeKind,
    FeatureType,
    Freshness,
    Schema,
    check_compatible,
    diff_schemas,
    infer_schema,
    with_drift_level,
)
from datacheck.schema._infer import window_role
from datacheck.stats import generate_statistics

pp = pytest.importorskip("palmerpenguins")


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    """penguins_raw's first season, read from CSV as a user's file would be (ISO dates are
    read as dates)."""
    raw = pp.load_penguins_raw()
    path = tmp_path_factory.mktemp("penguins") / "PAL0708.csv"
    raw[raw.studyName == "PAL0708"].to_csv(path, index=False)
    return infer_schema(generate_statistics(str(path)))


def test_an_iso_date_column_is_read_as_a_date_and_checked_for_freshness(season) -> None:
    f = season.feature("Date Egg")
    assert f.type is FeatureType.DATE
    assert f.drift_comparator is None and f.skew_comparator is None
    assert f.freshness == Freshness()


def test_a_sample_number_is_a_counter(season) -> None:
    # 1 to 50 over 110 rows: every number of the range, each about twice (three species).
    f = season.feature("Sample Number")
    assert f.drift_comparator is None and "counter" in f.description


def test_an_individual_id_is_an_identifier(season) -> None:
    f = season.feature("Individual ID")
    assert f.drift_comparator is None and "identifier" in f.description


def test_measurements_keep_their_comparators(season) -> None:
    for name in ("Body Mass (g)", "Culmen Length (mm)", "Species", "Island"):
        f = season.feature(name)
        assert f.drift_comparator is not None and f.drift_level == "error", name


def test_a_one_valued_code_is_a_label_of_its_window(season) -> None:
    f = season.feature("studyName")
    assert f.drift_level == "warning"
    assert f.severity_overrides == {"ENUM_TYPE_UNEXPECTED_STRING_VALUES": "warning"}


def _role(column: np.ndarray | list) -> str | None:
    return window_role(generate_statistics(pa.table({"x": column})).features["x"])


def test_roles_from_the_profile() -> None:
    rng = np.random.default_rng(4)
    assert _role(np.arange(100)) == "counter"  # in row order
    assert _role(rng.permutation(np.arange(100))) == "identifier"  # near-unique, dense
    assert _role(rng.permutation(np.repeat(np.arange(40), 2))) == "counter"  # a dense run
    assert _role(rng.integers(0, 10**9, 100)) is None  # near-unique but sparse: a quantity
    assert _role(rng.normal(size=100)) is None
    assert _role([f"id-{i}" for i in rng.permutation(100)]) == "identifier"
    assert _role(["a", "b"] * 50) is None


def test_a_day_of_month_over_a_year_is_not_a_counter() -> None:
    days = pd.date_range("2023-01-01", "2023-12-31").day.to_numpy()
    assert _role(np.random.default_rng(1).permutation(days)) is None


def test_a_few_sorted_values_are_not_a_counter() -> None:
    assert _role([1, 2, 3, 5]) is None


def _schema_with(**changes: object) -> Schema:
    base = infer_schema(generate_statistics(pa.table({"x": [1.0, 2.0, 3.0]})))
    return replace(base, features=(replace(base.features[0], **changes),))


def test_drift_level_and_freshness_round_trip_through_json() -> None:
    s = _schema_with(drift_level="off")
    doc = json.loads(json.dumps(s.to_dict()))
    assert doc["features"][0]["drift_level"] == "off"
    assert Schema.from_dict(doc) == s
    dated = infer_schema(generate_statistics(pa.table({"d": pa.array([0, 1], pa.date32())})))
    assert Schema.from_dict(dated.to_dict()) == dated
    assert (
        "drift_level"
        not in infer_schema(generate_statistics(pa.table({"x": [1]}))).to_dict()["features"][0]
    )


def test_a_bad_drift_level_or_freshness_is_a_schema_error() -> None:
    doc = _schema_with().to_dict()
    doc["features"][0]["drift_level"] = "loud"
    with pytest.raises(SchemaFormatError, match="drift_level"):
        Schema.from_dict(doc)
    doc["features"][0]["drift_level"] = "off"
    doc["features"][0]["freshness"] = {"max_stale_fraction": 0.1}
    with pytest.raises(SchemaFormatError, match="freshness"):
        Schema.from_dict(doc)


def test_tfdv_round_trip_keeps_drift_level_and_freshness(tmp_path: Path) -> None:
    tfdv = pytest.importorskip("datacheck.schema._tfdv")
    pytest.importorskip("tensorflow_metadata")
    dated = infer_schema(generate_statistics(pa.table({"d": pa.array([0, 1], pa.date32())})))
    s = replace(dated, features=(replace(dated.features[0], drift_level="warning"),))
    assert tfdv.from_tfdv(tfdv.to_tfdv(s)) == s


def test_diff_classifies_drift_level_and_freshness() -> None:
    error, warning = _schema_with(), _schema_with(drift_level="warning")
    (loosened,) = diff_schemas(error, warning)
    assert loosened.kind is ChangeKind.CONSTRAINT_LOOSENED and loosened.field == "drift_level"
    assert check_compatible(error, warning, "BACKWARD")
    (tightened,) = diff_schemas(warning, error)
    assert tightened.kind is ChangeKind.CONSTRAINT_TIGHTENED
    assert not check_compatible(warning, error, "BACKWARD")
    dated = infer_schema(generate_statistics(pa.table({"d": pa.array([0, 1], pa.date32())})))
    lenient = replace(dated, features=(replace(dated.features[0], freshness=None),))
    (dropped,) = diff_schemas(dated, lenient)
    assert dropped.field == "freshness" and dropped.kind is ChangeKind.CONSTRAINT_LOOSENED


def test_with_drift_level_turns_drift_on_with_the_default_comparator() -> None:
    dated = infer_schema(generate_statistics(pa.table({"d": pa.array([0, 1], pa.date32())})))
    on = with_drift_level(dated, "d", "warning")
    f = on.feature("d")
    assert f.drift_level == "warning" and f.drift_comparator == NUMERIC_DRIFT
    off = with_drift_level(on, "d", "off")
    assert off.feature("d").drift_comparator == NUMERIC_DRIFT  # still measured
    assert with_drift_level(off, "d", "off") is off


def test_with_drift_level_refuses_what_it_cannot_set() -> None:
    s = _schema_with()
    with pytest.raises(OptionError, match="feature='nope'") as found:
        with_drift_level(s, "nope", "off")
    assert found.value.parameter == "feature"
    with pytest.raises(OptionError, match="level='loud'"):
        with_drift_level(s, "x", "loud")
    raw = infer_schema(generate_statistics(pa.table({"b": [b"x", b"y"]})))
    with pytest.raises(OptionError, match="no drift distance"):
        with_drift_level(raw, "b", "error")
    with pytest.raises(TypeError, match="schema=<NoneType>: with_drift_level takes a Schema"):
        with_drift_level(None, "x", "off")  # type: ignore[arg-type]
