"""``datacheck stats|infer|validate`` on ``s3://`` inputs and outputs: the local results, byte
for byte, and one-line errors with exit code 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck._source import SOURCE_FILE_COLUMN
from datacheck.cli import main
from datacheck.io import read_batches

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
CARS = DEMO / "cars.csv"
CHANGED = DEMO / "cars_changed.csv"


def _object(client: Any, bucket: str, key: str) -> bytes:
    data: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def uploaded(client: Any, bucket: str, tmp_path: Path) -> dict[str, Path]:
    """cars.csv, cars_changed.csv and cars.parquet, locally and under ``in/`` in the bucket."""
    parquet = tmp_path / "cars.parquet"
    table = pa.Table.from_batches(list(read_batches(CARS))).replace_schema_metadata(None)
    pq.write_table(table, parquet, row_group_size=128)
    files = {"cars.csv": CARS, "cars_changed.csv": CHANGED, "cars.parquet": parquet}
    for name, path in files.items():
        client.upload_file(str(path), bucket, f"in/{name}")
    return files


@pytest.mark.parametrize("name", ["cars.csv", "cars.parquet"])
def test_stats_and_infer_write_the_local_bytes(
    capsys: pytest.CaptureFixture[str],
    client: Any,
    bucket: str,
    uploaded: dict[str, Path],
    tmp_path: Path,
    name: str,
) -> None:
    s3 = f"s3://{bucket}"
    assert _run(capsys, "stats", f"{s3}/in/{name}", "-o", f"{s3}/out/profile.json")[0] == 0
    assert _run(capsys, "stats", str(uploaded[name]), "-o", str(tmp_path / "profile.json"))[0] == 0
    assert _object(client, bucket, "out/profile.json") == (tmp_path / "profile.json").read_bytes()
    # infer from the remote profile, and from the remote data, to a remote schema
    code, _, _ = _run(capsys, "infer", f"{s3}/out/profile.json", "-o", f"{s3}/out/schema.json")
    assert code == 0
    code, _, _ = _run(capsys, "infer", f"{s3}/in/{name}", "-o", f"{s3}/out/schema2.json")
    assert code == 0
    assert _run(capsys, "infer", str(uploaded[name]), "-o", str(tmp_path / "schema.json"))[0] == 0
    local = (tmp_path / "schema.json").read_bytes()
    assert _object(client, bucket, "out/schema.json") == local
    assert _object(client, bucket, "out/schema2.json") == local


def test_validate_writes_report_quarantine_and_valid_rows(
    capsys: pytest.CaptureFixture[str],
    client: Any,
    bucket: str,
    uploaded: dict[str, Path],
    tmp_path: Path,
) -> None:
    s3 = f"s3://{bucket}"
    assert _run(capsys, "infer", str(CARS), "-o", f"{s3}/schema.json")[0] == 0
    assert _run(capsys, "infer", str(CARS), "-o", str(tmp_path / "schema.json"))[0] == 0
    remote = _run(
        capsys,
        "validate",
        f"{s3}/in/cars_changed.csv",
        "--schema",
        f"{s3}/schema.json",
        "--baseline",
        f"{s3}/in/cars.csv",
        "--quarantine",
        f"{s3}/out/bad.parquet",
        "--valid-out",
        f"{s3}/out/good.parquet",
        "--report",
        f"{s3}/out/report.html",
        "--format",
        "json",
    )
    local = _run(
        capsys,
        "validate",
        str(CHANGED),
        "--schema",
        str(tmp_path / "schema.json"),
        "--baseline",
        str(CARS),
        "--quarantine",
        str(tmp_path / "bad.parquet"),
        "--valid-out",
        str(tmp_path / "good.parquet"),
        "--report",
        str(tmp_path / "report.html"),
        "--format",
        "json",
    )
    assert remote[0] == local[0] == 1  # cars_changed has error-level anomalies
    assert remote[1] == local[1]  # the JSON report document
    assert _object(client, bucket, "out/good.parquet") == (tmp_path / "good.parquet").read_bytes()
    bad_remote = pq.read_table(pa.BufferReader(_object(client, bucket, "out/bad.parquet")))
    bad_local = pq.read_table(tmp_path / "bad.parquet")
    assert bad_remote.num_rows == bad_local.num_rows > 0
    assert set(bad_remote.column(SOURCE_FILE_COLUMN).to_pylist()) == {f"{s3}/in/cars_changed.csv"}
    rest = [c for c in bad_local.column_names if c != SOURCE_FILE_COLUMN]
    assert bad_remote.select(rest).equals(bad_local.select(rest))
    html = _object(client, bucket, "out/report.html").decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_report_reads_and_writes_s3(
    capsys: pytest.CaptureFixture[str], client: Any, bucket: str, uploaded: dict[str, Path]
) -> None:
    s3 = f"s3://{bucket}"
    code, _, _ = _run(
        capsys,
        "report",
        f"{s3}/in/cars_changed.csv",
        "--baseline",
        f"{s3}/in/cars.parquet",
        "-o",
        f"{s3}/out/drift.html",
    )
    assert code == 1  # as on disk: cars_changed has error-level anomalies
    html = _object(client, bucket, "out/drift.html").decode("utf-8")
    assert "Weight_in_lbs" in html and html.rstrip().endswith("</html>")


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_missing_key_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], bucket: str) -> None:
    code, _, err = _run(capsys, "stats", f"s3://{bucket}/absent.parquet")
    assert code == 2
    assert f"s3://{bucket}/absent.parquet: no such file or folder" in _one_line_error(err)


def test_missing_bucket_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], s3_env: str
) -> None:
    code, _, err = _run(capsys, "stats", "s3://no-such-bucket-dc/x.csv")
    assert code == 2
    assert "s3://no-such-bucket-dc/x.csv" in _one_line_error(err)


def test_output_to_missing_bucket_exits_2(capsys: pytest.CaptureFixture[str], s3_env: str) -> None:
    code, _, err = _run(capsys, "stats", str(CARS), "-o", "s3://no-such-bucket-dc/p.json")
    assert code == 2
    assert "bucket 'no-such-bucket-dc' does not exist" in _one_line_error(err)


def test_missing_credentials_exits_2_naming_the_variables(
    capsys: pytest.CaptureFixture[str],
    bucket: str,
    uploaded: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = _run(capsys, "stats", f"s3://{bucket}/in/cars.parquet")
    assert code == 2
    line = _one_line_error(err)
    assert f"s3://{bucket}/in/cars.parquet" in line and "AWS_ACCESS_KEY_ID" in line
