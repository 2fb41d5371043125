"""Benchmark of the validation service (``datacheck serve``) over loopback.

Starts ``datacheck serve`` as a subprocess on a free 127.0.0.1 port with a fresh store,
registers a 6-feature schema, and sends, one client after another on one keep-alive
connection, validation requests of 1, 100 and 10,000 rows (JSON records; 10,000 rows also as
an Arrow IPC stream). For each: throughput (requests per second, one client), p50 / p99
latency as the client sees it, and the server process's CPU time per request (its serving-
statistics worker included, read from ``/proc``). Then, in this process, the 10,000-row table
is validated with ``validate_batches`` (the row checks alone, the issue's baseline: on the
same batch call after call, every cache warm, and on 16 different batches in turn, each call
meeting rows it has not just read, as the server does) and with
``check_dataset`` (the library's report with the full profile), and the service's p50 is
given as a ratio of each; the request path's own work (read the stream, the report with the
request path's profile, its JSON) is timed in process too.

The machine is shared, so the whole sequence runs ``--rounds`` times, each round measuring
the service and the in-process baselines back to back: a ratio is taken within a round and
the median of the rounds' ratios is reported with their range. The client is the standard
library's ``http.client`` (``--client httpx`` for httpx, which costs about a millisecond of
the client's own CPU per request on this machine). At the end the serving statistics are
flushed and the rows profiled and dropped by the background worker are printed, from
``/metrics``: a worker that could not keep up would drop rows (counted), never slow requests.

The headline ratio is *paired*: each 10,000-row Arrow request is followed at once by
``validate_batches`` on the same rows in the client, so that on a shared machine both meet the
load of the same moment; the ratio of the two p50s is taken per round. It is also taken *in
blocks*: five requests, then five ``validate_batches`` calls, in turn, so that both still meet
the machine's speed of the same ~20 ms while most calls of the baseline follow another call
rather than an HTTP exchange. The load average is printed before and after.

Last, the same 10,000-row Arrow body is POSTed to a bare Starlette route under uvicorn (the
service's stack, httptools and uvloop, in a subprocess) that only reads it: what HTTP alone
costs a request of that size.

Bounded: each case stops after its request count or its seconds, whichever comes first.
Run: ``.venv/bin/python bench/bench_service.py [--rounds R] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from datacheck.schema import Schema, infer_schema
from datacheck.service._body import parse_arrow
from datacheck.service._quick import ReportProfiler
from datacheck.stats import generate_statistics
from datacheck.validate import check_dataset, validate_batches

ARROW = "application/vnd.apache.arrow.stream"
JSON = "application/json"
HEALTHZ = "GET /healthz (HTTP floor)"
ARROW_10K = "10,000 rows, Arrow"
DIRECT_ROWS = "validate_batches, 10,000 rows"
DIRECT_FRESH = "validate_batches, 16 batches in turn"
DIRECT_CHECK = "check_dataset, 10,000 rows"
DIRECT_PATH = "request path, 10,000 rows"
PAIRED_SERVICE = "paired: 10,000-row Arrow request"
PAIRED_DIRECT = "paired: validate_batches"
BLOCKS_SERVICE = "in blocks: 10,000-row Arrow request"
BLOCKS_DIRECT = "in blocks: validate_batches"
#: requests, then as many validate_batches calls, in turn: the unit of the blocked comparison
BLOCK = 5


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


class Client:
    """One keep-alive connection: ``http.client`` (lean) or ``httpx``."""

    def __init__(self, kind: str, host: str, port: int) -> None:
        self.kind = kind
        if kind == "httpx":
            import httpx

            self._httpx = httpx.Client(base_url=f"http://{host}:{port}", timeout=60)
        else:
            self._conn = http.client.HTTPConnection(host, port, timeout=60)

    def request(
        self, method: str, path: str, body: bytes | None = None, kind: str | None = None
    ) -> tuple[int, bytes]:
        headers = {} if kind is None else {"content-type": kind}
        if self.kind == "httpx":
            reply = self._httpx.request(method, path, content=body, headers=headers)
            return reply.status_code, reply.content
        self._conn.request(method, path, body=body, headers=headers)
        answer = self._conn.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        if self.kind == "httpx":
            self._httpx.close()
        else:
            self._conn.close()


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


def in_turn(batches: list[pa.RecordBatch], schema: Schema) -> Callable[[], object]:
    """``validate_batches`` on each of ``batches`` in turn, one a call."""
    turn = itertools.cycle(batches)
    return lambda: list(validate_batches([next(turn)], schema))


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of process ``pid`` so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: ``datacheck serve`` whose serving statistics take no rows (a diagnostic: what they cost)
_WITHOUT_STATISTICS = (
    "import sys; from datacheck.service import ServingWindows; "
    "ServingWindows.add = lambda self, name, table, stream=None: True; "
    "from datacheck.cli import main; sys.exit(main(sys.argv[1:]))"
)


def start_server(store: Path, *, statistics: bool = True) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = ["-m", "datacheck"] if statistics else ["-c", _WITHOUT_STATISTICS]
    process = subprocess.Popen(
        [
            sys.executable,
            *command,
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/readyz")
            if probe.getresponse().status == 200:
                probe.close()
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the service did not start")


_BARE_SERVER = """
import sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def echo(request):
    return JSONResponse({"bytes": len(await request.body())})

