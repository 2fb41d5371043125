"""Laws of schemas: inferred schemas accept their own data; documents round-trip; diffs agree."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck._types import FeatureType
from datacheck.schema import (
    BoolDomain,
    Comparator,
    ComparatorMethod,
    DatasetConstraints,
    DistributionConstraints,
    Feature,
    FloatDomain,
    InferOptions,
    IntDomain,
    Lifecycle,
    Presence,
    Schema,
    StringDomain,
    UniqueConstraints,
    ValueCount,
    check_compatible,
    diff_schemas,
    infer_schema,
    update_schema,
)
from datacheck.stats import generate_statistics
from datacheck.validate import validate_batches, validate_statistics
from tests.strategies import arrow_tables

#: options that give string columns a domain whenever there are exact counts, so the law also
#: covers domain checks on small tables
EAGER = InferOptions(infer_ranges=True, max_distinct_ratio=1.0, max_unseen_mass=1.0)
OPTIONS = st.sampled_from([InferOptions(), InferOptions(infer_ranges=True), EAGER])


@given(arrow_tables(), OPTIONS)
def test_inferred_schema_reports_no_anomaly_on_its_own_data(
    table: pa.Table, options: InferOptions
) -> None:
    profile = generate_statistics(table)
    report = validate_statistics(profile, infer_schema(profile, options))
    assert report.anomalies == ()


def _quarantined(table: pa.Table, options: InferOptions) -> int:
    schema = infer_schema(generate_statistics(table), options)
    return sum(c.quarantined.num_rows for c in validate_batches(table.to_batches(), schema))


_PLAIN_KINDS = ("int", "float", "string", "bool", "bytes", "date", "timestamp", "list", "struct")


@given(arrow_tables(kinds=_PLAIN_KINDS), OPTIONS)
def test_inferred_schema_quarantines_no_row_of_its_own_data(
    table: pa.Table, options: InferOptions
) -> None:
    assert _quarantined(table, options) == 0


@pytest.mark.xfail(
    strict=True,
    raises=pa.ArrowTypeError,
    reason="validate_batches: a string domain on a dictionary-encoded column raises "
    "ArrowTypeError (string vs dictionary); reported to the validation engineer",
)
def test_dictionary_column_with_a_domain_quarantines_no_row() -> None:
    table = pa.table({"d": pa.array(["a", "b", None, "a"]).dictionary_encode()})
    assert _quarantined(table, EAGER) == 0


@given(arrow_tables(), arrow_tables())
def test_updated_schema_accepts_the_new_data(first: pa.Table, second: pa.Table) -> None:
    schema = infer_schema(generate_statistics(first), EAGER)
    profile = generate_statistics(second)
    updated, changes = update_schema(schema, profile, EAGER)
    assert all(c.backward_compatible for c in changes)
    anomalies = validate_statistics(profile, updated).anomalies
    # A column whose type differs between the two tables is left for validation to report.
    assert {a.code for a in anomalies} <= {"UNEXPECTED_DATA_TYPE"}


@given(arrow_tables(), OPTIONS)
def test_update_with_the_same_data_changes_nothing(table: pa.Table, options: InferOptions) -> None:
    profile = generate_statistics(table)
    schema = infer_schema(profile, options)
    assert update_schema(schema, profile, options) == (schema, [])


# --- drawn schemas ---------------------------------------------------------------------------

_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
_envs = st.lists(st.sampled_from(["TRAINING", "SERVING", "EVAL"]), max_size=2, unique=True)
_codes = st.dictionaries(
    st.sampled_from(["SCHEMA_NEW_COLUMN", "INT_TYPE_BIG_INT", "COMPARATOR_L_INFTY_HIGH"]),
    st.sampled_from(["error", "warning"]),
    max_size=2,
)
_finite = st.floats(-1e9, 1e9, allow_nan=False)


def _bounds(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    return st.tuples(st.none() | values, st.none() | values).map(
        lambda t: tuple(sorted(t)) if None not in t else t  # type: ignore[arg-type]  # both set
    )


@st.composite
def _domain(draw: st.DrawFn, ftype: FeatureType) -> Any:
    if ftype is FeatureType.INT:
        low, high = draw(_bounds(st.integers(-(2**63), 2**63 - 1)))
        return IntDomain(min=low, max=high)
    if ftype is FeatureType.FLOAT:
        low, high = draw(_bounds(_finite))
        return FloatDomain(
            min=low, max=high, disallow_nan=draw(st.booleans()), disallow_inf=draw(st.booleans())
        )
    if ftype is FeatureType.STRING:
        return StringDomain(values=tuple(draw(st.lists(_names, max_size=5))))
    return BoolDomain() if ftype is FeatureType.BOOL else None


_comparators = st.none() | st.builds(
    Comparator, method=st.sampled_from(ComparatorMethod), threshold=st.floats(0, 1)
)


@st.composite
def features(draw: st.DrawFn, name: str) -> Feature:
    ftype = draw(st.sampled_from(FeatureType))
    vc = draw(st.none() | _bounds(st.integers(0, 100)))
    unique = draw(st.none() | _bounds(st.integers(0, 100)))
    env_in = draw(_envs)
    return Feature(
        name=name,
        type=ftype,
        presence=Presence(min_fraction=draw(st.floats(0, 1)), min_count=draw(st.integers(0, 9))),
        value_count=None if vc is None else ValueCount(min=vc[0], max=vc[1]),
        domain=draw(st.none() | _domain(ftype)),
        distribution=draw(
            st.none() | st.builds(DistributionConstraints, min_domain_mass=st.floats(0, 1))
        ),
        unique=None if unique is None else UniqueConstraints(min=unique[0], max=unique[1]),
        drift_comparator=draw(_comparators),
        skew_comparator=draw(_comparators),
        in_environments=tuple(env_in),
        not_in_environments=tuple(e for e in draw(_envs) if e not in env_in),
        lifecycle=draw(st.sampled_from(Lifecycle)),
        description=draw(st.text(max_size=10)),
        severity_overrides=draw(_codes),
    )


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    names = draw(st.lists(_names, max_size=6, unique=True))
    rows = draw(_bounds(st.integers(0, 10**6)))
    ratios = draw(_bounds(st.floats(0, 10)))
    return Schema(
        features=tuple(draw(features(n)) for n in names),
        dataset=DatasetConstraints(
            min_row_count=rows[0],
            max_row_count=rows[1],
            min_row_count_ratio=ratios[0],
            max_row_count_ratio=ratios[1],
        ),
        default_environments=tuple(draw(_envs)),
        severity_overrides=draw(_codes),
        description=draw(st.text(max_size=10)),
        version=draw(st.integers(1, 1000)),
    )


@given(schemas())
def test_json_document_round_trips(schema: Schema) -> None:
    assert Schema.from_dict(schema.to_dict()) == schema


@given(schemas())
def test_a_schema_has_no_changes_against_itself(schema: Schema) -> None:
    assert diff_schemas(schema, schema) == []
    assert check_compatible(schema, schema, "FULL")


@given(schemas(), schemas())
def test_backward_one_way_is_forward_the_other(a: Schema, b: Schema) -> None:
    assert bool(check_compatible(a, b, "BACKWARD")) == bool(check_compatible(b, a, "FORWARD"))


@given(schemas())
def test_tfdv_pbtxt_round_trips(schema: Schema) -> None:
    pytest.importorskip("tensorflow_metadata")
    from datacheck.schema import from_tfdv, to_tfdv

    # TFDV keys struct children under their parent, so dotted names regroup; keep names flat.
    flat = Schema(
        features=tuple(f for f in schema.features if "." not in f.name),
        dataset=schema.dataset,
        default_environments=schema.default_environments,
        severity_overrides=schema.severity_overrides,
        description=schema.description,
        version=schema.version,
    )
    back = from_tfdv(to_tfdv(flat))
    assert back == flat or _only_float32_noise(flat, back)


def _only_float32_noise(a: Schema, b: Schema) -> bool:
    # Presence fractions and thresholds are doubles in TFDV too; only float domains are 32-bit
    # there, and those travel exactly in a tag. Nothing else may differ.
    return (
        all(
            math.isclose(x.presence.min_fraction, y.presence.min_fraction)
            for x, y in zip(a.features, b.features, strict=True)
        )
        and a.to_dict() == b.to_dict()
    )
