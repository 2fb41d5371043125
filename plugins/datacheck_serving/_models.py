"""The prediction server behind the routes: deployed models, their caches, queues and bandits.

Independent of HTTP: :class:`ModelServer` takes an Arrow table of records and answers a
prediction document; :mod:`datacheck_serving._predict_routes` puts it behind Starlette.

A :class:`ModelVersion` is one deployed version: its torch module (in eval mode), the schema
requests are validated against, the encoder that turns valid rows into the module's input
(the training plugin's :class:`~datacheck_training.TensorEncoder`, saved with the model), and
optionally the training profile the skew check compares serving windows with. It is loaded
from a training folder (:func:`load_version`: ``model.safetensors`` + ``record.json`` +
``profile.json``, never a pickle) or built by a user factory ``module:function``
(:func:`factory_version`).

The path of a request (:meth:`ModelServer.predict`): pick the version (the one asked for, or
one drawn by the name's :class:`~datacheck_serving._bandit.Exp3S`); check the columns' types
(wrong types: :class:`PredictionError` 422 with every reason); validate the rows with the
core's :func:`~datacheck.validate.validate_batches` (invalid rows get their reasons and never
reach the model; ``reject-all`` refuses the request if any row is invalid, ``predict-valid``
predicts the others); encode; for each row, the cache (key: name, version, the encoded row's
bytes) or else the version's :class:`~datacheck_serving._batching.AdaptiveBatcher`, identical
rows in flight coalesced; the rows' probabilities within ``timeout`` seconds, else 503. The
valid rows go to the name's serving-statistics window (:class:`datacheck.service.ServingWindows`,
off the request path); :meth:`ModelServer.skew` compares the latest window with the training
profile (:func:`datacheck.validate.validate_statistics`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import torch
from torch import nn

from datacheck.errors import DatacheckError
from datacheck.plugin import load_reference
from datacheck.schema import FeatureType, Schema
from datacheck.stats import DatasetProfile, load_profile
from datacheck.validate import (
    REASONS_COLUMN,
    CheckedBatch,
    validate_batches,
    validate_statistics,
)
from datacheck_serving._bandit import Exp3S
from datacheck_serving._batching import AdaptiveBatcher, join_arrays
from datacheck_serving._cache import PredictionCache

__all__ = [
    "MODES",
    "ModelServer",
    "ModelVersion",
    "PredictionError",
    "factory_version",
    "load_version",
]

#: what a request may ask of its invalid rows
MODES = ("reject-all", "predict-valid")
#: model names and versions: what a URL path segment and a folder name can safely hold
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
#: request ids remembered for feedback
_PENDING = 100_000

Vector = npt.NDArray[np.float32]


class PredictionError(DatacheckError):
    """A prediction request refused: the HTTP status, a stable code, the details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details or {}
        self.retry_after = retry_after


def check_model_name(text: str, what: str = "model") -> str:
    """``text`` if it is a valid model name or version, else a 422 :class:`PredictionError`."""
    if not _NAME.match(text):
        raise PredictionError(
            422,
            "invalid_name",
            f"{what} {text[:80]!r}: letters, digits, '_', '.', '-' only, at most 128, "
            "starting with a letter or digit",
        )
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVersion:
    """One deployed version of a model."""

    #: the model's name
    name: str
    #: this version's name (``"1"``, ``"2024-06"``)
    version: str
    #: the network, in eval mode: encoded rows to logits
    module: nn.Module
    #: what requests are validated against (the label feature left out)
    schema: Schema
    #: rows to the module's input: a ``TensorEncoder`` (``encode``, ``decode``)
    encoder: Any
    #: the training data's profile, for the skew check
    profile: DatasetProfile | None = None
    #: class names of the outputs, if known
    classes: tuple[str, ...] = ()
    #: what the module computes in: its parameters' dtype
    dtype: torch.dtype = field(default=torch.float32)

    def encode(self, table: pa.Table) -> Vector:
        """The rows of ``table`` as the module's input matrix (float32, one row per row)."""
        return np.ascontiguousarray(self.encoder.encode(table), dtype=np.float32)

    def run(self, rows: Vector | Sequence[Vector]) -> Vector:
        """Class probabilities for each encoded row (a 2-D array, or a sequence of rows):
        one forward pass for them all, one array of outputs."""
        matrix = rows if isinstance(rows, np.ndarray) else np.stack(rows)
        x = torch.from_numpy(np.ascontiguousarray(matrix)).to(self.dtype)
        with torch.inference_mode():
            probs = torch.softmax(self.module(x), dim=-1)
        out: Vector = probs.float().numpy()
        return out


