"""The multiply-accumulate counter against counts worked out by hand."""

from __future__ import annotations

import torch
from torch import nn

from datacheck_serving import IncrementalModel


def test_one_convolution() -> None:
    # 3x3 conv, padding 1, 2 -> 5 channels on 8x8: 5*2*9 = 90 MACs per output position.
    engine = IncrementalModel(nn.Conv2d(2, 5, 3, padding=1).eval(), (2, 8, 8))
    assert engine.full_macs == 90 * 64
    base = engine.materialize(torch.randn(2, 8, 8))
    # a 2x2 patch at (3, 3) reaches output rows and columns 2..5: a 4x4 region
    update = engine.update(base, torch.zeros(1, 2, 2, 2), [(3, 3)])
    assert update.macs.done == 90 * 16
    assert update.macs.full == 90 * 64
    # in a corner the region is clipped to 3x3
    assert engine.update(base, torch.zeros(1, 2, 2, 2), [(0, 0)]).macs.done == 90 * 9


def test_strided_grouped_convolution_then_linear_head() -> None:
    # conv 4->6, kernel 3, stride 2, groups 2 on 9x9 -> 4x4 output; 6*(4/2)*9 = 108 per position
    model = nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, groups=2), nn.Flatten(), nn.Linear(96, 7))
    engine = IncrementalModel(model.eval(), (4, 9, 9))
    assert engine.full_macs == 108 * 16 + 96 * 7
    base = engine.materialize(torch.randn(4, 9, 9))
    # a pixel at (4, 4) is read by outputs (1..2, 1..2): 4 positions; the head runs whole
    two = engine.update(base, torch.zeros(2, 4, 1, 1), [(4, 4), (4, 4)])
    assert two.macs.done == 2 * (108 * 4 + 96 * 7)
    assert two.macs.full == 2 * engine.full_macs
    assert two.macs.ratio == (108 * 16 + 96 * 7) / (108 * 4 + 96 * 7)


def test_pools_and_activations_cost_no_macs() -> None:
    model = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2), nn.BatchNorm2d(3))
    engine = IncrementalModel(model.eval(), (3, 8, 8))
    assert engine.full_macs == 0


def test_counting_alone_agrees_with_running() -> None:
    from serving_nets import resnet_small, sensitive

    engine = IncrementalModel(sensitive(resnet_small()), (3, 40, 36), batch_size=5)
    base = engine.materialize(torch.randn(3, 40, 36, dtype=torch.float64))
    where = [(0, 0), (32, 28), (10, 3), (5, 20), (17, 17), (0, 28), (32, 0)]
    for tau in (None, 0.5):
        ran = engine.update(base, torch.zeros(7, 3, 8, 8, dtype=torch.float64), where, tau=tau)
        assert engine.count_macs((8, 8), where, tau=tau) == ran.macs
    assert engine.count_macs((8, 8), where, tau=0.5).done < engine.count_macs((8, 8), where).done
