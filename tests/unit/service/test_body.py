"""Request bodies: JSON records read in one Arrow call as they would be column by column,
Arrow streams with repeated column names refused."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from datacheck.service._body import by_columns, parse_json_records

_KEYS = st.sampled_from(["a", "b", "c", "d.e"])
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=3),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=2)),
    max_leaves=6,
)
_RECORDS = st.lists(st.dictionaries(_KEYS, _VALUES, max_size=4), min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(_RECORDS)
def test_records_read_in_one_call_are_the_column_by_column_table(
    records: list[dict[str, Any]],
) -> None:
    table = parse_json_records(json.dumps(records).encode(), 100)
    names = list(dict.fromkeys(k for r in records for k in r))
    if not names:
        assert table.num_rows == 0
        return
    expected = by_columns(records, names)
    assert table.schema.equals(expected.schema, check_metadata=True)
    assert table.equals(expected)


def test_a_column_of_numbers_and_text_is_text_marked_mixed() -> None:
    table = parse_json_records(b'[{"a": 1, "b": 2}, {"a": "x", "b": 3}]', 10)
    assert table.column_names == ["a", "b"]
    assert table.schema.field("a").metadata == {b"datacheck.mixed_types": b"true"}
    assert table.column("a").to_pylist() == ["1", "x"]
    assert table.column("b").type == pa.int64()


def test_an_arrow_stream_with_a_repeated_column_name_is_422(registered: TestClient) -> None:
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["id", "id"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    for quarantine in ("false", "true"):
        answer = registered.post(
            f"/validate/fruit?quarantine={quarantine}",
            content=sink.getvalue().to_pybytes(),
            headers={"content-type": "application/vnd.apache.arrow.stream"},
        )
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "duplicate_columns"


def test_an_arrow_stream_with_text_that_is_not_utf8_is_400(registered: TestClient) -> None:
    offsets = pa.py_buffer(b"\x00\x00\x00\x00\x02\x00\x00\x00")
    text = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(b"\xff\xfe")])
    table = pa.table({"colour": text})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    answer = registered.post(
        "/validate/fruit",
        content=sink.getvalue().to_pybytes(),
        headers={"content-type": "application/vnd.apache.arrow.stream"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_arrow"