def _serving_schema(schema: Schema, label: str | None) -> Schema:
    if label is None:
        return schema
    return dataclasses.replace(
        schema, features=tuple(f for f in schema.features if f.name != label)
    )


def _classes(encoder: Any) -> tuple[str, ...]:
    spec = getattr(encoder, "label", None)
    values = getattr(spec, "classes", None) or getattr(spec, "values", None)
    return tuple(str(v) for v in values) if values else ()


def _dtype(module: nn.Module) -> torch.dtype:
    try:
        return next(module.parameters()).dtype
    except StopIteration:
        return torch.float32


def load_version(
    name: str,
    version: str,
    folder: str | os.PathLike[str],
    *,
    schema: Schema,
    module: nn.Module | None = None,
) -> ModelVersion:
    """A version from a training folder (the training plugin's :func:`load_model`).

    Args:
        name: The model's name.
        version: This version's name.
        folder: The model folder ``train(output=...)`` wrote.
        schema: The schema it was trained on (the record names it; the label is left out).
        module: The architecture, if the record names no factory.
    """
    from datacheck_training import load_model

    trained = load_model(folder, model=module)
    profile_path = Path(folder) / str(trained.record.get("profile") or "profile.json")
    profile = load_profile(profile_path) if profile_path.is_file() else None
    label_spec = getattr(trained.encoder, "label", None)
    label = getattr(label_spec, "name", None)
    return ModelVersion(
        name=check_model_name(name),
        version=check_model_name(version, "version"),
        module=trained.module,
        schema=_serving_schema(schema, label),
        encoder=trained.encoder,
        profile=profile,
        classes=_classes(trained.encoder),
        dtype=_dtype(trained.module),
    )


def factory_version(
    name: str,
    version: str,
    factory: str,
    *,
    schema: Schema,
    profile: DatasetProfile | None = None,
    label: str | None = None,
    encoder: Any = None,
) -> ModelVersion:
    """A version built by a user factory ``"module:function"`` returning a torch module.

    The encoder defaults to the training plugin's ``TensorEncoder.from_schema(schema,
    profile, label=label)``.
    """
    module = load_reference(factory)()
    if not isinstance(module, nn.Module):
        raise PredictionError(
            422, "not_a_module", f"{factory} returned a {type(module).__name__}, not a module"
        )
    module.eval()
    if encoder is None:
        from datacheck_training import TensorEncoder

        encoder = TensorEncoder.from_schema(schema, profile, label=label)
    return ModelVersion(
        name=check_model_name(name),
        version=check_model_name(version, "version"),
        module=module,
        schema=_serving_schema(schema, label),
        encoder=encoder,
        profile=profile,
        classes=_classes(encoder),
        dtype=_dtype(module),
    )


def _type_fits(kind: FeatureType, arrow: pa.DataType) -> bool:
    if pa.types.is_null(arrow):
        return True
    if kind == FeatureType.INT:
        return bool(pa.types.is_integer(arrow))
    if kind == FeatureType.FLOAT:
        return bool(pa.types.is_integer(arrow) or pa.types.is_floating(arrow))
    if kind == FeatureType.STRING:
        return bool(pa.types.is_string(arrow) or pa.types.is_large_string(arrow))
    if kind == FeatureType.BOOL:
        return bool(pa.types.is_boolean(arrow))
    return True


def type_reasons(schema: Schema, table: pa.Table) -> list[dict[str, str]]:
    """The columns whose Arrow type cannot hold their feature's type, with reasons."""
    reasons = []
    for feature in schema.features:
        if feature.name not in table.column_names:
            continue
        arrow = table.schema.field(feature.name).type
        if not _type_fits(feature.type, arrow):
            reasons.append(
                {
                    "column": feature.name,
                    "reason": f"expected {feature.type} values, got {arrow}",
                }
            )
    return reasons


