"""The request path's profile: a request's report is the library's report on the same rows.

:class:`ReportProfiler` computes only what the checks read; these tests hold it to giving the
report of ``check_dataset`` with the real profiler, on real data, on hand-made edge cases, on
generated schemas with data that meets them or breaks one constraint, and through the
service itself.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from datacheck.schema import (
    DistributionConstraints,
    Feature,
    FeatureType,
    FloatDomain,
    InferOptions,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    UniqueConstraints,
    ValueCount,
    infer_schema,
)
from datacheck.service import ServiceConfig, create_app
from datacheck.service._body import parse_json_records
from datacheck.service._quick import (
    ReportProfiler,
    quick_profile,
    shortcut_enabled,
    unknown_fields,
)
from datacheck.stats import generate_statistics
from datacheck.testing import from_schema, schemas, violating
from datacheck.validate import CheckedBatch, check_dataset

from .conftest import arrow_stream, post_json

_EAGER = InferOptions(infer_ranges=True, max_distinct_ratio=1.0, max_unseen_mass=1.0)


def _reports(
    table: pa.Table, schema: Schema, environment: str | None = None, *, rows: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report with the real profiler, and with the request path's."""
    keep: Callable[[CheckedBatch], None] | None = (lambda _: None) if rows else None
    with warnings.catch_warnings():
        # Floats near the largest double overflow the variance; that is the data, not a bug.
        warnings.simplefilter("ignore", RuntimeWarning)
        full = check_dataset(table, schema, environment=environment, on_quarantine=keep)
    quick = check_dataset(
        table,
        schema,
        environment=environment,
        on_quarantine=keep,
        profiler=ReportProfiler(schema, environment),
    )
    return full.report.to_dict(), quick.report.to_dict()


def _assert_same(
    table: pa.Table, schema: Schema, environment: str | None = None, *, rows: bool = True
) -> None:
    """The two reports agree, with the row checks run too (``rows``) and without."""
    for checked in (False, True) if rows else (False,):
        full, quick = _reports(table, schema, environment, rows=checked)
        assert quick == full


def test_the_shortcut_knows_every_field_of_the_model() -> None:
    # A field added to the schema model or the profile may be a constraint, or a statistic a
    # check reads: teach datacheck/service/_quick.py about it (KNOWN_FIELDS, and _need when
    # a check reads more), then list it. Until then every request is profiled in full.
    assert unknown_fields() == {}
    assert shortcut_enabled()


def test_the_shortcut_leaves_the_sketches_out() -> None:
    table = pa.table({"colour": ["red", "blue", "red"], "n": [1, 2, 3]})
    schema = infer_schema(generate_statistics(table), _EAGER)
    profile = quick_profile(table.to_batches(), schema)
    colour = profile.features["colour"].string
    assert colour is not None and colour.hll_sketch == b""
    # its only check is its domain: the values outside it are counted, and none are
    assert (colour.num_values, colour.value_counts) == (3, {})
    off = pa.table({"colour": ["red", "green", None, "green"], "n": [1, 2, 3, 4]})
    colour = quick_profile(off.to_batches(), schema).features["colour"].string
    assert colour is not None and (colour.num_values, colour.value_counts) == (3, {"green": 2})
    numbers = profile.features["n"].numeric
    assert (
        numbers is not None and numbers.kll_sketch == b"" and (numbers.min, numbers.max) == (1, 3)
    )


def _penguins() -> pa.Table:
    palmerpenguins = pytest.importorskip("palmerpenguins")
    return pa.Table.from_pandas(palmerpenguins.load_penguins(), preserve_index=False)


def _penguins_raw() -> pa.Table:
    palmerpenguins = pytest.importorskip("palmerpenguins")
    return pa.Table.from_pandas(palmerpenguins.load_penguins_raw(), preserve_index=False)


def _wine() -> pa.Table:
    datasets = pytest.importorskip("sklearn.datasets")
    return pa.Table.from_pandas(datasets.load_wine(as_frame=True).frame, preserve_index=False)


