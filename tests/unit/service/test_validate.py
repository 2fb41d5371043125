"""POST /validate: JSON records and Arrow streams, the verdict in the body, every refusal."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
from starlette.testclient import TestClient

from datacheck.service import ServiceConfig, create_app
from datacheck.validate import ValidationReport

from .conftest import arrow_stream, post_json, rows


def test_valid_rows_pass(registered: TestClient) -> None:
    answer = post_json(registered, "/validate/fruit", rows(100))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["schema"], body["version"], body["report"]["verdict"]) == ("fruit", 1, "pass")
    assert "quarantine" not in body


def test_the_report_is_the_report_document(registered: TestClient) -> None:
    report = post_json(registered, "/validate/fruit", rows(10)).json()["report"]
    assert ValidationReport.from_dict(report).summary.row_count == 10


def test_bad_rows_are_200_with_a_failing_verdict_and_their_reasons(
    registered: TestClient,
) -> None:
    data = rows(10)
    data[3]["colour"] = "purple"
    answer = post_json(registered, "/validate/fruit?quarantine=true", data)
    assert answer.status_code == 200
    body = answer.json()
    assert body["report"]["verdict"] == "fail"
    assert body["quarantine"]["count"] == 1
    (row,) = body["quarantine"]["rows"]
    assert row["row"] == 3
    assert row["values"]["colour"] == "purple"
    assert row["reasons"] == [{"code": "ENUM_TYPE_UNEXPECTED_STRING_VALUES", "feature": "colour"}]


def test_an_arrow_stream_is_validated(registered: TestClient) -> None:
    body = arrow_stream(pa.Table.from_pylist(rows(1000)))
    answer = registered.post(
        "/validate/fruit@1",
        content=body,
        headers={"content-type": "application/vnd.apache.arrow.stream"},
    )
    assert answer.status_code == 200
    assert answer.json()["report"]["summary"]["row_count"] == 1000


def test_a_key_of_a_later_record_is_a_column(registered: TestClient) -> None:
    data = rows(5)
    data[4]["extra"] = 1
    anomalies = post_json(registered, "/validate/fruit", data).json()["report"]["anomalies"]
    assert [(a["code"], a["path"]) for a in anomalies] == [("SCHEMA_NEW_COLUMN", "extra")]


def test_numbers_and_text_in_one_column_are_an_anomaly_not_an_error(
    registered: TestClient,
) -> None:
    data = rows(5)
    data[0]["price"] = "cheap"
    answer = post_json(registered, "/validate/fruit", data)
    assert answer.status_code == 200
    codes = {a["code"] for a in answer.json()["report"]["anomalies"]}
    assert "UNEXPECTED_DATA_TYPE" in codes


def test_an_integer_beyond_int64_is_an_anomaly(registered: TestClient) -> None:
    data = rows(5)
    data[0]["id"] = 10**30
    assert post_json(registered, "/validate/fruit", data).status_code == 200


def test_an_unknown_schema_is_404(registered: TestClient) -> None:
    assert post_json(registered, "/validate/nope", rows(1)).status_code == 404
    assert post_json(registered, "/validate/fruit@9", rows(1)).status_code == 404


def test_a_bad_version_is_400(registered: TestClient) -> None:
    for ref in ("fruit@x", "fruit@0", "fruit@", "@1"):
        assert post_json(registered, f"/validate/{ref}", rows(1)).status_code == 400, ref


def test_malformed_json_is_400(registered: TestClient) -> None:
    for body in (b"[{", b"\xff\xfe", b"[" * 100_000, b"[NaN]"):
        answer = registered.post(
            "/validate/fruit", content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 400, body[:10]
        assert answer.json()["error"]["code"] == "invalid_json"


def test_json_that_is_not_records_is_422(registered: TestClient) -> None:
    documents: list[Any] = [{"id": 1}, [1, 2], [[]], []]
    for document in documents:
        answer = post_json(registered, "/validate/fruit", document)
        assert answer.status_code == 422, document


def test_an_unreadable_arrow_stream_is_400(registered: TestClient) -> None:
    body = arrow_stream(pa.Table.from_pylist(rows(10)))
    for broken in (b"", b"nonsense", body[: len(body) // 2]):
        answer = registered.post(
            "/validate/fruit",
            content=broken,
            headers={"content-type": "application/vnd.apache.arrow.stream"},
        )
        assert answer.status_code in (400, 422), broken[:10]


def test_another_content_type_is_415(registered: TestClient) -> None:
    answer = registered.post(
        "/validate/fruit", content=b"id\n1", headers={"content-type": "text/csv"}
    )
    assert answer.status_code == 415


def test_an_unknown_environment_is_400(registered: TestClient) -> None:
    answer = post_json(registered, "/validate/fruit?environment=MARS", rows(1))
    assert answer.status_code == 400


def _service(tmp_path: Path, schema_doc: dict[str, Any], **limits: Any) -> TestClient:
    config = ServiceConfig(
        store=tmp_path / "limits", plugins=False, profile_in_process=False, **limits
    )
    client = TestClient(create_app(config))
    client.__enter__()
    client.post("/schemas/fruit/versions", json=schema_doc)
    return client


def test_a_body_over_the_limit_is_413_naming_the_limit(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    client = _service(tmp_path, schema_doc, max_body_bytes=1000)
    try:
        answer = post_json(client, "/validate/fruit", rows(100))
        assert answer.status_code == 413
        assert answer.json()["error"]["limit"] == "max_body_bytes"
    finally:
        client.__exit__(None, None, None)


def test_too_many_rows_is_422_naming_the_limit(tmp_path: Path, schema_doc: dict[str, Any]) -> None:
    client = _service(tmp_path, schema_doc, max_rows=10)
    try:
        for answer in (
            post_json(client, "/validate/fruit", rows(11)),
            client.post(
                "/validate/fruit",
                content=arrow_stream(pa.Table.from_pylist(rows(11))),
                headers={"content-type": "application/vnd.apache.arrow.stream"},
            ),
        ):
            assert answer.status_code == 422
            assert answer.json()["error"]["limit"] == "max_rows"
    finally:
        client.__exit__(None, None, None)


def test_a_request_over_its_time_is_503_with_retry_after(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    client = _service(tmp_path, schema_doc, request_timeout=1e-6)
    try:
        answer = post_json(client, "/validate/fruit", rows(10_000))
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["error"]["limit"] == "request_timeout"
    finally:
        client.__exit__(None, None, None)


def test_timed_out_validations_stop_counting_as_running(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    client = _service(tmp_path, schema_doc, request_timeout=1e-6, max_inflight=2)
    try:
        for _ in range(5):  # more than max_inflight: a leaked count would refuse the last ones
            answer = post_json(client, "/validate/fruit", rows(10_000))
            assert answer.json()["error"]["limit"] == "request_timeout"
        service = client.app.state.service  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while service._inflight and time.monotonic() < deadline:
            time.sleep(0.01)  # work a thread had started ends, and is uncounted then
        assert service._inflight == 0
    finally:
        client.__exit__(None, None, None)


def test_validations_over_the_inflight_limit_are_503(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    client = _service(tmp_path, schema_doc, max_inflight=0)
    try:
        answer = post_json(client, "/validate/fruit", rows(1))
        assert answer.status_code == 503
        assert answer.json()["error"]["limit"] == "max_inflight"
    finally:
        client.__exit__(None, None, None)


def test_metrics_count_requests_rows_and_anomalies(registered: TestClient) -> None:
    data = rows(10)
    data[0]["colour"] = "purple"
    post_json(registered, "/validate/fruit", data)
    text = registered.get("/metrics").text
    assert 'datacheck_rows_validated_total{schema="fruit"} 10.0' in text
    assert (
        'datacheck_anomalies_total{code="ENUM_TYPE_UNEXPECTED_STRING_VALUES",schema="fruit"} 1.0'
        in text
    )
    assert 'datacheck_requests_total{method="POST",route="validate",status="200"} 1.0' in text
    assert "datacheck_request_duration_seconds_bucket" in text


def test_a_bad_request_leaves_the_service_working(registered: TestClient) -> None:
    registered.post(
        "/validate/fruit", content=b"[" * 50_000, headers={"content-type": "application/json"}
    )
    assert post_json(registered, "/validate/fruit", rows(3)).status_code == 200
