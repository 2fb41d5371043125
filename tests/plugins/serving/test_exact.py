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