def _broken(table: pa.Table, seed: int) -> pa.Table:
    """``table`` with some values moved out of range, out of the domain, or missing."""
    rng = np.random.default_rng(seed)
    columns = []
    for column in table.columns:
        values = column.to_pylist()
        for i in rng.choice(len(values), size=max(1, len(values) // 10), replace=False):
            v = values[i]
            if isinstance(v, bool):
                values[i] = None
            elif isinstance(v, int | float):
                values[i] = [v * 1000 + 7, -v - 1e6, None, float("nan")][i % 4]
                if isinstance(v, int) and not isinstance(values[i], int):
                    values[i] = None if i % 2 else -(10**9)
            elif isinstance(v, str):
                values[i] = [v + "!", "", None, "x" * 300][i % 4]
        columns.append(pa.array(values, type=column.type))
    return pa.table(columns, names=table.column_names)


@pytest.mark.parametrize("load", [_penguins, _penguins_raw, _wine], ids=["penguins", "raw", "wine"])
@pytest.mark.parametrize("options", [InferOptions(), _EAGER], ids=["defaults", "ranges"])
def test_real_data_gets_the_librarys_report(
    load: Callable[[], pa.Table], options: InferOptions
) -> None:
    table = load()
    half = table.num_rows // 2
    schema = infer_schema(generate_statistics(table.slice(0, half)), options)
    later = table.slice(half)
    for data in (later, _broken(later, 1), _broken(later, 2), later.slice(0, 1), table):
        _assert_same(data, schema)


def _one(feature: Feature, **data: pa.Array) -> None:
    _assert_same(pa.table(data), Schema(features=(feature,)))


def test_bools_arriving_as_text_ints_or_floats() -> None:
    flag = Feature(name="f", type=FeatureType.BOOL)
    for values in (
        pa.array(["true", "false", "yes"]),
        pa.array(["1", "0", None]),
        pa.array([0, 1, 1]),
        pa.array([0, 2]),
        pa.array([0.0, 1.0]),
        pa.array([0.0, 0.5, 1.0]),
        pa.array([True, None]),
    ):
        _one(flag, f=values)


def test_strings_against_domains_lengths_and_distinct_counts() -> None:
    words = [f"w{i}" for i in range(1500)]  # past the exact-count cap: sketches
    for feature in (
        Feature(
            name="s",
            type=FeatureType.STRING,
            domain=StringDomain(values=("a", "b")),
            distribution=DistributionConstraints(min_domain_mass=0.6),
        ),
        Feature(name="s", type=FeatureType.STRING, string_length=StringLength(min=1, max=2)),
        Feature(name="s", type=FeatureType.STRING, unique=UniqueConstraints(min=2, max=3)),
    ):
        _one(feature, s=pa.array(["a", "b", "c", "", None, "a", "ccc"]))
        _one(feature, s=pa.array(words * 2))
        _one(feature, s=pa.array(["a", "b"]).dictionary_encode())
        _one(feature, s=pa.array([None, None], pa.string()))
        _one(feature, s=pa.array(["a", "zz"], pa.large_string()))


def test_a_domain_alone_is_checked_by_membership() -> None:
    """A string domain alone is checked by a membership test (the values outside it counted):
    the same report as the library's, inside the domain or out, up to the exact-count cap
    and past it (where the profiler keeps sketches and the report is left to it)."""
    many = [f"w{i}" for i in range(1200)]
    for values in (("a", "b", "c"), tuple(many[:990]), tuple(many)):
        feature = Feature(
            name="s",
            type=FeatureType.STRING,
            domain=StringDomain(values=values),
            distribution=DistributionConstraints(min_domain_mass=0.99),
        )
        for column in (
            list(values) * 3,  # all inside
            [*values, None, *values],  # inside, with a missing value
            [*values[:2], "out", None, "out", "other"],  # some outside
            [*values, *(f"x{i}" for i in range(20))],  # outside values reach the cap
            [f"x{i}" for i in range(1100)],  # all outside, past the cap
        ):
            _one(feature, s=pa.array(column, pa.string()))
            _one(feature, s=pa.array(column, pa.large_string()))


def test_numbers_against_ranges_nan_infinities_and_distinct_counts() -> None:
    for feature in (
        Feature(name="x", type=FeatureType.INT, domain=IntDomain(min=0, max=10)),
        Feature(
            name="x",
            type=FeatureType.FLOAT,
            domain=FloatDomain(min=-1.0, max=1.0, disallow_nan=True, disallow_inf=True),
        ),
        Feature(name="x", type=FeatureType.INT, unique=UniqueConstraints(min=3)),
    ):
        for values in (
            pa.array([1, 5, 11, None]),
            pa.array([0.5, float("nan"), float("inf"), -float("inf"), None]),
            pa.array([float("nan")]),
            pa.array([None, None], pa.int64()),
            pa.array([-0.0, 0.0, 2.0], pa.float32()),
            pa.array(np.arange(2000)),
            pa.array(["1", "2"]),
        ):
            _one(feature, x=values)
        # Not with the row checks: validate_batches fails on dictionary-encoded numbers (a
        # ChunkedArray has no dictionary_decode; reported to the lead).
        coded = pa.table({"x": pa.array([1, 2]).dictionary_encode()})
        _assert_same(coded, Schema(features=(feature,)), rows=False)


def test_lists_structs_and_columns_that_cannot_be_profiled() -> None:
    schema = Schema(
        features=(
            Feature(name="tags", type=FeatureType.STRING, value_count=ValueCount(min=1, max=2)),
            Feature(name="s.a", type=FeatureType.INT, domain=IntDomain(min=0, max=3)),
            Feature(name="s.b", type=FeatureType.STRING, domain=StringDomain(values=("x",))),
            Feature(name="gone", type=FeatureType.INT, presence=Presence(min_fraction=1.0)),
        )
    )
    union = pa.UnionArray.from_sparse(
        pa.array([0, 1], pa.int8()), [pa.array([1, 2]), pa.array(["a", "b"])]
    )
    table = pa.table(
        {
            "tags": pa.array([["a", "b", "c"], [], None]),
            "s": pa.array([{"a": 1, "b": "x"}, {"a": 9, "b": "y"}, None]),
            "m": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
            "u": pa.concat_arrays([union, union.slice(0, 1)]),
            "new": pa.array([1, 2, 3]),
        }
    )
    _assert_same(table, schema)


def test_columns_marked_by_the_reader_and_repeated_names() -> None:
    schema = Schema(
        features=(
            Feature(name="n", type=FeatureType.INT, domain=IntDomain(min=0)),
            Feature(name="f", type=FeatureType.FLOAT, domain=FloatDomain(max=1.0)),
        )
    )
    mixed = pa.field("n", pa.string(), metadata={b"datacheck.mixed_types": b"true"})
    overflow = pa.field("f", pa.float64(), metadata={b"datacheck.overflow": b"int64,float64"})
    marked = pa.Table.from_arrays(
        [pa.array(["1", "x"]), pa.array([1e19, float("inf")])],
        schema=pa.schema([mixed, overflow]),
    )
    _assert_same(marked, schema)
    # Not with the row checks, which refuse repeated names (the service refuses them with 422).
    twice = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, -4])], names=["n", "n"])
    _assert_same(twice, schema, rows=False)


