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
   training seconds from the record, process start-up left out). Each ``train_many`` run is
   a fresh process; with ``--compare-head`` the same runs also use the plugin as committed
   (``git archive HEAD``), alternating, under the same load. Per unit: worker seconds (busy
   fraction x makespan, summed over workers, / units).
   ``--units-only``: a shard unit timed in one process (no scheduler, no pipes), before
   (HEAD) and after, against the arithmetic alone (every model resident).
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
from typing import Any

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
#: where the training plugin is imported from (``--plugins DIR``: another copy of it)
PLUGINS = next(
    (sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--plugins"),
    str(HERE.parent / "plugins"),
)
sys.path.insert(0, PLUGINS)

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
    with_s, without_s = statistics.median(times[True]), statistics.median(times[False])
    print(
        f"{len(plan.sizes)} shards: with {with_s:.3f}s, without {without_s:.3f}s, "
        f"with/without {with_s / without_s:.2f}"
    )


RATES = (0.01, 0.003, 0.001, 0.0003)


def _penguins() -> tuple[Any, Any]:
    import pyarrow as pa
    from palmerpenguins import load_penguins

    from datacheck import generate_statistics, infer_schema

    table = pa.Table.from_pandas(load_penguins(), preserve_index=False)
    return table, infer_schema(generate_statistics(table))


def _net(depth: int) -> nn.Sequential:
    torch.manual_seed(depth)
    body: list[nn.Module] = []
    for _ in range(depth):
        body += [nn.Linear(256, 256), nn.ReLU()]
    return nn.Sequential(nn.Linear(19, 256), nn.ReLU(), *body, nn.Linear(256, 3))


def _grid() -> list[tuple[int, float]]:
    return [(d, r) for d in (2, 6) for r in RATES]


def real_child(devices: int) -> None:
    """One ``train_many`` run of the grid in this process; prints a JSON line."""
    from datacheck_training import Candidate, train_many

    table, schema = _penguins()
    grid = [Candidate(model=_net(d), learning_rate=r) for d, r in _grid()]
    run = train_many(
        grid,
        table,
        schema=schema,
        label="species",
        devices=devices,
        memory_budget="2MiB",
        epochs=2,
        batch_size=64,
    )
    best = run.results[run.best]
    print(
        json.dumps(
            {
                "makespan": run.makespan_s,
                "busy": list(run.busy),
                "units": run.units,
                "hits": sum(getattr(run, "cache_hits", ()) or [0]),
                "misses": sum(getattr(run, "cache_misses", ()) or [0]),
                "peak": max(getattr(run, "cache_peak", ()) or [0]),
                "best": [best.name, best.validation[-1], best.accuracy[-1]],
            }
        )
    )


def _arithmetic(table: Any, schema: Any) -> float:
    """Seconds the grid's arithmetic takes with every model resident (plain, one process):
    the same encoded rows, mini-batches and epochs as ``train_many``'s training units."""
    from datacheck_training import train

    seconds = 0.0
    for d, r in _grid():
        record = train(
            _net(d), table, schema=schema, label="species", learning_rate=r, epochs=2
        ).record
        seconds += float(record["seconds"])
    return seconds * (1 - 0.2)  # train_many holds 20% of the rows out; train does not


def real(repeats: int, compare_head: bool) -> None:
    from datacheck_training import train

    print("## SHARP for real: 8 penguin MLPs (4 of depth 2, 4 of depth 6, width 256), 2 epochs")
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    variants = {"after": str(HERE.parent / "plugins")}
    with tempfile.TemporaryDirectory() as head:
        if compare_head:
            archive = subprocess.run(
                ["git", "-C", str(HERE.parent), "archive", "HEAD", "plugins/datacheck_training"],
                capture_output=True,
                check=True,
            )
            subprocess.run(["tar", "-x", "-C", head], input=archive.stdout, check=True)
            variants["before"] = os.path.join(head, "plugins")
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for _ in range(repeats):
            for name, plugins in variants.items():
                for devices in (2, 1):
                    command = [sys.executable, __file__, "--real-child", str(devices)]
                    command += ["--plugins", plugins]
                    # on PYTHONPATH too: the forkserver the workers fork from imports the
                    # plugin before any sys.path of ours reaches it
                    path = os.pathsep.join(filter(None, [plugins, os.environ.get("PYTHONPATH")]))
                    env = {**os.environ, "PYTHONPATH": path}
                    done = subprocess.run(
                        command, capture_output=True, text=True, check=True, env=env
                    )
                    line = done.stdout.strip().splitlines()[-1]
                    runs.setdefault((name, devices), []).append(json.loads(line))
        table, schema = _penguins()
        torch.set_num_threads(1)  # as the workers: one thread each
        arithmetic = _arithmetic(table, schema)
        parallel = 0.0
        for d, r in _grid():
            record = train(
                _net(d),
                table,
                schema=schema,
                label="species",
                devices=2,
                strategy="pipeline",
                learning_rate=r,
                epochs=2,
                batch_size=64,
            ).record
            parallel += float(record["seconds"])
    print(f"arithmetic of the grid, every model resident (plain training): {arithmetic:.2f}s")
    print(f"model parallel (pipeline over 2, one model at a time): {parallel:.2f}s")
    for name in variants:
        spans = {}
        for devices in (2, 1):
            rs = runs[(name, devices)]
            makespans = [float(r["makespan"]) for r in rs]
            span = statistics.median(makespans)
            work = statistics.median(float(r["makespan"]) * sum(r["busy"]) for r in rs)
            spans[devices] = span
            units = int(rs[0]["units"])  # the committed plugin validates in the parent
            per_unit = work / units
            hits = statistics.median(int(r["hits"]) for r in rs)
            misses = statistics.median(int(r["misses"]) for r in rs)
            rate = hits / (hits + misses) if hits + misses else 0.0
            listed = ", ".join(f"{v:.2f}" for v in makespans)
            print(
                f"{name}, {devices} worker(s): makespan {span:.2f}s (runs {listed}), {units} "
                f"units, {per_unit * 1000:.1f} ms of worker time a unit, cache hits {rate:.0%}"
            )
        print(
            f"{name}: 2 workers vs 1 (one after another) {spans[1] / spans[2]:.2f}x, "
            f"vs model parallel {parallel / spans[2]:.2f}x"
        )
    best = runs[("after", 2)][-1]["best"]
    print(f"best model by validation loss: {best}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def unit_child(rounds: int) -> None:
    """Seconds a shard unit takes in this process (no scheduler, no pipes): the grid's two
    architectures, their units interleaved (one model's step, then the other's: the case a
    worker sees under SHARP), with the plugin's own ``run_unit``; and the arithmetic alone
    (the same steps, every model resident). Prints a JSON line."""
    import inspect

    from datacheck_training import _many

    torch.set_num_threads(1)
    x, y = _data(64)
    x = x[:, :19].contiguous()
    y = torch.softmax(y[:, :3], dim=-1)
    nets = {d: _net(d) for d in (6, 2)}
    budget = 2 * 2**20
    with tempfile.TemporaryDirectory() as tmp:
        models: list[Any] = []
        for i, net in enumerate(nets.values()):
            plan = plan_spill(net, x, ADAM, budget, prefetch=False)
            folder = os.path.join(tmp, f"m{i}")
            sharded = ShardedModel.create(net, plan.sizes, ADAM, os.path.join(folder, "host"))
            costs, first = [], 0
            for size in plan.sizes:
                costs.append(float(sum(plan.costs[first : first + size])))
                first += size
            models.append((sharded, folder, tuple(costs)))
        new = "cache" in inspect.signature(_many.run_unit).parameters
        if new:
            workers = [_many._Model(sharded=sh, folder=f, costs=c) for sh, f, c in models]
            cache = _many._Cache(workers, budget)
            scratch = _many._Scratch()
            for _, folder, _ in models:
                scratch.put(os.path.join(folder, "rng.npy"), torch.get_rng_state())

            def unit(m: int, kind: str, s: int) -> None:
                _many.run_unit(cache, scratch, m, x, y, kind, s, 64)

        else:
            old = [_many._Model(sharded=sh, folder=f) for sh, f, _ in models]
            for _, folder, _ in models:
                _many._save(os.path.join(folder, "rng.npy"), torch.get_rng_state())  # type: ignore[attr-defined]

            def unit(m: int, kind: str, s: int) -> None:
                _many.run_unit(old[m], x, y, kind, s)  # type: ignore[call-arg, arg-type]

        chains = [_many._units(len(c)) for _, _, c in models]
        for m, chain in enumerate(chains):  # warm up
            for kind, s in chain:
                unit(m, kind, s)
        count = 0
        started = time.perf_counter()
        for _ in range(rounds):
            for m, chain in enumerate(chains):
                for kind, s in chain:
                    unit(m, kind, s)
                    count += 1
        per_unit = (time.perf_counter() - started) / count
    plain = list(nets.values())
    optimizers = [ADAM(n.parameters()) for n in plain]
    started = time.perf_counter()
    for _ in range(rounds):
        for net, opt in zip(plain, optimizers, strict=True):
            opt.zero_grad(set_to_none=True)
            (soft_cross_entropy(net(x), y) / len(x)).backward()  # type: ignore[no-untyped-call]
            opt.step()
    arithmetic = (time.perf_counter() - started) / count
    print(json.dumps({"unit": per_unit, "arithmetic": arithmetic}))


def units(rounds: int, repeats: int) -> None:
    print("## a shard unit in one process: before (HEAD) and after (the device cache)")
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as head:
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", "HEAD", "plugins/datacheck_training"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", head], input=archive.stdout, check=True)
        variants = {"before": os.path.join(head, "plugins"), "after": str(HERE.parent / "plugins")}
        for _ in range(repeats):
            for name, plugins in variants.items():
                command = [sys.executable, __file__, "--unit-child", str(rounds)]
                command += ["--plugins", plugins]
                path = os.pathsep.join(filter(None, [plugins, os.environ.get("PYTHONPATH")]))
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "PYTHONPATH": path},
                )
                results.setdefault(name, []).append(
                    json.loads(done.stdout.strip().splitlines()[-1])
                )
    for name, rs in results.items():
        unit = statistics.median(r["unit"] for r in rs)
        arithmetic = statistics.median(r["arithmetic"] for r in rs)
        print(
            f"{name}: {unit * 1000:.2f} ms a unit, arithmetic {arithmetic * 1000:.2f} ms, "
            f"overhead {(unit - arithmetic) * 1000:.2f} ms (median of {len(rs)})"
        )
    before = statistics.median(r["unit"] - r["arithmetic"] for r in results["before"])
    after = statistics.median(r["unit"] - r["arithmetic"] for r in results["after"])
    print(f"overhead before / after: {before / after:.1f}x")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


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
    parser.add_argument("--repeats", type=int, default=3, help="real runs per variant")
    parser.add_argument(
        "--compare-head", action="store_true", help="also run the committed plugin (before)"
    )
    parser.add_argument("--real-child", type=int, metavar="DEVICES")
    parser.add_argument("--unit-child", type=int, metavar="ROUNDS")
    parser.add_argument(
        "--units-only", action="store_true", help="only the per-unit before/after figure"
    )
    parser.add_argument("--plugins", metavar="DIR", help="import the training plugin from DIR")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.width, args.layers, args.steps, args.batch)
        return
    if args.real_child:
        real_child(args.real_child)
        return
    if args.unit_child:
        unit_child(args.unit_child)
        return
    if args.units_only:
        units(20, args.repeats)
        return
    if not args.real_only:
        memory(args.width, args.layers, args.steps, args.batch)
        prefetch(args.width, args.layers, args.steps, args.batch)
        simulated()
    if not args.skip_real:
        real(args.repeats, args.compare_head)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