app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            loop="uvloop", http="httptools")
"""


def bare_floor(body: bytes, seconds: float, rounds: int) -> list[float]:
    """p50 of each round of POSTing ``body`` to a bare Starlette route under uvicorn (the same
    stack as the service, httptools and uvloop) that reads the body and answers 13 bytes:
    what HTTP alone costs a request of this size."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", _BARE_SERVER, str(port)])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the bare server did not start") from None
                time.sleep(0.05)
        client = Client("http.client", "127.0.0.1", port)
        try:
            return [
                statistics.median(
                    timed(
                        lambda: client.request("POST", "/echo", body, ARROW),
                        count=300,
                        seconds=seconds,
                    )
                )
                for _ in range(rounds)
            ]
        finally:
            client.close()
    finally:
        process.terminate()
        process.wait(60)


def request_path(body: bytes, schema: Schema) -> dict[str, Any]:
    """What the service does for a request, without HTTP: read the Arrow stream, compute the
    report (the request path's profile, the checks) and turn it into JSON."""
    table = parse_arrow(body, 1_000_000)
    report = check_dataset(table, schema, profiler=ReportProfiler(schema, None)).report
    return report.to_dict()


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every case")
    parser.add_argument("--seconds", type=float, default=4.0, help="most seconds per case")
    parser.add_argument("--client", choices=["http.client", "httpx"], default="http.client")
    parser.add_argument(
        "--without-serving-statistics",
        action="store_true",
        help="diagnostic: the server's serving statistics take no rows, to see what they cost",
    )
    args = parser.parse_args()

    training = make_table(20_000, seed=1)
    schema = infer_schema(generate_statistics(training))
    big = make_table(10_000, seed=2)
    batch = big.to_batches()[0]
    fresh = [make_table(10_000, seed=100 + i).to_batches()[0] for i in range(16)]
    cases: list[tuple[str, bytes, str, int]] = []
    for rows, count in ((1, 300), (100, 300), (10_000, 20)):
        records = big.slice(0, rows).to_pylist()
        cases.append((f"{rows:,} rows, JSON", json.dumps(records).encode(), JSON, count))
    arrow_body = arrow_bytes(big)
    cases.append((ARROW_10K, arrow_body, ARROW, 60))

    load_before = os.getloadavg()
    samples: dict[str, list[list[float]]] = {}
    cpu: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_server(
            Path(tmp) / "store", statistics=not args.without_serving_statistics
        )
        client = Client(args.client, "127.0.0.1", port)
        try:
            status, text = client.request(
                "POST", "/schemas/shop/versions", json.dumps(schema.to_dict()).encode(), JSON
            )
            assert status == 201, text
            for _ in range(args.rounds):
                for label, body, kind, count in [(HEALTHZ, b"", "", 300), *cases]:

                    def send(body: bytes = body, kind: str = kind) -> None:
                        if not kind:
                            status, text = client.request("GET", "/healthz")
                        else:
                            status, text = client.request("POST", "/validate/shop", body, kind)
                        assert status == 200, text

                    before = cpu_seconds(process.pid)
                    times = timed(send, count=count, seconds=args.seconds)
                    after = cpu_seconds(process.pid)
                    samples.setdefault(label, []).append(times)
                    if before is not None and after is not None:
                        # Warm-up requests included; the worker's profiling of earlier
                        # requests may fall into a later case.
                        cpu.setdefault(label, []).append((after - before) / (len(times) + 3))
                # Paired: each request followed at once by validate_batches on the same rows,
                # so that both meet the machine's load of that moment (shared machine).
                service_times: list[float] = []
                direct_times: list[float] = []
                deadline = time.perf_counter() + args.seconds
                while len(service_times) < 60 and time.perf_counter() < deadline:
                    started = time.perf_counter()
                    status, text = client.request("POST", "/validate/shop", arrow_body, ARROW)
                    service_times.append(time.perf_counter() - started)
                    assert status == 200, text
                    started = time.perf_counter()
                    list(validate_batches([batch], schema))
                    direct_times.append(time.perf_counter() - started)
                samples.setdefault(PAIRED_SERVICE, []).append(service_times)
                samples.setdefault(PAIRED_DIRECT, []).append(direct_times)
                # In blocks: BLOCK requests, then BLOCK validate_batches calls, in turn. Both
                # meet the machine's speed of the same ~20 ms, and all but the first call of
                # each block of validate_batches follow another call, not an HTTP exchange.
                service_times, direct_times = [], []
                deadline = time.perf_counter() + args.seconds
                while len(service_times) < 60 and time.perf_counter() < deadline:
                    for _ in range(BLOCK):
                        started = time.perf_counter()
                        status, text = client.request("POST", "/validate/shop", arrow_body, ARROW)
                        service_times.append(time.perf_counter() - started)
                        assert status == 200, text
                    for _ in range(BLOCK):
                        started = time.perf_counter()
                        list(validate_batches([batch], schema))
                        direct_times.append(time.perf_counter() - started)
                samples.setdefault(BLOCKS_SERVICE, []).append(service_times)
                samples.setdefault(BLOCKS_DIRECT, []).append(direct_times)
                samples.setdefault(DIRECT_ROWS, []).append(
                    timed(
                        lambda: list(validate_batches([batch], schema)),
                        count=60,
                        seconds=args.seconds,
                    )
                )
                # The same call on 16 different 10,000-row batches in turn (6.9 MB, more than
                # a core's cache): each call meets rows it has not just read, as a request's
                # rows are new to the server.
                samples.setdefault(DIRECT_FRESH, []).append(
                    timed(
                        in_turn(fresh, schema),
                        count=60,
                        seconds=args.seconds,
                    )
                )
                samples.setdefault(DIRECT_CHECK, []).append(
                    timed(lambda: check_dataset(big, schema), count=60, seconds=args.seconds)
                )
                samples.setdefault(DIRECT_PATH, []).append(
                    timed(lambda: request_path(arrow_body, schema), count=60, seconds=args.seconds)
                )
            client.request("POST", "/schemas/shop/versions/nope")  # any request: keep-alive
            time.sleep(1.5)  # more than a flush interval: the worker writes what it has
            _, text = client.request("GET", "/metrics")
            exposition = text.decode()
        finally:
            client.close()
            process.terminate()
            process.wait(60)

    def p50(label: str, r: int) -> float:
        return statistics.median(samples[label][r])

    load_after = os.getloadavg()
    print(
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{x:.1f}" for x in load_before)
        + "; after "
        + ", ".join(f"{x:.1f}" for x in load_after)
        + f"; {os.cpu_count()} cores"
    )
    print(f"client: {args.client}, {args.rounds} rounds; p50 is the median of the rounds' p50s")
    if args.without_serving_statistics:
        print("DIAGNOSTIC: the server's serving statistics took no rows")
    print(
        f"{'case':<28} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/req':>10}"
    )
    for label in [HEALTHZ, *(c[0] for c in cases)]:
        pooled = [t for times in samples[label] for t in times]
        median_p50 = statistics.median(p50(label, r) for r in range(args.rounds))
        server_cpu = statistics.median(cpu[label]) * 1e3 if label in cpu else float("nan")
        print(
            f"{label:<28} {len(pooled):>8} {len(pooled) / sum(pooled):>8.1f} "
            f"{median_p50 * 1e3:>8.2f} {percentile(pooled, 99) * 1e3:>8.2f} {server_cpu:>10.2f}"
        )
    print()
    for label in (DIRECT_ROWS, DIRECT_FRESH, DIRECT_CHECK, DIRECT_PATH):
        median_p50 = statistics.median(p50(label, r) for r in range(args.rounds))
        print(f"in process: {label:<32} p50 {median_p50 * 1e3:8.2f} ms")
    print()
    for label in (DIRECT_ROWS, DIRECT_FRESH, DIRECT_CHECK):
        ratios = [p50(ARROW_10K, r) / p50(label, r) for r in range(args.rounds)]
        print(
            f"10,000-row Arrow request p50 / {label} p50, same round: median "
            f"{statistics.median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})"
        )
    ratios = [p50(PAIRED_SERVICE, r) / p50(PAIRED_DIRECT, r) for r in range(args.rounds)]
    print(
        "PAIRED (each request, then validate_batches): request p50 / validate_batches p50 "
        f"per round: median {statistics.median(ratios):.2f} "
        f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}); p50s "
        f"{statistics.median(p50(PAIRED_SERVICE, r) for r in range(args.rounds)) * 1e3:.2f} ms / "
        f"{statistics.median(p50(PAIRED_DIRECT, r) for r in range(args.rounds)) * 1e3:.2f} ms"
    )
    ratios = [p50(BLOCKS_SERVICE, r) / p50(BLOCKS_DIRECT, r) for r in range(args.rounds)]
    print(
        f"IN BLOCKS ({BLOCK} requests, then {BLOCK} validate_batches calls, in turn): request "
        f"p50 / validate_batches p50 per round: median {statistics.median(ratios):.2f} "
        f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}); p50s "
        f"{statistics.median(p50(BLOCKS_SERVICE, r) for r in range(args.rounds)) * 1e3:.2f} ms / "
        f"{statistics.median(p50(BLOCKS_DIRECT, r) for r in range(args.rounds)) * 1e3:.2f} ms"
    )
    ratios = [p50(DIRECT_PATH, r) / p50(DIRECT_ROWS, r) for r in range(args.rounds)]
    print(
        "the request path's work in process / validate_batches p50, same round: median "
        f"{statistics.median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})"
    )
    floor = bare_floor(arrow_body, args.seconds, args.rounds)
    service_p50 = statistics.median(p50(ARROW_10K, r) for r in range(args.rounds))
    direct_p50 = statistics.median(p50(DIRECT_ROWS, r) for r in range(args.rounds))
    print(
        f"HTTP alone (a bare Starlette route under uvicorn reading the same {len(arrow_body):,}"
        f"-byte body): p50 {statistics.median(floor) * 1e3:.2f} ms (rounds: "
        f"{', '.join(f'{x * 1e3:.2f}' for x in floor)}); the 10,000-row Arrow request's p50 "
        f"less that, over validate_batches p50: "
        f"{(service_p50 - statistics.median(floor)) / direct_p50:.2f}"
    )
    profiled = metric(exposition, "datacheck_serving_rows_profiled")
    dropped = metric(exposition, "datacheck_serving_rows_dropped")
    print()
    print(f"serving statistics: {profiled:,.0f} rows profiled, {dropped:,.0f} dropped")


if __name__ == "__main__":
    main()
