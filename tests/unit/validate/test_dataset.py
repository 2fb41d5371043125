"""check_dataset: the validation use case, reading the data once for the profile and the rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.errors import OptionError
from datacheck.io import QuarantineWriter
from datacheck.schema import infer_schema
from datacheck.stats import generate_statistics, save_profile
from datacheck.validate import (
    CheckedBatch,
    check_dataset,
    validate_batches,
    validate_statistics,
)

GOOD = pa.table({"x": [1, 2, 3, 4] * 50, "s": ["a", "b", "a", "b"] * 50})
BAD = pa.table({"x": [1, None, 3, 4] * 50, "s": ["a", "b", "zzz", "b"] * 50})
SCHEMA = infer_schema(generate_statistics(GOOD))


def _once(table: pa.Table) -> Iterator[pa.RecordBatch]:
    """A source that can be read only once, as a stream from a socket would be."""
    yield from table.to_batches(max_chunksize=30)


def test_one_pass_gives_the_profile_report_and_the_rows() -> None:
    checked: list[CheckedBatch] = []
    done = check_dataset(_once(BAD), SCHEMA, on_quarantine=checked.append)
    expected = validate_statistics(generate_statistics(BAD), SCHEMA).to_dict()
    # The rows were checked, so the summary counts the quarantine, per reason too.
    expected["summary"]["quarantined_rows"] = 100
    expected["summary"]["quarantined_by_code"] = {
        "ENUM_TYPE_UNEXPECTED_STRING_VALUES": 50,
        "FEATURE_TYPE_NOT_PRESENT": 50,
    }
    assert done.report.to_dict() == expected
    assert done.profile.num_rows == BAD.num_rows
    rows = sum(c.quarantined.num_rows for c in checked)
    assert rows == sum(c.quarantined.num_rows for c in validate_batches(BAD.to_batches(), SCHEMA))
    assert rows == 100  # every null x and every 'zzz', nothing dropped
    assert sum(c.batch.num_rows for c in checked) == BAD.num_rows


def test_without_on_quarantine_only_the_statistics_are_checked() -> None:
    done = check_dataset(_once(BAD), SCHEMA)
    assert done.report.errors
    assert done.baseline is None and done.serving is None


def test_baseline_may_be_a_profile_a_profile_file_or_data(tmp_path: Path) -> None:
    baseline = generate_statistics(GOOD)
    path = tmp_path / "base.JSON"
    save_profile(baseline, path)
    data = tmp_path / "base.parquet"
    pq.write_table(GOOD, data)
    reports = [
        check_dataset(BAD, SCHEMA, baseline=b).report.to_dict() for b in (baseline, path, str(data))
    ]
    assert reports[0]["summary"]["baseline_row_count"] == GOOD.num_rows
    assert reports[0] == reports[1] == reports[2]


def test_an_unknown_environment_fails_before_reading(tmp_path: Path) -> None:
    def never() -> Iterator[pa.RecordBatch]:
        raise AssertionError("the data was read")
        yield  # pragma: no cover

    with pytest.raises(OptionError) as caught:
        check_dataset(never(), SCHEMA, environment="PROD")
    assert caught.value.parameter == "environment"


def test_the_quarantine_file_holds_every_failed_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    with QuarantineWriter(path) as out:
        check_dataset(BAD, SCHEMA, on_quarantine=lambda c: out.write(c.quarantined))
    assert out.rows == 100
    assert len(path.read_text(encoding="utf-8").splitlines()) == 100
