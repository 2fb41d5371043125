"""Krypton's incremental inference: a base image's activations, and many small changes to it.

:class:`IncrementalModel` materializes every layer's output for a base image once
(:meth:`IncrementalModel.materialize`). A batch of queries, each a patch of new pixels at some
position (an occluding square, a camera frame's changed box), then runs layer by layer on
regions only (:mod:`datacheck_serving._regions`): a sliding-window layer gathers, for each
query, the input window its changed output region reads (base activations, padded as the layer
pads, with the query's new values written over them), runs the layer once on the batch of
windows and keeps the new region; element-wise layers run on the region alone; an add or a
concat gathers each input over the union of their regions; a global average pool adds the
region's difference to the base's mean; the head after the last spatial layer runs on the
whole batch. Every position of a recomputed region is computed from its true inputs, so the
result is what full inference gives, to rounding (the tests hold it to 1e-5 in float32 and
1e-12 in float64). With ``tau`` (Krypton's projective-field threshold) each layer's region
is capped, trading exactness for speed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import fx, nn

from datacheck.errors import OptionError
from datacheck_serving._graph import Graph, Step, call_node, compile_graph
from datacheck_serving._regions import Ints, Regions, affected, materialize, truncate, union

__all__ = ["BaseActivations", "IncrementalModel", "MacCount", "Update"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MacCount:
    """Multiply-accumulates (convolutions and linear layers) done, against full inference of
    the same queries."""

    #: multiply-accumulates the engine did
    done: int
    #: what full inference of every query would have done
    full: int

    @property
    def ratio(self) -> float:
        """``full / done``: the speed-up the saved arithmetic allows."""
        return self.full / self.done if self.done else float("inf")

    def __add__(self, other: MacCount) -> MacCount:
        return MacCount(done=self.done + other.done, full=self.full + other.full)


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    """The outputs for a batch of queries, and the arithmetic they took."""

    #: the model's output for each query, stacked: what ``model(patched_images)`` returns
    outputs: torch.Tensor
    #: multiply-accumulates done and saved
    macs: MacCount


@dataclass(slots=True)
class BaseActivations:
    """Every layer's output for one base image (from :meth:`IncrementalModel.materialize`)."""

    #: the base image, ``(1, C, H, W)``
    image: torch.Tensor
    #: each graph node's output, by node name
    values: dict[str, Any]
    #: the model's output for the base image, ``(1, ...)``
    output: torch.Tensor
    #: padded copies of activations, made once per (node, padding, fill) and reused
    padded: dict[tuple[str, int, int, int, int, float], torch.Tensor] = field(default_factory=dict)


@dataclass(slots=True)
class _Sparse:
    """A layer output for a batch of queries: the base's, with a region per query replaced."""

    base: torch.Tensor
    regions: Regions
    #: ``(Q, C, h, w)``: the materialized region of each query
    values: torch.Tensor


def _densify(value: Any) -> Any:
    if not isinstance(value, _Sparse):
        return value
    q = value.values.shape[0]
    out = value.base.expand(q, *value.base.shape[1:]).clone()
    regions = value.regions
    rows, cols = _spans(regions.my0, regions.h), _spans(regions.mx0, regions.w)
    index = torch.arange(q)[:, None, None]
    out[index, :, rows[:, :, None], cols[:, None, :]] = value.values.permute(0, 2, 3, 1)
    return out


def _spans(start: Ints, length: int) -> torch.Tensor:
    return torch.from_numpy(start)[:, None] + torch.arange(length)


def _gather(
    plane: torch.Tensor,
    plane_width: int,
    top: int,
    left: int,
    value: _Sparse | None,
    r0: Ints,
    c0: Ints,
    h: int,
    w: int,
) -> torch.Tensor:
    """Each query's ``h x w`` window at ``(r0, c0)`` (input coordinates, which may reach into
    the padding), ``(Q, C, h, w)`` in channels-last memory: base activations from ``plane``
    (the padded map as ``(rows * plane_width, C)``, one row per position) with the query's
    region from ``value`` written over them (none when ``value`` is None).

    Whole channel vectors are copied per position (``index_select`` over positions), several
    times faster than indexing ``(C, H, W)`` element by element, and convolutions run on
    channels-last windows as fast as on contiguous ones. The indices are worked out in numpy:
    a handful of torch calls per layer, since each costs a thread synchronization."""
    q = len(r0)
    rows = r0[:, None] + np.arange(h)
    cols = c0[:, None] + np.arange(w)
    flat = ((rows + top)[:, :, None] * plane_width + (cols + left)[:, None, :]).reshape(-1)
    out = plane.index_select(0, torch.from_numpy(flat))
    if value is not None:
        regions = value.regions
        rel_r = rows - regions.my0[:, None]
        rel_c = cols - regions.mx0[:, None]
        ok_r = (rel_r >= 0) & (rel_r < regions.h)
        ok_c = (rel_c >= 0) & (rel_c < regions.w)
        mask = (ok_r[:, :, None] & ok_c[:, None, :]).reshape(-1)
        source = (
            np.arange(q)[:, None, None] * (regions.h * regions.w)
            + rel_r[:, :, None] * regions.w
            + rel_c[:, None, :]
        ).reshape(-1)
        chosen = np.flatnonzero(mask)
        new = value.values.permute(0, 2, 3, 1).reshape(-1, plane.shape[1])
        out.index_copy_(
            0, torch.from_numpy(chosen), new.index_select(0, torch.from_numpy(source[chosen]))
        )
    return out.view(q, h, w, plane.shape[1]).permute(0, 3, 1, 2)


