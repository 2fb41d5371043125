"""Incremental inference equals full re-inference at every patch position, to rounding."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from serving_nets import Tangled, resnet_small, sensitive, vgg_small
from torch import nn

from datacheck_serving import IncrementalModel, positions

TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-12}

NETWORKS: dict[str, tuple[Callable[[], nn.Module], tuple[int, int, int]]] = {
    "vgg16-shaped": (vgg_small, (3, 48, 44)),
    "resnet18-shaped": (resnet_small, (3, 45, 50)),
    "strided-dilated-grouped": (Tangled, (3, 30, 26)),
}


def _patched(
    image: torch.Tensor, patch: tuple[int, int], where: list[tuple[int, int]]
) -> torch.Tensor:
    images = image.expand(len(where), *image.shape).clone()
    for index, (row, col) in enumerate(where):
        images[index, :, row : row + patch[0], col : col + patch[1]] = 0.5
    return images


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["fp32", "fp64"])
@pytest.mark.parametrize("network", sorted(NETWORKS))
@pytest.mark.parametrize(
    ("patch", "stride"),
    [((8, 8), 4), ((7, 5), 3), ((16, 16), 8)],
    ids=["divides", "does-not-divide", "large"],
)
def test_every_position_matches_full_inference(
    network: str, dtype: torch.dtype, patch: tuple[int, int], stride: int
) -> None:
    build, shape = NETWORKS[network]
    model = sensitive(build(), seed=1, dtype=dtype)
    engine = IncrementalModel(model, shape, batch_size=48)
    image = torch.randn(shape, generator=torch.Generator().manual_seed(2), dtype=dtype)
    rows, cols = positions(shape[1], patch[0], stride), positions(shape[2], patch[1], stride)
    where = [(r, c) for r in rows for c in cols]
    assert rows[-1] + patch[0] == shape[1] and cols[-1] + patch[1] == shape[2]  # borders reached
    base = engine.materialize(image)
    update = engine.update(base, torch.full((len(where), 3, *patch), 0.5, dtype=dtype), where)
    reference = model(_patched(image, patch, where)).detach()
    tolerance = TOLERANCE[dtype] * max(1.0, float(reference.abs().max()))
    assert (update.outputs - reference).abs().max() <= tolerance
    moved = (reference - base.output).abs().flatten(1).amax(dim=1)
    assert float(moved.min()) > 100 * tolerance  # every patch, corners too, moves the output


def test_single_pixel_changes_across_a_small_image() -> None:
    shape = (3, 27, 25)
    model = sensitive(Tangled(), seed=3)
    engine = IncrementalModel(model, shape)
    image = torch.randn(shape, dtype=torch.float64)
    where = [(r, c) for r in range(0, 27, 2) for c in range(0, 25, 2)]
    update = engine.update(
        engine.materialize(image),
        torch.full((len(where), 3, 1, 1), 3.0, dtype=torch.float64),
        where,
    )
    images = image.expand(len(where), *shape).clone()
    for index, (row, col) in enumerate(where):
        images[index, :, row, col] = 3.0
    reference = model(images).detach()
    assert torch.allclose(update.outputs, reference, rtol=0, atol=1e-12)


def test_base_activations_are_reusable_across_calls() -> None:
    shape = (3, 32, 32)
    model = sensitive(vgg_small(), seed=4)
    engine = IncrementalModel(model, shape)
    image = torch.randn(shape, dtype=torch.float64)
    base = engine.materialize(image)
    patch = torch.zeros((1, 3, 8, 8), dtype=torch.float64)
    first = engine.update(base, patch, [(0, 0)]).outputs
    engine.update(base, patch, [(24, 24)])
    assert torch.equal(engine.update(base, patch, [(0, 0)]).outputs, first)
    assert torch.allclose(base.output, model(image[None]), atol=1e-12, rtol=0)


class _AvgPools(nn.Module):
    """Average pools whose divisor varies by position: ceil mode (the last window runs past
    the padding) and padding not counted, between sensitive convolutions."""

    def __init__(self, kernel: int, stride: int, padding: int, include_pad: bool) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.AvgPool2d(
            kernel, stride, padding, ceil_mode=True, count_include_pad=include_pad
        )
        self.b = nn.Conv2d(4, 4, 3, padding=1)
        self.last = nn.AvgPool2d(2, 2, ceil_mode=True)
        features = self.spatial(torch.zeros(1, 3, 17, 14)).numel()
        self.head = nn.Linear(features, 3)

    def spatial(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.last(torch.relu(self.b(self.pool(torch.relu(self.a(x))))))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.spatial(x).flatten(1))
        return out


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "include_pad"),
    [
        (3, 2, 1, True),
        (3, 2, 1, False),
        (2, 2, 0, True),
        (3, 2, 0, True),
        (5, 3, 2, True),
        (5, 3, 2, False),
    ],
)
def test_avg_pool_ceil_mode_matches_full_inference(
    kernel: int, stride: int, padding: int, include_pad: bool
) -> None:
    shape = (3, 17, 14)  # sizes the strides do not divide: ceil mode adds a last window
    model = sensitive(_AvgPools(kernel, stride, padding, include_pad), seed=5)
    pool = model.pool
    assert isinstance(pool, nn.AvgPool2d)
    engine = IncrementalModel(model, shape)
    image = torch.randn(shape, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    where = [(r, c) for r in positions(17, 4, 3) for c in positions(14, 4, 3)]
    base = engine.materialize(image)
    update = engine.update(base, torch.full((len(where), 3, 4, 4), 2.0, dtype=torch.float64), where)
    images = image.expand(len(where), *shape).clone()
    for index, (row, col) in enumerate(where):
        images[index, :, row : row + 4, col : col + 4] = 2.0
    reference = model(images).detach()
    assert torch.allclose(update.outputs, reference, rtol=0, atol=1e-12)
    moved = (reference - base.output).abs().flatten(1).amax(dim=1)
    assert float(moved.min()) > 1e-9  # the bottom-right patches (ceil windows) move it too
    # the ceil windows are real: the pool's output is larger than floor mode's
    floor = nn.functional.avg_pool2d(torch.zeros(1, 4, 17, 14), kernel, stride, padding)
    ceil = pool(torch.zeros(1, 4, 17, 14))
    assert ceil.shape[2:] != floor.shape[2:]


def test_query_chunks_on_threads_match_and_restore_torch_threads() -> None:
    shape = (3, 40, 36)
    model = sensitive(resnet_small(), seed=7)
    image = torch.randn(shape, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    where = [(r, c) for r in positions(40, 8, 6) for c in positions(36, 8, 6)]
    patches = torch.zeros((len(where), 3, 8, 8), dtype=torch.float64)
    previous = torch.get_num_threads()
    threaded = IncrementalModel(model, shape, batch_size=8, workers=3)
    base = threaded.materialize(image)
    update = threaded.update(base, patches, where)
    assert torch.get_num_threads() == previous
    serial = IncrementalModel(model, shape, batch_size=8, workers=1).update(base, patches, where)
    assert torch.allclose(update.outputs, serial.outputs, rtol=0, atol=1e-12)
    images = image.expand(len(where), *shape).clone()
    for index, (row, col) in enumerate(where):
        images[index, :, row : row + 8, col : col + 8] = 0
    reference = model(images).detach()
    assert torch.allclose(update.outputs, reference, rtol=0, atol=1e-12)
    assert float((reference - base.output).abs().amax(dim=1).min()) > 1e-9
    # a few queries are still split over the threads, and the MAC count follows the chunks
    few = threaded.update(base, patches[:5], where[:5])
    assert torch.allclose(few.outputs, reference[:5], rtol=0, atol=1e-12)
    assert threaded.count_macs((8, 8), where[:5]) == few.macs
    assert threaded.count_macs((8, 8), where) == update.macs


def test_concurrent_callers_leave_torch_threads_as_they_were() -> None:
    from concurrent.futures import ThreadPoolExecutor

    shape = (3, 40, 36)
    model = sensitive(resnet_small(), seed=9)
    engine = IncrementalModel(model, shape, batch_size=4, workers=2)
    image = torch.randn(shape, generator=torch.Generator().manual_seed(10), dtype=torch.float64)
    base = engine.materialize(image)
    where = [(r, c) for r in positions(40, 8, 8) for c in positions(36, 8, 8)]
    patches = torch.zeros((len(where), 3, 8, 8), dtype=torch.float64)
    previous = torch.get_num_threads()
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda _: engine.update(base, patches, where).outputs, range(6)))
    assert torch.get_num_threads() == previous
    for outputs in runs[1:]:
        assert torch.allclose(outputs, runs[0], rtol=0, atol=1e-12)
