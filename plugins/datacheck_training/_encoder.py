"""Schema-driven tensors: :class:`TensorEncoder`, one value for training and for serving.

The encoder is built from a schema and the training data's profile, saved as JSON beside the
model, and applied by the same code at training and at serving, so a model never sees
features prepared two ways (the training/serving skew TFX's Transform exists to prevent).

Each feature becomes columns of one float matrix:

- numeric (int, float, decimal): ``(x - mean) / std`` with the profile's mean and standard
  deviation; a missing value is imputed with the mean (0 after standardizing) and flagged in
  a mask column. A list feature takes ``width`` columns (its schema value count, or the
  profile's longest row), padded (and flagged) where a row has fewer values.
- string with a value domain: the value's index in the domain, written one-hot, with one more
  index for out-of-vocabulary values; missing: no index set, mask set.
- bool: 0 or 1, mask where missing.

Every feature position has its mask column, also where the training data had no missing
value: serving data may have some, and the layout must not depend on the data.

The label is one column named by the user: an integer class, a string class (its domain is
the classes), or a list of class probabilities (the labeling plugin's ``label_proba``: soft
labels). Rows without a label are left out of training and counted.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from datacheck.errors import InputError, OptionError
from datacheck.io import write_json_atomic
from datacheck.schema import FeatureType, IntDomain, Schema, StringDomain
from datacheck.stats import DatasetProfile

__all__ = ["ENCODER_FORMAT_VERSION", "EncodedFeature", "LabelSpec", "TensorEncoder"]

#: the shape of the encoder's JSON document
ENCODER_FORMAT_VERSION = 1
#: the labeling plugin's output columns (its ``LABEL_COLUMN`` and ``PROBA_COLUMN``): when one
#: is the label, the other is not a feature
_LABELING_COLUMNS = ("label", "label_proba")
_NUMERIC = (FeatureType.INT, FeatureType.FLOAT, FeatureType.DECIMAL)

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class EncodedFeature:
    """How one feature becomes columns."""

    #: the column
    name: str
    #: "numeric", "categorical" or "bool"
    kind: str
    #: values per row (list features: the padded length; scalars: 1)
    width: int = 1
    #: whether the column holds lists
    is_list: bool = False
    #: numeric: the training mean and standard deviation
    mean: float = 0.0
    std: float = 1.0
    #: categorical: the values, in index order; index ``len(vocabulary)`` is out of vocabulary
    vocabulary: tuple[str, ...] = ()

    @property
    def columns(self) -> int:
        """Matrix columns: values (one-hot for categorical) and one mask per position."""
        per = len(self.vocabulary) + 1 if self.kind == "categorical" else 1
        return self.width * per + self.width

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "width": self.width,
            "is_list": self.is_list,
            "mean": self.mean,
            "std": self.std,
            "vocabulary": list(self.vocabulary),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EncodedFeature:
        return cls(
            name=str(d["name"]),
            kind=str(d["kind"]),
            width=int(d["width"]),
            is_list=bool(d["is_list"]),
            mean=float(d["mean"]),
            std=float(d["std"]),
            vocabulary=tuple(str(v) for v in d["vocabulary"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelSpec:
    """The label column and its classes."""

    #: the column
    name: str
    #: "hard" (a class per row) or "soft" (class probabilities per row)
    kind: str
    #: the class names, in class-index order (hard int labels: "0", "1", ...)
    classes: tuple[str, ...]
    #: whether hard labels are written as the class names (strings) rather than indices
    by_name: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "classes": list(self.classes),
            "by_name": self.by_name,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LabelSpec:
        return cls(
            name=str(d["name"]),
            kind=str(d["kind"]),
            classes=tuple(str(c) for c in d["classes"]),
            by_name=bool(d["by_name"]),
        )


def _numeric_moments(profile: DatasetProfile | None, name: str) -> tuple[float, float]:
    stats = profile.features.get(name) if profile is not None else None
    numeric = stats.numeric if stats is not None else None
    mean = numeric.mean if numeric is not None and numeric.mean is not None else 0.0
    std = numeric.std_dev if numeric is not None and numeric.std_dev is not None else 1.0
    if not math.isfinite(mean):
        mean = 0.0
    if not math.isfinite(std) or std <= 0.0:
        std = 1.0  # a constant feature: centred, not scaled
    return float(mean), float(std)


def _width(profile: DatasetProfile | None, feature: Any) -> int:
    vc = feature.value_count
    if vc is not None and vc.max is not None:
        return int(vc.max)
    stats = profile.features.get(feature.name) if profile is not None else None
    if stats is not None and stats.value_counts is not None:
        return max(int(stats.value_counts.max), 1)
    if vc is not None and vc.min is not None:
        return max(int(vc.min), 1)
    raise OptionError(
        "a list feature needs a value count in the schema or the profile to be padded to",
        parameter="schema",
        value=feature.name,
    )


def _label_spec(schema: Schema, profile: DatasetProfile | None, label: str) -> LabelSpec:
    names = [f.name for f in schema.features]
    feature = next((f for f in schema.features if f.name == label), None)
    if feature is None:
        raise OptionError(
            f"not a feature of the schema; its features are: {', '.join(names)}",
            parameter="label",
            value=label,
        )
    stats = profile.features.get(label) if profile is not None else None
    if feature.value_count is not None or (stats is not None and stats.value_counts is not None):
        k = feature.value_count.max if feature.value_count is not None else None
        if k is None and stats is not None and stats.value_counts is not None:
            k = stats.value_counts.max
        if not k:
            raise OptionError(
                "a probabilistic label needs a fixed number of classes (value count)",
                parameter="label",
                value=label,
            )
        return LabelSpec(name=label, kind="soft", classes=tuple(str(i) for i in range(k)))
    if feature.type is FeatureType.STRING:
        domain = feature.domain
        if isinstance(domain, StringDomain) and domain.values:
            classes = tuple(sorted(domain.values))
        elif stats is not None and stats.string is not None and stats.string.value_counts:
            classes = tuple(sorted(stats.string.value_counts))
        else:
            raise OptionError(
                "a string label needs its classes: a value domain in the schema",
                parameter="label",
                value=label,
            )
        return LabelSpec(name=label, kind="hard", classes=classes, by_name=True)
    if feature.type is FeatureType.INT:
        high: float | None = None
        if isinstance(feature.domain, IntDomain) and feature.domain.max is not None:
            high = feature.domain.max
        elif stats is not None and stats.numeric is not None:
            high = stats.numeric.max
        if high is None or high < 0:
            raise OptionError(
                "an integer label needs its classes: an int domain or a profile",
                parameter="label",
                value=label,
            )
        return LabelSpec(
            name=label, kind="hard", classes=tuple(str(i) for i in range(int(high) + 1))
        )
    raise OptionError(
        f"a label is an int or string class, or a list of class probabilities; this one is "
        f"{feature.type.value}",
        parameter="label",
        value=label,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TensorEncoder:
    """Arrow batches to a float feature matrix and class-probability targets."""

    #: the encoded features, in column order
    features: tuple[EncodedFeature, ...]
    #: the label, or None for an encoder of inputs only
    label: LabelSpec | None = None
    #: schema features not encoded (bytes, time, strings without a domain, excluded), by name
    skipped: tuple[str, ...] = ()
    format_version: int = ENCODER_FORMAT_VERSION
    _offsets: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_schema(
        cls,
        schema: Schema,
        profile: DatasetProfile | None = None,
        *,
        label: str | None = None,
        exclude: Iterable[str] = (),
    ) -> TensorEncoder:
        """The encoder of ``schema``'s features, scaled by ``profile`` (the training data's).

        Args:
            schema: Which features, their types, domains and value counts.
            profile: The training data's statistics (means, standard deviations, list
                lengths); without one, numeric features are not scaled.
            label: The label column, left out of the features.
            exclude: Other columns to leave out (ids, LF votes).

        Raises:
            OptionError: ``label`` is not a feature of the schema or is of no label type.
        """
        spec = _label_spec(schema, profile, label) if label is not None else None
        leave = set(exclude)
        if label is not None:
            leave.add(label)
            if label in _LABELING_COLUMNS:
                leave.update(_LABELING_COLUMNS)
        features: list[EncodedFeature] = []
        skipped: list[str] = []
        for f in schema.features:
            if f.name in leave:
                continue
            if f.deprecated or f.skipped or "." in f.name:
                skipped.append(f.name)
                continue
            is_list = f.value_count is not None
            width = _width(profile, f) if is_list else 1
            if f.type in _NUMERIC:
                mean, std = _numeric_moments(profile, f.name)
                features.append(
                    EncodedFeature(
                        name=f.name,
                        kind="numeric",
                        width=width,
                        is_list=is_list,
                        mean=mean,
                        std=std,
                    )
                )
            elif f.type is FeatureType.BOOL:
                features.append(
                    EncodedFeature(name=f.name, kind="bool", width=width, is_list=is_list)
                )
            elif (
                f.type is FeatureType.STRING
                and isinstance(f.domain, StringDomain)
                and f.domain.values
            ):
                features.append(
                    EncodedFeature(
                        name=f.name,
                        kind="categorical",
                        width=width,
                        is_list=is_list,
                        vocabulary=tuple(sorted(f.domain.values)),
                    )
                )
            else:
                skipped.append(f.name)
        return cls(features=tuple(features), label=spec, skipped=tuple(skipped))

    @property
    def width(self) -> int:
        """Columns of the feature matrix."""
        return sum(f.columns for f in self.features)

    @property
    def num_classes(self) -> int:
        """Classes of the label (0 without one)."""
        return len(self.label.classes) if self.label is not None else 0

    def encode(self, data: pa.RecordBatch | pa.Table) -> Matrix:
        """The feature matrix of ``data``'s rows: ``(rows, width)`` float64.

        Raises:
            InputError: ``data`` lacks a column the encoder needs.
        """
        missing = [f.name for f in self.features if f.name not in data.schema.names]
        if missing:
            raise InputError(
                f"the data has no column {', '.join(missing)}, which the model's encoder needs",
                column=missing[0],
            )
        blocks = [_encode_feature(f, _column(data, f.name)) for f in self.features]
        if not blocks:
            return np.zeros((data.num_rows, 0))
        return np.concatenate(blocks, axis=1)

    def labels(self, data: pa.RecordBatch | pa.Table) -> tuple[Matrix, npt.NDArray[np.bool_]]:
        """Class probabilities ``(rows, classes)`` and which rows have a label.

        Hard labels become one-hot rows. A label outside the classes raises.

        Raises:
            OptionError: The encoder has no label.
            InputError: The data lacks the label column, or has a label outside the classes.
        """
        if self.label is None:
            raise OptionError("this encoder has no label", parameter="label", value=None)
        spec = self.label
        if spec.name not in data.schema.names:
            raise InputError(f"the data has no label column {spec.name!r}", column=spec.name)
        column = _column(data, spec.name)
        k = len(spec.classes)
        n = len(column)
        present = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
        out = np.zeros((n, k))
        if spec.kind == "soft":
            values, rows, pos = _list_positions(column)
            keep = pos < k
            out[rows[keep], pos[keep]] = values[keep]
            sums = out.sum(axis=1)
            bad = present & ~np.isclose(sums, 1.0, atol=1e-3)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"label probabilities must sum to 1 over {k} classes; row {row} sums to "
                    f"{sums[row]:.4g}",
                    column=spec.name,
                    row=row,
                )
            return out, present
        if spec.by_name:
            index = pc.index_in(column, value_set=pa.array(spec.classes, pa.string()))
            idx = index.to_numpy(zero_copy_only=False)
            unknown = present & ~index.is_valid().to_numpy(zero_copy_only=False)
        else:
            idx = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
            unknown = present & ((idx < 0) | (idx >= k) | (idx != np.floor(idx)))
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise InputError(
                f"row {row}'s label {column[row].as_py()!r} is not one of the classes "
                f"{', '.join(spec.classes)}",
                column=spec.name,
                row=row,
            )
        rows = np.flatnonzero(present)
        out[rows, np.asarray(idx, dtype=np.float64)[rows].astype(np.int64)] = 1.0
        return out, present

    def decode(self, probabilities: Matrix) -> list[str]:
        """The most probable class's name for each row of ``probabilities``."""
        if self.label is None:
            raise OptionError("this encoder has no label", parameter="label", value=None)
        return [self.label.classes[i] for i in np.argmax(probabilities, axis=1)]

    def to_dict(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "format_version": self.format_version,
            "features": [f.to_dict() for f in self.features],
            "label": self.label.to_dict() if self.label is not None else None,
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TensorEncoder:
        """From its JSON object.

        Raises:
            InputError: The document is not an encoder of a known format.
        """
        try:
            if d["format_version"] != ENCODER_FORMAT_VERSION:
                raise InputError(
                    f"encoder format {d['format_version']}; this datacheck reads "
                    f"{ENCODER_FORMAT_VERSION}"
                )
            return cls(
                features=tuple(EncodedFeature.from_dict(f) for f in d["features"]),
                label=LabelSpec.from_dict(d["label"]) if d.get("label") else None,
                skipped=tuple(str(s) for s in d.get("skipped", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"not a tensor encoder document: {exc!r}") from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the JSON document (atomically)."""
        write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TensorEncoder:
        """Read a document :meth:`save` wrote."""
        try:
            with open(path, encoding="utf-8") as f:
                document = json.load(f)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the encoder: {exc}", path=path) from None
        return cls.from_dict(document)


def _column(data: pa.RecordBatch | pa.Table, name: str) -> pa.Array:
    column = data.column(name)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column


def _list_positions(
    column: pa.Array,
) -> tuple[Matrix, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The list's values as float64, each with its row and position in the row."""
    if pa.types.is_large_list(column.type):
        column = column.cast(pa.list_(column.type.value_type))
    lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
    lengths = np.asarray(lengths, dtype=np.int64)
    flat = pc.list_flatten(column)
    values = np.asarray(
        pc.cast(flat, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    rows = np.repeat(np.arange(len(column), dtype=np.int64), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    pos = np.arange(len(values), dtype=np.int64) - np.repeat(starts, lengths)
    return values, rows, pos


def _positions(feature: EncodedFeature, column: pa.Array) -> tuple[Matrix, npt.NDArray[np.bool_]]:
    """Numeric or bool values ``(rows, width)`` and where one is missing."""
    n = len(column)
    values = np.zeros((n, feature.width))
    missing = np.ones((n, feature.width), dtype=np.bool_)
    if feature.is_list:
        flat, rows, pos = _list_positions(column)
        keep = (pos < feature.width) & ~np.isnan(flat)
        values[rows[keep], pos[keep]] = flat[keep]
        missing[rows[keep], pos[keep]] = False
        return values, missing
    raw = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    present = ~np.isnan(raw)
    values[present, 0] = raw[present]
    missing[:, 0] = ~present
    return values, missing


def _encode_feature(feature: EncodedFeature, column: pa.Array) -> Matrix:
    if feature.kind == "categorical":
        return _encode_categorical(feature, column)
    values, missing = _positions(feature, column)
    if feature.kind == "numeric":
        values = (values - feature.mean) / feature.std
    values[missing] = 0.0  # the mean, once standardized
    return np.concatenate([values, missing.astype(np.float64)], axis=1)


def _encode_categorical(feature: EncodedFeature, column: pa.Array) -> Matrix:
    if feature.is_list:
        raise InputError(
            f"list of strings feature {feature.name!r} is not encoded", column=feature.name
        )
    n = len(column)
    k = len(feature.vocabulary)
    text = pc.cast(column, pa.string())
    index = pc.index_in(text, value_set=pa.array(feature.vocabulary, pa.string()))
    present = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    idx = np.asarray(pc.fill_null(index, k).to_numpy(zero_copy_only=False), dtype=np.int64)
    onehot = np.zeros((n, k + 1))
    rows = np.flatnonzero(present)
    onehot[rows, idx[rows]] = 1.0  # index k: out of vocabulary
    return np.concatenate([onehot, (~present).astype(np.float64)[:, None]], axis=1)


def stack(encoder: TensorEncoder, batches: Sequence[pa.RecordBatch]) -> Matrix:
    """The feature matrix of several batches, in order."""
    if not batches:
        return np.zeros((0, encoder.width))
    return np.concatenate([encoder.encode(b) for b in batches], axis=0)
