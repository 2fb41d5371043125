"""Fixtures of the service tests: a small schema, its data, and a client of a fresh service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

pytest.importorskip("starlette", reason="needs pip install 'datacheck-ml[service]'")

from starlette.testclient import TestClient

from datacheck.schema import infer_schema
from datacheck.service import ServiceConfig, create_app
from datacheck.stats import DatasetProfile, generate_statistics


def rows(n: int, *, offset: int = 0) -> list[dict[str, Any]]:
    """``n`` valid rows of the fruit data."""
    colours = ("red", "green", "blue")
    return [
        {"id": offset + i, "price": 1.0 + (i % 50) / 10, "colour": colours[i % 3]} for i in range(n)
    ]


def arrow_stream(table: pa.Table) -> bytes:
    """``table`` as an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def post_json(client: TestClient, url: str, document: Any) -> Any:
    """POST ``document`` as JSON text (any JSON, not only what httpx's json= writes)."""
    return client.post(
        url, content=json.dumps(document), headers={"content-type": "application/json"}
    )


@pytest.fixture(scope="session")
def profile() -> DatasetProfile:
    """The profile of 300 valid rows."""
    return generate_statistics(pa.Table.from_pylist(rows(300)))


@pytest.fixture(scope="session")
def schema_doc(profile: DatasetProfile) -> dict[str, Any]:
    """The schema inferred from :func:`profile`, as a document."""
    return infer_schema(profile).to_dict()


@pytest.fixture
def config(tmp_path: Path) -> ServiceConfig:
    """A service over an empty store in ``tmp_path``, no plugins."""
    return ServiceConfig(
        store=tmp_path / "store", flush_seconds=0.1, plugins=False, profile_in_process=False
    )


@pytest.fixture
def client(config: ServiceConfig) -> Iterator[TestClient]:
    """A test client of a running service (lifespan started)."""
    with TestClient(create_app(config)) as test_client:
        yield test_client


@pytest.fixture
def registered(client: TestClient, schema_doc: dict[str, Any]) -> TestClient:
    """The client, with schema ``fruit`` version 1 registered."""
    assert client.post("/schemas/fruit/versions", json=schema_doc).status_code == 201
    return client
