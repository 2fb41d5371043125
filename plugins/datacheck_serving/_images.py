"""Reading images for the engine: any file pillow opens, as ``(3, H, W)`` floats in [0, 1]."""

from __future__ import annotations

import os

import numpy as np
import torch

from datacheck.errors import InputError, InputNotFoundError, MissingExtraError

__all__ = ["load_image"]


def load_image(path: str | os.PathLike[str], size: tuple[int, int] | None = None) -> torch.Tensor:
    """The RGB image at ``path``, resized to ``size`` (height, width) when given.

    Raises:
        InputNotFoundError: No such file.
        InputError: Not an image pillow can read.
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("pillow", "serving") from exc
    if not os.path.exists(path):
        raise InputNotFoundError(f"{os.fspath(path)}: no such file", path=path)
    try:
        with Image.open(path) as opened:
            picture = opened.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(
            f"{os.fspath(path)}: not an image pillow can read ({exc})", path=path
        ) from exc
    if size is not None:
        picture = picture.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    pixels = np.asarray(picture, dtype=np.float32) / 255.0
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous()
