"""The training plugin's figures: the pipeline bubble (virtual clock and real runs) and the
activation memory checkpointing saves.

    .venv/bin/python bench/bench_training.py [--steps 6] [--width 512]

1. Bubble on a virtual clock (``simulate_pipeline``): each stage's idle fraction for GPipe and
   1F1B against GPipe's ``(K-1)/(M+K-1)``.
2. Bubble in real runs: K stages in K gloo processes on this machine, a balanced MLP, each
   stage timing its own forward, backward and recomputation (``Job(timing=True)``) against
   the step's wall time (barriers at both ends); idle = 1 - busy / wall, the median over
   steps of the per-run totals of three repetitions. Communication counts as idle.
3. Activation bytes held for backward by one stage over M micro-batches, per checkpointing
   mode, counted with ``torch.autograd.graph.saved_tensors_hooks`` (parameters left out).

Ratios are printed against the baseline in the same process (the formula; no checkpointing).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from datacheck_training._engine import Job, sweep_worker, write_data
from datacheck_training._launch import launch
from datacheck_training._simulate import gpipe_bubble, simulate_pipeline
from datacheck_training._stage import StageModule, saved_activation_bytes

#: rows per mini-batch (set by --batch)
BATCH = [256]


def mlp(width: int, layers: int) -> nn.Sequential:
    torch.manual_seed(0)
    body: list[nn.Module] = []
    for _ in range(layers):
        body += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(nn.Linear(16, width), *body, nn.Linear(width, 4))


def simulated() -> None:
    print("## bubble on a virtual clock (forward 1, backward 2 per stage)")
    print(f"{'K':>2} {'M':>3} {'formula':>8} {'gpipe':>8} {'1f1b':>8}")
    for k in (2, 4, 8):
        for m in (1, 2, 4, 8, 16, 32):
            gp = simulate_pipeline(k, m, schedule="gpipe").idle_fraction(0)
            fb = (
                simulate_pipeline(k, m, schedule="1f1b").idle_fraction(0)
                if m >= k
                else float("nan")
            )
            print(f"{k:>2} {m:>3} {gpipe_bubble(k, m):>8.3f} {gp:>8.3f} {fb:>8.3f}")


def real(stages: int, steps: int, width: int, repeats: int) -> None:
    print(
        f"## bubble in real runs: {stages} gloo processes, MLP width {width}, "
        f"{BATCH[0]} rows, {steps} steps"
    )
    print(
        f"{'M':>3} {'sched':>6} {'formula':>8} "
        + " ".join(f"{'idle s' + str(s):>8}" for s in range(stages))
        + f" {'ratio':>6}"
    )
    model = mlp(width, 4 * stages - 2)
    layers = len(model)
    sizes = [layers // stages] * stages
    sizes[-1] += layers - sum(sizes)
    batch = BATCH[0]
    torch.manual_seed(1)
    x = torch.randn(batch * steps, 16)
    y = torch.softmax(torch.randn(batch * steps, 4), dim=-1)
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for m in (1, 2, 4, 8, 16):
            for schedule in ("gpipe", "1f1b"):
                if schedule == "1f1b" and m < stages:
                    continue
                data = Path(tmp) / f"data-{m}"
                if not data.exists():
                    data.mkdir()
                    write_data(str(data), x, y, batch, m)
                for r in range(repeats):
                    out = Path(tmp) / f"out-{m}-{schedule}-{r}"
                    out.mkdir()
                    jobs.append(
                        Job(
                            strategy="pipeline",
                            model=model,
                            stage_sizes=sizes,
                            micro_batches=m,
                            schedule=schedule,
                            data_dir=str(data),
                            out_dir=str(out),
                            timing=True,
                            optimizer=functools.partial(torch.optim.SGD, lr=0.01),
                        )
                    )
        timings: list[dict[int, tuple[float, float]]] = []

        def on_message(message: tuple[object, ...]) -> None:
            if message[0] != "timing":
                return
            rank, busy, wall = message[1], message[2], message[3]
            if not timings or rank in timings[-1]:
                timings.append({})
            timings[-1][rank] = (busy, wall)  # type: ignore[index]

        launch(sweep_worker, ["cpu"] * stages, (jobs,), on_message=on_message)
    for i in range(0, len(jobs), repeats):
        job = jobs[i]
        idle = []
        for s in range(stages):
            fractions = [1.0 - t[s][0] / t[s][1] for t in timings[i : i + repeats]]
            idle.append(statistics.median(fractions))
        formula = gpipe_bubble(stages, job.micro_batches)
        mean_idle = statistics.mean(idle)
        print(
            f"{job.micro_batches:>3} {job.schedule:>6} {formula:>8.3f} "
            + " ".join(f"{v:>8.3f}" for v in idle)
            + f" {mean_idle / formula if formula else float('nan'):>6.2f}"
        )


def memory(width: int) -> None:
    print(
        f"## activation bytes saved for backward, one stage (8 layers, width {width}, "
        "64 rows per micro-batch)"
    )
    print(f"{'M':>3} {'never':>12} {'except_last':>12} {'always':>12} {'always/never':>13}")
    for m in (1, 4, 8, 16):
        row = {}
        for mode in ("never", "except_last", "always"):
            layers = nn.Sequential(
                *[x for _ in range(4) for x in (nn.Linear(width, width), nn.ReLU())]
            )
            stage = StageModule(layers, mode=mode, micro_batches=m)
            xs = [torch.randn(64, width, requires_grad=True) for _ in range(m)]
            row[mode] = saved_activation_bytes(stage, xs)
        print(
            f"{m:>3} {row['never']:>12,} {row['except_last']:>12,} {row['always']:>12,} "
            f"{row['always'] / row['never']:>13.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256, help="rows per mini-batch")
    parser.add_argument("--stages", type=int, nargs="*", default=[2, 4])
    args = parser.parse_args()
    BATCH[0] = args.batch
    simulated()
    memory(args.width)
    for k in args.stages:
        real(k, args.steps, args.width, args.repeats)


if __name__ == "__main__":
    main()
