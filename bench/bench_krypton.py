"""Krypton benchmark (issue 16): occlusion maps by incremental inference against full inference.

Networks: ResNet-18- and VGG-16-shaped (torchvision's layers, strides and channels; built in
``datacheck_serving._networks`` since torchvision does not install beside torch 2.13.0), with
He-scaled random weights (:func:`datacheck_serving.he_scaled`): NOT trained on real images,
so that a patch moves the output (default-initialized weights leave VGG-16 blind to it). The
image is scikit-learn's sample ``china.jpg`` resized to 224x224; patch 16, stride 8 (27x27 =
729 positions, the last row and column flush with the border), float32, batches of 32.

Figures, both sides in this process, medians of ``--runs`` interleaved repetitions (wall
seconds, and this process's CPU seconds, which other jobs on a shared machine do not inflate):

- exact, per thread count (``torch.set_num_threads`` 1 then 2): full inference of a sample of
  the positions (evenly spread in raster order, borders included; ``--sample``) against
  :meth:`IncrementalModel.update` on the same sample: ``wall`` = full / incremental seconds,
  ``mac`` = full / incremental multiply-accumulates of the sample, ``wall/mac``, and the MAC
  ratio of the whole 729-position map (counted exactly by :meth:`IncrementalModel.count_macs`,
  no arithmetic). VGG-16 at 224 takes ~1 s per full inference on one core, hence the sample.
- approximate (``--approx-threads``, default 2): the whole exact map is computed once
  (incremental) as the reference; then for each ``tau`` with and without adaptive drill-down
  (coarse stride ``--coarse``, then stride 8 at the ``--fraction`` of positions whose
  interpolated score drop is largest), the whole approximate map: wall ratio against full
  inference of every position (the sample's per-image full time x 729), its MAC ratio, and
  the heat map's SSIM against the exact one.

Run: ``.venv/bin/python bench/bench_krypton.py [--nets resnet18,vgg16] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
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

    full_s, inc_s = [], []
    for _ in range(runs):  # interleaved, so machine load hits both sides alike
        full_s.append(seconds(full))
        inc_s.append(seconds(incremental))
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
        f"  exact threads={threads}: sample of {len(sample)}: full {full_t:.2f}s, "
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
    taus: list[float],
    coarse: int,
    fraction: float,
    patch: int = PATCH,
    stride: int = STRIDE,
) -> None:
    """The whole exact map, then the whole approximate map for each tau, with and without
    drill-down: wall and CPU-time ratios against full inference of every position (the
    sample's per-image seconds x the positions), MAC ratio, SSIM against the exact map."""
    height, width = image.shape[1:]
    count = len(positions(height, patch, stride)) * len(positions(width, patch, stride))
    full_t, full_c = per_image[0] * count, per_image[1] * count

    def run(**options: Any) -> tuple[float, float, OcclusionMap]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = occlusion_map(engine, image, patch, stride, probability=False, **options)
        return time.perf_counter() - wall, time.process_time() - cpu, result

    took, cpu, reference = run()
    print(
        f"  whole exact map ({count} positions): {took:.1f}s vs full {full_t:.1f}s "
        f"(extrapolated): wall {full_t / took:.2f}x, cpu {full_c / cpu:.2f}x, "
        f"mac {reference.macs.ratio:.2f}x",
        flush=True,
    )
    for drill in (False, True):
        for tau in taus:
            options: dict[str, Any] = {"tau": tau}
            if drill:
                options |= {"coarse_stride": coarse, "drill_fraction": fraction}
            took, cpu, approx = run(**options)
            print(
                f"  tau={tau:.2f} drill-down={'yes' if drill else 'no ':3}: wall "
                f"{full_t / took:6.2f}x, cpu {full_c / cpu:6.2f}x, mac {approx.macs.ratio:6.2f}x, "
                f"ssim {ssim(reference.heat, approx.heat):.3f}",
                flush=True,
            )


def trained(taus: list[float], coarse: int, fraction: float, runs: int) -> None:
    """The small CNN trained on real photos (datacheck_serving.demo), on china.jpg at half size
    (214x320), patch 16, stride 8: a heat map with real structure for the quality curve."""
    from datacheck_serving.demo import sample_classifier, sample_photo

    print("small CNN trained on real photos (china.jpg vs flower.jpg crops), 214x320:", flush=True)
    model = sample_classifier()
    image = sample_photo("china.jpg")
    engine = IncrementalModel(model, tuple(image.shape), batch_size=32)
    rows, cols = positions(image.shape[1], PATCH, STRIDE), positions(image.shape[2], PATCH, STRIDE)
    grid = [(r, c) for r in rows for c in cols]
    sample = [grid[int(i)] for i in np.linspace(0, len(grid) - 1, 64).round()]
    per_image = exact(engine, image, sample, runs, 1, engine.count_macs((PATCH, PATCH), grid).ratio)
    approximate(engine, image, per_image, taus, coarse, fraction)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nets", default="resnet18,vgg16")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--approx-threads", type=int, default=1)
    parser.add_argument("--approx-nets", default="resnet18")
    parser.add_argument("--taus", default="0.9,0.8,0.7,0.6,0.5")
    parser.add_argument("--coarse", type=int, default=16)
    parser.add_argument("--fraction", type=float, default=0.25)
    parser.add_argument("--no-approx", action="store_true")
    args = parser.parse_args()
    image = china()
    grid = [(r, c) for r in positions(SIZE, PATCH, STRIDE) for c in positions(SIZE, PATCH, STRIDE)]
    builds = {"resnet18": (resnet18_like, 32), "vgg16": (vgg16_like, 8)}
    for name in args.nets.split(","):
        build, samples = builds[name]
        engine = IncrementalModel(he_scaled(build(), seed=0), (3, SIZE, SIZE), batch_size=32)
        sample = [grid[int(i)] for i in np.linspace(0, len(grid) - 1, samples).round()]
        whole = engine.count_macs((PATCH, PATCH), grid).ratio
        print(f"{name}: full inference {engine.full_macs / 1e9:.2f} GMAC per image", flush=True)
        per_image = {}
        for threads in (int(t) for t in args.threads.split(",")):
            per_image[threads] = exact(engine, image, sample, args.runs, threads, whole)
        if not args.no_approx and name in args.approx_nets.split(","):
            torch.set_num_threads(args.approx_threads)
            if args.approx_threads not in per_image:
                per_image[args.approx_threads] = exact(
                    engine, image, sample, 1, args.approx_threads, whole
                )
            taus = [float(t) for t in args.taus.split(",")]
            approximate(
                engine, image, per_image[args.approx_threads], taus, args.coarse, args.fraction
            )
    if not args.no_approx:
        torch.set_num_threads(args.approx_threads)
        trained([float(t) for t in args.taus.split(",")], args.coarse, args.fraction, args.runs)


if __name__ == "__main__":
    main()