class _Invalid:
    """The quarantined rows of one request: positions and reasons (``on_quarantine``)."""

    def __init__(self) -> None:
        self.rows: dict[int, list[str]] = {}
        self._offset = 0

    def __call__(self, checked: CheckedBatch) -> None:
        reasons = checked.quarantined.column(REASONS_COLUMN).to_pylist()
        for at, why in zip(checked.quarantined_rows.tolist(), reasons, strict=True):
            self.rows[self._offset + int(at)] = [str(r) for r in (why or [])]
        self._offset += checked.batch.num_rows

    def skip(self, checked: CheckedBatch) -> None:
        """A batch with no invalid row."""
        self._offset += checked.batch.num_rows


@dataclass
class _Deployed:
    versions: dict[str, ModelVersion]
    batchers: dict[str, AdaptiveBatcher[Vector, Vector]]
    bandit: Exp3S


@dataclass(frozen=True, slots=True)
class _Served:
    name: str
    version: str
    probability: float
    labels: tuple[str, ...]


class ModelServer:
    """Deployed models and the machinery in front of them (thread-safe).

    Args:
        slo: The end-to-end latency objective per request, seconds (the batchers' AIMD).
        max_batch: The largest batch a model is given, whatever the objective allows.
        timeout: Seconds a request waits for its predictions before a 503.
        cache_capacity: Predictions cached (CLOCK), over all models.
        max_wait: Seconds a partial batch waits for more rows (0: none).
        gamma: Exp3.S exploration.
        alpha: Exp3.S forgetting.
        windows: Serving-statistics windows (``datacheck.service.ServingWindows``), started;
            None: no skew.
        seed: The bandits' seed.
    """

    def __init__(
        self,
        *,
        slo: float = 0.1,
        max_batch: int = 4096,
        timeout: float = 5.0,
        cache_capacity: int = 100_000,
        max_wait: float = 0.0,
        gamma: float = 0.1,
        alpha: float = 0.01,
        windows: Any = None,
        seed: int | None = None,
    ) -> None:
        self.slo = slo
        self.max_batch = max_batch
        self.timeout = timeout
        self.max_wait = max_wait
        self.gamma = gamma
        self.alpha = alpha
        self.seed = seed
        self.cache: PredictionCache[Vector] = PredictionCache(cache_capacity)
        self.windows = windows
        self._models: dict[str, _Deployed] = {}
        self._pending: OrderedDict[str, _Served] = OrderedDict()
        self._lock = threading.Lock()

    # -- registry ---------------------------------------------------------------------------

    def deploy(self, version: ModelVersion) -> None:
        """Serve ``version`` (a new one joins its name's bandit; a redeployed one replaces)."""
        batcher: AdaptiveBatcher[Vector, Vector] = AdaptiveBatcher(
            version.run,
            slo=self.slo,
            controller={"max_size": self.max_batch},
            max_wait=self.max_wait,
            join=join_arrays,
            name=f"datacheck-model-{version.name}@{version.version}",
        )
        with self._lock:
            deployed = self._models.get(version.name)
            if deployed is None:
                deployed = _Deployed(
                    {}, {}, Exp3S([], gamma=self.gamma, alpha=self.alpha, seed=self.seed)
                )
                self._models[version.name] = deployed
            old = deployed.batchers.get(version.version)
            deployed.versions[version.version] = version
            deployed.batchers[version.version] = batcher
            deployed.bandit.add_arm(version.version)
        if old is not None:
            old.close(timeout=0)

    def names(self) -> list[str]:
        """The deployed models' names, sorted."""
        with self._lock:
            return sorted(self._models)

    def _deployed(self, name: str) -> _Deployed:
        with self._lock:
            deployed = self._models.get(name)
        if deployed is None:
            raise PredictionError(404, "unknown_model", f"no model named {name!r} is deployed")
        return deployed

    def describe(self, name: str) -> dict[str, Any]:
        """The versions of ``name``, the bandit's weights, their batch sizes, the cache."""
        deployed = self._deployed(name)
        weights = deployed.bandit.ensemble()
        return {
            "name": name,
            "versions": [
                {
                    "version": v,
                    "weight": weights.get(v, 0.0),
                    "batch_size": deployed.batchers[v].policy.size,
                    "queued": deployed.batchers[v].queued,
                    "features": [f.name for f in m.schema.features],
                    "classes": list(m.classes),
                    "has_training_profile": m.profile is not None,
                }
                for v, m in deployed.versions.items()
            ],
            "cache": dataclasses.asdict(self.cache.stats),
        }

    def close(self) -> None:
        """Stop every batcher, and write the serving statistics."""
        with self._lock:
            batchers = [b for d in self._models.values() for b in d.batchers.values()]
        for batcher in batchers:
            batcher.close(timeout=1)
        if self.windows is not None:
            self.windows.close()

    # -- prediction -------------------------------------------------------------------------

    async def predict(
        self, name: str, table: pa.Table, *, version: str | None = None, mode: str = "predict-valid"
    ) -> dict[str, Any]:
        """Validate, encode and predict the rows of ``table`` with model ``name``."""
        if mode not in MODES:
            raise PredictionError(
                400, "invalid_option", f"mode {mode!r}: one of {', '.join(MODES)}"
            )
        deployed = self._deployed(name)
        if version is None:
            chosen, probability = deployed.bandit.choose()
        else:
            chosen, probability = version, 1.0
        model = deployed.versions.get(chosen)
        if model is None:
            raise PredictionError(
                404, "unknown_version", f"model {name!r} has no version {chosen!r}"
            )
        batcher = deployed.batchers[chosen]
        wrong = type_reasons(model.schema, table)
        if wrong:
            raise PredictionError(
                422, "wrong_types", "features of the wrong type", details={"reasons": wrong}
            )
        invalid = _Invalid()

        def check_and_encode() -> tuple[pa.Table, Vector]:
            # the rows' checks only (``validate_batches``): the dataset-level statistics of
            # ``check_dataset`` cost ~4x as much per request and are the serving windows' job
            for checked in validate_batches(table.to_batches(), model.schema):
                if checked.quarantined_rows.size:
                    invalid(checked)
                else:
                    invalid.skip(checked)
            keep = [i for i in range(table.num_rows) if i not in invalid.rows]
            valid = table.take(pa.array(keep, pa.int64())) if invalid.rows else table
            if valid.num_rows == 0:
                return valid, np.zeros((0, 0), np.float32)
            return valid, model.encode(valid)

        try:
            valid, x = await anyio.to_thread.run_sync(check_and_encode)
        except PredictionError:
            raise
        except DatacheckError as exc:
            raise PredictionError(
                422, "invalid_data", " ".join(str(exc).split()), details={"reasons": []}
            ) from None
        except (pa.ArrowException, ValueError, TypeError, KeyError) as exc:
            raise PredictionError(
                422, "cannot_encode", f"the rows cannot be encoded: {exc}"
            ) from None
        rejected = [{"row": i, "reasons": r} for i, r in sorted(invalid.rows.items())]
        if rejected and mode == "reject-all":
            raise PredictionError(
                422,
                "invalid_rows",
                f"{len(rejected)} of {table.num_rows} rows are invalid; nothing was predicted",
                details={"invalid": rejected},
            )
        outputs = await self._outputs(name, chosen, batcher, x)
        request_id = uuid.uuid4().hex
        valid_positions = [i for i in range(table.num_rows) if i not in invalid.rows]
        predictions = []
        labels = []
        for at, probs in zip(valid_positions, outputs, strict=True):
            best = int(np.argmax(probs))
            label = model.classes[best] if best < len(model.classes) else str(best)
            labels.append(label)
            predictions.append(
                {
                    "row": at,
                    "request_id": request_id,
                    "label": label,
                    "probabilities": [float(p) for p in probs],
                }
            )
        with self._lock:
            self._pending[request_id] = _Served(name, chosen, probability, tuple(labels))
            while len(self._pending) > _PENDING:
                self._pending.popitem(last=False)
        if self.windows is not None and valid.num_rows:
            self.windows.add(name, valid)
        return {
            "model": name,
            "version": chosen,
            "request_id": request_id,
            "classes": list(model.classes),
            "predictions": predictions,
            "invalid": rejected,
        }

    async def _outputs(
        self, name: str, version: str, batcher: AdaptiveBatcher[Vector, Vector], rows: Vector
    ) -> list[Vector]:
        """Each row's probabilities: cached, computed by another request now, or sent to the
        model as one submission (the uncached rows as one array); within :attr:`timeout`,
        else a 503."""
        keys = [row.tobytes() for row in rows]
        claims = self.cache.claim_many(name, version, keys)
        mine = [i for i, (_, own) in enumerate(claims) if own]
        outputs: list[Vector] = [None] * len(keys)  # type: ignore[list-item]
        try:
            async with asyncio.timeout(self.timeout):
                if mine:
                    try:
                        computed = await batcher.asubmit_many(
                            rows[mine] if len(mine) < len(keys) else rows
                        )
                    except BaseException as exc:
                        self.cache.finish_many(name, version, [keys[i] for i in mine], error=exc)
                        raise
                    self.cache.finish_many(name, version, [keys[i] for i in mine], computed)
                    for i, out in zip(mine, computed, strict=True):
                        outputs[i] = out
                for i, (future, own) in enumerate(claims):
                    if own:
                        continue
                    # shielded: a request that gives up must not cancel a computation others
                    # share; a done future (a hit) is read without a trip through the loop
                    outputs[i] = (
                        future.result()
                        if future.done()
                        else await asyncio.shield(asyncio.wrap_future(future))
                    )
                return outputs
        except TimeoutError:
            raise PredictionError(
                503,
                "model_timeout",
                f"model {name}@{version} gave no answer within {self.timeout} s",
                retry_after=1,
            ) from None
        except PredictionError:
            raise
        except Exception as exc:  # the model raised: this request fails, the server serves on
            raise PredictionError(
                503,
                "model_failed",
                f"model {name}@{version} failed: {type(exc).__name__}: {exc}",
                retry_after=1,
            ) from None

    # -- feedback and skew --------------------------------------------------------------------

    def feedback(
        self,
        name: str,
        request_id: str,
        *,
        reward: float | None = None,
        labels: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Learn from a request's outcome: a reward in [0, 1], or the true labels of its
        predicted rows (the reward is then the share predicted right)."""
        deployed = self._deployed(name)
        with self._lock:
            served = self._pending.pop(request_id, None)
        if served is None or served.name != name:
            raise PredictionError(
                404,
                "unknown_request",
                f"no prediction of model {name!r} with request id {request_id!r} awaits feedback",
            )
        if reward is None:
            if labels is None or len(labels) != len(served.labels) or not labels:
                with self._lock:
                    self._pending[request_id] = served
                raise PredictionError(
                    422,
                    "bad_feedback",
                    f"give a reward in [0, 1] or {len(served.labels)} labels, one per prediction",
                )
            reward = sum(a == b for a, b in zip(labels, served.labels, strict=True)) / len(labels)
        if not 0.0 <= reward <= 1.0:
            with self._lock:
                self._pending[request_id] = served
            raise PredictionError(422, "bad_feedback", f"reward {reward}: a number in [0, 1]")
        if served.version in deployed.bandit.arms:
            deployed.bandit.update(served.version, served.probability, reward)
        return {"model": name, "version": served.version, "reward": reward}

    def skew(self, name: str, version: str | None = None) -> dict[str, Any]:
        """The latest serving window of ``name`` checked against the training profile."""
        deployed = self._deployed(name)
        if version is None:
            weights = deployed.bandit.ensemble()
            version = max(weights, key=lambda v: weights[v])
        model = deployed.versions.get(version)
        if model is None:
            raise PredictionError(
                404, "unknown_version", f"model {name!r} has no version {version!r}"
            )
        if model.profile is None:
            raise PredictionError(
                404, "no_training_profile", f"model {name}@{version} has no training profile"
            )
        if self.windows is None:
            raise PredictionError(404, "no_window", "serving statistics are off")
        self.windows.flush_now()
        try:
            window, serving = self.windows.profile(name)
        except KeyError:
            raise PredictionError(
                404, "no_window", f"model {name!r} has served no rows yet"
            ) from None
        # The training profile also holds the label (and any column the model does not
        # read): compare only the schema's features, or every request would report the
        # label as a column the schema lacks.
        served = set(model.schema.feature_names)
        training = dataclasses.replace(
            model.profile,
            features={k: v for k, v in model.profile.features.items() if k in served},
            skipped=tuple(f for f in model.profile.skipped if f.path in served),
        )
        report = validate_statistics(training, model.schema, serving=serving)
        return {
            "model": name,
            "version": version,
            "window": window.to_dict(),
            "report": report.to_dict(),
        }
