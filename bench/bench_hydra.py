"""Hydra's figures: spilling's memory and prefetch, SHARP's makespans (real and simulated).

    .venv/bin/python bench/bench_hydra.py [--width 1024] [--layers 8] [--steps 3]

1. Memory: a ``--layers``-deep MLP of ``--width`` trained with Adam for ``--steps`` steps,
   plain and spilled, each in a fresh process. The peak resident set above the import floor
   (VmHWM reset with ``/proc/self/clear_refs`` once the model is in the host store, minus
   VmRSS after imports and data, before the model exists) and the tracker's accounted peak
   against the budget (the model's total cost / 8).
2. Prefetch: the same shards spilled with and without the background read; time ratio,
   median of 3 runs.
3. SHARP for real: 8 penguin MLPs (two depths) on 2 worker processes (``train_many``) against
   the same 8 on 1 worker (one after another) and against model parallelism (each model's
   ``strategy="pipeline"`` over 2 processes, one micro-batch, one model after another;
   training seconds from the record, process start-up left out).
4. SHARP on a virtual clock: 12 models on 8 devices against model parallelism and the lower
   bound, for a grid of one architecture and a grid of three.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "plugins"))

from datacheck_training._engine import soft_cross_entropy  # noqa: E402  # after the path
from datacheck_training._sharp import (  # noqa: E402  # after the path
    lower_bound,
    model_parallel_makespan,
    simulate_sharp,
)
from datacheck_training._spill import (  # noqa: E402  # after the path
    MemoryTracker,
    ShardedModel,
    SpillPlan,
    _Prefetcher,
    _step,
    plan_spill,
    spill_costs,
)

ADAM = functools.partial(torch.optim.Adam, lr=1e-3)


def mlp(width: int, layers: int, features: int = 64) -> nn.Sequential:
    torch.manual_seed(0)
    body: list[nn.Module] = []
    for _ in range(layers):
        body += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(nn.Linear(features, width), *body, nn.Linear(width, 4))


def _status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _data(batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 64, generator=g)
    return x, torch.softmax(torch.randn(batch, 4, generator=g), dim=-1)


def child(mode: str, width: int, layers: int, steps: int, batch: int) -> None:
    """One measurement in a fresh process; prints a JSON line."""
    torch.set_num_threads(1)
    x, y = _data(batch)
    # the floor: imports, and the code pages a training step touches (a tiny model's step)
    warm = mlp(width, 1)
    ADAM(warm.parameters()).step()
    (soft_cross_entropy(warm(x), y) / len(x)).backward()  # type: ignore[no-untyped-call]
    with tempfile.TemporaryDirectory() as tmp:
        tiny = ShardedModel.create(warm, [2, 2], ADAM, tmp)
        tiny.write_back(tiny.promote(0))
    del warm, tiny
    gc.collect()
    floor = _status("VmRSS")
    out: dict[str, float] = {}
    started = time.perf_counter()
    if mode == "plain":
        model = mlp(width, layers)
        optimizer = ADAM(model.parameters())
        for _ in range(steps):
            optimizer.zero_grad()
            (soft_cross_entropy(model(x), y) / len(x)).backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            model = mlp(width, layers)
            costs = spill_costs(model, x, ADAM)
            budget = int(sum(costs) / 8)
            plan = plan_spill(model, x, ADAM, budget, costs=costs, prefetch=mode == "spill")
            sharded = ShardedModel.create(model, plan.sizes, ADAM, tmp)
            del model
            gc.collect()
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # give the model's freed heap back
            with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
                f.write("5")  # the peak so far was the model before it went to the store
            out["after_store"] = _status("VmRSS") - floor
            started = time.perf_counter()
            tracker = MemoryTracker(budget)
            prefetcher = _Prefetcher(sharded, tracker, plan.prefetch)
            box = [sharded.promote(0)]
            for _ in range(steps):
                _, resident = _step(sharded, x, y, box, prefetcher, tracker)
                box.append(resident)
                del resident
            prefetcher.close()
            out.update(
                budget=budget,
                tracked=tracker.peak,
                shards=len(plan.sizes),
                prefetch=float(plan.prefetch),
                total=sum(costs),
            )
    out.update(peak=_status("VmHWM") - floor, seconds=time.perf_counter() - started)
    print(json.dumps(out))


def memory(width: int, layers: int, steps: int, batch: int) -> None:
    print(
        f"## memory: MLP width {width}, {layers} hidden layers, batch {batch}, Adam, {steps} steps"
    )
    runs: dict[str, list[dict[str, float]]] = {"plain": [], "spill": []}
    for _ in range(3):
        for mode in runs:
            command = [sys.executable, __file__, "--child", mode, "--width", str(width)]
            command += ["--layers", str(layers), "--steps", str(steps), "--batch", str(batch)]
            # a fixed mmap threshold: glibc's sliding one keeps freed shard-sized blocks in the
            # heap, which then counts as resident (the same setting for both runs)
            env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
            done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
            runs[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
    plain = statistics.median(r["peak"] for r in runs["plain"])
    spill = statistics.median(r["peak"] for r in runs["spill"])
    last = runs["spill"][-1]
    mib = 2**20
    print(f"model cost (params+grads+Adam+activations): {last['total'] / mib:.1f} MiB")
    mode = "prefetch" if last["prefetch"] else "no prefetch: a layer is over half the budget"
    print(f"budget {last['budget'] / mib:.1f} MiB, {last['shards']:.0f} shards ({mode})")
    print(
        f"tracked peak (spilled): {last['tracked'] / mib:.1f} MiB (under budget: "
        f"{last['tracked'] <= last['budget']})"
    )
    print(
        f"peak RSS above floor: plain {plain / mib:.1f} MiB, spilled {spill / mib:.1f} MiB, "
        f"plain/spilled {plain / spill:.2f}x (median of 3)"
    )


def prefetch(width: int, layers: int, steps: int, batch: int) -> None:
    print("## prefetch: same shards, with and without the background read (median of 3)")
    x, y = _data(batch)
    model = mlp(width, layers)
    costs = spill_costs(model, x, ADAM)
    plan = plan_spill(model, x, ADAM, int(sum(costs) / 8), costs=costs)
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(3):
        for on in (True, False):
            run_plan = SpillPlan(
                sizes=plan.sizes, costs=plan.costs, budget=plan.budget, prefetch=on
            )
            with tempfile.TemporaryDirectory() as tmp:
                sharded = ShardedModel.create(model, run_plan.sizes, ADAM, tmp)
                tracker = MemoryTracker(plan.budget)
                prefetcher = _Prefetcher(sharded, tracker, on)
                box = [sharded.promote(0)]
                started = time.perf_counter()
                for _ in range(steps):
                    _, resident = _step(sharded, x, y, box, prefetcher, tracker)
                    box.append(resident)
                    del resident
                times[on].append(time.perf_counter() - started)
                prefetcher.close()
    on, off = statistics.median(times[True]), statistics.median(times[False])
    print(
        f"{len(plan.sizes)} shards: with {on:.3f}s, without {off:.3f}s, with/without {on / off:.2f}"
    )


def real() -> None:
    import pyarrow as pa
    from palmerpenguins import load_penguins

    from datacheck import generate_statistics, infer_schema
    from datacheck_training import Candidate, train, train_many

    print("## SHARP for real: 8 penguin MLPs (4 of depth 2, 4 of depth 6, width 256), 2 epochs")
    table = pa.Table.from_pandas(load_penguins(), preserve_index=False)
    schema = infer_schema(generate_statistics(table))

    def net(depth: int) -> nn.Sequential:
        torch.manual_seed(depth)
        body: list[nn.Module] = []
        for _ in range(depth):
            body += [nn.Linear(256, 256), nn.ReLU()]
        return nn.Sequential(nn.Linear(19, 256), nn.ReLU(), *body, nn.Linear(256, 3))

    rates = (0.01, 0.003, 0.001, 0.0003)
    grid = [Candidate(model=net(d), learning_rate=r) for d in (2, 6) for r in rates]
    common = {"schema": schema, "label": "species", "epochs": 2, "batch_size": 64}
    runs = {}
    for devices in (2, 1):
        run = train_many(grid, table, devices=devices, memory_budget="2MiB", **common)
        runs[devices] = run
        print(
            f"train_many on {devices} worker(s): makespan {run.makespan_s:.2f}s, busy "
            f"{', '.join(f'{b:.2f}' for b in run.busy)}, {run.units} units"
        )
    parallel = 0.0
    for c in grid:
        record = train(
            c.model, table, devices=2, strategy="pipeline", learning_rate=c.learning_rate, **common
        ).record
        parallel += float(record["seconds"])
    sharp = runs[2].makespan_s
    print(f"model parallel (pipeline over 2, one model at a time): {parallel:.2f}s")
    print(
        f"SHARP speed-up: {runs[1].makespan_s / sharp:.2f}x over one after another, "
        f"{parallel / sharp:.2f}x over model parallel"
    )
    best = runs[2].results[runs[2].best]
    print(
        f"best model by validation loss: {best.name} (val loss {best.validation[-1]:.4f}, "
        f"accuracy {best.accuracy[-1]:.3f})"
    )


def simulated() -> None:
    print("## SHARP on a virtual clock: 12 models on 8 devices, 10 steps each")
    grids = {
        "one architecture (8 shards, fwd 1, bwd 2)": [[1.0] * 7 + [3.0] + [2.0] * 7] * 12,
        "three architectures (4/8/16 shards)": [
            ([1.0] * (k - 1) + [3.0] + [2.0] * (k - 1)) for k in (4, 8, 16) for _ in range(4)
        ],
    }
    for name, step in grids.items():
        costs = [chain * 10 for chain in step]
        sharp = simulate_sharp(costs, 8)
        mp = model_parallel_makespan(costs, 8)
        lb = lower_bound(costs, 8)
        print(
            f"{name}: SHARP {sharp.makespan:.0f}, model parallel {mp:.0f} "
            f"({mp / sharp.makespan:.2f}x), lower bound {lb:.0f} "
            f"(SHARP/lower bound {sharp.makespan / lb:.3f}), mean busy "
            f"{statistics.mean(sharp.busy):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--child", choices=("plain", "spill", "spill-noprefetch"))
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--real-only", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.width, args.layers, args.steps, args.batch)
        return
    if not args.real_only:
        memory(args.width, args.layers, args.steps, args.batch)
        prefetch(args.width, args.layers, args.steps, args.batch)
        simulated()
    if not args.skip_real:
        real()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
