"""Benchmark of the validation service (``datacheck serve``) over loopback.

Starts ``datacheck serve`` as a subprocess on a free 127.0.0.1 port with a fresh store,
registers a 6-feature schema, and sends, one client after another on one keep-alive
connection, validation requests of 1, 100 and 10,000 rows (JSON records; 10,000 rows also as
an Arrow IPC stream). For each: throughput (requests per second, one client) and p50 / p99
latency as the client sees it. Then the 10,000-row table is validated in this process with
``validate_batches`` (the row checks alone) and with ``check_dataset`` (what the service runs
per request: profile, statistics checks, row checks), and the service's p50 is given as a
ratio of each.

Bounded: each case stops after its request count or its seconds, whichever comes first.
Run: ``.venv/bin/python bench/bench_service.py [--seconds S]``.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

from datacheck.schema import infer_schema
from datacheck.stats import generate_statistics
from datacheck.validate import check_dataset, validate_batches

ARROW = "application/vnd.apache.arrow.stream"


def make_table(n: int, seed: int = 0) -> pa.Table:
    """``n`` rows of six features: ints, floats, a 3-value category, text, bools, a date."""
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "id": pa.array(np.arange(n, dtype=np.int64)),
            "price": pa.array(rng.gamma(2.0, 10.0, n)),
            "quantity": pa.array(rng.integers(1, 20, n)),
            "colour": pa.array(rng.choice(["red", "green", "blue"], n)),
            "note": pa.array([f"item {i % 97}" for i in range(n)]),
            "in_stock": pa.array(rng.random(n) < 0.8),
        }
    )


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def timed(
    call: Callable[[], object], *, count: int, seconds: float, warmup: int = 3
) -> list[float]:
    for _ in range(warmup):
        call()
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(times) < count and time.perf_counter() < deadline:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def start_server(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
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
        ],
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the service did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="most seconds per case")
    args = parser.parse_args()

    training = make_table(20_000, seed=1)
    schema = infer_schema(generate_statistics(training))
    big = make_table(10_000, seed=2)
    cases: list[tuple[str, bytes, str, int]] = []
    for rows, count in ((1, 500), (100, 500), (10_000, 40)):
        records = big.slice(0, rows).to_pylist()
        cases.append(
            (f"{rows:,} rows, JSON", json.dumps(records).encode(), "application/json", count)
        )
    cases.append(("10,000 rows, Arrow", arrow_bytes(big), ARROW, 60))

    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(tmp) / "store")
        try:
            with httpx.Client(base_url=url, timeout=60) as http:
                answer = http.post("/schemas/shop/versions", json=schema.to_dict())
                assert answer.status_code == 201, answer.text
                results["GET /healthz (HTTP floor)"] = timed(
                    lambda: http.get("/healthz"), count=500, seconds=args.seconds
                )
                for label, body, kind, count in cases:

                    def send(body: bytes = body, kind: str = kind) -> None:
                        reply = http.post(
                            "/validate/shop", content=body, headers={"content-type": kind}
                        )
                        assert reply.status_code == 200, reply.text

                    results[label] = timed(send, count=count, seconds=args.seconds)
        finally:
            process.terminate()
            process.wait(60)

    batch = big.to_batches()[0] if big.num_rows else None
    assert batch is not None
    direct_rows = timed(
        lambda: list(validate_batches([batch], schema)), count=60, seconds=args.seconds
    )
    direct_check = timed(
        lambda: check_dataset(big, schema, on_quarantine=lambda _: None),
        count=60,
        seconds=args.seconds,
    )
    direct_stats = timed(lambda: check_dataset(big, schema), count=60, seconds=args.seconds)

    print(f"{'case':<28} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for label, times in results.items():
        print(
            f"{label:<28} {len(times):>8} {len(times) / sum(times):>8.1f} "
            f"{percentile(times, 50) * 1e3:>8.2f} {percentile(times, 99) * 1e3:>8.2f}"
        )
    print()
    for label, times in (
        ("validate_batches, 10,000 rows", direct_rows),
        ("check_dataset (stats only)", direct_stats),
        ("check_dataset + row checks", direct_check),
    ):
        print(f"in process: {label:<32} p50 {statistics.median(times) * 1e3:8.2f} ms")
    service = statistics.median(results["10,000 rows, Arrow"])
    print()
    print(
        "10,000-row Arrow request p50 / validate_batches p50: "
        f"{service / statistics.median(direct_rows):.2f}"
    )
    print(
        "10,000-row Arrow request p50 / check_dataset p50 (the same work in process): "
        f"{service / statistics.median(direct_stats):.2f}"
    )


if __name__ == "__main__":
    main()
