"""``datacheck serve`` as a real server: a subprocess on a free loopback port.

Each test starts the command, talks to it over HTTP and stops it: SIGTERM (in-flight requests
finish, windows are written) or SIGKILL (the store stays readable).
"""

from __future__ import annotations

import contextlib
import copy
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx", reason="needs pip install 'datacheck-ml[service]'")
pytest.importorskip("starlette", reason="needs pip install 'datacheck-ml[service]'")

import pyarrow as pa  # noqa: E402

from datacheck.schema import SchemaStore, infer_schema  # noqa: E402
from datacheck.stats import generate_statistics, load_profile  # noqa: E402

pytestmark = pytest.mark.slow

#: how long a server may take to answer /readyz after it starts
STARTUP_SECONDS = 30.0


def _rows(n: int) -> list[dict[str, Any]]:
    colours = ("red", "green", "blue")
    return [{"id": i, "price": 1.0 + (i % 50) / 10, "colour": colours[i % 3]} for i in range(n)]


def fruit_schema() -> dict[str, Any]:
    """The schema document inferred from 300 rows of :func:`_rows`."""
    return infer_schema(generate_statistics(pa.Table.from_pylist(_rows(300)))).to_dict()


@pytest.fixture(scope="module")
def schema_doc() -> dict[str, Any]:
    return fruit_schema()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    store: Path
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


@contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[Server]:
    """A ``datacheck serve`` process over ``tmp_path/store``, ready; killed if still running."""
    port = _free_port()
    store = tmp_path / "store"
    log = tmp_path / f"serve-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "datacheck",
                "serve",
                "--store",
                str(store),
                "--port",
                str(port),
                "--log-level",
                "warning",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process=process, url=f"http://127.0.0.1:{port}", store=store, log=log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"datacheck serve exited with {process.returncode}: {log.read_text()}")
            with contextlib.suppress(httpx.TransportError):  # not listening yet
                if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"datacheck serve did not get ready: {log.read_text()}")
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def test_serve_registers_validates_and_stops_on_sigterm(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    with (
        serving(tmp_path, "--request-timeout", "3") as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        assert http.post("/schemas/fruit/versions", json=schema_doc).status_code == 201
        answer = http.post("/validate/fruit", json=_rows(100))
        assert answer.status_code == 200
        assert answer.json()["report"]["verdict"] == "pass"
        # A client that sends its body too slowly meets the time limit too.
        slow = http.post(
            "/validate/fruit",
            content=_slow_body([b"[", b" ", b" ", b" ", b"]"], 1.0),
            headers={"content-type": "application/json"},
        )
        assert slow.status_code == 503
        assert slow.json()["error"]["limit"] == "request_timeout"
        assert "retry-after" in slow.headers
        assert server.stop() == 0
    (window,) = (server.store / ".service" / "fruit" / "windows").glob("*.profile.json")
    assert load_profile(window).num_rows == 100  # the clean shutdown wrote every row


def _slow_body(chunks: list[bytes], pause: float) -> Iterator[bytes]:
    for chunk in chunks:
        time.sleep(pause)
        yield chunk


def test_sigterm_lets_a_request_in_flight_finish(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    import json

    body = json.dumps(_rows(2000)).encode()
    chunks = [body[i : i + len(body) // 10 + 1] for i in range(0, len(body), len(body) // 10 + 1)]
    answers: list[Any] = []
    with serving(tmp_path) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        http.post("/schemas/fruit/versions", json=schema_doc)

        def upload() -> None:
            answers.append(
                http.post(
                    "/validate/fruit",
                    content=_slow_body(chunks, 0.1),
                    headers={"content-type": "application/json"},
                )
            )

        sender = threading.Thread(target=upload)
        sender.start()
        time.sleep(0.4)  # the upload is under way
        server.process.send_signal(signal.SIGTERM)
        sender.join(60)
        assert server.process.wait(60) == 0
    (answer,) = answers
    assert answer.status_code == 200
    assert answer.json()["report"]["summary"]["row_count"] == 2000


def _variant(schema_doc: dict[str, Any], tag: str) -> dict[str, Any]:
    changed = copy.deepcopy(schema_doc)
    changed["description"] = tag
    return changed


def _register_many(url: str, schema_doc: dict[str, Any], client_id: int, count: int) -> list[int]:
    got = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for i in range(count):
            answer = http.post(
                f"/schemas/fruit/versions?message=c{client_id}-{i}",
                json=_variant(schema_doc, f"c{client_id}-{i}"),
            )
            assert answer.status_code == 201, answer.text
            got.append(answer.json()["version"])
    return got


def test_eight_clients_registering_at_once_lose_no_version(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    results: dict[int, list[int]] = {}
    with serving(tmp_path) as server:
        threads = [
            threading.Thread(
                target=lambda c=c: results.__setitem__(
                    c, _register_many(server.url, schema_doc, c, 3)
                )
            )
            for c in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        server.stop()
    versions = sorted(v for got in results.values() for v in got)
    assert versions == list(range(1, 25))
    history = SchemaStore(server.store).history("fruit")
    assert sorted(h.message for h in history) == sorted(
        f"c{c}-{i}" for c in range(8) for i in range(3)
    )


def _register_until_killed(url: str, schema_doc: dict[str, Any], client_id: int) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        for i in range(10_000):
            try:
                http.post(
                    f"/schemas/fruit/versions?message=c{client_id}-{i}",
                    json=_variant(schema_doc, f"c{client_id}-{i}"),
                )
            except httpx.TransportError:
                return


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc; none elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_kill_9_mid_registration_leaves_the_store_readable(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    with serving(tmp_path) as server:
        threads = [
            threading.Thread(target=_register_until_killed, args=(server.url, schema_doc, c))
            for c in range(8)
        ]
        for t in threads:
            t.start()
        # Kill once registrations are committing, so that some are caught half-way.
        folder = server.store / "fruit"
        deadline = time.monotonic() + 60
        while len(list(folder.glob("v*[0-9].json"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        children = _children(server.process.pid)  # the serving-statistics profiler
        server.stop(signal.SIGKILL)
        for t in threads:
            t.join(60)
    # A killed server leaves no process behind: its profiler sees it gone and exits.
    deadline = time.monotonic() + 30
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)]
    store = SchemaStore(server.store)
    versions = store.versions("fruit")
    assert len(versions) >= 4
    assert len(set(versions)) == len(versions)
    for version in versions:
        assert store.get("fruit", version).version == version
    history = store.history("fruit")
    assert len({h.message for h in history}) == len(history)  # no registration stored twice
    # The restarted service serves the store as it was left.
    with serving(tmp_path) as again, httpx.Client(base_url=again.url, timeout=30) as http:
        listed = http.get("/schemas/fruit/versions").json()["versions"]
        assert [v["version"] for v in listed] == versions
        again.stop()


def test_kill_9_loses_at_most_the_last_second_of_serving_statistics(
    tmp_path: Path, schema_doc: dict[str, Any]
) -> None:
    with serving(tmp_path) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.post("/schemas/fruit/versions", json=schema_doc).status_code == 201
        for _ in range(3):
            assert http.post("/validate/fruit", json=_rows(100)).status_code == 200
        time.sleep(1.5)  # over a second: these rows must be on disk whatever happens next
        assert http.post("/validate/fruit", json=_rows(50)).status_code == 200
        server.stop(signal.SIGKILL)
    (window,) = (server.store / ".service" / "fruit" / "windows").glob("*.profile.json")
    assert load_profile(window).num_rows in (300, 350)  # the last second's 50 may be lost
