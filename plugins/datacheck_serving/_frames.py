"""Frames of a fixed camera: each frame is the base image with the box where it changed.

Sensor noise touches every pixel, so a frame's change is the bounding box of the pixels that
differ from the base by more than ``threshold`` (in any channel); the frame is inferred as the
base image with that box pasted from the frame, incrementally. Frames are grouped by box size
(sorted by area, ``batch_size`` at a time) so one large box does not enlarge every query's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from datacheck.errors import OptionError
from datacheck_serving._incremental import IncrementalModel, MacCount

__all__ = ["FrameResults", "changed_boxes", "frames"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameResults:
    """The model's output for each frame, and where each frame changed."""

    #: ``(F, ...)``: the output for each frame, in the order given
    outputs: torch.Tensor
    #: ``(F, 4)``: each frame's changed box ``(top, left, bottom, right)``, half-open; an
    #: unchanged frame has an empty box ``(0, 0, 0, 0)``
    boxes: npt.NDArray[np.int64]
    #: multiply-accumulates done, against full inference of every frame
    macs: MacCount


def changed_boxes(
    base: torch.Tensor, frames: torch.Tensor, threshold: float
) -> npt.NDArray[np.int64]:
    """Each frame's bounding box of pixels differing from ``base`` by more than ``threshold``."""
    changed = ((frames - base[None]).abs() > threshold).any(dim=1)
    boxes = np.zeros((len(frames), 4), dtype=np.int64)
    for index, mask in enumerate(changed):
        rows = torch.nonzero(mask.any(dim=1)).flatten()
        cols = torch.nonzero(mask.any(dim=0)).flatten()
        if len(rows):
            boxes[index] = (int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)
    return boxes


def frames(
    model: nn.Module | IncrementalModel,
    base: torch.Tensor,
    frames: torch.Tensor,
    *,
    threshold: float = 0.0,
    tau: float | None = None,
) -> FrameResults:
    """The model's output for each frame of a fixed camera, by incremental inference.

    Args:
        model: A CNN in eval mode, or an :class:`IncrementalModel` for the frames' shape.
        base: The reference frame ``(C, H, W)``.
        frames: ``(F, C, H, W)``.
        threshold: A pixel changed when it differs from the base by more than this.
        tau: Krypton's projective-field threshold (approximate); None is exact.

    Raises:
        OptionError: Frames of another shape than the base, or a negative threshold.
    """
    base = torch.as_tensor(base)
    frames = torch.as_tensor(frames)
    if frames.dim() != 4 or tuple(frames.shape[1:]) != tuple(base.shape):
        raise OptionError(
            f"frames must be (count, {', '.join(map(str, base.shape))}) like the base; got "
            f"{tuple(frames.shape)}",
            parameter="frames",
            value=tuple(frames.shape),
        )
    if threshold < 0:
        raise OptionError("must be at least 0", parameter="threshold", value=threshold)
    engine = (
        model if isinstance(model, IncrementalModel) else IncrementalModel(model, tuple(base.shape))
    )
    activations = engine.materialize(base)
    image = activations.image[0]
    boxes = changed_boxes(image, frames.to(image.dtype), threshold)
    height, width = image.shape[1:]
    sizes = np.maximum(boxes[:, 2:] - boxes[:, :2], 1)
    order = np.argsort(sizes[:, 0] * sizes[:, 1], kind="stable")
    outputs: list[torch.Tensor | None] = [None] * len(frames)
    macs = MacCount(done=0, full=0)
    for start in range(0, len(order), engine.batch_size):
        group = order[start : start + engine.batch_size]
        h, w = (int(v) for v in sizes[group].max(axis=0))
        top = np.minimum(boxes[group, 0], height - h)
        left = np.minimum(boxes[group, 1], width - w)
        patches = torch.stack(
            [image[:, t : t + h, l_ : l_ + w] for t, l_ in zip(top, left, strict=True)]
        ).clone()
        for k, index in enumerate(group):
            y0, x0, y1, x1 = boxes[index]
            patches[k, :, y0 - top[k] : y1 - top[k], x0 - left[k] : x1 - left[k]] = frames[
                index, :, y0:y1, x0:x1
            ].to(image.dtype)
        update = engine.update(activations, patches, np.stack([top, left], axis=1), tau=tau)
        for k, index in enumerate(group):
            outputs[index] = update.outputs[k]
        macs += update.macs
    stacked = (
        torch.stack([o for o in outputs if o is not None])
        if len(frames)
        else (activations.output[:0])
    )
    return FrameResults(outputs=stacked, boxes=boxes, macs=macs)
