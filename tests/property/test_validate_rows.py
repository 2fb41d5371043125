"""Law of row-level validation: valid rows + quarantined rows = input rows, none lost."""

from __future__ import annotations

from unittest import mock

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from datacheck.schema import (
    Feature,
    FloatDomain,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    StringLength,
)
from datacheck.schema import FeatureType as T
from datacheck.validate import (
    REASONS_COLUMN,
    SOURCE_COLUMNS,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    _rows,
    validate_batches,
)

SCHEMA = Schema(
    features=(
        Feature(
            name="i",
            type=T.INT,
            presence=Presence(min_fraction=1.0),
            domain=IntDomain(min=0, max=50),
        ),
        Feature(name="f", type=T.FLOAT, domain=FloatDomain(max=1.0, disallow_nan=True)),
        Feature(name="s", type=T.STRING, domain=StringDomain(values=("a", "b"))),
        Feature(name="t", type=T.STRING, string_length=StringLength(min=1, max=2)),
    )
)

rows = st.lists(
    st.tuples(
        st.none() | st.integers(-10, 60),
        st.none() | st.floats(allow_infinity=True),
        st.none() | st.sampled_from(["a", "b", "c"]),
        st.none() | st.sampled_from(["", "é", "ab", "abc", "😀😀😀"]),
    ),
    max_size=60,
)


@given(st.lists(rows, min_size=1, max_size=4))
def test_valid_plus_quarantined_is_the_input(chunks: list[list[tuple[object, ...]]]) -> None:
    batches = [
        pa.record_batch(
            {
                "i": pa.array([r[0] for r in chunk], pa.int64()),
                "f": pa.array([r[1] for r in chunk], pa.float64()),
                "s": pa.array([r[2] for r in chunk], pa.string()),
                "t": pa.array([r[3] for r in chunk], pa.string()),
            }
        )
        for chunk in chunks
    ]
    results = list(validate_batches(batches, SCHEMA))
    offset = 0
    for batch, result in zip(batches, results, strict=True):
        assert result.valid.num_rows + result.quarantined.num_rows == batch.num_rows
        quarantined = result.quarantined.drop_columns([REASONS_COLUMN, *SOURCE_COLUMNS])
        kept = result.valid.to_pylist() + quarantined.to_pylist()
        assert sorted(map(repr, kept)) == sorted(map(repr, batch.to_pylist()))
        assert all(len(r) > 0 for r in result.quarantined.column(REASONS_COLUMN).to_pylist())
        # Batches not read from files: each row's source is its position in the input.
        rows = result.quarantined.column(SOURCE_ROW_COLUMN).to_pylist()
        assert rows == (result.quarantined_rows + offset).tolist()
        assert result.quarantined.column(SOURCE_FILE_COLUMN).null_count == len(rows)
        offset += batch.num_rows


def _as_batches(chunks: list[list[tuple[object, ...]]], dictionary: bool) -> list[pa.RecordBatch]:
    out = []
    for chunk in chunks:
        s = pa.array([r[2] for r in chunk], pa.string())
        t = pa.array([r[3] for r in chunk], pa.string())
        out.append(
            pa.record_batch(
                {
                    "i": pa.array([r[0] for r in chunk], pa.int64()),
                    "f": pa.array([r[1] for r in chunk], pa.float64()),
                    "s": s.dictionary_encode() if dictionary else s,
                    "t": t.dictionary_encode() if dictionary else t,
                }
            )
        )
    return out


def _outcome(batches: list[pa.RecordBatch]) -> list[tuple[list[int], list[object]]]:
    return [
        (r.quarantined_rows.tolist(), r.quarantined.column(REASONS_COLUMN).to_pylist())
        for r in validate_batches(batches, SCHEMA)
    ]


@given(st.lists(rows, min_size=1, max_size=6), st.integers(1, 70), st.booleans())
def test_the_unit_of_work_does_not_change_the_outcome(
    chunks: list[list[tuple[object, ...]]], unit_rows: int, dictionary: bool
) -> None:
    """Batches grouped or sliced into units of any size, and a string column dictionary-encoded
    or plain: the same rows are quarantined, for the same reasons, batch by batch."""
    expected = _outcome(_as_batches(chunks, dictionary=False))
    with mock.patch.object(_rows, "_UNIT_ROWS", unit_rows):
        assert _outcome(_as_batches(chunks, dictionary)) == expected


@given(
    st.lists(st.none() | st.text(max_size=12), max_size=40),
    st.none() | st.integers(0, 6),
    st.none() | st.integers(0, 14),
    st.booleans(),
)
def test_string_length_is_counted_in_characters(
    values: list[str | None], low: int | None, high: int | None, dictionary: bool
) -> None:
    """Whatever the text (any Unicode), the rows quarantined for their length are exactly
    those Python's len() puts outside the bounds."""
    schema = Schema(
        features=(Feature(name="t", type=T.STRING, string_length=StringLength(min=low, max=high)),)
    )
    column = pa.array(values, pa.string())
    batch = pa.record_batch({"t": column.dictionary_encode() if dictionary else column})
    [result] = validate_batches([batch], schema)
    expected = [
        i
        for i, v in enumerate(values)
        if v is not None
        and ((low is not None and len(v) < low) or (high is not None and len(v) > high))
    ]
    assert result.quarantined_rows.tolist() == expected
