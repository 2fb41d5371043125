"""Networks the serving plugin's tests run, with weights that make the output see a patch.

Default-initialized networks shrink their activations layer by layer until a patch moves the
output by less than the tolerance, so an engine that ignored the patch would pass. ``sensitive``
re-draws every convolution and linear weight with He's variance (which keeps activations at
scale through ReLU layers) and gives batch norms random running statistics; the tests then
assert that patched outputs differ from the unpatched one by far more than the tolerance.
"""

from __future__ import annotations

import torch
from torch import nn

from datacheck_serving import resnet18_like, vgg16_like


def sensitive(model: nn.Module, seed: int = 0, dtype: torch.dtype = torch.float64) -> nn.Module:
    """``model`` with He-scaled weights, random batch-norm statistics, in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    model = model.to(dtype)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Conv2d | nn.Linear):
                fan_in = layer.weight[0].numel()
                layer.weight.copy_(
                    torch.randn(layer.weight.shape, generator=generator, dtype=dtype)
                    * (2.0 / fan_in) ** 0.5
                )
                if layer.bias is not None:
                    layer.bias.copy_(
                        0.1 * torch.randn(layer.bias.shape, generator=generator, dtype=dtype)
                    )
            elif isinstance(layer, nn.BatchNorm2d):
                shape = layer.running_mean.shape
                layer.running_mean.copy_(0.1 * torch.randn(shape, generator=generator))
                layer.running_var.copy_(0.5 + torch.rand(shape, generator=generator))
                layer.weight.copy_(1 + 0.2 * torch.randn(shape, generator=generator))
                layer.bias.copy_(0.1 * torch.randn(shape, generator=generator))
    return model.eval()


def vgg_small() -> nn.Module:
    """VGG-16's layer sequence at 1/16 of its channels, a small head."""
    return vgg16_like(10, width=1 / 16, head=32)


def resnet_small() -> nn.Module:
    """ResNet-18's layers (7x7 stride-2 stem, max pool, residual stages) at 1/16 channels."""
    return resnet18_like(10, width=1 / 16)


class Tangled(nn.Module):
    """Strided, dilated, grouped and rectangular convolutions, a concat, pools with padding."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 3), dilation=(1, 2))
        self.b = nn.Conv2d(6, 6, 3, padding=2, dilation=2, groups=3)
        self.c = nn.Conv2d(12, 8, 1, stride=2)
        self.d = nn.Conv2d(8, 8, 4, stride=3, padding="valid", groups=2)
        self.e = nn.Conv2d(8, 8, 3, padding="same")
        self.pool = nn.AvgPool2d(3, 2, 1)
        self.max = nn.MaxPool2d(3, 1, 1, dilation=1, ceil_mode=True)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.relu(self.a(x))
        y = torch.cat([a, torch.tanh(self.b(a))], dim=1)
        y = self.max(self.pool(y)) * 2.0
        y = nn.functional.silu(self.c(y))
        z = self.d(y)
        y = self.e(z) + z
        return self.head(y.mean((2, 3)))


def tiny_cnn() -> nn.Module:
    """A small CNN for 3x20x20 images with sensitive weights (float32); a factory by reference."""
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 4),
    )
    return sensitive(model, seed=11, dtype=torch.float32)


class Rolling(nn.Module):
    """A model the engine refuses: ``torch.roll`` moves every pixel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(x, 1, dims=2).mean((1, 2, 3))