class IncrementalModel:
    """A CNN prepared for incremental inference on images of one shape.

    Args:
        model: A module in eval mode, traceable by ``torch.fx``, built from convolutions,
            pools, batch norm, element-wise activations, residual adds, channel concats,
            flatten and linear layers; it takes one image batch and returns one tensor.
        input_shape: ``(C, H, W)`` of the images.
        batch_size: Queries run through the layers together (memory grows with it).
        workers: Threads that run chunks of queries at once, each with one torch thread
            (fewer, larger operations than splitting each small operation over threads);
            None takes ``torch.get_num_threads()``; 1 runs the chunks in turn on torch's
            threads. A batch of queries is split into at least this many chunks.

    Raises:
        UnsupportedLayerError: A layer the engine cannot compute on a region (named).
        OptionError: ``input_shape`` is not three positive sizes.
    """

    def __init__(
        self,
        model: nn.Module,
        input_shape: Sequence[int],
        *,
        batch_size: int = 64,
        workers: int | None = None,
    ) -> None:
        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise OptionError(
                "give (channels, height, width), each positive",
                parameter="input_shape",
                value=tuple(input_shape),
            )
        if batch_size < 1:
            raise OptionError("must be at least 1", parameter="batch_size", value=batch_size)
        if workers is not None and workers < 1:
            raise OptionError("must be at least 1", parameter="workers", value=workers)
        self.workers = workers
        parameter = next(model.parameters(), None)
        self.dtype = parameter.dtype if parameter is not None else torch.float32
        #: ``(C, H, W)``
        self.input_shape: tuple[int, ...] = shape
        self.batch_size = batch_size
        self._graph: Graph = compile_graph(model, torch.zeros((1, *shape), dtype=self.dtype))

    @property
    def full_macs(self) -> int:
        """Multiply-accumulates of one full inference (convolutions and linear layers)."""
        return self._graph.full_macs

    @property
    def layers(self) -> tuple[tuple[str, str], ...]:
        """Each step's layer name and how the engine runs it (window, pointwise, ...)."""
        return tuple((step.label, step.kind) for step in self._graph.steps)

    def _image(self, image: torch.Tensor, parameter: str) -> torch.Tensor:
        image = torch.as_tensor(image)
        if image.dim() == 3:
            image = image[None]
        if image.dim() != 4 or tuple(image.shape[1:]) != self.input_shape:
            raise OptionError(
                f"the image's shape is {tuple(image.shape)}; the model was prepared for "
                f"{self.input_shape} (channels, height, width)",
                parameter=parameter,
                value=tuple(image.shape),
            )
        return image.to(self.dtype)

    def full(self, images: torch.Tensor) -> torch.Tensor:
        """Plain full inference of a batch ``(N, C, H, W)``: the reference the engine matches."""
        batch = self._image(images, "images") if images.dim() == 3 else images.to(self.dtype)
        with torch.no_grad():
            out: torch.Tensor = self._graph.module(batch)
        return out

    def materialize(self, image: torch.Tensor) -> BaseActivations:
        """Run ``image`` ``(C, H, W)`` once, keeping every layer's output.

        Raises:
            OptionError: The image is not of the shape the model was prepared for.
        """
        base = self._image(image, "image")
        values: dict[str, Any] = dict(self._graph.static)
        with torch.no_grad():
            for step in self._graph.steps:
                node = step.node
                if step.kind == "input":
                    values[node.name] = base
                elif step.kind == "output":
                    output = values[step.inputs[0].name]
                else:
                    values[node.name] = call_node(
                        self._graph.module, node, lambda n: values[n.name]
                    )
        return BaseActivations(image=base, values=values, output=output)

    def update(
        self,
        base: BaseActivations,
        patches: torch.Tensor,
        origins: Sequence[tuple[int, int]] | np.ndarray,
        *,
        tau: float | None = None,
    ) -> Update:
        """The model's output for each query: ``base.image`` with ``patches[i]`` written at
        ``origins[i]`` (top-left row, column).

        Args:
            base: The base image's activations.
            patches: ``(Q, C, h, w)``, one patch per query, all of one size.
            origins: ``Q`` pairs ``(row, column)``; each patch lies inside the image.
            tau: Krypton's projective-field threshold in (0, 1]: each layer's recomputed region
                is capped at ``ceil(tau * size)`` per axis (approximate); None is exact.

        Raises:
            OptionError: Patches of the wrong shape, origins that put a patch outside the
                image, or ``tau`` outside (0, 1].
        """
        patches = torch.as_tensor(patches).to(self.dtype)
        channels, height, width = self.input_shape
        if patches.dim() != 4 or patches.shape[1] != channels:
            raise OptionError(
                f"patches must be (queries, {channels}, h, w); got {tuple(patches.shape)}",
                parameter="patches",
                value=tuple(patches.shape),
            )
        where = np.asarray(origins, dtype=np.int64).reshape(-1, 2)
        if len(where) != patches.shape[0]:
            raise OptionError(
                f"{len(where)} origins for {patches.shape[0]} patches",
                parameter="origins",
                value=len(where),
            )
        h, w = int(patches.shape[2]), int(patches.shape[3])
        outside = (where < 0).any(axis=1) | (where[:, 0] + h > height) | (where[:, 1] + w > width)
        if outside.any():
            first = tuple(int(v) for v in where[int(np.argmax(outside))])
            raise OptionError(
                f"a {h}x{w} patch at {first} lies outside the {height}x{width} image",
                parameter="origins",
                value=first,
            )
        if tau is not None and not 0 < tau <= 1:
            raise OptionError("must be in (0, 1], or None for exact", parameter="tau", value=tau)
        workers, size = self._chunking(len(where))
        starts = range(0, len(where), size)

        def chunk(start: int) -> tuple[torch.Tensor, int]:
            with torch.no_grad():
                stop = start + size
                return self._run(base, patches[start:stop], where[start:stop], tau)

        if workers > 1 and len(starts) > 1:
            results = _in_threads(chunk, starts, workers)
        else:
            results = [chunk(start) for start in starts]
        outputs = [out for out, _ in results]
        macs = MacCount(done=sum(done for _, done in results), full=self.full_macs * len(where))
        if not outputs:
            empty = base.output.new_empty((0, *base.output.shape[1:]))
            return Update(outputs=empty, macs=macs)
        return Update(outputs=torch.cat(outputs), macs=macs)

    def _chunking(self, queries: int) -> tuple[int, int]:
        """Threads, and queries per chunk: at most ``batch_size``, and at least as many
        chunks as threads."""
        workers = torch.get_num_threads() if self.workers is None else self.workers
        return workers, min(self.batch_size, max(1, -(-queries // workers)))

    def count_macs(
        self,
        patch: tuple[int, int],
        origins: Sequence[tuple[int, int]] | np.ndarray,
        *,
        tau: float | None = None,
    ) -> MacCount:
        """The multiply-accumulates :meth:`update` would do for patches of size ``patch`` at
        ``origins``, found by following the regions alone (no arithmetic on activations)."""
        where = np.asarray(origins, dtype=np.int64).reshape(-1, 2)
        shapes = self._graph.shapes
        done = 0
        size = self._chunking(len(where))[1]
        for start in range(0, len(where), size):
            chunk = where[start : start + size]
            q = len(chunk)
            y0, x0 = chunk[:, 0].copy(), chunk[:, 1].copy()
            found: dict[str, Regions | None] = {}
            for step in self._graph.steps:
                name = step.node.name
                ins = [found.get(n.name) for n in step.inputs]
                sparse = bool(ins) and all(r is not None for r in ins)
                if step.kind == "input":
                    found[name] = Regions(
                        y0=y0,
                        y1=y0 + patch[0],
                        x0=x0,
                        x1=x0 + patch[1],
                        my0=y0,
                        mx0=x0,
                        h=patch[0],
                        w=patch[1],
                    )
                elif step.kind == "window" and sparse and _covers(ins[0], shapes, step):
                    found[name] = None
                    done += q * step.full_macs
                elif step.kind == "window" and sparse:
                    shape = shapes[name]
                    regions = _window_regions(step, ins[0], (shape[2], shape[3]), tau)  # type: ignore[arg-type]
                    found[name] = regions
                    done += q * regions.h * regions.w * step.macs_per_position
                elif step.kind == "pointwise" and sparse:
                    found[name] = ins[0]
                elif step.kind in ("binary", "cat") and sparse:
                    shape = shapes[name]
                    found[name] = union(ins, shape[2], shape[3])  # type: ignore[arg-type]
                elif step.kind != "output":
                    found[name] = None
                    done += q * step.full_macs
        return MacCount(done=done, full=self.full_macs * len(where))

    def _run(
        self, base: BaseActivations, patches: torch.Tensor, where: np.ndarray, tau: float | None
    ) -> tuple[torch.Tensor, int]:
        q = len(where)
        h, w = int(patches.shape[2]), int(patches.shape[3])
        y0, x0 = where[:, 0].copy(), where[:, 1].copy()
        regions = Regions(y0=y0, y1=y0 + h, x0=x0, x1=x0 + w, my0=y0, mx0=x0, h=h, w=w)
        env: dict[str, Any] = dict(self._graph.static)
        done = 0
        for step in self._graph.steps:
            node = step.node
            if step.kind == "input":
                env[node.name] = _Sparse(base.image, regions, patches)
                continue
            if step.kind == "output":
                return _densify(env[step.inputs[0].name]), done
            ins = [env[n.name] for n in step.inputs]
            sparse = all(isinstance(v, _Sparse) for v in ins)
            if step.kind == "window" and sparse and _whole(ins[0].regions, ins[0].base):
                sparse = False  # nothing left to save: the layer's native padded run is faster
            if step.kind == "window" and sparse:
                env[node.name] = self._window(step, base, ins[0], tau)
                done += (
                    q * env[node.name].regions.h * env[node.name].regions.w * step.macs_per_position
                )
            elif step.kind == "pointwise" and sparse:
                env[node.name] = self._pointwise(base, node, ins[0], env)
            elif step.kind in ("binary", "cat") and sparse:
                env[node.name] = self._merge(step, base, ins, env)
            elif step.kind == "gap" and sparse:
                env[node.name] = self._gap(step, base, ins[0])
            else:
                env[node.name] = call_node(
                    self._graph.module, node, lambda n: _densify(env[n.name])
                )
                done += q * step.full_macs
        raise AssertionError("the graph has no output")

    def _padded(
        self, base: BaseActivations, name: str, pads: tuple[int, int, int, int], fill: float
    ) -> tuple[torch.Tensor, int]:
        """The base activation of ``name`` padded by ``pads`` with ``fill``, as one row of
        channels per position (for :func:`_gather`), and the padded width; made once."""
        key = (name, *pads, fill)
        found = base.padded.get(key)
        if found is None:
            top, bottom, left, right = pads
            padded = torch.nn.functional.pad(
                base.values[name], (left, right, top, bottom), value=fill
            )
            found = padded[0].permute(1, 2, 0).reshape(-1, padded.shape[1]).contiguous()
            base.padded[key] = found
        width = int(base.values[name].shape[3]) + pads[2] + pads[3]
        return found, width

    def _window(
        self, step: Step, base: BaseActivations, value: _Sparse, tau: float | None
    ) -> _Sparse:
        assert step.rows is not None and step.cols is not None and step.window is not None
        source = step.inputs[0].name
        _, _, height, width = base.values[source].shape
        out = base.values[step.node.name]
        _, _, out_h, out_w = out.shape
        regions = _window_regions(step, value.regions, (out_h, out_w), tau)
        rows, cols = step.rows, step.cols
        top, left = rows.padding, cols.padding
        bottom = max(0, (out_h - 1) * rows.stride - top + rows.extent - height)
        right = max(0, (out_w - 1) * cols.stride - left + cols.extent - width)
        plane, plane_width = self._padded(base, source, (top, bottom, left, right), step.pad_value)
        win_h = (regions.h - 1) * rows.stride + rows.extent
        win_w = (regions.w - 1) * cols.stride + cols.extent
        windows = _gather(
            plane,
            plane_width,
            top,
            left,
            value,
            regions.my0 * rows.stride - top,
            regions.mx0 * cols.stride - left,
            win_h,
            win_w,
        )
        new = step.window(windows)
        if step.divisors is not None:
            rows_at = _spans(regions.my0, regions.h)[:, None, :, None]
            cols_at = _spans(regions.mx0, regions.w)[:, None, None, :]
            new = new / step.divisors.to(new.dtype)[rows_at, cols_at]
        return _Sparse(out, regions, new)

    def _pointwise(
        self, base: BaseActivations, node: fx.Node, value: _Sparse, env: dict[str, Any]
    ) -> _Sparse:
        new = call_node(self._graph.module, node, lambda n: _value(env, n, value.values))
        return _Sparse(base.values[node.name], value.regions, new)

    def _merge(
        self, step: Step, base: BaseActivations, ins: list[_Sparse], env: dict[str, Any]
    ) -> _Sparse:
        out = base.values[step.node.name]
        _, _, height, width = out.shape
        regions = union([v.regions for v in ins], height, width)
        gathered = {}
        for n, v in zip(step.inputs, ins, strict=True):
            plane, plane_width = self._padded(base, n.name, (0, 0, 0, 0), 0.0)
            gathered[n.name] = _gather(
                plane, plane_width, 0, 0, v, regions.my0, regions.mx0, regions.h, regions.w
            )
        new = call_node(
            self._graph.module,
            step.node,
            lambda n: gathered[n.name] if n.name in gathered else env[n.name],
        )
        return _Sparse(out, regions, new)

    def _gap(self, step: Step, base: BaseActivations, value: _Sparse) -> torch.Tensor:
        source = base.values[step.inputs[0].name]
        r = value.regions
        plane, plane_width = self._padded(base, step.inputs[0].name, (0, 0, 0, 0), 0.0)
        old = _gather(plane, plane_width, 0, 0, None, r.my0, r.mx0, r.h, r.w)
        delta = (value.values - old).sum(dim=(2, 3), keepdim=True)
        mean: torch.Tensor = base.values[step.node.name] + delta / (
            source.shape[2] * source.shape[3]
        )
        return mean


def _in_threads(
    chunk: Callable[[int], tuple[torch.Tensor, int]], starts: range, workers: int
) -> list[tuple[torch.Tensor, int]]:
    """``chunk`` of each start on ``workers`` threads, each running torch on one thread.

    The engine's layers are many small operations (a gather, a convolution on small windows, a
    scatter); splitting each over several threads costs a fork and join apiece, which eats
    the gain and, on a busy machine, leaves threads spinning. Whole chunks of queries in
    parallel, one torch thread each, do not synchronize at all (torch releases the GIL inside
    its operations). Torch's thread count is process-wide: it is 1 while this runs and is
    restored afterwards.
    """
    with _THREADS_LOCK:  # calls from several threads at once: the first saves, the last restores
        if _THREADS_SAVED[1] == 0:
            _THREADS_SAVED[0] = torch.get_num_threads()
            torch.set_num_threads(1)  # new threads take torch's count when they first run an op
        _THREADS_SAVED[1] += 1
    try:
        with ThreadPoolExecutor(min(workers, len(starts))) as pool:
            return list(pool.map(chunk, starts))
    finally:
        with _THREADS_LOCK:
            _THREADS_SAVED[1] -= 1
            if _THREADS_SAVED[1] == 0:
                torch.set_num_threads(_THREADS_SAVED[0])


#: guards torch's process-wide thread count while query chunks run on threads
_THREADS_LOCK = threading.Lock()
#: the thread count to restore, and how many calls are running chunks on threads
_THREADS_SAVED = [1, 0]


def _whole(regions: Regions, base: torch.Tensor) -> bool:
    """Whether every query's materialized region is the whole map (so it runs dense)."""
    return regions.h == base.shape[2] and regions.w == base.shape[3]


def _covers(regions: Regions | None, shapes: dict[str, tuple[int, ...]], step: Step) -> bool:
    shape = shapes[step.inputs[0].name]
    return regions is not None and regions.h == shape[2] and regions.w == shape[3]


def _window_regions(
    step: Step, regions: Regions, out_size: tuple[int, int], tau: float | None
) -> Regions:
    """Where a window step's output changes (capped by ``tau``), materialized for the batch."""
    assert step.rows is not None and step.cols is not None
    out_h, out_w = out_size
    y0, y1 = affected(regions.y0, regions.y1, step.rows, out_h)
    x0, x1 = affected(regions.x0, regions.x1, step.cols, out_w)
    if tau is not None:
        y0, y1 = truncate(y0, y1, tau, out_h)
        x0, x1 = truncate(x0, x1, tau, out_w)
    return materialize(y0, y1, x0, x1, out_h, out_w)


def _value(env: dict[str, Any], node: fx.Node, replacement: torch.Tensor) -> Any:
    value = env[node.name]
    return replacement if isinstance(value, _Sparse) else value
