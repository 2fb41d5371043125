"""The ResNet-18/VGG-16-shaped networks trained on packaged photos: data, train-or-load."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip("skimage")
pytest.importorskip("sklearn")

from datacheck.errors import OptionError
from datacheck_serving._trained import PHOTOS, photos, square_photo, trained_network


def test_photos_are_normalized_at_the_training_scale() -> None:
    images = photos()
    assert len(images) == len(PHOTOS) == 8
    for image in images:
        assert image.shape[0] == 3 and min(image.shape[1:]) == 224
        assert -3 < float(image.mean()) < 3
    image, label = square_photo("skimage:chelsea")
    assert image.shape == (3, 224, 224) and PHOTOS[label] == "skimage:chelsea"


def test_trained_network_is_saved_then_loaded(tmp_path: Path) -> None:
    lines: list[str] = []
    first = trained_network("resnet18", tmp_path, steps=2, log=lines.append)
    saved = tmp_path / "resnet18-seed0-2.safetensors"
    assert saved.exists() and lines  # trained (and logged), then written
    assert not first.training
    fresh = trained_network("resnet18", tmp_path, steps=2, log=lines.append)
    count = len(lines)
    for (name, a), b in zip(first.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert len(lines) == count  # loaded, not trained again
    image, _ = square_photo()
    with torch.no_grad():
        assert torch.equal(first(image[None]), fresh(image[None]))
    with pytest.raises(OptionError, match="name"):
        trained_network("alexnet", tmp_path)