def test_environments_and_dataset_bounds() -> None:
    schema = infer_schema(generate_statistics(_penguins()), _EAGER)
    features = tuple(
        Feature(
            name=f.name,
            type=f.type,
            domain=f.domain,
            presence=f.presence,
            not_in_environments=("SERVING",) if f.name == "sex" else (),
        )
        for f in schema.features
    )
    tight = Schema(features=features, default_environments=("TRAINING", "SERVING"))
    data = _penguins().slice(0, 20).drop_columns(["sex"])
    for environment in (None, "SERVING", "TRAINING"):
        _assert_same(data, tight, environment)


_PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def _schema_environment(draw: st.DrawFn) -> tuple[Schema, str | None]:
    schema = draw(schemas())
    names = sorted(
        {e for f in schema.features for e in (*f.in_environments, *f.not_in_environments)}
        | set(schema.default_environments)
    )
    return schema, draw(st.sampled_from([None, *names]))


@_PROPERTY
@given(_schema_environment(), st.data())
def test_data_that_meets_a_schema_gets_the_librarys_report(
    case: tuple[Schema, str | None], data: st.DataObject
) -> None:
    schema, environment = case
    table = data.draw(from_schema(schema, environment=environment, kind="tables"))
    _assert_same(table, schema, environment)


@_PROPERTY
@given(_schema_environment(), st.data())
def test_data_that_breaks_a_schema_gets_the_librarys_report(
    case: tuple[Schema, str | None], data: st.DataObject
) -> None:
    schema, environment = case
    if not schema.features_in(environment):
        return
    violation = data.draw(violating(schema, environment=environment))
    _assert_same(violation.table, schema, environment)


def test_the_service_answers_the_librarys_report(tmp_path: Path) -> None:
    table = _penguins()
    schema = infer_schema(generate_statistics(table.slice(0, 150)), _EAGER)
    later = _broken(table.slice(150), 3)
    records = _records(later)
    # What the service reads the JSON rows as (JSON has no NaN; nulls make ints floats).
    as_read = parse_json_records(json.dumps(records).encode(), 10_000)
    config = ServiceConfig(
        store=tmp_path / "store", flush_seconds=0.1, plugins=False, profile_in_process=False
    )
    with TestClient(create_app(config)) as client:
        assert client.post("/schemas/penguins/versions", json=schema.to_dict()).status_code == 201
        by_json = post_json(client, "/validate/penguins", records).json()
        by_arrow = client.post(
            "/validate/penguins",
            content=arrow_stream(later),
            headers={"content-type": "application/vnd.apache.arrow.stream"},
        ).json()
    assert by_arrow["report"] == check_dataset(later, schema).report.to_dict()
    assert by_json["report"] == check_dataset(as_read, schema).report.to_dict()
    assert by_json["report"]["anomalies"]  # the broken rows are found


def _records(table: pa.Table) -> list[dict[str, Any]]:
    """The rows as JSON-ready dicts (NaN as null: JSON has no NaN)."""
    return [
        {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
        for row in table.to_pylist()
    ]
