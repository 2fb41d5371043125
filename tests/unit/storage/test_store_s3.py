"""The schema store on S3: conditional writes keep every version, under concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from datacheck.cli import main
from datacheck.errors import MissingExtraError, StoreError
from datacheck.schema import SchemaStore, infer_schema
from datacheck.schema._s3store import S3SchemaStore
from datacheck.stats import generate_statistics

CARS = Path(__file__).resolve().parents[2] / "data" / "demo" / "cars.csv"


@pytest.fixture(scope="module")
def schema() -> Any:
    return infer_schema(generate_statistics(CARS))


def test_s3_root_makes_the_s3_store(bucket: str) -> None:
    store = SchemaStore(f"s3://{bucket}/schemas")
    assert isinstance(store, S3SchemaStore)
    assert repr(store) == f"SchemaStore('s3://{bucket}/schemas')"


def test_saved_versions_read_back_as_on_disk(
    bucket: str, client: Any, schema: Any, tmp_path: Path
) -> None:
    store = SchemaStore(f"s3://{bucket}/schemas")
    local = SchemaStore(tmp_path)
    first = store.save("cars", schema, message="first")
    second = store.save("cars", replace(schema, features=schema.features[:3]), message="cut")
    local.save("cars", schema, message="first")
    assert (first.version, second.version, second.parent) == (1, 2, 1)
    assert store.names() == ["cars"] and store.versions("cars") == [1, 2]
    assert store.get("cars", 1) == local.get("cars", 1)
    assert store.latest("cars").features == schema.features[:3]
    assert [v.message for v in store.history("cars")] == ["first", "cut"]
    assert store.metadata("cars", 1).content_hash == local.metadata("cars", 1).content_hash
    # the version's object is a plain schema file, byte for byte the local one
    body = client.get_object(Bucket=bucket, Key="schemas/cars/v1.json")["Body"].read()
    assert body == (tmp_path / "cars" / "v1.json").read_bytes()


def test_concurrent_threads_lose_no_version(bucket: str, schema: Any) -> None:
    store = SchemaStore(f"s3://{bucket}/race")
    writers, each = 8, 2
    saved: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        # Each thread its own store (its own client), as separate programs would have.
        own = SchemaStore(f"s3://{bucket}/race")
        start.wait()
        try:
            for i in range(each):
                saved.append(own.save("s", schema, message=f"{writer}-{i}").version)
        except BaseException as error:  # reported below, with the versions
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(saved) == list(range(1, writers * each + 1))
    assert store.versions("s") == list(range(1, writers * each + 1))
    messages = sorted(v.message for v in store.history("s"))
    assert messages == sorted(f"{w}-{i}" for w in range(writers) for i in range(each))


_WRITER = """
import sys
from datacheck.schema import SchemaStore, load_schema
store = SchemaStore(sys.argv[1])
schema = load_schema(sys.argv[2])
for i in range(3):
    print(store.save("p", schema, message=f"{sys.argv[3]}-{i}").version)
