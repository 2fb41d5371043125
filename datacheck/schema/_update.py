"""Schema update: relax a schema just enough to accept new data, and say what changed.

Every change :func:`update_schema` makes is backward compatible (data valid before stays
valid): new domain values, wider ranges and value counts, lower presence, new features as
optional ones. What it cannot relax (a type change) it leaves for validation to report.
"""

from __future__ import annotations

import math
from dataclasses import replace

from datacheck._types import FeatureType
from datacheck.schema._diff import SchemaChange, diff_schemas
from datacheck.schema._infer import (
    InferOptions,
    infer_feature,
    presence_lower_bound,
    range_with_margin,
)
from datacheck.schema._model import (
    DatasetConstraints,
    Domain,
    Feature,
    FloatDomain,
    IntDomain,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    UniqueConstraints,
    ValueCount,
)
from datacheck.stats import DatasetProfile, FeatureStatistics

__all__ = ["update_schema"]


def _lower(bound: int | None, seen: int) -> int | None:
    return None if bound is None else min(bound, seen)


def _higher(bound: int | None, seen: int) -> int | None:
    return None if bound is None else max(bound, seen)


def _widen_int(d: IntDomain, low: float, high: float, options: InferOptions) -> IntDomain:
    if (d.min is None or d.min <= low) and (d.max is None or d.max >= high):
        return d
    lo, hi = range_with_margin(low, high, options.range_margin)
    new_min = None if d.min is None else min(d.min, math.floor(lo), int(low))
    new_max = None if d.max is None else max(d.max, math.ceil(hi), int(high))
    return IntDomain(min=new_min, max=new_max)


def _widen_float(d: FloatDomain, f: FeatureStatistics, options: InferOptions) -> FloatDomain:
    n = f.numeric
    if n is None:
        return d
    new_min, new_max = d.min, d.max
    if n.min is not None and n.max is not None:
        # An infinite extreme removes that bound; the margin comes from the finite values.
        low = n.min if math.isfinite(n.min) else n.max
        high = n.max if math.isfinite(n.max) else n.min
        lo, hi = (
            range_with_margin(low, high, options.range_margin)
            if math.isfinite(low) and math.isfinite(high)
            else (low, high)
        )
        if d.min is not None and n.min < d.min:
            new_min = None if math.isinf(n.min) else lo
        if d.max is not None and n.max > d.max:
            new_max = None if math.isinf(n.max) else hi
    return FloatDomain(
        min=new_min,
        max=new_max,
        disallow_nan=d.disallow_nan and n.num_nan == 0,
        disallow_inf=d.disallow_inf and n.num_pos_inf == 0 and n.num_neg_inf == 0,
    )


def _widen_domain(
    domain: Domain | None, f: FeatureStatistics, options: InferOptions
) -> Domain | None:
    if isinstance(domain, StringDomain) and f.string is not None:
        if f.string.value_counts is None:
            # Too many distinct values to list: the column no longer has a closed set.
            return None
        values = set(domain.values) | set(f.string.value_counts)
        return None if len(values) > options.max_domain_size else StringDomain(values=tuple(values))
    if isinstance(domain, IntDomain) and f.numeric is not None:
        n = f.numeric
        if n.min is None or n.max is None:
            return domain
        return _widen_int(domain, float(n.min), float(n.max), options)
    if isinstance(domain, FloatDomain):
        return _widen_float(domain, f, options)
    return domain


def _update_feature(
    feature: Feature, f: FeatureStatistics, num_rows: int, options: InferOptions
) -> Feature:
    if f.type is not feature.type and f.type is not FeatureType.NULL:
        # A type change is not a relaxation (diff_schemas calls it breaking both ways):
        # validation reports the type, and the schema stays as the user made it. A null type
        # only says no value was seen (an empty CSV column): presence relaxes, the type stays.
        return feature
    presence = feature.presence
    if f.num_present < num_rows * presence.min_fraction or f.num_present < presence.min_count:
        presence = Presence(
            min_fraction=min(
                presence.min_fraction, presence_lower_bound(f.num_present, num_rows, options)
            ),
            min_count=min(presence.min_count, f.num_present),
        )
    value_count = feature.value_count
    if value_count is not None and f.value_counts is not None:
        value_count = ValueCount(
            min=_lower(value_count.min, f.value_counts.min),
            max=_higher(value_count.max, f.value_counts.max),
        )
    length = feature.string_length
    s = f.string
    if length is not None and s is not None and s.min_length is not None:
        assert s.max_length is not None  # both are set together
        length = StringLength(
            min=_lower(length.min, s.min_length), max=_higher(length.max, s.max_length)
        )
    unique = feature.unique
    if unique is not None and f.string is not None:
        distinct = f.string.distinct
        unique = UniqueConstraints(
            min=None if unique.min is None else min(unique.min, math.floor(distinct)),
            max=None if unique.max is None else max(unique.max, math.ceil(distinct)),
        )
    return replace(
        feature,
        presence=presence,
        value_count=value_count,
        domain=_widen_domain(feature.domain, f, options),
        string_length=length,
        unique=unique,
    )


def _absent(feature: Feature) -> Feature:
    # Missing from the new data altogether: accept that by making the feature optional.
    return replace(feature, presence=Presence(min_fraction=0.0, min_count=0))


def update_schema(
    schema: Schema, profile: DatasetProfile, options: InferOptions | None = None
) -> tuple[Schema, list[SchemaChange]]:
    """Relax ``schema`` so that the data ``profile`` describes passes it.

    New domain values are added, ranges, value counts and unique counts widened, presence
    lowered to the new data's lower bound, features absent from the data made optional, new
    features added as optional ones (inferred as :func:`infer_schema` would), the dataset's row
    count bounds widened. Deprecated features are left alone.

    Args:
        schema: the schema to relax.
        profile: the statistics of the new data.
        options: the inference options used for new features, margins and domain size.

    Returns:
        The relaxed schema, with ``version`` bumped when anything changed, and the changes
        (each one backward compatible) as :func:`diff_schemas` lists them.
    """
    options = options or InferOptions()
    stats = profile.features
    features: list[Feature] = []
    for feature in schema.features:
        f = stats.get(feature.name)
        if feature.deprecated:
            features.append(feature)
        elif f is None:
            features.append(_absent(feature))
        else:
            features.append(_update_feature(feature, f, profile.num_rows, options))
    known = set(schema.feature_names)
    for path, f in stats.items():
        if path not in known:
            features.append(_absent(infer_feature(f, profile.num_rows, options)))
    d = schema.dataset
    dataset = DatasetConstraints(
        min_row_count=_lower(d.min_row_count, profile.num_rows),
        max_row_count=_higher(d.max_row_count, profile.num_rows),
        min_row_count_ratio=d.min_row_count_ratio,
        max_row_count_ratio=d.max_row_count_ratio,
    )
    updated = replace(schema, features=tuple(features), dataset=dataset)
    changes = diff_schemas(schema, updated)
    if not changes:
        return schema, []
    return replace(updated, version=schema.version + 1), changes
