"""Incremental inference on Beam: a model handler for ``apache_beam.ml.inference.RunInference``.

Elements are keyed by their base image (a photo being explained, a camera): ``(key,
IncrementalRequest)``. The handler keeps each key's base activations (the most recent
``max_keys`` keys) while that key's patches or frames arrive, and answers each request with
``(key, PredictionResult(request, output))``, the output being what full inference of the
patched image or the frame returns. Batches that fail (a key whose base was never sent, a
patch that does not fit) go to RunInference's dead-letter output::

    import apache_beam as beam
    from apache_beam.ml.inference.base import RunInference
    from datacheck_serving.beam import IncrementalModelHandler, IncrementalRequest

    handler = IncrementalModelHandler("mypkg.models:cnn", (3, 224, 224), threshold=0.05)
    with beam.Pipeline() as p:
        requests = p | beam.Create([("cam1", IncrementalRequest(base=first)),
                                    ("cam1", IncrementalRequest(frame=frame)), ...])
        results, failed = requests | RunInference(handler).with_exception_handling()

A request that carries ``base`` (re)sets its key's base image; send it with a key's first
request, or with every request where the runner may reorder them (an equal base is
recognized and not recomputed). Importing this module without Apache Beam raises
``MissingExtraError`` naming ``pip install 'datacheck[beam]'``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from datacheck.errors import MissingExtraError, OptionError

try:
    import apache_beam as beam
    from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingExtraError("apache_beam", "beam") from exc

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from datacheck.plugin import load_reference
from datacheck_serving._frames import changed_boxes
from datacheck_serving._incremental import BaseActivations, IncrementalModel

__all__ = ["IncrementalModelHandler", "IncrementalRequest", "RunIncrementalInference"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncrementalRequest:
    """One query against its key's base image: a patch at a position, or a whole frame.

    A request with ``base`` alone sets the key's base image and is answered with the base's
    own output.
    """

    #: the key's base image ``(C, H, W)``; sets (or confirms) the key's base
    base: npt.NDArray[Any] | None = None
    #: new pixels ``(C, h, w)`` written at ``origin`` over the base
    patch: npt.NDArray[Any] | None = None
    #: the patch's top-left ``(row, column)``
    origin: tuple[int, int] | None = None
    #: a whole frame ``(C, H, W)``: the base with the box of pixels changed by more than the
    #: handler's threshold pasted from it
    frame: npt.NDArray[Any] | None = None


class _Engines:
    """The loaded model and the recent keys' base activations (least recently used first)."""

    def __init__(self, engine: IncrementalModel, max_keys: int) -> None:
        self.engine = engine
        self.max_keys = max_keys
        self.bases: OrderedDict[Any, BaseActivations] = OrderedDict()

    def base(self, key: Any, image: npt.NDArray[Any] | None) -> BaseActivations:
        known = self.bases.get(key)
        if image is not None:
            tensor = torch.as_tensor(np.asarray(image)).to(self.engine.dtype)
            if known is None or not torch.equal(known.image[0], tensor):
                known = self.engine.materialize(tensor)
        if known is None:
            raise OptionError(
                "no base image for this key yet: send one (IncrementalRequest(base=...)) "
                "before or with its patches and frames",
                parameter="key",
                value=key,
            )
        self.bases[key] = known
        self.bases.move_to_end(key)
        while len(self.bases) > self.max_keys:
            self.bases.popitem(last=False)
        return known


