"""Camera frames: the changed box over the threshold, inferred incrementally."""

from __future__ import annotations

import numpy as np
import torch
from serving_nets import tiny_cnn

from datacheck_serving import IncrementalModel, changed_boxes, frames

SHAPE = (3, 20, 20)


def test_boxes_ignore_noise_below_the_threshold() -> None:
    base = torch.zeros(SHAPE)
    moved = base + 0.01 * torch.randn((3, *SHAPE), generator=torch.Generator().manual_seed(0))
    moved[1, 0, 3:5, 6:10] += 1.0
    moved[2, 2, 19, 0] -= 1.0
    boxes = changed_boxes(base, moved, threshold=0.1)
    assert boxes.tolist() == [[0, 0, 0, 0], [3, 6, 5, 10], [19, 0, 20, 1]]


def test_frames_equal_full_inference_of_the_pasted_box() -> None:
    model = tiny_cnn()
    generator = torch.Generator().manual_seed(1)
    base = torch.randn(SHAPE, generator=generator)
    shots = base + 0.01 * torch.randn((4, *SHAPE), generator=generator)
    shots[0, :, 2:6, 2:6] += 2.0
    shots[1, :, 10:20, 0:3] -= 1.5
    shots[3, :, 0:20, 0:20] *= -1
    result = frames(IncrementalModel(model, SHAPE, batch_size=2), base, shots, threshold=0.1)
    expected = base.expand(4, *SHAPE).clone()
    for index, (y0, x0, y1, x1) in enumerate(result.boxes):
        expected[index, :, y0:y1, x0:x1] = shots[index, :, y0:y1, x0:x1]
    with torch.no_grad():
        reference = model(expected)
        plain = model(base[None])
    assert torch.allclose(result.outputs, reference, atol=1e-5, rtol=0)
    assert torch.allclose(result.outputs[2], plain[0], atol=1e-5)  # noise only: the base's
    assert float((reference[:2] - plain).abs().max()) > 1e-2
    assert result.macs.ratio > 1
    assert np.array_equal(result.boxes[3], [0, 0, 20, 20])