"""


@pytest.mark.slow
def test_concurrent_processes_lose_no_version(
    bucket: str, schema: Any, tmp_path: Path, s3_env: str
) -> None:
    from datacheck.schema import save_schema

    save_schema(schema, tmp_path / "schema.json")
    root = f"s3://{bucket}/procs"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, root, str(tmp_path / "schema.json"), str(w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
            text=True,
        )
        for w in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 3, [err for _, err in outputs]
    numbers = sorted(int(n) for out, _ in outputs for n in out.split())
    assert numbers == list(range(1, 10))
    assert SchemaStore(root).versions("p") == list(range(1, 10))


def test_claim_of_a_killed_writer_is_skipped(bucket: str, client: Any, schema: Any) -> None:
    store = SchemaStore(f"s3://{bucket}/s")
    store.save("cars", schema)
    # a writer claimed version 2 and died before writing the schema
    client.put_object(Bucket=bucket, Key="s/cars/v2.meta.json", Body=b"{}")
    assert store.versions("cars") == [1]
    assert store.save("cars", schema).version == 3
    assert store.versions("cars") == [1, 3]


def test_lost_conditional_write_moves_to_the_next_number(
    bucket: str, schema: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SchemaStore(f"s3://{bucket}/s")
    # Another writer saves version 1 after this writer listed the (empty) store.
    monkeypatch.setattr(store, "_numbers", lambda name: ([], []))
    SchemaStore(f"s3://{bucket}/s").save("cars", schema, message="other")
    record = store.save("cars", schema, message="late")
    monkeypatch.undo()
    assert record.version == 2
    assert [v.message for v in store.history("cars")] == ["other", "late"]


def test_resent_write_whose_answer_was_lost_keeps_its_number(
    bucket: str, schema: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    store = SchemaStore(f"s3://{bucket}/s")
    client = store._s3  # type: ignore[attr-defined]
    real = client.put_object

    def put_then_lose_the_answer(**request: Any) -> Any:
        # The first request is stored, its answer lost; the resent one fails its condition.
        real(**request)
        error = {"Error": {"Code": "PreconditionFailed", "Message": "At least one..."}}
        raise ClientError(error, "PutObject")

    monkeypatch.setattr(client, "put_object", put_then_lose_the_answer)
    record = store.save("cars", schema, message="once")
    monkeypatch.undo()
    assert record.version == 1
    assert store.versions("cars") == [1]
    assert store.save("cars", schema).version == 2


def test_unknown_name_and_version(bucket: str, schema: Any) -> None:
    store = SchemaStore(f"s3://{bucket}/s")
    with pytest.raises(StoreError, match="no schema named 'cars' \\(known: none\\)"):
        store.get("cars")
    store.save("cars", schema)
    with pytest.raises(StoreError, match="has no version 5 \\(versions: 1\\)"):
        store.get("cars", 5)
    with pytest.raises(StoreError, match="not a valid schema name"):
        store.save("../x", schema)


def test_missing_bucket_is_one_line_store_error(s3_env: str) -> None:
    with pytest.raises(StoreError) as caught:
        SchemaStore("s3://no-such-bucket-dc/s").versions("cars")
    assert str(caught.value).startswith("s3://no-such-bucket-dc/s: cannot list the schema store")
    assert "\n" not in str(caught.value)


def test_gcs_store_is_refused_naming_the_parameter() -> None:
    with pytest.raises(StoreError, match=r"root='gs://b/s'.*ifGenerationMatch=0"):
        SchemaStore("gs://b/s")


def test_hdfs_store_is_refused() -> None:
    with pytest.raises(StoreError, match=r"root='hdfs://nn:8020/s'.*not supported"):
        SchemaStore("hdfs://nn:8020/s")


def test_without_boto3_the_error_names_root_and_extra(
    s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(MissingExtraError) as caught:
        SchemaStore("s3://bucket/s")
    message = str(caught.value)
    assert message.startswith("root='s3://bucket/s': a schema store on S3 needs boto3")
    assert "pip install 'datacheck-ml[s3]'" in message


def test_cli_infer_saves_into_the_s3_store(capsys: pytest.CaptureFixture[str], bucket: str) -> None:
    root = f"s3://{bucket}/schemas"
    capsys.readouterr()
    assert main(["infer", str(CARS), "--store", root, "--name", "cars"]) == 0
    assert f"saved cars@1 in {root}:" in capsys.readouterr().out
    assert main(["schema", "log", "cars", "--store", root]) == 0
    assert main(["validate", str(CARS), "--schema", "cars@1", "--store", root]) == 0


def test_cli_without_boto3_exits_2(
    capsys: pytest.CaptureFixture[str], s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    capsys.readouterr()
    assert main(["schema", "log", "cars", "--store", "s3://bucket/s"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "datacheck-ml[s3]" in err


def test_store_named_by_the_environment(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACHECK_STORE", f"s3://{bucket}/env")
    store = SchemaStore.default()
    assert isinstance(store, S3SchemaStore) and store.location == f"s3://{bucket}/env"


def test_local_folder_of_an_s3_store_is_refused(bucket: str) -> None:
    # The service keeps files in the store's folder; Path("s3:/...") would be a local folder.
    store = SchemaStore(f"s3://{bucket}/s")
    with pytest.raises(StoreError, match=rf"store='s3://{bucket}/s': this needs a schema store"):
        _ = store.root
