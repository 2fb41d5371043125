"""VGG-16 is trained with batch norms that are then folded into its convolutions: the folded
plain stack computes what the trained one computed."""

from __future__ import annotations

import torch
from torch import nn

from datacheck_serving._networks import vgg16_like
from datacheck_serving._trained import _fold_batch_norm, _with_batch_norm


def test_folded_batch_norms_leave_the_outputs_unchanged() -> None:
    torch.manual_seed(0)
    plain = vgg16_like(8, width=1 / 16, head=16).double()
    trainee = _with_batch_norm(plain).double()
    norms = [layer for layer in trainee.modules() if isinstance(layer, nn.BatchNorm2d)]
    assert len(norms) == 13  # one per convolution; the convolutions are shared with `plain`
    for norm in norms:  # statistics and affine terms far from the identity
        assert norm.running_mean is not None and norm.running_var is not None
        norm.running_mean.uniform_(-1, 1)
        norm.running_var.uniform_(0.2, 3)
        nn.init.uniform_(norm.weight, 0.5, 2)
        nn.init.uniform_(norm.bias, -0.5, 0.5)
    trainee.eval()
    plain.eval()
    images = torch.randn(3, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        expected = trainee(images)
        before = plain(images)
        _fold_batch_norm(trainee)
        after = plain(images)
    assert not any(isinstance(layer, nn.BatchNorm2d) for layer in plain.modules())
    assert float((before - expected).abs().max()) > 1e-3  # the norms did change the outputs
    torch.testing.assert_close(after, expected, rtol=0, atol=1e-12)
