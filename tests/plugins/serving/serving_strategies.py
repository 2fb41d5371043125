"""Hypothesis strategies for the serving plugin: small random CNNs, images and patches."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st
from torch import nn


@dataclass(frozen=True)
class Case:
    """A small CNN, an image shape for it, and a patch at one position."""

    model: nn.Module
    shape: tuple[int, int, int]
    patch: tuple[int, int]
    origin: tuple[int, int]


@st.composite
def layer_specs(draw: st.DrawFn) -> tuple[str, tuple[int, ...]]:
    kind = draw(st.sampled_from(["conv", "conv", "conv", "max", "avg", "relu", "bn"]))
    if kind == "conv":
        kernel = draw(st.integers(1, 4))
        stride = draw(st.integers(1, 3))
        dilation = draw(st.integers(1, 2))
        padding = draw(st.integers(0, (dilation * (kernel - 1) + 1) // 2))
        groups = draw(st.sampled_from([1, 2]))
        return kind, (kernel, stride, padding, dilation, groups)
    if kind in ("max", "avg"):
        kernel = draw(st.integers(2, 3))
        return kind, (kernel, draw(st.integers(1, kernel)), draw(st.integers(0, kernel // 2)))
    return kind, ()


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A random stack (residual add at the end when shapes allow), pooled to a linear head."""
    specs = draw(st.lists(layer_specs(), min_size=1, max_size=5))
    height, width = draw(st.integers(12, 24)), draw(st.integers(12, 24))
    layers: list[nn.Module] = []
    channels, size = 2, (height, width)
    for kind, args in specs:
        if kind == "conv":
            kernel, stride, padding, dilation, groups = args
            extent = dilation * (kernel - 1) + 1
            if min(size) + 2 * padding < extent:
                continue
            layers.append(nn.Conv2d(channels, 4, kernel, stride, padding, dilation, groups))
            size = tuple((s + 2 * padding - extent) // stride + 1 for s in size)  # type: ignore[assignment]
            channels = 4
        elif kind in ("max", "avg"):
            kernel, stride, padding = args
            if min(size) + 2 * padding < kernel:
                continue
            pool = nn.MaxPool2d if kind == "max" else nn.AvgPool2d
            layers.append(pool(kernel, stride, padding))
            size = tuple((s + 2 * padding - kernel) // stride + 1 for s in size)  # type: ignore[assignment]
        elif kind == "relu":
            layers.append(nn.ReLU())
        else:
            layers.append(nn.BatchNorm2d(channels))
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 3))
    seed = draw(st.integers(0, 2**16))
    torch.manual_seed(seed)
    ph, pw = draw(st.integers(1, height)), draw(st.integers(1, width))
    origin = (draw(st.integers(0, height - ph)), draw(st.integers(0, width - pw)))
    return Case(model=model, shape=(2, height, width), patch=(ph, pw), origin=origin)
