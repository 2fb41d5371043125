"""Malformed requests against a real ``datacheck serve``: no 5xx but a limit's 503, no crash,
resident memory bounded.

The requests are drawn from a seeded generator: truncated JSON, wrong types, huge numbers, deep
nesting, invalid UTF-8, wrong content types, oversized bodies, broken Arrow streams, path
traversal in names and bad query parameters. CI sends ``DATACHECK_ROBUSTNESS_REQUESTS``
(default 1,000); the figure in ``bench/RESULTS.md`` is from a run of 10,000.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx", reason="needs pip install 'datacheck-ml[service]'")
pytest.importorskip("starlette", reason="needs pip install 'datacheck-ml[service]'")

import pyarrow as pa  # noqa: E402

from .test_serve import _rows, fruit_schema, serving  # noqa: E402

pytestmark = pytest.mark.slow

#: requests sent; 10,000 for the recorded run
REQUESTS = int(os.environ.get("DATACHECK_ROBUSTNESS_REQUESTS", "1000"))
#: the body limit the server runs with, so that oversized bodies are cheap to send
MAX_BODY = 64 * 1024
#: growth of the server's resident memory allowed over the run
MAX_GROWTH_MB = 150


def _arrow(rows: int) -> bytes:
    table = pa.Table.from_pylist(_rows(rows))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


_JSON = {"content-type": "application/json"}
_ARROW = {"content-type": "application/vnd.apache.arrow.stream"}
_NAMES = (
    "..%2F..%2Fetc%2Fpasswd",
    "..",
    "%2E%2E",
    "a%00b",
    "x" * 300,
    "fruit%2F..%2F..",
    "~root",
    "fruit@..%2F1",
    "%C0%AE%C0%AE",
    "fruit@99999999999999999999999",
)


def _requests(seed: int) -> Iterator[tuple[str, str, bytes, dict[str, str]]]:
    """An endless, seeded stream of malformed requests: (method, path, body, headers)."""
    rng = random.Random(seed)
    good = json.dumps(_rows(50)).encode()
    arrow = _arrow(50)
    while True:
        kind = rng.randrange(12)
        if kind == 0:  # truncated JSON
            yield "POST", "/validate/fruit", good[: rng.randrange(1, len(good))], _JSON
        elif kind == 1:  # wrong types
            value: Any = rng.choice([[1, 2], {"a": 1}, True, "x", None, 1.5, [[]], {"": []}])
            rows = _rows(5)
            rows[rng.randrange(5)][rng.choice(["id", "price", "colour", "new"])] = value
            yield "POST", "/validate/fruit?quarantine=true", json.dumps(rows).encode(), _JSON
        elif kind == 2:  # huge numbers
            number = rng.choice(["9" * rng.randrange(20, 6000), "1e400", "-1e99999", "1" * 19])
            body = f'[{{"id": {number}, "price": {number}, "colour": "red"}}]'
            yield "POST", "/validate/fruit", body.encode(), _JSON
        elif kind == 3:  # deep nesting, of the document or of a value
            depth = rng.choice([100, 1000, 5000, 30_000])
            if rng.random() < 0.5:
                yield "POST", "/validate/fruit", b"[" * depth + b"]" * depth, _JSON
            else:
                value_text = "[" * depth + "1" + "]" * depth
                yield "POST", "/validate/fruit", f'[{{"id": {value_text}}}]'.encode(), _JSON
        elif kind == 4:  # invalid UTF-8
            cut = rng.randrange(len(good))
            junk = bytes(rng.choice([0xFF, 0xFE, 0xC0, 0x80, 0xED]) for _ in range(3))
            yield "POST", "/validate/fruit", good[:cut] + junk + good[cut:], _JSON
        elif kind == 5:  # wrong content types
            kind_header = rng.choice(["text/csv", "application/xml", "", "multipart/form-data"])
            yield "POST", "/validate/fruit", good, {"content-type": kind_header}
        elif kind == 6:  # oversized bodies
            yield "POST", "/validate/fruit", b"[" + b" " * (MAX_BODY + 10) + b"]", _JSON
        elif kind == 7:  # broken Arrow streams
            cut = rng.randrange(len(arrow))
            stream = rng.choice([arrow[:cut], arrow[cut:], bytes(rng.randbytes(200)), b""])
            yield "POST", "/validate/fruit", stream, _ARROW
        elif kind == 8:  # path traversal and invalid names
            name = rng.choice(_NAMES)
            path = rng.choice(
                [f"/schemas/{name}/versions", f"/validate/{name}", f"/schemas/{name}/skew"]
            )
            yield rng.choice(["GET", "POST"]), path, good, _JSON
        elif kind == 9:  # documents that are not schemas or profiles
            document = rng.choice(['{"features": 1}', "[]", '{"format_version": 99}', "null"])
            path = rng.choice(["/schemas/fruit/versions", "/schemas/fruit/baseline"])
            yield ("POST" if path.endswith("versions") else "PUT"), path, document.encode(), _JSON
        elif kind == 10:  # bad query parameters
            query = rng.choice(
                ["quarantine=maybe", "environment=%00", "quarantine=true&environment=X"]
            )
            path = rng.choice(
                [
                    f"/validate/fruit?{query}",
                    "/schemas/fruit/diff?from=-1&to=abc",
                    "/schemas/fruit/skew?window=-5",
                    "/schemas/fruit/versions/0",
                ]
            )
            yield ("POST" if path.startswith("/validate") else "GET"), path, good, _JSON
        else:  # random bytes, any route
            path = rng.choice(
                ["/validate/fruit", "/schemas/fruit/versions", "/schemas/fruit/config"]
            )
            yield "POST", path, rng.randbytes(rng.randrange(0, 500)), _JSON


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc for memory")
def test_malformed_requests_get_4xx_and_never_crash_the_server(tmp_path: Path) -> None:
    statuses: Counter[int] = Counter()
    unexpected: list[str] = []
    with (
        serving(tmp_path, "--max-body-bytes", str(MAX_BODY), "--max-rows", "1000") as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        assert http.post("/schemas/fruit/versions", json=fruit_schema()).status_code == 201
        stream = _requests(seed=0)
        for _ in range(200):  # warm up: imports, caches, allocator pools
            method, path, body, headers = next(stream)
            http.request(method, path, content=body, headers=headers)
        before = _rss_mb(server.process.pid)
        for _ in range(REQUESTS):
            method, path, body, headers = next(stream)
            answer = http.request(method, path, content=body, headers=headers)
            statuses[answer.status_code] += 1
            limit = answer.status_code == 503 and "limit" in answer.json().get("error", {})
            if answer.status_code >= 500 and not limit:
                unexpected.append(
                    f"{method} {path[:80]} -> {answer.status_code} {answer.text[:200]}"
                )
        after = _rss_mb(server.process.pid)
        assert server.process.poll() is None
        assert http.post("/validate/fruit", json=_rows(10)).status_code == 200
        print(
            f"\n{REQUESTS} malformed requests: {dict(sorted(statuses.items()))}; "
            f"RSS {before:.0f} MB before, {after:.0f} MB after"
        )
        assert server.stop() == 0
    assert unexpected == []
    assert after - before < MAX_GROWTH_MB
