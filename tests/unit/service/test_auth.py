"""The bearer token: required on writes; on reads only when asked; never on the probes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from datacheck.errors import OptionError
from datacheck.service import ServiceConfig, create_app, read_token

BEARER = {"authorization": "Bearer s3cret"}


@pytest.fixture(params=[False, True], ids=["writes", "reads-too"])
def guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    config = ServiceConfig(
        store=tmp_path,
        token="s3cret",
        token_for_reads=request.param,
        plugins=False,
        profile_in_process=False,
    )
    with TestClient(create_app(config)) as client:
        yield client


def test_a_write_without_the_token_is_401(guarded: TestClient, schema_doc: dict[str, Any]) -> None:
    answer = guarded.post("/schemas/fruit/versions", json=schema_doc)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_a_write_with_a_wrong_token_is_401(guarded: TestClient, schema_doc: dict[str, Any]) -> None:
    headers = {"authorization": "Bearer wrong"}
    assert (
        guarded.post("/schemas/fruit/versions", json=schema_doc, headers=headers).status_code == 401
    )


def test_a_write_with_the_token_is_done(guarded: TestClient, schema_doc: dict[str, Any]) -> None:
    answer = guarded.post("/schemas/fruit/versions", json=schema_doc, headers=BEARER)
    assert answer.status_code == 201


def test_reads_need_the_token_only_when_asked(guarded: TestClient) -> None:
    for_reads = guarded.app.state.service.config.token_for_reads  # type: ignore[attr-defined]
    assert guarded.get("/schemas").status_code == (401 if for_reads else 200)
    assert guarded.get("/schemas", headers=BEARER).status_code == 200


def test_the_probes_never_need_the_token(guarded: TestClient) -> None:
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/readyz").status_code == 200


def test_the_token_is_the_first_line_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("  s3cret \nrest\n")
    assert read_token(path) == "s3cret"


def test_an_empty_token_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("\n")
    with pytest.raises(OptionError, match="no token"):
        read_token(path)
