"""An S3-compatible server on loopback (moto's server mode) for the object-storage tests.

The server runs in this process, on a free port of 127.0.0.1, once per test module; each test
gets the environment a user would set (keys, region, endpoint) and a fresh bucket.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server, started for this module.

    moto checks ``If-None-Match: *`` and then stores the object in two steps with no lock
    between them (``moto/s3/responses.py``, ``S3Response.put_object``), so two racing
    conditional writes can both succeed there, which S3 never allows. Its PutObject handler
    is serialized here, which gives the server S3's guarantee; the stores' concurrency tests
    test datacheck, not moto's race.
    """
    from moto.s3.responses import S3Response

    put = S3Response.put_object
    lock = threading.Lock()

    def atomic_put(self: Any) -> Any:
        with lock:
            return put(self)

    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(S3Response, "put_object", atomic_put)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> str:
    """The environment variables a user sets for an S3-compatible server; returns the endpoint."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    # No shared config or credentials file of the machine's user is read.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return s3_endpoint


@pytest.fixture
def client(s3_env: str) -> Any:
    """A boto3 S3 client of the server."""
    return boto3.client("s3")


@pytest.fixture
def bucket(client: Any) -> str:
    """A new, empty bucket."""
    name = f"dc-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name
