"""Values a CSV reader cannot hold as written: integers beyond int64, numbers beyond the doubles.

The real case: ``99999999999999999999999`` in an integer column silently became a float and
``1e309`` infinity. Both must be reported, never changed silently.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import datacheck.io
from datacheck import generate_statistics
from datacheck.io import OVERFLOW_KEY, read_batches
from datacheck.schema import infer_schema
from datacheck.stats import DatasetProfile, merge_profiles
from datacheck.validate import AnomalyCode, validate_batches, validate_statistics

BIG = "99999999999999999999999"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _marks(path: Path) -> dict[str, bytes]:
    schema = next(read_batches(path)).schema
    return {f.name: (f.metadata or {}).get(OVERFLOW_KEY, b"") for f in schema}


def _codes(profile: DatasetProfile, reference: DatasetProfile) -> set[str]:
    report = validate_statistics(profile, infer_schema(reference))
    return {str(a.code) for a in report.anomalies}


def test_a_23_digit_integer_marks_its_column(tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", f"id,n\n1,5\n2,{BIG}\n3,-7\n")
    assert _marks(path) == {"id": b"", "n": b"int64"}
    feature = generate_statistics(path).features["n"]
    assert feature.type == "float"
    assert feature.num_int_overflow == 1


def test_int_overflow_is_reported_on_validation(tmp_path: Path) -> None:
    clean = generate_statistics(_csv(tmp_path / "clean.csv", "n\n1\n2\n3\n"))
    bad = generate_statistics(_csv(tmp_path / "bad.csv", f"n\n1\n{BIG}\n3\n"))
    report = validate_statistics(bad, infer_schema(clean))
    found = {a.code: a for a in report.anomalies}
    assert found[AnomalyCode.INT_OVERFLOW].measured == 1
    assert found[AnomalyCode.INT_OVERFLOW].path == "n"
    assert "int64" in found[AnomalyCode.UNEXPECTED_DATA_TYPE].message
    # The data's own schema does not hide it either.
    assert "INT_OVERFLOW" in _codes(bad, bad)


def test_a_float_beyond_the_doubles_is_reported(tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", "x\n1.5\n1e309\n-2e400\n")
    assert _marks(path) == {"x": b"float64"}
    profile = generate_statistics(path)
    assert profile.features["x"].num_float_overflow == 2
    assert "FLOAT_OVERFLOW" in _codes(profile, profile)


def test_written_infinities_are_not_overflow(tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", "x,n\ninf,1.5\n2.5,12345678901234567890.5\n")
    assert _marks(path) == {"x": b"", "n": b""}
    profile = generate_statistics(path)
    assert profile.features["x"].num_float_overflow == 0
    assert profile.features["n"].num_int_overflow == 0


def test_an_integer_overflowing_the_doubles_is_both(tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", f"n\n1\n{'9' * 400}\n")
    assert _marks(path) == {"n": b"int64,float64"}


def test_an_infinity_without_allowance_fails_the_inferred_schema(tmp_path: Path) -> None:
    schema = infer_schema(generate_statistics(_csv(tmp_path / "a.csv", "x\n1.5\n2.5\n")))
    bad = generate_statistics(_csv(tmp_path / "b.csv", "x\n1.5\ninf\n"))
    assert "FLOAT_TYPE_HAS_INF" in {str(a.code) for a in validate_statistics(bad, schema).errors}
    rows = list(validate_batches(read_batches(tmp_path / "b.csv"), schema))
    assert rows[0].quarantined_rows.tolist() == [1]


def test_overflow_found_while_streaming_a_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file over the small-files budget is checked without keeping its batches; the
    # integer column is int64 in the first block and meets the big value blocks later.
    monkeypatch.setattr(datacheck.io, "_SMALL_FILES_BUDGET", 0)
    rows = "".join(f"{i},{i * 0.5}\n" for i in range(150_000))
    path = _csv(tmp_path / "a.csv", f"n,x\n{rows}{BIG},1e309\n")
    assert _marks(path) == {"n": b"int64", "x": b"float64"}
    profile = generate_statistics(path)
    assert profile.features["n"].num_int_overflow == 1
    assert profile.features["x"].num_float_overflow == 1


def test_overflow_marks_survive_a_directory_of_files(tmp_path: Path) -> None:
    _csv(tmp_path / "1.csv", "n\n1.5\n2\n")
    _csv(tmp_path / "2.csv", f"n\n{BIG}\n3\n")
    schema = next(read_batches(tmp_path)).schema
    assert (schema.field("n").metadata or {}).get(OVERFLOW_KEY) == b"int64"
    assert generate_statistics(tmp_path).features["n"].num_int_overflow == 1


def test_overflow_counts_round_trip_and_merge(tmp_path: Path) -> None:
    profile = generate_statistics(_csv(tmp_path / "a.csv", f"n\n1\n{BIG}\n"))
    again = DatasetProfile.from_dict(profile.to_dict())
    assert again.features["n"].num_int_overflow == 1
    assert merge_profiles(profile, again).features["n"].num_int_overflow == 2
    # Documents of data without overflow do not carry the fields at all.
    plain = generate_statistics(pa.table({"n": [1.0]})).to_dict()
    assert "num_int_overflow" not in plain["features"][0]
