"""The model server without HTTP: identical rows in flight reach the model once."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from torch import nn

from datacheck import generate_statistics, infer_schema
from datacheck_serving._models import ModelServer, ModelVersion


class _Columns:
    """An encoder: the float columns ``x`` and ``y`` side by side."""

    def encode(self, table: pa.Table) -> np.ndarray:
        return np.column_stack([table.column(c).to_numpy() for c in ("x", "y")])


class _Counting(nn.Module):
    """Records every row it is given; waits for ``gate`` before answering."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate
        self.rows: list[tuple[float, ...]] = []
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.gate.wait(5)
        self.rows += [tuple(r) for r in x.tolist()]
        return torch.cat([x, -x], dim=1)


def _server(gate: threading.Event) -> tuple[ModelServer, _Counting]:
    table = pa.table({"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0, 4.0]})
    schema = infer_schema(generate_statistics(table))
    module = _Counting(gate).eval()
    server = ModelServer(timeout=5.0, seed=0)
    server.deploy(
        ModelVersion(name="m", version="1", module=module, schema=schema, encoder=_Columns())
    )
    return server, module


def test_identical_concurrent_requests_and_duplicate_rows_reach_the_model_once() -> None:
    gate = threading.Event()
    server, module = _server(gate)
    same = pa.table({"x": [1.0, 2.0], "y": [2.0, 3.0]})
    twice = pa.table({"x": [1.0, 1.0, 0.0], "y": [2.0, 2.0, 1.0]})  # a row twice, one new
    requests = 8

    async def main() -> list[dict[str, Any]]:
        calls = [server.predict("m", same) for _ in range(requests)] + [server.predict("m", twice)]
        tasks = [asyncio.ensure_future(c) for c in calls]
        stats = server.cache.stats
        while stats.misses + stats.coalesced < 2 * requests + 3:  # every row claimed
            await asyncio.sleep(0.005)
        gate.set()
        return await asyncio.gather(*tasks)

    try:
        answers = asyncio.run(main())
    finally:
        server.close()
    # three distinct rows, each computed once, however many requests asked for them
    assert sorted(module.rows) == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
    assert server.cache.stats.misses == 3
    for answer in answers[:requests]:
        probs = [p["probabilities"] for p in answer["predictions"]]
        assert np.allclose(
            probs, torch.softmax(torch.tensor([[1, 2, -1, -2], [2, 3, -2, -3.0]]), 1)
        )
    last = [p["probabilities"] for p in answers[-1]["predictions"]]
    assert np.allclose(last[0], last[1]) and not np.allclose(last[0], last[2])


def test_serve_options_set_the_objective_batch_bound_and_cache(tmp_path: Any) -> None:
    # `datacheck serve --slo-ms 40 --max-batch 3 ...` reach the model server through the
    # service's config; a batch never exceeds --max-batch, however many rows wait.
    from datacheck.service import ServiceConfig, create_app
    from datacheck_serving._predict_routes import model_server, routes

    options = {
        "slo_ms": 40.0,
        "max_batch": 3,
        "max_wait_ms": 2.0,
        "prediction_cache": 7,
        "prediction_timeout": 4.0,
    }
    app = create_app(
        ServiceConfig(store=tmp_path, plugins=False, plugin_options=options),
        extra_routes=routes(),
    )
    server = model_server(app, seed=0)
    try:
        assert (server.slo, server.max_batch, server.max_wait) == (0.04, 3, 0.002)
        assert (server.cache.capacity, server.timeout) == (7, 4.0)
        gate = threading.Event()
        gate.set()
        table = pa.table({"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0, 4.0]})
        module = _Counting(gate).eval()
        server.deploy(
            ModelVersion(
                name="m",
                version="1",
                module=module,
                schema=infer_schema(generate_statistics(table)),
                encoder=_Columns(),
            )
        )
        rows = pa.table({"x": [float(i) for i in range(10)], "y": [0.5] * 10})
        answer = asyncio.run(server.predict("m", rows))
        assert len(answer["predictions"]) == 10
        assert module.calls >= 4 and len(module.rows) == 10  # batches of at most 3 rows
    finally:
        server.close()
