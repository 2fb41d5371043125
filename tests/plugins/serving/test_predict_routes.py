"""The prediction routes end to end: a model trained on the penguins, served and checked."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from palmerpenguins import load_penguins
from starlette.testclient import TestClient

from datacheck import generate_statistics, infer_schema
from datacheck.service import ServiceConfig, create_app
from datacheck_serving._models import factory_version, load_version
from datacheck_serving._predict_routes import model_server, routes


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    from predict_models import penguin_net

    from datacheck_training import train

    frame = load_penguins()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema = infer_schema(generate_statistics(table))
    folder = tmp_path_factory.mktemp("model")
    train(
        penguin_net(),
        table,
        schema=schema,
        label="species",
        epochs=20,
        output=folder,
        factory="predict_models:penguin_net",
    )
    return folder, schema, frame


@pytest.fixture
def client(trained: tuple[Path, Any, Any], tmp_path: Path) -> Any:
    folder, schema, _ = trained
    app = create_app(
        ServiceConfig(store=tmp_path / "store", plugins=False, window_seconds=3600),
        extra_routes=routes(),
    )
    server = model_server(app, timeout=2.0, seed=0)
    server.deploy(load_version("penguins", "1", folder, schema=schema))
    with TestClient(app) as test_client:
        yield test_client
    server.close()


def _rows(frame: Any, n: int, **changes: Any) -> list[dict[str, Any]]:
    rows = (
        frame.dropna().sample(n, random_state=0).drop(columns=["species"]).to_dict(orient="records")
    )
    for row in rows:
        for key, value in changes.items():
            row[key] = value(row[key]) if callable(value) else value
    return rows


def test_valid_and_invalid_rows_then_a_shift_the_skew_reports(client, trained):
    _, _, frame = trained
    rows = _rows(frame, 40)
    answer = client.post("/models/penguins/predict", json=rows)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == "1" and body["invalid"] == []
    assert len(body["predictions"]) == 40
    assert all(p["request_id"] == body["request_id"] for p in body["predictions"])
    assert {p["label"] for p in body["predictions"]} <= {"Adelie", "Chinstrap", "Gentoo"}
    truth = frame.dropna().sample(40, random_state=0)["species"].tolist()
    right = sum(p["label"] == t for p, t in zip(body["predictions"], truth, strict=True))
    assert right >= 30  # it learned something

    # an unknown island: that row is refused with its reason, the others predicted
    mixed = _rows(frame, 3)
    mixed[1]["island"] = "Atlantis"
    answer = client.post("/models/penguins/predict", json=mixed).json()
    assert [p["row"] for p in answer["predictions"]] == [0, 2]
    assert answer["invalid"][0]["row"] == 1 and answer["invalid"][0]["reasons"]
    refused = client.post("/models/penguins/predict?mode=reject-all", json=mixed)
    assert refused.status_code == 422 and refused.json()["error"]["invalid"][0]["row"] == 1

    # the same rows again come from the cache
    before = client.get("/models/penguins").json()["cache"]["hits"]
    client.post("/models/penguins/predict", json=rows)
    assert client.get("/models/penguins").json()["cache"]["hits"] >= before + 40

    calm = client.get("/models/penguins/skew").json()
    # a calm stream reports nothing: no drift, and not the label the requests do not carry
    assert calm["report"]["anomalies"] == []

    heavy = _rows(frame, 300, body_mass_g=lambda g: g + 2500.0, island="Dream")
    assert client.post("/models/penguins/predict", json=heavy).status_code == 200
    shifted = client.get("/models/penguins/skew").json()
    codes = {(a["code"], a.get("feature") or a.get("path")) for a in shifted["report"]["anomalies"]}
    assert ("COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH", "body_mass_g") in codes


def test_arrow_requests_feedback_and_versions(client, trained):
    _folder, schema, frame = trained
    server = model_server(client.app)
    server.deploy(
        factory_version(
            "penguins", "2", "predict_models:penguin_net", schema=schema, label="species"
        )
    )
    table = pa.Table.from_pylist(_rows(frame, 5))
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    answer = client.post(
        "/models/penguins@2/predict",
        content=sink.getvalue(),
        headers={"content-type": "application/vnd.apache.arrow.stream"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == "2"
    request_id = answer.json()["request_id"]
    weights_before = {
        v["version"]: v["weight"] for v in client.get("/models/penguins").json()["versions"]
    }
    assert set(weights_before) == {"1", "2"}
    fed = client.post("/models/penguins/feedback", json={"request_id": request_id, "reward": 1.0})
    assert fed.status_code == 200 and fed.json()["version"] == "2"
    weights_after = {
        v["version"]: v["weight"] for v in client.get("/models/penguins").json()["versions"]
    }
    assert weights_after["2"] > weights_before["2"]
    again = client.post("/models/penguins/feedback", json={"request_id": request_id, "reward": 1.0})
    assert again.status_code == 404


def test_bad_requests(client, trained):
    _, _schema, frame = trained
    assert client.post("/models/nope/predict", json=[{"a": 1}]).status_code == 404
    assert client.get("/models/nope").status_code == 404
    assert client.post("/models/penguins@9/predict", json=_rows(frame, 1)).status_code == 404
    wrong = client.post("/models/penguins/predict", json=_rows(frame, 2, bill_length_mm="long"))
    assert wrong.status_code == 422
    reasons = wrong.json()["error"]["reasons"]
    assert reasons and "bill_length_mm" in str(reasons)
    assert (
        client.post(
            "/models/penguins/predict", content=b"[{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        client.post("/models/penguins/predict?mode=maybe", json=_rows(frame, 1)).status_code == 400
    )
    assert (
        client.post("/models/penguins/feedback", json={"request_id": "x", "reward": 1}).status_code
        == 404
    )


def test_a_model_that_raises_or_hangs_is_a_503_and_others_are_served(client, trained):
    _, schema, frame = trained
    server = model_server(client.app)
    server.deploy(
        factory_version("broken", "1", "predict_models:failing", schema=schema, label="species")
    )
    server.deploy(
        factory_version("stuck", "1", "predict_models:slow", schema=schema, label="species")
    )
    for name, code in (("broken", "model_failed"), ("stuck", "model_timeout")):
        answer = client.post(f"/models/{name}/predict", json=_rows(frame, 2))
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == code and answer.headers["Retry-After"] == "1"
    assert (
        "simulated"
        in client.post("/models/broken/predict", json=_rows(frame, 1, year=2099)).json()["error"][
            "message"
        ]
    )
    assert client.post("/models/penguins/predict", json=_rows(frame, 2)).status_code == 200


@pytest.mark.beam
def test_the_beam_handler_predicts_what_the_service_does(client, trained):
    beam = pytest.importorskip("apache_beam")
    from apache_beam.ml.inference.base import RunInference
    from apache_beam.testing.util import assert_that

    from datacheck_serving._predict_beam import TrainedModelHandler

    folder, _, frame = trained
    rows = _rows(frame, 30)
    served = client.post("/models/penguins@1/predict", json=rows).json()["predictions"]
    expected = sorted(p["label"] for p in served)

    def check(results: list[Any]) -> None:
        assert sorted(r.inference["label"] for r in results) == expected
        assert all(abs(sum(r.inference["probabilities"]) - 1) < 1e-5 for r in results)

    with beam.Pipeline() as p:
        out = p | beam.Create(rows) | RunInference(TrainedModelHandler(folder, max_batch_size=8))
        assert_that(out, check)


def test_deploying_a_version_by_a_call(client, trained, tmp_path):
    import shutil

    from datacheck.schema import SchemaStore

    folder, schema, frame = trained
    store = tmp_path / "store"
    SchemaStore(store).save("penguins", schema)
    shutil.copytree(folder, store / "models" / "penguins-v3")
    body = {"version": "3", "folder": "penguins-v3", "schema": "penguins"}
    deployed = client.post("/models/penguins/versions", json=body)
    assert deployed.status_code == 201, deployed.text
    answer = client.post("/models/penguins@3/predict", json=_rows(frame, 2))
    assert answer.status_code == 200 and answer.json()["version"] == "3"
    for bad in ("../penguins-v3", "nope"):
        refused = client.post("/models/penguins/versions", json={**body, "folder": bad})
        assert refused.status_code in (404, 422)