class IncrementalModelHandler(ModelHandler):  # type: ignore[misc]  # Beam ships no type hints
    """A RunInference model handler running Krypton's incremental inference.

    Args:
        model: The CNN (eval mode), or a ``"module:factory"`` reference to a function that
            builds it (resolved on the worker).
        input_shape: ``(C, H, W)`` of the base images.
        threshold: A frame's pixel changed when it differs from the base by more than this.
        tau: Krypton's projective-field threshold (approximate); None is exact.
        max_keys: Base images kept at once per worker (least recently used dropped).
        batch_size: Queries run through the layers together.
        beam_kwargs: RunInference batching options (``min_batch_size``, ``max_batch_size``).
    """

    def __init__(
        self,
        model: nn.Module | str,
        input_shape: Sequence[int],
        *,
        threshold: float = 0.0,
        tau: float | None = None,
        max_keys: int = 16,
        batch_size: int = 64,
        **beam_kwargs: Any,
    ) -> None:
        super().__init__(**beam_kwargs)
        self._model = model
        self._input_shape = tuple(int(s) for s in input_shape)
        self._threshold = threshold
        self._tau = tau
        self._max_keys = max_keys
        self._batch_size = batch_size

    def load_model(self) -> _Engines:
        """Build the model and prepare it for incremental inference."""
        model = self._model
        if isinstance(model, str):
            factory: Callable[[], nn.Module] = load_reference(model)
            model = factory()
        engine = IncrementalModel(model.eval(), self._input_shape, batch_size=self._batch_size)
        return _Engines(engine, self._max_keys)

    def run_inference(
        self,
        batch: Sequence[tuple[Any, IncrementalRequest]],
        model: _Engines,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[tuple[Any, PredictionResult]]:
        """Answer each ``(key, request)``, grouped by key and patch size."""
        outputs: list[torch.Tensor | None] = [None] * len(batch)
        groups: dict[tuple[Any, tuple[int, ...]], list[int]] = {}
        bases: dict[Any, BaseActivations] = {}
        for key, request in batch:  # bases first: a batch may hold a key's base after its patches
            if request.base is not None:
                bases[key] = model.base(key, request.base)
        for index, (key, request) in enumerate(batch):
            if key not in bases:
                bases[key] = model.base(key, None)
            if request.patch is None and request.frame is None:
                outputs[index] = bases[key].output[0]
                continue
            patch = np.asarray(request.patch) if request.frame is None else None
            shape = (-1,) if patch is None else tuple(patch.shape)
            groups.setdefault((key, shape), []).append(index)
        for (key, shape), members in groups.items():
            base = bases[key]
            origins: npt.NDArray[np.int64] | list[tuple[int, int]]
            if shape == (-1,):
                patches, origins = self._frame_patches(base, [batch[i][1] for i in members])
            else:
                patches = torch.stack(
                    [torch.as_tensor(np.asarray(batch[i][1].patch)) for i in members]
                )
                origins = [self._origin(batch[i][1]) for i in members]
            update = model.engine.update(base, patches, origins, tau=self._tau)
            for k, index in enumerate(members):
                outputs[index] = update.outputs[k]
        return [
            (key, PredictionResult(example=request, inference=output.numpy()))
            for (key, request), output in zip(batch, outputs, strict=True)
            if output is not None
        ]

    @staticmethod
    def _origin(request: IncrementalRequest) -> tuple[int, int]:
        if request.origin is None:
            raise OptionError("a patch needs its origin (row, column)", parameter="origin")
        return int(request.origin[0]), int(request.origin[1])

    def _frame_patches(
        self, base: BaseActivations, requests: list[IncrementalRequest]
    ) -> tuple[torch.Tensor, npt.NDArray[np.int64]]:
        image = base.image[0]
        frames = torch.stack([torch.as_tensor(np.asarray(r.frame)) for r in requests])
        if tuple(frames.shape[1:]) != tuple(image.shape):
            raise OptionError(
                f"a frame of shape {tuple(frames.shape[1:])} for a base of {tuple(image.shape)}",
                parameter="frame",
                value=tuple(frames.shape[1:]),
            )
        frames = frames.to(image.dtype)
        boxes = changed_boxes(image, frames, self._threshold)
        height, width = image.shape[1:]
        h = int(max(1, (boxes[:, 2] - boxes[:, 0]).max()))
        w = int(max(1, (boxes[:, 3] - boxes[:, 1]).max()))
        top = np.minimum(boxes[:, 0], height - h)
        left = np.minimum(boxes[:, 1], width - w)
        patches = torch.stack(
            [image[:, t : t + h, c : c + w] for t, c in zip(top, left, strict=True)]
        )
        patches = patches.clone()
        for k, (y0, x0, y1, x1) in enumerate(boxes):
            patches[k, :, y0 - top[k] : y1 - top[k], x0 - left[k] : x1 - left[k]] = frames[
                k, :, y0:y1, x0:x1
            ]
        return patches, np.stack([top, left], axis=1)

    def get_num_bytes(self, batch: Sequence[tuple[Any, IncrementalRequest]]) -> int:
        """The bytes of pixels in the batch (for Beam's metrics)."""
        total = 0
        for _, request in batch:
            for array in (request.base, request.patch, request.frame):
                if array is not None:
                    total += int(np.asarray(array).nbytes)
        return total

    def get_metrics_namespace(self) -> str:
        """Beam metrics go under this namespace."""
        return "datacheck_serving"


class RunIncrementalInference(beam.PTransform):  # type: ignore[misc]  # Beam ships no hints
    """``RunInference`` with an :class:`IncrementalModelHandler` and its dead-letter output:
    gives ``{"results": ..., "failed": ...}`` (the failed batches with their errors)."""

    def __init__(self, handler: IncrementalModelHandler) -> None:
        super().__init__()
        self._handler = handler

    def expand(self, requests: Any) -> dict[str, Any]:
        results, errors = (
            requests | "RunInference" >> RunInference(self._handler).with_exception_handling()
        )
        return {"results": results, "failed": errors.failed_inferences}
