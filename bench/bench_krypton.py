"""Krypton benchmark (issue 16): occlusion maps by incremental inference against full inference.

Networks: ResNet-18- and VGG-16-shaped (torchvision's layers, strides and channels; built in
``datacheck_serving._networks`` since torchvision does not install beside torch 2.13.0),
TRAINED here on real photos that PyPI packages ship (``datacheck_serving._trained``: which of
eight photos of scikit-image and scikit-learn a random small crop comes from; seeded, bounded
in steps) and loaded from ``--weights`` (safetensors, default ``/tmp/krypton-weights``) when
already trained. The image is the centre 224x224 of scikit-image's ``chelsea`` (a cat) at the
training scale, normalized; patch 16, stride 8 (27x27 = 729 positions, the last row and column
flush with the border), float32, batches of 32. ``--he-scaled`` uses He-scaled random weights
and scikit-learn's ``china.jpg`` instead (the earlier figures).

Figures, both sides in this process, medians of ``--runs`` interleaved repetitions (wall
seconds, and this process's CPU seconds, which other jobs on a shared machine do not inflate):

- exact, per thread count (``torch.set_num_threads`` 1 then 2): full inference of a sample of
  the positions (evenly spread in raster order, borders included; ``--sample``) against
  :meth:`IncrementalModel.update` on the same sample: ``wall`` = full / incremental seconds,
  ``mac`` = full / incremental multiply-accumulates of the sample, ``wall/mac``, and the MAC
  ratio of the whole 729-position map (counted exactly by :meth:`IncrementalModel.count_macs`,
  no arithmetic). VGG-16 at 224 takes ~1 s per full inference on one core, hence the sample.
- approximate (``--approx-threads``, default 1; ``--approx-stride``, default 8): the whole
  exact map is computed once (incremental) as the reference, with its sensitivity (how far
  the patch moves the logit); then for each ``tau`` with and without adaptive drill-down
  (coarse stride ``--coarse``, then the fine stride at the ``--fraction`` of positions the
  ``--drill-by`` rule picks), the whole approximate map: wall and CPU-time ratios against full
  inference of every position (the sample's per-image full time x the positions), its MAC
  ratio, and the heat map's SSIM against the exact one.

Run: ``PYTHONPATH=plugins .venv/bin/python bench/bench_krypton.py [--nets resnet18,vgg16]
[--runs 3]``; VGG-16's whole maps take minutes each, so ``--approx-stride 16 --coarse 32``
bounds its quality curve.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from datacheck_serving import (
    IncrementalModel,
    OcclusionMap,
    he_scaled,
    occlusion_map,
    positions,
    resnet18_like,
    ssim,
    vgg16_like,
)

SIZE, PATCH, STRIDE = 224, 16, 8


def china() -> torch.Tensor:
    """scikit-learn's sample photo, 224x224, normalized to mean 0 and unit variance."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    pixels = Image.fromarray(load_sample_image("china.jpg")).resize((SIZE, SIZE))
    image = torch.from_numpy(np.asarray(pixels, dtype=np.float32) / 255).permute(2, 0, 1)
    return (image - image.mean(dim=(1, 2), keepdim=True)) / image.std(dim=(1, 2), keepdim=True)


