"""Bad input: one clear error each, naming what is wrong."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from datacheck.errors import OptionError
from datacheck_serving import IncrementalModel, UnsupportedLayerError, frames, occlusion_map


def _small() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)
    ).eval()


def test_unsupported_layer_is_refused_by_name() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Upsample(scale_factor=2)).eval()
    with pytest.raises(UnsupportedLayerError, match=r"layer '1' \(Upsample\)"):
        IncrementalModel(model, (3, 8, 8))


def test_unsupported_function_is_refused_by_name() -> None:
    class Rolls(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.roll(x, 1, dims=2)

    with pytest.raises(UnsupportedLayerError, match="roll"):
        IncrementalModel(Rolls(), (3, 8, 8))


def test_training_mode_is_refused() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    with pytest.raises(UnsupportedLayerError, match=r"model.eval\(\)"):
        IncrementalModel(model, (3, 8, 8))


def test_wrong_image_shape() -> None:
    engine = IncrementalModel(_small(), (3, 8, 8))
    with pytest.raises(OptionError, match=r"image's shape is \(1, 3, 9, 8\)") as caught:
        engine.materialize(torch.zeros(3, 9, 8))
    assert caught.value.parameter == "image"
    with pytest.raises(OptionError, match="image's shape"):
        occlusion_map(engine, torch.zeros(3, 9, 8), 2, 1)


def test_patch_larger_than_the_image() -> None:
    with pytest.raises(OptionError, match="patch must fit in the 8x8 image") as caught:
        occlusion_map(_small(), torch.zeros(3, 8, 8), patch=9, stride=1)
    assert caught.value.parameter == "patch"


def test_patch_outside_the_image() -> None:
    engine = IncrementalModel(_small(), (3, 8, 8))
    base = engine.materialize(torch.zeros(3, 8, 8))
    with pytest.raises(OptionError, match=r"a 2x2 patch at \(7, 0\) lies outside"):
        engine.update(base, torch.zeros(1, 3, 2, 2), [(7, 0)])


def test_bad_tau_and_frames() -> None:
    engine = IncrementalModel(_small(), (3, 8, 8))
    base = engine.materialize(torch.zeros(3, 8, 8))
    with pytest.raises(OptionError, match="tau"):
        engine.update(base, torch.zeros(1, 3, 2, 2), [(0, 0)], tau=0.0)
    with pytest.raises(OptionError, match="frames must be"):
        frames(engine, torch.zeros(3, 8, 8), torch.zeros(2, 3, 8, 7))
