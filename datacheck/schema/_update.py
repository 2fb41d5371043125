"""Schema update: relax a schema just enough to accept new data, and say what changed.

Every change :func:`update_schema` makes is backward compatible (data valid before stays
valid): new domain values, wider ranges and value counts, lower presence, new features as
optional ones. What it cannot relax (a type change) it leaves for validation to report
(:func:`datacheck.validate.unfixed_anomalies` lists it). An update fits whatever the data holds,
corrupted data included: :func:`large_relaxations` picks out the relaxations to look at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from datacheck._effect import cohens_h
from datacheck._types import FeatureType
from datacheck.errors import require
from datacheck.schema._diff import SchemaChange, diff_schemas
from datacheck.schema._infer import (
    InferOptions,
    infer_feature,
    presence_lower_bound,
    range_with_margin,
    skipped_feature,
    tail_lengths,
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
    TimeDomain,
    UniqueConstraints,
    ValueCount,
)
from datacheck.schema._timedomain import widen_time_domain
from datacheck.stats import DatasetProfile, FeatureStatistics, NumericStatistics

__all__ = ["LargeRelaxation", "RelaxationLimits", "large_relaxations", "update_schema"]


def _lower(bound: int | None, seen: int) -> int | None:
    return None if bound is None else min(bound, seen)


def _higher(bound: int | None, seen: int) -> int | None:
    return None if bound is None else max(bound, seen)


def _widen_int(d: IntDomain, n: NumericStatistics, options: InferOptions) -> IntDomain:
    assert n.min is not None and n.max is not None  # the caller checked
    low, high = float(n.min), float(n.max)
    if (d.min is None or d.min <= low) and (d.max is None or d.max >= high):
        return d
    lo, hi = range_with_margin(low, high, options.range_margin, tails=tail_lengths(n), integer=True)
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
            range_with_margin(low, high, options.range_margin, tails=tail_lengths(n))
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
        return _widen_int(domain, n, options)
    if isinstance(domain, FloatDomain):
        return _widen_float(domain, f, options)
    if isinstance(domain, TimeDomain):
        return widen_time_domain(domain, f)
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
    require(
        schema,
        Schema,
        function="update_schema",
        parameter="schema",
        needs="a Schema (load_schema reads one, SchemaStore.latest gives one)",
    )
    require(
        profile,
        DatasetProfile,
        function="update_schema",
        parameter="profile",
        needs="a DatasetProfile (generate_statistics makes one, load_profile reads one)",
    )
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
    features += [skipped_feature(s) for s in profile.skipped if s.path not in known]
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RelaxationLimits:
    """How far :func:`update_schema` may relax a bound before :func:`large_relaxations` warns.

    An update accepts whatever the new data holds, corrupted data included; these limits pick
    out the relaxations a person should look at before the new version is trusted.
    """

    #: presence falls by more than this effect size (Cohen's h between the old and the new
    #: min_fraction; 0.5 is Cohen's "medium"). 0.91 to 0.46 is h = 1.0; 1.0 to 0.95, the first
    #: missing values in a column that had none, is 0.45 and not warned about
    presence_effect: float = 0.5
    #: a numeric range grows to more than this many times its span, or loses a bound
    range_growth: float = 2.0
    #: a string domain gains more values than this, and more than it had (or loses its domain)
    domain_values: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class LargeRelaxation:
    """One relaxation past :class:`RelaxationLimits`."""

    #: the feature path
    feature: str
    #: the part that was relaxed (``presence.min_fraction``, ``domain``, ``domain.values``)
    field: str
    #: one sentence: what changed, from what to what, and why it is worth a look
    message: str


def _presence_relaxation(
    old: Feature, new: Feature, limits: RelaxationLimits
) -> LargeRelaxation | None:
    before, after = old.presence.min_fraction, new.presence.min_fraction
    effect = cohens_h(before, after)
    if after >= before or effect <= limits.presence_effect:
        return None
    return LargeRelaxation(
        feature=old.name,
        field="presence.min_fraction",
        message=f"feature {old.name!r}: presence.min_fraction falls from {before:g} to "
        f"{after:g} (Cohen's h = {effect:.2f}, over {limits.presence_effect:g}): the new data "
        "misses the feature far more often; make sure it is not broken before accepting it",
    )


def _span(low: float | None, high: float | None) -> float | None:
    return None if low is None or high is None else float(high) - float(low)


def _range_relaxation(
    old: Feature, new: Feature, limits: RelaxationLimits
) -> LargeRelaxation | None:
    a, b = old.domain, new.domain
    if not isinstance(a, IntDomain | FloatDomain) or not isinstance(b, IntDomain | FloatDomain):
        return None
    before, after = _span(a.min, a.max), _span(b.min, b.max)
    lost = [
        side
        for side, o, n in (("min", a.min, b.min), ("max", a.max, b.max))
        if o is not None and n is None
    ]
    if lost:
        why = f"loses its {' and '.join(lost)}"
    elif before is not None and after is not None and after > limits.range_growth * before:
        growth = "from a single value" if before == 0 else f"{after / before:.3g} times as wide"
        why = f"grows {growth}"
    else:
        return None
    return LargeRelaxation(
        feature=old.name,
        field="domain",
        message=f"feature {old.name!r}: the range [{a.min}, {a.max}] becomes [{b.min}, {b.max}] "
        f"(it {why}): check the new extremes are real values, not a unit change or a "
        "placeholder",
    )


def _domain_relaxation(
    old: Feature, new: Feature, limits: RelaxationLimits
) -> LargeRelaxation | None:
    a, b = old.domain, new.domain
    if not isinstance(a, StringDomain):
        return None
    if b is None:
        return LargeRelaxation(
            feature=old.name,
            field="domain",
            message=f"feature {old.name!r}: the domain of {len(a.values)} values is dropped "
            "(the new data holds too many distinct values to list): any value now passes",
        )
    if not isinstance(b, StringDomain):
        return None
    added = sorted(set(b.values) - set(a.values))
    if len(added) <= max(limits.domain_values, len(a.values)):
        return None
    shown = ", ".join(repr(v) for v in added[:5])
    return LargeRelaxation(
        feature=old.name,
        field="domain.values",
        message=f"feature {old.name!r}: the domain grows from {len(a.values)} to "
        f"{len(b.values)} values ({shown}, ...): check the new values are categories, not "
        "free text or typos",
    )


def large_relaxations(
    old: Schema, new: Schema, limits: RelaxationLimits | None = None
) -> list[LargeRelaxation]:
    """The relaxations from ``old`` to ``new`` large enough to look at before trusting ``new``.

    Meant for the result of :func:`update_schema`: presence falling by a large effect, a range
    more than doubling or losing a bound, a string domain gaining many values or dropped.

    Args:
        old: the schema before the update.
        new: the schema after it.
        limits: when a relaxation counts as large; see :class:`RelaxationLimits`.

    Returns:
        One entry per large relaxation, features in the order of ``old``.
    """
    limits = limits or RelaxationLimits()
    out: list[LargeRelaxation] = []
    for before in old.features:
        after = new.feature(before.name)
        if after is None or after.type != before.type or before.deprecated:
            continue
        for check in (_presence_relaxation, _range_relaxation, _domain_relaxation):
            found = check(before, after, limits)
            if found is not None:
                out.append(found)
    return out