def seconds(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of this process (all its threads) for one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def exact(
    engine: IncrementalModel,
    image: torch.Tensor,
    sample: list[tuple[int, int]],
    runs: int,
    threads: int,
    whole: float,
) -> tuple[float, float]:
    torch.set_num_threads(threads)
    base = engine.materialize(image)
    patches = torch.zeros((len(sample), 3, PATCH, PATCH))
    images = image.expand(len(sample), *image.shape).clone()
    for index, (row, col) in enumerate(sample):
        images[index, :, row : row + PATCH, col : col + PATCH] = 0

    def full() -> None:
        for start in range(0, len(images), engine.batch_size):
            engine.full(images[start : start + engine.batch_size])

    def incremental() -> None:
        engine.update(base, patches, sample)

    def op_threads() -> None:  # the chunks in turn, each operation on torch's threads
        workers, engine.workers = engine.workers, 1
        try:
            engine.update(base, patches, sample)
        finally:
            engine.workers = workers

    compare = threads > 1 and engine.workers is None
    full_s, inc_s, op_s = [], [], []
    for _ in range(runs):  # interleaved, so machine load hits both sides alike
        full_s.append(seconds(full))
        inc_s.append(seconds(incremental))
        if compare:
            op_s.append(seconds(op_threads))
    if compare:
        op_t = statistics.median(s[0] for s in op_s)
        op_c = statistics.median(s[1] for s in op_s)
        print(
            f"  (threads={threads}, workers=1, every operation split over the threads: "
            f"incremental {op_t:.2f}s, wall {statistics.median(s[0] for s in full_s) / op_t:.2f}x,"
            f" cpu {statistics.median(s[1] for s in full_s) / op_c:.2f}x)",
            flush=True,
        )
    full_t, inc_t = (
        statistics.median(s[0] for s in full_s),
        statistics.median(s[0] for s in inc_s),
    )
    full_c, inc_c = (
        statistics.median(s[1] for s in full_s),
        statistics.median(s[1] for s in inc_s),
    )
    macs = engine.count_macs((PATCH, PATCH), sample)
    print(
        f"  exact threads={threads} workers={engine.workers or threads}: sample of "
        f"{len(sample)}: full {full_t:.2f}s, "
        f"incremental {inc_t:.2f}s, wall {full_t / inc_t:.2f}x, mac {macs.ratio:.2f}x "
        f"(wall/mac {full_t / inc_t / macs.ratio:.0%}; cpu-time ratio {full_c / inc_c:.2f}x, "
        f"{full_c / inc_c / macs.ratio:.0%} of mac); whole-map mac {whole:.2f}x",
        flush=True,
    )
    return full_t / len(sample), full_c / len(sample)


def approximate(
    engine: IncrementalModel,
    image: torch.Tensor,
    per_image: tuple[float, float],
    taus: list[float | None],
    coarse: int,
    fraction: float,
    drill_by: list[str],
    patch: int = PATCH,
    stride: int = STRIDE,
    target: int | None = None,
    share: str | None = None,
) -> None:
    """The whole exact map, then the whole approximate map for each tau, with and without
    drill-down: wall and CPU-time ratios against full inference of every position (the
    sample's per-image seconds x the positions), MAC ratio, SSIM against the exact map."""
    height, width = image.shape[1:]
    count = len(positions(height, patch, stride)) * len(positions(width, patch, stride))
    full_t, full_c = per_image[0] * count, per_image[1] * count

    def run(**options: Any) -> tuple[float, float, OcclusionMap]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = occlusion_map(
            engine, image, patch, stride, probability=False, target=target, **options
        )
        return time.perf_counter() - wall, time.process_time() - cpu, result

    shared = None if share is None else Path(share) / f"reference-{stride}.npz"
    if shared is not None and shared.exists():  # another process of this run computed it
        with np.load(shared) as saved:
            exact_heat, target = saved["heat"], int(saved["target"])
            base_score, mac_ratio = float(saved["base_score"]), float(saved["mac_ratio"])
        took, cpu = float("nan"), float("nan")
    else:
        took, cpu, reference = run()
        exact_heat, target = reference.heat, reference.target
        base_score, mac_ratio = reference.base_score, reference.macs.ratio
        if shared is not None:
            shared.parent.mkdir(parents=True, exist_ok=True)
            temporary = shared.with_suffix(".tmp.npz")
            np.savez(
                temporary,
                heat=exact_heat,
                target=target,
                base_score=base_score,
                mac_ratio=mac_ratio,
            )
            temporary.replace(shared)
    heat = np.abs(exact_heat)
    print(
        f"  whole exact map ({count} positions, stride {stride}): {took:.1f}s vs full "
        f"{full_t:.1f}s (extrapolated): wall {full_t / took:.2f}x, cpu {full_c / cpu:.2f}x, "
        f"mac {mac_ratio:.2f}x\n"
        f"  sensitivity: target {target}, base logit {base_score:.3f}, "
        f"|logit change| by position min {heat.min():.2e} median {np.median(heat):.2e} max "
        f"{heat.max():.2e} (tolerance 1e-5); neighbour correlation of the heat map "
        f"{_neighbours(exact_heat):.2f}",
        flush=True,
    )
    plain = ["no"] if not drill_by or drill_by[0] else []
    for drill in [*plain, *(d for d in drill_by if d)]:
        for tau in taus:
            options: dict[str, Any] = {"tau": tau}
            if drill != "no":
                options |= {"coarse_stride": coarse, "drill_fraction": fraction, "drill_by": drill}
            took, cpu, approx = run(**options)
            label = "exact" if tau is None else f"{tau:.2f}"
            print(
                f"  tau={label:5} drill-down={drill:6}: wall {full_t / took:6.2f}x, "
                f"cpu {full_c / cpu:6.2f}x, mac {approx.macs.ratio:6.2f}x, "
                f"ssim {ssim(exact_heat, approx.heat):.3f}",
                flush=True,
            )


def mac_curve(engine: IncrementalModel, taus: list[float | None], args: argparse.Namespace) -> None:
    """MAC ratios of whole maps by tau, counted without arithmetic (``count_macs``); with
    drill-down, the coarse grid plus ``fraction`` of the fine positions spread evenly (the
    positions a real map drills into depend on the map: an estimate)."""
    coarse, fraction = args.coarse, args.fraction
    print(f": full inference {engine.full_macs / 1e9:.2f} GMAC per image", flush=True)
    fine = [(r, c) for r in positions(SIZE, PATCH, STRIDE) for c in positions(SIZE, PATCH, STRIDE)]
    grid = [(r, c) for r in positions(SIZE, PATCH, coarse) for c in positions(SIZE, PATCH, coarse)]
    chosen = [fine[int(i)] for i in np.linspace(0, len(fine) - 1, round(fraction * len(fine)))]
    for tau in taus:
        plain = engine.count_macs((PATCH, PATCH), fine, tau=tau)
        drilled = engine.count_macs((PATCH, PATCH), grid, tau=tau)
        drilled += engine.count_macs((PATCH, PATCH), chosen, tau=tau)
        label = "exact" if tau is None else f"{tau:.2f}"
        print(
            f"  counted: tau={label:5} mac {plain.ratio:6.2f}x; with drill-down (coarse {coarse}, "
            f"{fraction:.0%}) about {plain.full / drilled.done:6.2f}x",
            flush=True,
        )


def _neighbours(heat: np.ndarray) -> float:
    """Correlation of the heat at horizontally and vertically adjacent positions (speckle: low;
    a map with structure: high)."""
    pairs = [(heat[:, :-1], heat[:, 1:]), (heat[:-1], heat[1:])]
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    return float(np.corrcoef(a, b)[0, 1])


def trained(
    taus: list[float | None], coarse: int, fraction: float, runs: int, drill_by: list[str]
) -> None:
    """The small CNN trained on real photos (datacheck_serving.demo), on china.jpg at half size
    (214x320), patch 16, stride 8."""
    from datacheck_serving.demo import sample_classifier, sample_photo

    print("small CNN trained on real photos (china.jpg vs flower.jpg crops), 214x320:", flush=True)
    model = sample_classifier()
    image = sample_photo("china.jpg")
    engine = IncrementalModel(model, tuple(image.shape), batch_size=32)
    rows, cols = positions(image.shape[1], PATCH, STRIDE), positions(image.shape[2], PATCH, STRIDE)
    grid = [(r, c) for r in rows for c in cols]
    sample = [grid[int(i)] for i in np.linspace(0, len(grid) - 1, 64).round()]
    per_image = exact(engine, image, sample, runs, 1, engine.count_macs((PATCH, PATCH), grid).ratio)
    approximate(engine, image, per_image, taus, coarse, fraction, drill_by)


def network(
    name: str, args: argparse.Namespace
) -> tuple[torch.nn.Module, torch.Tensor, int | None]:
    """The network (trained, or He-scaled random), the image and the class to score."""
    if args.he_scaled:
        build = {"resnet18": resnet18_like, "vgg16": vgg16_like}[name]
        return he_scaled(build(), seed=0), china(), None
    from datacheck_serving._trained import PHOTOS, square_photo, trained_network

    started = time.perf_counter()
    model = trained_network(name, args.weights, log=lambda line: print(f"  {line}", flush=True))
    image, label = square_photo(args.image)
    with torch.no_grad():
        probabilities = model(image[None])[0].softmax(0)
    print(
        f"{name}: trained on real photos (or loaded) in {time.perf_counter() - started:.0f}s; "
        f"{args.image} at 224x224: class {label} ({PHOTOS[label]}) probability "
        f"{float(probabilities[label]):.3f}, predicted {int(probabilities.argmax())}",
        flush=True,
    )
    return model, image, label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nets", default="resnet18,vgg16")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--workers", type=int, default=None, help="IncrementalModel(workers=)")
    parser.add_argument("--approx-threads", type=int, default=1)
    parser.add_argument("--approx-nets", default="resnet18,vgg16")
    parser.add_argument("--approx-stride", type=int, default=STRIDE)
    parser.add_argument("--taus", default="exact,0.9,0.8,0.7,0.6,0.5,0.4")
    parser.add_argument("--coarse", type=int, default=16)
    parser.add_argument("--fraction", type=float, default=0.25)
    parser.add_argument("--drill-by", default="change")
    parser.add_argument("--skip-plain", action="store_true", help="only drill-down maps")
    parser.add_argument("--no-approx", action="store_true")
    parser.add_argument("--mac-curve", action="store_true", help="count tau's MACs only")
    parser.add_argument("--small-cnn", action="store_true", help="also the demo's small CNN")
    parser.add_argument("--he-scaled", action="store_true", help="random He-scaled weights")
    parser.add_argument("--weights", default="/tmp/krypton-weights")
    parser.add_argument("--image", default="skimage:chelsea")
    parser.add_argument(
        "--share",
        help="a folder where the exact map and full-inference times are kept for other "
        "processes of the same run (which then measure other taus at the same time)",
    )
    args = parser.parse_args()
    taus: list[float | None] = [None if t == "exact" else float(t) for t in args.taus.split(",")]
    drill_by = [rule for rule in args.drill_by.split(",") if rule != "none"]
    if args.skip_plain:
        drill_by = ["", *drill_by]  # approximate() reads a leading "" as: no plain tau maps
    grid = [(r, c) for r in positions(SIZE, PATCH, STRIDE) for c in positions(SIZE, PATCH, STRIDE)]
    samples = {"resnet18": 32, "vgg16": 8}
    with open("/proc/loadavg") as handle:
        print(f"load average at start: {handle.read().split()[:3]}", flush=True)
    for name in args.nets.split(","):
        if args.mac_curve:  # regions only: the weights do not matter
            shaped = resnet18_like() if name == "resnet18" else vgg16_like()
            print(name, end="", flush=True)
            mac_curve(IncrementalModel(shaped.eval(), (3, SIZE, SIZE), batch_size=32), taus, args)
            continue
        model, image, target = network(name, args)
        engine = IncrementalModel(model, (3, SIZE, SIZE), batch_size=32, workers=args.workers)
        sample = [grid[int(i)] for i in np.linspace(0, len(grid) - 1, samples[name]).round()]
        whole = engine.count_macs((PATCH, PATCH), grid).ratio
        print(f"{name}: full inference {engine.full_macs / 1e9:.2f} GMAC per image", flush=True)
        per_image = {}
        for threads in (int(t) for t in args.threads.split(",") if t):
            per_image[threads] = exact(engine, image, sample, args.runs, threads, whole)
        if not args.no_approx and name in args.approx_nets.split(","):
            torch.set_num_threads(args.approx_threads)
            saved = None if args.share is None else Path(args.share) / f"{name}-full.json"
            if args.approx_threads in per_image and saved is not None:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(json.dumps(per_image[args.approx_threads]))
            elif saved is not None and saved.exists():
                per_image[args.approx_threads] = tuple(json.loads(saved.read_text()))
            elif args.approx_threads not in per_image:
                per_image[args.approx_threads] = exact(
                    engine, image, sample, 1, args.approx_threads, whole
                )
            approximate(
                engine,
                image,
                per_image[args.approx_threads],
                taus,
                args.coarse,
                args.fraction,
                drill_by,
                stride=args.approx_stride,
                target=target,
                share=None if args.share is None else str(Path(args.share) / name),
            )
        with open("/proc/loadavg") as handle:
            print(f"load average after {name}: {handle.read().split()[:3]}", flush=True)
    if args.small_cnn:
        torch.set_num_threads(args.approx_threads)
        trained(taus, args.coarse, args.fraction, args.runs, drill_by)


if __name__ == "__main__":
    main()
