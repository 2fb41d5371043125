"""A small CNN trained on real photos, for examples and the README's picture.

scikit-learn ships two sample photos, ``china.jpg`` (a temple) and ``flower.jpg``. The
classifier learns, from random 64x64 crops of the two (at half resolution), which photo a crop
comes from; its occlusion map of ``china.jpg`` shows what it looks at. Training is seeded and
takes about a minute and a half of CPU time. Needs scikit-learn (for the photos) and pillow.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from datacheck.errors import MissingExtraError

__all__ = ["Normalize", "sample_classifier", "sample_photo"]

#: the photos' class indices
CLASSES = ("china", "flower")


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel (ImageNet's statistics by default)."""

    def __init__(
        self,
        mean: tuple[float, float, float] = (0.485, 0.456, 0.406),
        std: tuple[float, float, float] = (0.229, 0.224, 0.225),
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).reshape(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, std = self.get_buffer("mean"), self.get_buffer("std")
        out: torch.Tensor = (x - mean) / std
        return out


def sample_photo(name: str = "china.jpg", scale: float = 0.5) -> torch.Tensor:
    """One of scikit-learn's sample photos, ``(3, H, W)`` in [0, 1], resized by ``scale``."""
    try:
        from PIL import Image
        from sklearn.datasets import load_sample_image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("sklearn", "dev") from exc
    picture = Image.fromarray(load_sample_image(name))
    size = (round(picture.width * scale), round(picture.height * scale))
    pixels = np.asarray(picture.resize(size, Image.Resampling.BILINEAR), dtype=np.float32) / 255
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous()


def small_cnn() -> nn.Module:
    """Four 3x3 convolutions with batch norm, two max pools, global average pooling, linear."""
    return nn.Sequential(
        Normalize(),
        nn.Conv2d(3, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, len(CLASSES)),
    )


def sample_classifier(steps: int = 150, seed: int = 0) -> nn.Module:
    """:func:`small_cnn` trained to tell 64x64 crops of the two sample photos apart; eval mode."""
    torch.manual_seed(seed)
    generator = np.random.default_rng(seed)
    photos = [sample_photo(name) for name in ("china.jpg", "flower.jpg")]
    model = small_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    crop = 64
    for _ in range(steps):
        labels = generator.integers(0, 2, size=32)
        crops = []
        for label in labels:
            photo = photos[int(label)]
            row = generator.integers(0, photo.shape[1] - crop + 1)
            col = generator.integers(0, photo.shape[2] - crop + 1)
            crops.append(photo[:, row : row + crop, col : col + crop])
        loss = nn.functional.cross_entropy(model(torch.stack(crops)), torch.from_numpy(labels))
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        optimizer.step()
    return model.eval()
