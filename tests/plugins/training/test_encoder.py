"""The encoder: standardized numbers, indices with an out-of-vocabulary slot, masks, padding,
labels hard and soft, the same on every call and after a JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck import generate_statistics, infer_schema
from datacheck.errors import InputError, OptionError
from datacheck.schema import Feature, FeatureType, Schema, StringDomain, ValueCount
from datacheck_training import TensorEncoder


def _table() -> pa.Table:
    return pa.table(
        {
            "x": pa.array([1.0, 2.0, 3.0, None]),
            "color": pa.array(["red", "blue", None, "red"]),
            "v": pa.array([[1.0, 2.0], [3.0], None, [4.0, 5.0]], pa.list_(pa.float64())),
            "y": pa.array([0, 1, None, 1], pa.int64()),
        }
    )


def _encoder(table: pa.Table, label: str = "y") -> TensorEncoder:
    profile = generate_statistics(table)
    return TensorEncoder.from_schema(infer_schema(profile), profile, label=label)


def test_numeric_standardized_missing_imputed_and_masked() -> None:
    table = _table()
    enc = _encoder(table)
    x = next(f for f in enc.features if f.name == "x")
    assert x.mean == pytest.approx(2.0) and x.std > 0
    m = enc.encode(table)
    start = sum(f.columns for f in enc.features[: enc.features.index(x)])
    np.testing.assert_allclose(m[:3, start], (np.array([1.0, 2.0, 3.0]) - x.mean) / x.std)
    assert m[3, start] == 0.0 and m[3, start + 1] == 1.0 and m[:3, start + 1].sum() == 0


def test_categories_one_hot_with_out_of_vocabulary() -> None:
    schema = Schema(
        features=(
            Feature(name="c", type=FeatureType.STRING, domain=StringDomain(values=("a", "b"))),
        )
    )
    enc = TensorEncoder.from_schema(schema)
    m = enc.encode(pa.table({"c": ["a", "zzz", None, "b"]}))
    # columns: a, b, out-of-vocabulary, missing
    np.testing.assert_array_equal(m, [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]])


def test_list_features_padded_to_the_value_count() -> None:
    schema = Schema(
        features=(Feature(name="v", type=FeatureType.FLOAT, value_count=ValueCount(min=0, max=3)),)
    )
    enc = TensorEncoder.from_schema(schema)
    m = enc.encode(pa.table({"v": pa.array([[1.0, 2.0], [], None], pa.list_(pa.float64()))}))
    np.testing.assert_array_equal(m[:, :3], [[1, 2, 0], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(m[:, 3:], [[0, 0, 1], [1, 1, 1], [1, 1, 1]])


def test_hard_labels_one_hot_and_unlabeled_rows_flagged() -> None:
    table = _table()
    y, has = _encoder(table).labels(table)
    np.testing.assert_array_equal(has, [True, True, False, True])
    np.testing.assert_array_equal(y[has], [[1, 0], [0, 1], [0, 1]])


def test_soft_labels_are_the_labeling_plugins_probabilities() -> None:
    proba = pa.array([[0.2, 0.8], None, [0.5, 0.5]], pa.list_(pa.float32()))
    table = pa.table(
        {"x": [1.0, 2.0, 3.0], "label": pa.array([1, None, 0], pa.int16()), "label_proba": proba}
    )
    enc = _encoder(table, label="label_proba")
    assert enc.label is not None and enc.label.kind == "soft"
    assert [f.name for f in enc.features] == ["x"]  # the hard label is not a feature
    y, has = enc.labels(table)
    np.testing.assert_array_equal(has, [True, False, True])
    np.testing.assert_allclose(y[[0, 2]], [[0.2, 0.8], [0.5, 0.5]], rtol=1e-6)


def test_label_outside_the_classes_names_the_row() -> None:
    table = _table()
    enc = _encoder(table)
    with pytest.raises(InputError, match="row 1's label 7"):
        enc.labels(pa.table({"y": pa.array([0, 7], pa.int64())}))


def test_label_not_in_the_schema() -> None:
    profile = generate_statistics(_table())
    with pytest.raises(OptionError, match="label='nope': not a feature of the schema"):
        TensorEncoder.from_schema(infer_schema(profile), profile, label="nope")


@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=2, max_size=20))
def test_json_round_trip_encodes_identically(values: list[float | None]) -> None:
    table = pa.table(
        {"x": pa.array(values, pa.float64()), "y": pa.array([i % 2 for i in range(len(values))])}
    )
    enc = _encoder(table)
    again = TensorEncoder.from_dict(json.loads(json.dumps(enc.to_dict())))
    assert again == enc
    np.testing.assert_array_equal(again.encode(table), enc.encode(table))
