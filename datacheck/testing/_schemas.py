"""schemas: a strategy for valid schemas, by default ones that some data satisfies.

Every drawn schema loads back from its JSON document and passes the semantic checks. By
default :func:`~datacheck.testing.from_schema` can also draw data for it: no required null
feature, no empty string domain, distinct-count bounds that the domain and list lengths can
meet, and row-count bounds above what the features need. ``satisfiable=False`` drops those
limits (any names, int64-extreme bounds, empty domains, bounds on any type) for laws about
schema documents themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from hypothesis import strategies as st

from datacheck._types import TIME_UNITS, FeatureType
from datacheck.schema import (
    DRIFT_LEVELS,
    BoolDomain,
    Comparator,
    ComparatorMethod,
    DatasetConstraints,
    DistributionConstraints,
    Domain,
    Feature,
    FloatDomain,
    Freshness,
    IntDomain,
    Lifecycle,
    MissingDrift,
    Presence,
    Schema,
    StringDomain,
    StringLength,
    TimeType,
    UniqueConstraints,
    ValueCount,
)
from datacheck.testing._time_values import time_domains
from datacheck.validate import AnomalyCode

__all__ = ["schemas"]

#: plain names, dotted ones (struct fields), and a name that is also a struct's prefix
_NAMES = ("a", "b", "c", "d", "price", "label", "user.id", "user.name", "geo.lat", "geo.lon")
_ENVIRONMENTS = ("TRAINING", "SERVING")
_FRACTIONS = st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 1.0)
_WORDS = st.text(st.sampled_from("abcxyz é"), min_size=1, max_size=4)


def _sorted_pair(a: float | None, b: float | None) -> tuple[float | None, float | None]:
    if a is not None and b is not None and a > b:
        return b, a
    return a, b


@st.composite
def _int_domain(draw: st.DrawFn) -> IntDomain:
    low, high = _sorted_pair(
        draw(st.none() | st.integers(-1000, 1000)), draw(st.none() | st.integers(-1000, 1000))
    )
    return IntDomain(min=None if low is None else int(low), max=None if high is None else int(high))


@st.composite
def _float_domain(draw: st.DrawFn, *, decimal: bool = False) -> FloatDomain:
    # Decimal bounds in hundredths, so that the decimals between them are not too few to draw.
    finite = (
        st.integers(-(10**6), 10**6).map(lambda k: k / 100)
        if decimal
        else st.floats(-1e6, 1e6, allow_nan=False)
    )
    bound = st.none() | finite
    low, high = _sorted_pair(draw(bound), draw(bound))
    return FloatDomain(
        min=low, max=high, disallow_nan=draw(st.booleans()), disallow_inf=draw(st.booleans())
    )


def _domain(ftype: FeatureType) -> st.SearchStrategy[Domain | None]:
    if ftype is FeatureType.INT:
        return st.none() | _int_domain()
    if ftype in (FeatureType.FLOAT, FeatureType.DECIMAL):
        return st.none() | _float_domain(decimal=ftype is FeatureType.DECIMAL)
    if ftype in (FeatureType.STRING, FeatureType.BYTES):
        words = st.lists(_WORDS, min_size=1, max_size=5, unique=True)
        return st.none() | words.map(lambda v: StringDomain(values=tuple(v)))
    if ftype is FeatureType.BOOL:
        return st.none() | st.just(BoolDomain())
    return st.none()


#: a union column, the kind of column a schema lists as skipped
_SKIPPED_ARROW_TYPE = "dense_union<a: int64=0, b: string=1>"
_ZONES = st.none() | st.sampled_from(["UTC", "Europe/Paris", "+01:00"])


def _time(ftype: FeatureType) -> st.SearchStrategy[TimeType | None]:
    """A recorded unit (and zone, for timestamps), or none, for the types that have one."""
    units = st.sampled_from(TIME_UNITS)
    if ftype is FeatureType.TIMESTAMP:
        return st.none() | st.builds(TimeType, unit=units, zone=_ZONES)
    if ftype is FeatureType.DURATION:
        return st.none() | st.builds(TimeType, unit=units)
    return st.none()


def _arrow_type(ftype: FeatureType) -> st.SearchStrategy[str | None]:
    """A null feature may be a skipped column (one the profile cannot describe)."""
    return st.none() | st.just(_SKIPPED_ARROW_TYPE) if ftype is FeatureType.NULL else st.none()


_COMPARATORS = st.none() | st.builds(
    Comparator, method=st.sampled_from(ComparatorMethod), threshold=st.floats(0.0, 1.0)
)
_MISSING_DRIFT = st.none() | st.builds(MissingDrift, threshold=st.floats(0.0, 3.0))
_DRIFT_LEVEL = st.sampled_from(DRIFT_LEVELS)


def _freshness(ftype: FeatureType) -> st.SearchStrategy[Freshness | None]:
    """Freshness for dates and timestamps only (it compares them with a baseline's)."""
    if ftype not in (FeatureType.DATE, FeatureType.TIMESTAMP):
        return st.none()
    return st.none() | st.builds(Freshness, max_stale_fraction=st.floats(0, 1))


_OVERRIDES = st.dictionaries(
    st.sampled_from([str(c) for c in AnomalyCode]),
    st.sampled_from(["error", "warning"]),
    max_size=2,
)


@st.composite
def _feature(draw: st.DrawFn, name: str, types: Sequence[FeatureType]) -> Feature:
    ftype = draw(st.sampled_from(types))
    value_count = None
    if draw(st.booleans()):
        vmin = draw(st.none() | st.integers(0, 2))
        vmax = draw(st.none() | st.integers(vmin or 0, (vmin or 0) + 3))
        value_count = ValueCount(min=vmin, max=vmax)
    domain = draw(_domain(ftype))
    presence = Presence()
    if ftype is not FeatureType.NULL:
        presence = Presence(min_fraction=draw(_FRACTIONS), min_count=draw(st.integers(0, 3)))
    unique = None
    # Distinct counts are measured for strings only; elsewhere a bound could only warn.
    lists_hold_values = value_count is None or value_count.max != 0
    if ftype is FeatureType.STRING and lists_hold_values and draw(st.booleans()):
        size = len(domain.values) if isinstance(domain, StringDomain) else 6
        umin = draw(st.none() | st.integers(0, min(size, 3)))
        umax = draw(st.none() | st.integers(max(umin or 0, 1), max(size, 1)))
        unique = UniqueConstraints(min=umin, max=umax)
    env_in = draw(st.lists(st.sampled_from(_ENVIRONMENTS), max_size=1, unique=True))
    env_out = [
        e for e in draw(st.lists(st.sampled_from(_ENVIRONMENTS), max_size=1)) if e not in env_in
    ]
    string_length = None
    if ftype is FeatureType.STRING and draw(st.booleans()):
        # Bounds every word of the domain meets (the other constraints count on them all).
        words = [len(v) for v in domain.values] if isinstance(domain, StringDomain) else [3]
        lmin = draw(st.none() | st.integers(0, min(words)))
        lmax = draw(st.none() | st.integers(max(max(words), 1), max(words) + 8))
        string_length = StringLength(min=lmin, max=lmax)
    time = draw(_time(ftype))
    domain = domain if domain is not None else draw(time_domains(ftype, time))
    return Feature(
        name=name,
        type=ftype,
        presence=presence,
        value_count=value_count,
        domain=domain,
        string_length=string_length,
        time=time,
        arrow_type=draw(_arrow_type(ftype)),
        distribution=draw(
            st.none()
            | st.sampled_from([0.5, 0.9, 1.0]).map(
                lambda m: DistributionConstraints(min_domain_mass=m)
            )
        ),
        unique=unique,
        drift_comparator=draw(_COMPARATORS),
        skew_comparator=draw(_COMPARATORS),
        missing_drift=draw(_MISSING_DRIFT),
        drift_level=draw(_DRIFT_LEVEL),
        freshness=draw(_freshness(ftype)),
        in_environments=tuple(env_in),
        not_in_environments=tuple(env_out),
        lifecycle=draw(st.sampled_from([Lifecycle.ACTIVE] * 4 + [Lifecycle.DEPRECATED])),
        description=draw(st.sampled_from(["", "a feature"])),
        severity_overrides=draw(_OVERRIDES),
    )


@st.composite
def _schemas(
    draw: st.DrawFn, min_features: int, max_features: int, types: tuple[FeatureType, ...]
) -> Schema:
    names = draw(
        st.lists(st.sampled_from(_NAMES), min_size=min_features, max_size=max_features, unique=True)
    )
    features = tuple(draw(_feature(name, types)) for name in names)
    needed = max(
        [
            0,
            *(f.presence.min_count for f in features),
            *(f.unique.min or 0 for f in features if f.unique is not None),
        ]
    )
    min_rows = draw(st.none() | st.integers(0, 4))
    max_rows = draw(st.none() | st.integers(max(needed, min_rows or 0, 1), 30))
    ratio = st.none() | st.sampled_from([0.5, 0.9, 1.0, 1.5, 2.0])
    low_ratio, high_ratio = _sorted_pair(draw(ratio), draw(ratio))
    return Schema(
        features=features,
        dataset=DatasetConstraints(
            min_row_count=min_rows,
            max_row_count=max_rows,
            min_row_count_ratio=low_ratio,
            max_row_count_ratio=high_ratio,
        ),
        default_environments=tuple(
            draw(st.lists(st.sampled_from(_ENVIRONMENTS), max_size=2, unique=True))
        ),
        severity_overrides=draw(_OVERRIDES),
        description=draw(st.sampled_from(["", "a schema"])),
        version=draw(st.integers(1, 5)),
    )


# --- any valid schema (satisfiable=False) ----------------------------------------------------

#: surrogates are not UTF-8, so no JSON document could hold them
_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
_ANY_NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=_SURROGATES), min_size=1, max_size=8
)
_ANY_ENVIRONMENTS = st.lists(
    st.sampled_from(["TRAINING", "SERVING", "EVAL"]), max_size=2, unique=True
)
_ANY_FINITE = st.floats(-1e9, 1e9, allow_nan=False)


