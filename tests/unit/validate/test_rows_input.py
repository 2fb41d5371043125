"""Row validation on inputs shaped unusually: dictionary-encoded numbers, repeated names."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest

from datacheck.errors import InputError
from datacheck.schema import IntDomain, Schema, infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import validate_batches


def _schema() -> Schema:
    """x: an int in [1, 3]."""
    inferred = infer_schema(generate_statistics(pa.table({"x": [1, 2, 3, 2]})))
    x = replace(inferred.features[0], domain=IntDomain(min=1, max=3))
    return replace(inferred, features=(x,))


def test_dictionary_encoded_numbers_are_checked_by_value() -> None:
    """A dictionary-encoded int column (as Parquet and the service's Arrow streams may send)
    is decoded, in chunked form too, and its values checked like plain ones."""
    schema = _schema()
    encoded = pa.chunked_array(
        [pa.array([1, 2]).dictionary_encode(), pa.array([3, 99]).dictionary_encode()]
    )
    table = pa.table({"x": encoded}).combine_chunks()
    out = list(validate_batches(table.to_batches(), schema))
    assert (
        sum(b.valid.num_rows for b in out)
        + sum(0 if b.quarantined is None else b.quarantined.num_rows for b in out)
        == 4
    )
    quarantined = [b.quarantined for b in out if b.quarantined is not None]
    assert [v for q in quarantined for v in q.column("x").to_pylist()] == [99]


def test_a_column_named_twice_is_one_clear_error() -> None:
    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array([1, 2])], names=["x", "x"])
    with pytest.raises(InputError, match="column 'x' appears 2 times") as caught:
        list(validate_batches(table.to_batches(), _schema()))
    assert caught.value.column == "x"
