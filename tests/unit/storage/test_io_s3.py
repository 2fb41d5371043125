"""Reading and writing ``s3://`` paths: the same batches, files and errors as local paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck._source import SOURCE_KEY
from datacheck.errors import InputError, InputNotFoundError
from datacheck.io import QuarantineWriter, read_batches, write_bytes_atomic
from datacheck.schema import load_schema, save_schema
from datacheck.stats import load_profile

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
CARS = DEMO / "cars.csv"


def _table(source: object, **options: Any) -> pa.Table:
    batches = list(read_batches(source, **options))
    return pa.Table.from_batches(batches).replace_schema_metadata(None)


def _parquet(tmp_path: Path) -> Path:
    path = tmp_path / "cars.parquet"
    pq.write_table(_table(CARS), path, row_group_size=100)
    return path


def test_csv_object_reads_as_the_local_file(client: Any, bucket: str) -> None:
    client.upload_file(str(CARS), bucket, "in/cars.csv")
    assert _table(f"s3://{bucket}/in/cars.csv").equals(_table(CARS))


def test_parquet_object_reads_as_the_local_file(client: Any, bucket: str, tmp_path: Path) -> None:
    local = _parquet(tmp_path)
    client.upload_file(str(local), bucket, "cars.parquet")
    remote = _table(f"s3://{bucket}/cars.parquet", columns=["Name", "Horsepower"])
    assert remote.equals(_table(local, columns=["Name", "Horsepower"]))


def test_jsonl_object_reads_as_the_local_file(client: Any, bucket: str, tmp_path: Path) -> None:
    local = tmp_path / "rows.jsonl"
    local.write_text('{"a": 1, "b": "x"}\n{"a": 2, "b": null}\n', encoding="utf-8")
    client.upload_file(str(local), bucket, "rows.jsonl")
    assert _table(f"s3://{bucket}/rows.jsonl").equals(_table(local))


def test_folder_reads_its_data_files_in_order_and_skips_hidden(
    client: Any, bucket: str, tmp_path: Path
) -> None:
    for name, rows in (("part-1.csv", "a\n1\n2\n"), ("part-0.csv", "a\n0\n")):
        client.put_object(Bucket=bucket, Key=f"data/{name}", Body=rows.encode())
    client.put_object(Bucket=bucket, Key="data/_SUCCESS", Body=b"")
    client.put_object(Bucket=bucket, Key="data/notes.txt", Body=b"not data")
    table = _table(f"s3://{bucket}/data/")
    assert table.column("a").to_pylist() == [0, 1, 2]


def test_glob_matches_one_level_and_double_star_many(client: Any, bucket: str) -> None:
    for key in ("d/x.csv", "d/sub/y.csv", "d/z.parquet.txt"):
        client.put_object(Bucket=bucket, Key=key, Body=b"a\n7\n")
    assert _table(f"s3://{bucket}/d/*.csv").num_rows == 1
    assert _table(f"s3://{bucket}/d/**/*.csv").num_rows == 2


def test_local_copy_of_a_csv_is_removed_once_read(client: Any, bucket: str) -> None:
    import gc

    from datacheck.io import _remote

    client.upload_file(str(CARS), bucket, "cars.csv")
    batches = read_batches(f"s3://{bucket}/cars.csv", batch_size=50)
    root = _remote._staging_root()
    assert [p.name for p in root.glob("*/cars.csv")] == ["cars.csv"]
    assert sum(b.num_rows for b in batches) == 406
    del batches
    gc.collect()
    assert list(root.glob("*/cars.csv")) == []


def test_batches_are_tagged_with_the_url(client: Any, bucket: str) -> None:
    client.upload_file(str(CARS), bucket, "cars.csv")
    first = next(iter(read_batches(f"s3://{bucket}/cars.csv")))
    assert f"s3://{bucket}/cars.csv".encode() in first.schema.metadata[SOURCE_KEY]


def test_missing_key_names_the_url(bucket: str) -> None:
    with pytest.raises(InputNotFoundError) as caught:
        read_batches(f"s3://{bucket}/nope.csv")
    assert str(caught.value) == f"s3://{bucket}/nope.csv: no such file or folder"


def test_missing_bucket_is_one_line(s3_env: str) -> None:
    with pytest.raises(InputError) as caught:
        read_batches("s3://no-such-bucket-dc/x.parquet")
    assert "s3://no-such-bucket-dc/x.parquet" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_credentials_is_one_line(
    client: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.upload_file(str(CARS), bucket, "cars.csv")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(InputError) as caught:
        read_batches(f"s3://{bucket}/cars.csv")
    message = str(caught.value)
    assert message.startswith(f"s3://{bucket}/cars.csv: cannot ")
    assert "AWS_ACCESS_KEY_ID" in message and "\n" not in message


def test_bad_csv_error_names_the_url_not_the_local_copy(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="bad.csv", Body=b"a,b\n1,2\n3,4,5\n")
    with pytest.raises(InputError) as caught:
        read_batches(f"s3://{bucket}/bad.csv")
    assert str(caught.value).startswith(f"s3://{bucket}/bad.csv: line 3 has 3 fields")
    assert caught.value.path == f"s3://{bucket}/bad.csv"


def test_bucket_without_key_is_refused(s3_env: str) -> None:
    with pytest.raises(InputError, match="name a bucket"):
        read_batches("s3://")


def test_write_then_read_schema_and_profile(client: Any, bucket: str, tmp_path: Path) -> None:
    from datacheck.schema import infer_schema
    from datacheck.stats import generate_statistics, save_profile

    profile = generate_statistics(CARS)
    save_profile(profile, f"s3://{bucket}/p/cars.json")
    save_profile(profile, tmp_path / "cars.json")
    remote = client.get_object(Bucket=bucket, Key="p/cars.json")["Body"].read()
    assert remote == (tmp_path / "cars.json").read_bytes()
    assert load_profile(f"s3://{bucket}/p/cars.json") == load_profile(tmp_path / "cars.json")
    schema = infer_schema(profile)
    save_schema(schema, f"s3://{bucket}/s/cars.json")
    assert load_schema(f"s3://{bucket}/s/cars.json") == schema


def test_missing_profile_object_is_not_found(bucket: str) -> None:
    with pytest.raises(InputNotFoundError, match=f"s3://{bucket}/none.json: no such profile"):
        load_profile(f"s3://{bucket}/none.json")


def test_failed_write_leaves_the_old_object(client: Any, bucket: str) -> None:
    write_bytes_atomic(f"s3://{bucket}/q.csv", b"old\n")
    with pytest.raises(RuntimeError), QuarantineWriter(f"s3://{bucket}/q.csv") as out:
        out.write(pa.record_batch({"a": [1, 2]}))
        raise RuntimeError("the validation failed half way")
    assert client.get_object(Bucket=bucket, Key="q.csv")["Body"].read() == b"old\n"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["q.csv"]


def test_write_to_missing_bucket_fails_before_the_work(s3_env: str) -> None:
    ran = []
    missing = "bucket 'no-such-bucket-dc' does not exist"
    with (
        pytest.raises(InputNotFoundError, match=missing),
        QuarantineWriter("s3://no-such-bucket-dc/q.parquet"),
    ):
        ran.append(True)
    assert ran == []


def test_large_object_goes_through_a_temporary_object(
    client: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datacheck.io import _remote

    monkeypatch.setattr(_remote, "SINGLE_PUT_BYTES", 10)
    data = bytes(range(256)) * 64
    write_bytes_atomic(f"s3://{bucket}/big/blob.bin", data)
    assert client.get_object(Bucket=bucket, Key="big/blob.bin")["Body"].read() == data
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    # No temporary object is left; pyarrow's delete leaves an empty folder marker ("big/").
    assert [key for key in keys if not key.endswith("/")] == ["big/blob.bin"]


def test_endpoint_of_s3_alone_wins(
    s3_env: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AWS_ENDPOINT_URL_S3 is the service-specific variable; it overrides AWS_ENDPOINT_URL.
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_env)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    write_bytes_atomic(f"s3://{bucket}/e.txt", b"x")
    assert _table_bytes(f"s3://{bucket}/e.txt") == b"x"


def _table_bytes(url: str) -> bytes:
    from datacheck.io import read_bytes

    return read_bytes(url)


def test_hdfs_without_libhdfs_is_one_line() -> None:
    # No HDFS can run here; the URL goes through pyarrow.fs, which needs libhdfs and a JVM.
    with pytest.raises(InputError) as caught:
        read_batches("hdfs://127.0.0.1:9/data/x.csv")
    message = str(caught.value)
    assert message.startswith("hdfs://127.0.0.1:9/data/x.csv: ") and "\n" not in message
