"""A CNN as a list of steps the incremental engine knows how to run, or a refusal.

The model is traced with ``torch.fx.symbolic_trace``, so residual adds and channel concats are
graph nodes, and each node is classified once, at construction, from its target and from one
forward pass of a zero image (which also gives every layer's shape and multiply-accumulates):

- ``window``: a sliding window over the spatial axes (``Conv2d`` of any kernel, stride,
  padding, dilation and groups; ``MaxPool2d``; ``AvgPool2d``, ``ceil_mode`` included, its
  windows summed and divided by PyTorch's divisor at each position; an adaptive pool whose
  output divides its input): recomputed over the region a change reaches, on a cropped window;
- ``pointwise``: the same position in, the same position out (``BatchNorm2d`` in eval mode,
  ReLU and the other activations, dropout in eval mode, arithmetic with a constant): applied to
  the changed region alone;
- ``binary`` and ``cat``: two or more same-shaped spatial inputs (a residual add, a channel
  concat): the union of their regions, gathered from each;
- ``gap``: global average pooling: the base's mean plus the changed region's difference;
- ``dense``: everything after the spatial part (flatten, linear heads, softmax), run on the
  whole batch of queries; small next to the convolutions.

Anything else is refused by name (:class:`UnsupportedLayerError`) rather than mis-computed.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from datacheck.errors import DatacheckError
from datacheck_serving._regions import Axis

__all__ = ["Graph", "Step", "UnsupportedLayerError", "compile_graph"]


class UnsupportedLayerError(DatacheckError, ValueError):
    """A layer the incremental engine cannot compute (exactly) on a region; named in the
    message, refused when the :class:`~datacheck_serving.IncrementalModel` is built."""


#: modules that map each spatial position to the same position
_POINTWISE_MODULES: tuple[type[nn.Module], ...] = (
    nn.BatchNorm2d,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Hardtanh,
    nn.Softplus,
    nn.Identity,
    nn.Dropout,
    nn.Dropout2d,
)
#: modules run on the whole batch of queries (the head)
_DENSE_MODULES: tuple[type[nn.Module], ...] = (
    nn.Linear,
    nn.Flatten,
    nn.Softmax,
    nn.LogSoftmax,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
)
_ADD_LIKE: dict[Any, Callable[..., Any]] = {
    operator.add: operator.add,
    operator.iadd: operator.add,
    operator.sub: operator.sub,
    operator.isub: operator.sub,
    operator.mul: operator.mul,
    operator.imul: operator.mul,
    operator.truediv: operator.truediv,
    torch.add: torch.add,
    torch.sub: torch.sub,
    torch.mul: torch.mul,
}
_POINTWISE_FUNCTIONS: set[Any] = {
    torch.relu,
    F.relu,
    torch.sigmoid,
    torch.tanh,
    F.gelu,
    F.silu,
    F.leaky_relu,
    F.relu6,
    F.hardswish,
    F.elu,
    F.dropout,
}
_DENSE_FUNCTIONS: set[Any] = {
    torch.flatten,
    torch.cat,
    torch.mean,
    F.adaptive_avg_pool2d,
    F.linear,
    F.softmax,
    F.log_softmax,
    torch.softmax,
}
_POINTWISE_METHODS = {"relu", "sigmoid", "tanh", "add", "sub", "mul"}
_DENSE_METHODS = {"flatten", "view", "reshape", "size", "mean", "squeeze", "contiguous", "softmax"}


@dataclass(frozen=True, slots=True)
class Step:
    """One graph node and how the engine runs it."""

    #: the fx node
    node: fx.Node
    #: how it is run: input, window, pointwise, binary, cat, gap, dense, static or output
    kind: str
    #: the layer's name for messages and MAC reports (module path or function)
    label: str
    #: the nodes among its arguments that depend on the input image
    inputs: tuple[fx.Node, ...]
    #: window steps: the layer on a cropped, already padded window
    window: Callable[[torch.Tensor], torch.Tensor] | None = None
    #: window steps: the geometry along rows and columns
    rows: Axis | None = None
    cols: Axis | None = None
    #: window steps: what padding holds (0 for convolutions, -inf for max pooling)
    pad_value: float = 0.0
    #: window steps: multiply-accumulates per output position (convolutions; 0 for pools)
    macs_per_position: int = 0
    #: multiply-accumulates of one full inference of this layer
    full_macs: int = 0
    #: window steps whose divisor varies by output position (an ``AvgPool2d`` with
    #: ``ceil_mode=True``, or ``count_include_pad=False`` with padding): ``window`` sums, and
    #: each output position is divided by this ``(out_h, out_w)`` map (whole numbers)
    divisors: torch.Tensor | None = None


@dataclass(frozen=True, slots=True)
class Graph:
    """A traced model, its steps in execution order, and the values that do not depend on the
    input image (parameters read with ``get_attr``, constants)."""

    module: fx.GraphModule
    steps: tuple[Step, ...]
    static: dict[str, Any]
    #: the shape of every node's output for one image
    shapes: dict[str, tuple[int, ...]]
    #: multiply-accumulates of one full inference
    full_macs: int


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    first, second = value
    return int(first), int(second)


def _label(node: fx.Node) -> str:
    if node.op == "call_module":
        return str(node.target)
    if node.op == "call_method":
        return f".{node.target}()"
    return getattr(node.target, "__name__", str(node.target))


def _refuse(node: fx.Node, what: str, why: str) -> UnsupportedLayerError:
    return UnsupportedLayerError(
        f"layer {_label(node)!r} ({what}) cannot be computed incrementally: {why}"
    )


def call_node(module: fx.GraphModule, node: fx.Node, value_of: Callable[[fx.Node], Any]) -> Any:
    """Run ``node`` on the values ``value_of`` gives its argument nodes, never in place."""
    args: tuple[Any, ...] = tuple(fx.node.map_arg(node.args, value_of))
    kwargs: dict[str, Any] = dict(fx.node.map_arg(node.kwargs, value_of))
    if "inplace" in kwargs:
        kwargs["inplace"] = False
    if node.op == "call_module":
        layer = module.get_submodule(str(node.target))
        if getattr(layer, "inplace", False):
            args = (args[0].clone(), *args[1:])
        return layer(*args, **kwargs)
    if node.op == "call_function":
        target: Callable[..., Any] = _ADD_LIKE.get(node.target, node.target)  # type: ignore[arg-type]
        if target is F.relu and len(args) > 1:
            args = args[:1]
        return target(*args, **kwargs)
    if node.op == "call_method":
        name = str(node.target)
        if name.endswith("_") and hasattr(torch.Tensor, name[:-1]):
            name = name[:-1]
        return getattr(args[0], name)(*args[1:], **kwargs)
    raise AssertionError(f"not a call: {node.op}")


def _avg_divisors(
    size_in: tuple[int, int],
    size_out: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    include_pad: bool,
) -> torch.Tensor:
    """``AvgPool2d``'s divisor at each output position, as PyTorch computes it: the window
    clipped to the padded input (``count_include_pad``; a ``ceil_mode`` window running past
    the padding counts only what lies inside it), or to the input alone."""
    counts = []
    for size, out, k, s, p in zip(size_in, size_out, kernel, stride, padding, strict=True):
        start = torch.arange(out, dtype=torch.float64) * s - p
        stop = torch.clamp(start + k, max=size + p)
        if not include_pad:
            start, stop = torch.clamp(start, min=0), torch.clamp(stop, max=size)
        counts.append(stop - start)
    return counts[0][:, None] * counts[1][None, :]


def _window_step(
    node: fx.Node, layer: nn.Module, inputs: tuple[fx.Node, ...], shapes: dict[str, Any]
) -> Step | None:
    """The window step for a sliding-window module, None when it runs dense, or a refusal."""
    label = str(node.target)
    in_shape = shapes[inputs[0].name]
    out_shape = shapes[node.name]
    if len(in_shape) != 4:
        return None
    if isinstance(layer, nn.Conv2d):
        if layer.padding_mode != "zeros":
            raise _refuse(node, "Conv2d", f"padding_mode={layer.padding_mode!r}; only zeros")
        kernel, stride, dilation = (
            _pair(layer.kernel_size),
            _pair(layer.stride),
            _pair(layer.dilation),
        )
        if isinstance(layer.padding, str):
            padding = (
                (0, 0)
                if layer.padding == "valid"
                else (dilation[0] * (kernel[0] - 1) // 2, dilation[1] * (kernel[1] - 1) // 2)
            )
        else:
            padding = _pair(layer.padding)
        conv = layer

        def run_conv(window: torch.Tensor) -> torch.Tensor:
            return F.conv2d(window, conv.weight, conv.bias, stride, 0, dilation, conv.groups)

        per_position = layer.out_channels * (layer.in_channels // layer.groups) * math.prod(kernel)
        return Step(
            node=node,
            kind="window",
            label=label,
            inputs=inputs,
            window=run_conv,
            rows=Axis(kernel[0], stride[0], padding[0], dilation[0]),
            cols=Axis(kernel[1], stride[1], padding[1], dilation[1]),
            macs_per_position=per_position,
            full_macs=per_position * out_shape[2] * out_shape[3],
        )
    if isinstance(layer, nn.MaxPool2d):
        if layer.return_indices:
            raise _refuse(node, "MaxPool2d", "return_indices=True")
        kernel = _pair(layer.kernel_size)
        stride = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
        padding, dilation = _pair(layer.padding), _pair(layer.dilation)

        def run_max(window: torch.Tensor) -> torch.Tensor:
            return F.max_pool2d(window, kernel, stride, 0, dilation)

        return Step(
            node=node,
            kind="window",
            label=label,
            inputs=inputs,
            window=run_max,
            rows=Axis(kernel[0], stride[0], padding[0], dilation[0]),
            cols=Axis(kernel[1], stride[1], padding[1], dilation[1]),
            pad_value=-math.inf,
        )
    if isinstance(layer, nn.AvgPool2d):
        kernel = _pair(layer.kernel_size)
        stride = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
        padding = _pair(layer.padding)
        override = layer.divisor_override
        divisors: torch.Tensor | None = None
        if override is None and (
            layer.ceil_mode or (not layer.count_include_pad and padding != (0, 0))
        ):
            # the divisor varies by position: sum the window, divide by the layer's own count
            divisors = _avg_divisors(
                in_shape[2:], out_shape[2:], kernel, stride, padding, layer.count_include_pad
            )
            override = 1
        divisor = override

        def run_avg(window: torch.Tensor) -> torch.Tensor:
            return F.avg_pool2d(window, kernel, stride, 0, False, True, divisor)

        return Step(
            node=node,
            kind="window",
            label=label,
            inputs=inputs,
            window=run_avg,
            rows=Axis(kernel[0], stride[0], padding[0], 1),
            cols=Axis(kernel[1], stride[1], padding[1], 1),
            divisors=divisors,
        )
    if isinstance(layer, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        (height, width), (out_h, out_w) = in_shape[2:], out_shape[2:]
        if isinstance(layer, nn.AdaptiveAvgPool2d) and (out_h, out_w) == (1, 1):
            return Step(node=node, kind="gap", label=label, inputs=inputs)
        if height % out_h or width % out_w:
            return None
        kernel = (height // out_h, width // out_w)
        pool = F.avg_pool2d if isinstance(layer, nn.AdaptiveAvgPool2d) else F.max_pool2d

        def run_adaptive(window: torch.Tensor) -> torch.Tensor:
            return pool(window, kernel, kernel)

        return Step(
            node=node,
            kind="window",
            label=label,
            inputs=inputs,
            window=run_adaptive,
            rows=Axis(kernel[0], kernel[0], 0, 1),
            cols=Axis(kernel[1], kernel[1], 0, 1),
        )
    return None


def _module_step(
    node: fx.Node, module: fx.GraphModule, inputs: tuple[fx.Node, ...], shapes: dict[str, Any]
) -> Step:
    layer = module.get_submodule(str(node.target))
    name = type(layer).__name__
    if layer.training:
        raise _refuse(node, name, "the model is in training mode; call model.eval() first")
    out_shape = shapes[node.name]
    if isinstance(layer, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
        step = _window_step(node, layer, inputs, shapes)
        if step is not None:
            return step
        macs = 0
        if isinstance(layer, nn.Conv2d):
            macs = math.prod(out_shape) * (layer.in_channels // layer.groups)
            macs *= math.prod(_pair(layer.kernel_size))
        return Step(node=node, kind="dense", label=str(node.target), inputs=inputs, full_macs=macs)
    if isinstance(layer, nn.BatchNorm2d) and layer.running_mean is None:
        raise _refuse(node, name, "track_running_stats=False normalizes over the batch")
    if isinstance(layer, _POINTWISE_MODULES):
        return Step(node=node, kind="pointwise", label=str(node.target), inputs=inputs)
    if isinstance(layer, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        step = _window_step(node, layer, inputs, shapes)
        if step is not None:
            return step
    if isinstance(layer, _DENSE_MODULES):
        macs = math.prod(out_shape) * layer.in_features if isinstance(layer, nn.Linear) else 0
        return Step(node=node, kind="dense", label=str(node.target), inputs=inputs, full_macs=macs)
    raise _refuse(
        node,
        name,
        "not a layer the engine supports (convolutions, pools, "
        "batch norm, element-wise activations, add, concat, flatten, linear)",
    )


def _position_free(node: fx.Node, values: dict[str, Any], dependent: set[str]) -> bool:
    """Whether ``node``'s other arguments are the same at every spatial position (scalars,
    per-channel tensors), so it can run on a region alone."""
    for arg in node.all_input_nodes:
        value = values[arg.name]
        constant = arg.name not in dependent and isinstance(value, torch.Tensor)
        if constant and value.dim() >= 2 and math.prod(value.shape[-2:]) > 1:
            return False
    return True


def _call_step(
    node: fx.Node, inputs: tuple[fx.Node, ...], shapes: dict[str, Any], position_free: bool
) -> Step:
    label = _label(node)
    target = node.target
    method = str(target).rstrip("_") if node.op == "call_method" else None
    shape = shapes[node.name]
    spatial = [len(shapes[n.name]) == 4 and shapes[n.name] == shape for n in inputs]
    if target in _ADD_LIKE or method in {"add", "sub", "mul"}:
        if len(inputs) == 1:
            kind = "pointwise" if position_free else "dense"
            return Step(node=node, kind=kind, label=label, inputs=inputs)
        kind = "binary" if all(spatial) and position_free else "dense"
        return Step(node=node, kind=kind, label=label, inputs=inputs)
    if target in _POINTWISE_FUNCTIONS or method in _POINTWISE_METHODS:
        if len(inputs) != 1:
            raise _refuse(node, label, "an activation of several inputs")
        return Step(node=node, kind="pointwise", label=label, inputs=inputs)
    if target is torch.cat:
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        parts = node.args[0]
        channel = isinstance(dim, int) and dim % max(len(shape), 1) == 1 and len(shape) == 4
        all_nodes = isinstance(parts, list | tuple) and all(
            isinstance(p, fx.Node) and p in inputs for p in parts
        )
        if channel and all_nodes and all(len(shapes[n.name]) == 4 for n in inputs):
            return Step(node=node, kind="cat", label=label, inputs=inputs)
        return Step(node=node, kind="dense", label=label, inputs=inputs)
    if target is F.adaptive_avg_pool2d and len(shape) == 4 and shape[2:] == (1, 1):
        return Step(node=node, kind="gap", label=label, inputs=inputs)
    if target in _DENSE_FUNCTIONS or method in _DENSE_METHODS:
        return Step(node=node, kind="dense", label=label, inputs=inputs)
    raise _refuse(node, label, "not an operation the engine supports")


def compile_graph(model: nn.Module, example: torch.Tensor) -> Graph:
    """Trace ``model`` and classify its nodes, running ``example`` (one image) through it.

    Raises:
        UnsupportedLayerError: The model does not trace, returns something other than one
            tensor, or has a layer the engine cannot compute incrementally (named).
    """
    if fx.Tracer().is_leaf_module(model, ""):
        model = nn.Sequential(model)  # a bare layer would be traced into its functional body
    try:
        module = fx.symbolic_trace(model)
    except Exception as exc:  # fx raises many types for untraceable control flow
        raise UnsupportedLayerError(
            f"{type(model).__name__} cannot be traced by torch.fx "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "build it from traceable modules",
            parameter="model",
            value=type(model).__name__,
        ) from exc
    values: dict[str, Any] = {}
    static: dict[str, Any] = {}
    dependent: set[str] = set()
    steps: list[Step] = []
    shapes: dict[str, Any] = {}
    placeholders = [n for n in module.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise UnsupportedLayerError(
            f"the model takes {len(placeholders)} inputs; the engine runs models of one image",
            parameter="model",
            value=type(model).__name__,
        )
    with torch.no_grad():
        for node in module.graph.nodes:
            if node.op == "placeholder":
                values[node.name] = example
                dependent.add(node.name)
                shapes[node.name] = tuple(example.shape)
                steps.append(Step(node=node, kind="input", label="input", inputs=()))
                continue
            if node.op == "output":
                result = node.args[0]
                if not isinstance(result, fx.Node) or not isinstance(
                    values.get(result.name), torch.Tensor
                ):
                    raise UnsupportedLayerError(
                        "the model must return one tensor",
                        parameter="model",
                        value=type(model).__name__,
                    )
                steps.append(Step(node=node, kind="output", label="output", inputs=(result,)))
                continue
            if node.op == "get_attr":
                value: Any = module
                for part in str(node.target).split("."):
                    value = getattr(value, part)
                values[node.name] = static[node.name] = value
                continue
            inputs = tuple(n for n in node.all_input_nodes if n.name in dependent)
            value = call_node(module, node, lambda n: values[n.name])
            values[node.name] = value
            if not inputs:
                static[node.name] = value
                continue
            dependent.add(node.name)
            shapes[node.name] = tuple(value.shape) if isinstance(value, torch.Tensor) else ()
            if node.op == "call_module":
                steps.append(_module_step(node, module, inputs, shapes))
            elif node.target is F.linear:
                weight = values[node.args[1].name] if isinstance(node.args[1], fx.Node) else None
                macs = math.prod(value.shape) * int(weight.shape[1]) if weight is not None else 0
                steps.append(
                    Step(node=node, kind="dense", label=_label(node), inputs=inputs, full_macs=macs)
                )
            else:
                free = _position_free(node, values, dependent)
                steps.append(_call_step(node, inputs, shapes, free))
    return Graph(
        module=module,
        steps=tuple(steps),
        static=static,
        shapes=shapes,
        full_macs=sum(step.full_macs for step in steps),
    )
