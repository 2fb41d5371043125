"""Heat maps as PNG: the image in grey turning red where occluding lowers the score most.
Written atomically with pillow."""

from __future__ import annotations

import io
import os

import numpy as np
import numpy.typing as npt

from datacheck.errors import MissingExtraError
from datacheck.io import write_bytes_atomic
from datacheck_serving._occlusion import OcclusionMap

__all__ = ["heatmap_rgb", "save_heatmap"]


def heatmap_rgb(result: OcclusionMap, image: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """``(H, W, 3)`` bytes: ``image`` (``(C, H, W)``, any range) in grey, turning red where
    occluding lowers the score most (the map's own range, lowest to highest)."""
    pixels = np.asarray(image, dtype=np.float64)
    grey = pixels.mean(axis=0)
    grey = (grey - grey.min()) / (np.ptp(grey) or 1.0)
    heat = result.pixel_heat(*grey.shape)
    # the map's own range, low to high: what matters is where occluding hurts most
    level = (heat - heat.min()) / (np.ptp(heat) or 1.0)
    alpha = 0.8 * level**2  # squared: the strongest places stand out, the rest stays legible
    red = np.stack([np.ones_like(grey), np.zeros_like(grey), np.zeros_like(grey)], axis=-1)
    rgb = grey[..., None] * (1 - alpha[..., None]) + red * alpha[..., None]
    out: npt.NDArray[np.uint8] = (np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)
    return out


def save_heatmap(result: OcclusionMap, image: npt.ArrayLike, path: str | os.PathLike[str]) -> None:
    """Write the heat map over ``image`` to ``path`` as PNG (atomically)."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("pillow", "serving") from exc
    buffer = io.BytesIO()
    Image.fromarray(heatmap_rgb(result, image)).save(buffer, format="PNG", optimize=True)
    write_bytes_atomic(path, buffer.getvalue())
