"""ResNet-18- and VGG-16-shaped networks, built here because torchvision does not install beside
the pinned torch: the same layers, strides and channel counts as torchvision's definitions
(``width`` scales the channels for quick tests), random weights unless loaded.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["he_scaled", "resnet18_like", "vgg16_like"]

#: VGG-16's configuration "D": channels per convolution, "M" a 2x2 max pool
_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16_like(num_classes: int = 1000, *, width: float = 1.0, head: int = 4096) -> nn.Module:
    """VGG-16 (configuration D, no batch norm): 13 3x3 convolutions, 5 max pools, then
    torchvision's head (adaptive 7x7 average pool, three linear layers)."""
    layers: list[nn.Module] = []
    channels = 3
    for item in _VGG16:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            out = max(1, int(int(item) * width))
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU(inplace=True)]
            channels = out
    return nn.Sequential(
        nn.Sequential(*layers),
        nn.AdaptiveAvgPool2d((7, 7)),
        nn.Flatten(),
        nn.Linear(channels * 49, head),
        nn.ReLU(inplace=True),
        nn.Dropout(),
        nn.Linear(head, head),
        nn.ReLU(inplace=True),
        nn.Dropout(),
        nn.Linear(head, num_classes),
    )


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 convolutions and a shortcut (1x1 strided when shapes
    change), added before the last ReLU."""

    def __init__(self, channels_in: int, channels_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.downsample: nn.Module | None = None
        if stride != 1 or channels_in != channels_out:
            self.downsample = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride, bias=False),
                nn.BatchNorm2d(channels_out),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        result: torch.Tensor = self.relu(out)
        return result


class ResNet18Like(nn.Module):
    """ResNet-18: a 7x7 stride-2 stem and 3x3 max pool, four stages of two basic blocks
    (strides 1, 2, 2, 2), global average pooling and a linear head."""

    def __init__(self, num_classes: int = 1000, *, width: float = 1.0) -> None:
        super().__init__()
        sizes = [max(1, int(c * width)) for c in (64, 128, 256, 512)]
        self.conv1 = nn.Conv2d(3, sizes[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(sizes[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages: list[nn.Module] = []
        channels = sizes[0]
        for index, size in enumerate(sizes):
            stride = 1 if index == 0 else 2
            stages.append(
                nn.Sequential(BasicBlock(channels, size, stride), BasicBlock(size, size, 1))
            )
            channels = size
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        out: torch.Tensor = self.fc(torch.flatten(self.avgpool(x), 1))
        return out


def resnet18_like(num_classes: int = 1000, *, width: float = 1.0) -> nn.Module:
    """A ResNet-18-shaped network (torchvision's layers, strides and channels)."""
    return ResNet18Like(num_classes, width=width)


def he_scaled(model: nn.Module, seed: int = 0) -> nn.Module:
    """``model`` with every convolution and linear weight redrawn with He's variance
    (``2 / fan_in``, which keeps activations at scale through ReLUs), small random biases, and
    random batch-norm statistics; in eval mode.

    Default initialization shrinks activations layer by layer until a deep random network
    barely sees a patch (a VGG-16-shaped one moves its logits by less than 1e-6); benchmarks
    and tests of random networks use this instead so that occlusion maps have structure.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Conv2d | nn.Linear):
                weight = layer.weight
                scale = (2.0 / weight[0].numel()) ** 0.5
                weight.copy_(torch.randn(weight.shape, generator=generator) * scale)
                if layer.bias is not None:
                    layer.bias.copy_(0.1 * torch.randn(layer.bias.shape, generator=generator))
            elif isinstance(layer, nn.BatchNorm2d) and layer.running_mean is not None:
                assert layer.running_var is not None
                shape = layer.running_mean.shape
                layer.running_mean.copy_(0.1 * torch.randn(shape, generator=generator))
                layer.running_var.copy_(0.5 + torch.rand(shape, generator=generator))
                layer.weight.copy_(1 + 0.2 * torch.randn(shape, generator=generator))
                layer.bias.copy_(0.1 * torch.randn(shape, generator=generator))
    return model.eval()
