"""The schema registry routes: list, versions, one version, diff, register, config, baseline."""

from __future__ import annotations

import copy
from typing import Any

from starlette.testclient import TestClient

from datacheck.stats import DatasetProfile


def _with_colours(schema_doc: dict[str, Any], colours: list[str]) -> dict[str, Any]:
    changed = copy.deepcopy(schema_doc)
    changed["features"][2]["domain"]["values"] = colours
    return changed


def test_an_empty_store_lists_no_schema(client: TestClient) -> None:
    assert client.get("/schemas").json() == {"schemas": []}


def test_a_registered_schema_is_listed_with_its_latest_version(registered: TestClient) -> None:
    assert registered.get("/schemas").json() == {
        "schemas": [{"name": "fruit", "latest_version": 1}]
    }


def test_registering_answers_201_and_the_version_metadata(
    client: TestClient, schema_doc: dict[str, Any]
) -> None:
    answer = client.post("/schemas/fruit/versions?message=first", json=schema_doc)
    assert answer.status_code == 201
    assert answer.json()["version"] == 1
    assert answer.json()["message"] == "first"


def test_versions_lists_every_version_and_the_mode(
    registered: TestClient, schema_doc: dict[str, Any]
) -> None:
    registered.post(
        "/schemas/fruit/versions", json=_with_colours(schema_doc, ["a", "blue", "green", "red"])
    )
    body = registered.get("/schemas/fruit/versions").json()
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert body["compatibility"] == "BACKWARD"


def test_one_version_answers_its_schema_document(
    registered: TestClient, schema_doc: dict[str, Any]
) -> None:
    body = registered.get("/schemas/fruit/versions/1").json()
    assert body["schema"]["features"] == schema_doc["features"]
    assert registered.get("/schemas/fruit/versions/latest").json()["version"] == 1


def test_an_unknown_schema_or_version_is_404(registered: TestClient) -> None:
    assert registered.get("/schemas/nope/versions").status_code == 404
    answer = registered.get("/schemas/fruit/versions/7")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_version"


def test_an_invalid_name_is_400(client: TestClient, schema_doc: dict[str, Any]) -> None:
    for name in ("-x", "a b", "x" * 200, "%2E%2E"):
        answer = client.post(f"/schemas/{name}/versions", json=schema_doc)
        assert answer.status_code == 400, name
        assert answer.json()["error"]["code"] == "invalid_name"


def test_path_traversal_never_reaches_the_store(
    client: TestClient, schema_doc: dict[str, Any]
) -> None:
    for path in ("/schemas/..%2F..%2Fetc/versions", "/schemas/../versions", "/validate/..%2Fx"):
        answer = client.post(path, json=schema_doc)
        assert answer.status_code in (400, 404, 405), path
    assert client.get("/schemas").json() == {"schemas": []}


def test_an_invalid_schema_document_is_422(client: TestClient) -> None:
    answer = client.post("/schemas/fruit/versions", json={"features": "no"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_schema"


def test_a_schema_that_is_not_json_is_400(client: TestClient) -> None:
    answer = client.post(
        "/schemas/fruit/versions", content=b"{", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400


def test_a_schema_sent_as_text_is_415(client: TestClient) -> None:
    answer = client.post(
        "/schemas/fruit/versions", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert answer.status_code == 415


def test_a_breaking_change_is_409_with_the_breaking_changes(
    registered: TestClient, schema_doc: dict[str, Any]
) -> None:
    answer = registered.post("/schemas/fruit/versions", json=_with_colours(schema_doc, ["red"]))
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "incompatible_schema"
    assert [c["kind"] for c in error["breaking_changes"]] == ["DOMAIN_VALUES_REMOVED"]
    assert registered.get("/schemas/fruit/versions").json()["versions"][-1]["version"] == 1


def test_a_compatible_change_is_registered(
    registered: TestClient, schema_doc: dict[str, Any]
) -> None:
    wider = _with_colours(schema_doc, ["blue", "green", "red", "yellow"])
    assert registered.post("/schemas/fruit/versions", json=wider).status_code == 201


def test_forward_mode_refuses_a_widening(
    registered: TestClient, schema_doc: dict[str, Any]
) -> None:
    assert registered.put("/schemas/fruit/config", json={"compatibility": "FORWARD"}).json() == {
        "compatibility": "FORWARD"
    }
    wider = _with_colours(schema_doc, ["blue", "green", "red", "yellow"])
    assert registered.post("/schemas/fruit/versions", json=wider).status_code == 409


def test_mode_none_accepts_any_change(registered: TestClient, schema_doc: dict[str, Any]) -> None:
    registered.put("/schemas/fruit/config", json={"compatibility": "none"})
    assert registered.get("/schemas/fruit/config").json() == {"compatibility": "NONE"}
    narrower = _with_colours(schema_doc, ["red"])
    assert registered.post("/schemas/fruit/versions", json=narrower).status_code == 201


def test_an_unknown_mode_is_422(registered: TestClient) -> None:
    answer = registered.put("/schemas/fruit/config", json={"compatibility": "SIDEWAYS"})
    assert answer.status_code == 422
    assert answer.json()["error"]["parameter"] == "compatibility"


def test_diff_lists_the_changes_with_their_compatibility(
    registered: TestClient, schema_doc: dict[str, Any]
) -> None:
    registered.post(
        "/schemas/fruit/versions", json=_with_colours(schema_doc, ["a", "blue", "green", "red"])
    )
    body = registered.get("/schemas/fruit/diff?from=1&to=2").json()
    assert [(c["kind"], c["backward_compatible"]) for c in body["changes"]] == [
        ("DOMAIN_VALUES_ADDED", True)
    ]


def test_diff_of_a_bad_version_number_is_400(registered: TestClient) -> None:
    assert registered.get("/schemas/fruit/diff?from=zero").status_code == 400


def test_a_baseline_is_registered_and_read_back(
    registered: TestClient, profile: DatasetProfile
) -> None:
    answer = registered.put("/schemas/fruit/baseline", json=profile.to_dict())
    assert answer.json() == {"name": "fruit", "num_rows": 300}
    assert registered.get("/schemas/fruit/baseline").json()["num_rows"] == 300


def test_an_invalid_baseline_is_422(registered: TestClient) -> None:
    answer = registered.put("/schemas/fruit/baseline", json={"num_rows": "many"})
    assert answer.status_code == 422


def test_a_baseline_needs_an_existing_schema(client: TestClient, profile: DatasetProfile) -> None:
    assert client.put("/schemas/nope/baseline", json=profile.to_dict()).status_code == 404


def test_no_baseline_yet_is_404(registered: TestClient) -> None:
    answer = registered.get("/schemas/fruit/baseline")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "no_baseline"


def test_full_mode_refuses_a_widening_and_a_narrowing_but_not_a_description(
    registered: TestClient, schema_doc: dict[str, Any]
) -> None:
    registered.put("/schemas/fruit/config", json={"compatibility": "FULL"})
    wider = _with_colours(schema_doc, ["blue", "green", "red", "yellow"])
    narrower = _with_colours(schema_doc, ["red"])
    for changed in (wider, narrower):
        answer = registered.post("/schemas/fruit/versions", json=changed)
        assert answer.status_code == 409
        assert answer.json()["error"]["breaking_changes"]
    described = copy.deepcopy(schema_doc)
    described["description"] = "the same constraints"
    assert registered.post("/schemas/fruit/versions", json=described).status_code == 201
    assert [v["version"] for v in registered.get("/schemas/fruit/versions").json()["versions"]] == [
        1,
        2,
    ]