def _any_bounds(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    return st.tuples(st.none() | values, st.none() | values).map(lambda t: _sorted_pair(*t))


@st.composite
def _any_domain(draw: st.DrawFn, ftype: FeatureType) -> Domain | None:
    if ftype is FeatureType.INT:
        low, high = draw(_any_bounds(st.integers(-(2**63), 2**63 - 1)))
        return IntDomain(min=low, max=high)
    if ftype is FeatureType.FLOAT:
        low, high = draw(_any_bounds(_ANY_FINITE))
        return FloatDomain(
            min=low, max=high, disallow_nan=draw(st.booleans()), disallow_inf=draw(st.booleans())
        )
    if ftype is FeatureType.STRING:
        return StringDomain(values=tuple(draw(st.lists(_ANY_NAMES, max_size=5))))
    return BoolDomain() if ftype is FeatureType.BOOL else None


@st.composite
def _any_feature(draw: st.DrawFn, name: str, types: Sequence[FeatureType]) -> Feature:
    ftype = draw(st.sampled_from(types))
    vc = draw(st.none() | _any_bounds(st.integers(0, 100)))
    unique = draw(st.none() | _any_bounds(st.integers(0, 100)))
    length = draw(
        st.none() | _any_bounds(st.integers(0, 100)) if ftype is FeatureType.STRING else st.none()
    )
    env_in = draw(_ANY_ENVIRONMENTS)
    time = draw(_time(ftype))
    domain = draw(st.none() | _any_domain(ftype)) or draw(time_domains(ftype, time))
    return Feature(
        name=name,
        type=ftype,
        presence=Presence(min_fraction=draw(st.floats(0, 1)), min_count=draw(st.integers(0, 9))),
        value_count=None if vc is None else ValueCount(min=vc[0], max=vc[1]),
        domain=domain,
        string_length=None if length is None else StringLength(min=length[0], max=length[1]),
        time=time,
        arrow_type=draw(_arrow_type(ftype)),
        distribution=draw(
            st.none() | st.builds(DistributionConstraints, min_domain_mass=st.floats(0, 1))
        ),
        unique=None if unique is None else UniqueConstraints(min=unique[0], max=unique[1]),
        drift_comparator=draw(_COMPARATORS),
        skew_comparator=draw(_COMPARATORS),
        missing_drift=draw(_MISSING_DRIFT),
        drift_level=draw(_DRIFT_LEVEL),
        freshness=draw(_freshness(ftype)),
        in_environments=tuple(env_in),
        not_in_environments=tuple(e for e in draw(_ANY_ENVIRONMENTS) if e not in env_in),
        lifecycle=draw(st.sampled_from(Lifecycle)),
        description=draw(st.text(max_size=10)),
        severity_overrides=draw(_OVERRIDES),
    )


@st.composite
def _any_schemas(
    draw: st.DrawFn, min_features: int, max_features: int, types: tuple[FeatureType, ...]
) -> Schema:
    names = draw(st.lists(_ANY_NAMES, min_size=min_features, max_size=max_features, unique=True))
    rows = draw(_any_bounds(st.integers(0, 10**6)))
    ratios = draw(_any_bounds(st.floats(0, 10)))
    return Schema(
        features=tuple(draw(_any_feature(n, types)) for n in names),
        dataset=DatasetConstraints(
            min_row_count=rows[0],
            max_row_count=rows[1],
            min_row_count_ratio=ratios[0],
            max_row_count_ratio=ratios[1],
        ),
        default_environments=tuple(draw(_ANY_ENVIRONMENTS)),
        severity_overrides=draw(_OVERRIDES),
        description=draw(st.text(max_size=10)),
        version=draw(st.integers(1, 1000)),
    )


def schemas(
    *,
    min_features: int = 1,
    max_features: int = 5,
    types: Sequence[FeatureType] = tuple(FeatureType),
    satisfiable: bool = True,
) -> st.SearchStrategy[Schema]:
    """Valid schemas; by default ones that some data satisfies (see the module docstring).

    Features use short names, dotted ones among them (struct fields); every constraint kind
    appears: presence, list lengths, int/float/string/bool domains with NaN and infinity
    flags, domain mass, distinct counts (string features), time units and zones, skipped
    columns, comparators, environments, deprecation, severity overrides, and dataset
    row-count bounds.

    Args:
        min_features: fewest features.
        max_features: most features (at most 10 when ``satisfiable``).
        types: the feature types to draw from.
        satisfiable: only schemas that :func:`~datacheck.testing.from_schema` can draw data
            for; False: any valid schema document.
    """
    if not satisfiable:
        return _any_schemas(min_features, max_features, tuple(types))
    return _schemas(min_features, min(max_features, len(_NAMES)), tuple(types))
