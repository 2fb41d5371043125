"""Object storage on the engines: Dask workers read ``s3://`` objects themselves (the same
profile as the local files); Beam's reader names the URL it cannot read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.errors import OptionError
from datacheck.io import read_batches
from datacheck.stats import generate_statistics, save_profile

CARS = Path(__file__).resolve().parents[2] / "data" / "demo" / "cars.csv"


def _halves(tmp_path: Path) -> list[Path]:
    table = pa.Table.from_batches(list(read_batches(CARS))).replace_schema_metadata(None)
    half = table.num_rows // 2
    paths = [tmp_path / "part-0.parquet", tmp_path / "part-1.parquet"]
    pq.write_table(table.slice(0, half), paths[0])
    pq.write_table(table.slice(half), paths[1])
    return paths


@pytest.mark.slow
def test_dask_profiles_an_s3_prefix_as_the_local_files(
    client: Any, bucket: str, tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    from datacheck.dask import dask_client, profile_dask

    local = _halves(tmp_path)
    for path in local:
        client.upload_file(Filename=str(path), Bucket=bucket, Key=f"cars/{path.name}")
    # The workers start after the fixture set the credentials, so they inherit them. The
    # same files on disk, split the same way, give the same profile byte for byte (a sketch
    # depends on its merge order, so the in-memory profile is not the reference).
    with dask_client(workers=2):
        remote = profile_dask(f"s3://{bucket}/cars/")
        expected = profile_dask([str(p) for p in local])
    save_profile(remote, tmp_path / "remote.json")
    save_profile(expected, tmp_path / "local.json")
    assert remote.num_rows == expected.num_rows == generate_statistics(CARS).num_rows
    assert (tmp_path / "remote.json").read_bytes() == (tmp_path / "local.json").read_bytes()


def test_beam_refuses_a_url_naming_it(bucket: str) -> None:
    pytest.importorskip("apache_beam")
    from datacheck.beam import ReadBatches

    with pytest.raises(OptionError) as raised:
        ReadBatches(f"s3://{bucket}/cars/*.parquet")
    assert raised.value.parameter == "pattern"
    assert f"s3://{bucket}/cars/*.parquet" in str(raised.value)
