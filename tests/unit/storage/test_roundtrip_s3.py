"""Law: data and profiles go through S3 unchanged, whatever they hold: the profile of an object
is the profile of the same file on disk, and a profile saved to S3 is the local file, byte for
byte, and loads back equal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given

from datacheck.io import read_batches
from datacheck.stats import generate_statistics, load_profile, save_profile
from tests.strategies import arrow_tables

boto3 = pytest.importorskip("boto3")

#: the kinds Parquet stores without change of type (a map column reads back as a list)
_KINDS = ("int", "float", "string", "bool", "date", "timestamp", "list")


@pytest.fixture(scope="module")
def store(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A boto3 client, a bucket and a local folder, with the environment set for the module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_REGION", "us-east-1")
        patch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
        patch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
        client = boto3.client("s3")
        bucket = f"dc-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        yield client, bucket, tmp_path_factory.mktemp("local")


def _ipc(source: object) -> bytes:
    """The batches read from ``source``, as Arrow IPC bytes (NaN compares equal there)."""
    batches = [b.replace_schema_metadata(None) for b in read_batches(source)]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batches[0].schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return bytes(sink.getvalue())


def _resaved(profile_path: str | Path, folder: Path) -> bytes:
    again = folder / f"{uuid.uuid4().hex}.json"
    save_profile(load_profile(profile_path), again)
    return again.read_bytes()


@given(table=arrow_tables(kinds=_KINDS))
def test_s3_round_trip_is_the_local_round_trip(store: Any, table: pa.Table) -> None:
    client, bucket, folder = store
    name = uuid.uuid4().hex
    local: Path = folder / f"{name}.parquet"
    pq.write_table(table, local)
    client.upload_file(str(local), bucket, f"{name}.parquet")
    url = f"s3://{bucket}/{name}.parquet"
    assert _ipc(url) == _ipc(local)
    save_profile(generate_statistics(url), f"s3://{bucket}/{name}.json")
    save_profile(generate_statistics(local), folder / f"{name}.json")
    stored = client.get_object(Bucket=bucket, Key=f"{name}.json")["Body"].read()
    assert stored == (folder / f"{name}.json").read_bytes()
    assert _resaved(f"s3://{bucket}/{name}.json", folder) == stored
