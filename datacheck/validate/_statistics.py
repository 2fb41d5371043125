"""validate_statistics: a profile checked against a schema, with drift and skew measured.

The checks read only the profile (never the rows), so they take milliseconds whatever the
data size. Each problem becomes an :class:`Anomaly` with a stable code; a comparison the
profile cannot support becomes STATS_NOT_AVAILABLE, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from datacheck._format import fmt_names
from datacheck._timebounds import bound_value, format_time
from datacheck._types import FeatureType, same_time_zone, time_of
from datacheck.errors import InputError, ProfileFormatError, require
from datacheck.schema import Feature, FloatDomain, IntDomain, Schema, StringDomain, TimeDomain
from datacheck.stats import FORMAT_VERSION as PROFILE_FORMAT_VERSION
from datacheck.stats import DatasetProfile, FeatureStatistics
from datacheck.validate._codes import DEFAULT_SEVERITY, AnomalyCode, Severity
from datacheck.validate._comparators import (
    MISSING_METHOD,
    MISSING_REFERENCE_THRESHOLD,
    compare_feature,
    compare_missing,
    feature_kind,
    stale_share,
    threshold_for,
)
from datacheck.validate._environments import check_environment
from datacheck.validate._keys import DEFAULT_MAX_KEYS
from datacheck.validate._report import (
    Anomaly,
    DriftMeasurement,
    MeasurementKind,
    ReportSummary,
    ValidationReport,
)

__all__ = ["ValidationOptions", "validate_statistics"]

C = AnomalyCode

#: distance method -> the code raised when the enforced comparator exceeds its threshold
_DISTANCE_CODES: dict[str, AnomalyCode] = {
    "l_infinity": C.COMPARATOR_L_INFTY_HIGH,
    "jensen_shannon": C.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH,
    "psi": C.COMPARATOR_PSI_HIGH,
    "ks": C.COMPARATOR_KS_HIGH,
    "wasserstein": C.COMPARATOR_WASSERSTEIN_HIGH,
}

#: (expected, actual) type pairs that are not a type change: ints widen to floats and decimals
_COMPATIBLE_TYPES = frozenset(
    {
        (FeatureType.FLOAT, FeatureType.INT),
        (FeatureType.DECIMAL, FeatureType.INT),
        (FeatureType.FLOAT, FeatureType.DECIMAL),
        (FeatureType.DECIMAL, FeatureType.FLOAT),
        (FeatureType.BYTES, FeatureType.STRING),
    }
)


#: text that reads as a boolean
_BOOL_TEXT = frozenset({"true", "false", "1", "0"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationOptions:
    """Options of :func:`validate_statistics`."""

    #: most unexpected string values an anomaly lists
    max_examples: int = 10
    #: also measure (for information) the methods the schema's comparator does not use
    measure_all_methods: bool = True
    #: the most distinct keys each unique key holds while rows are checked (16 bytes each,
    #: see ``_keys.py``); past it the key is not checked on later rows (KEY_NOT_CHECKED)
    max_keys: int = DEFAULT_MAX_KEYS


@dataclass(slots=True)
class _Run:
    """The anomalies and measurements of one validation, in the order found."""

    schema: Schema
    anomalies: list[Anomaly]
    measurements: list[DriftMeasurement]

    def flag(
        self,
        code: AnomalyCode,
        path: str | None,
        message: str,
        *,
        measured: Any = None,
        expected: Any = None,
        default: Severity | None = None,
    ) -> None:
        """Add an anomaly; its severity is the schema's override of ``code``, else ``default``,
        else the code's default severity."""
        override = self.schema.severity_override(str(code), path)
        if override is not None:
            severity = Severity(override)
        else:
            severity = default if default is not None else DEFAULT_SEVERITY[code]
        self.anomalies.append(
            Anomaly(
                code=code,
                severity=severity,
                path=path,
                message=message,
                measured=measured,
                expected=expected,
            )
        )


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


def _check_request(
    profile: DatasetProfile,
    schema: Schema,
    references: dict[str, DatasetProfile | None],
    environment: str | None,
) -> None:
    check_environment(schema, environment)
    known = set(schema.feature_names)
    observed = set(profile.features) | {s.path for s in profile.skipped}
    if known and observed and not known & observed:
        raise InputError(
            f"the data's columns ({fmt_names(sorted(observed), 5)}) share no name with "
            f"the schema's features ({fmt_names(sorted(known), 5)}); "
            "check that the schema is the one for this data"
        )
    for label, other in (("profile", profile), *references.items()):
        if other is not None and other.format_version != PROFILE_FORMAT_VERSION:
            raise ProfileFormatError(
                f"the {label} profile has format_version {other.format_version}, this release "
                f"reads {PROFILE_FORMAT_VERSION}; regenerate it with `datacheck stats`"
            )


def _require_arguments(profile: object, schema: object, baseline: object, serving: object) -> None:
    function = "validate_statistics"
    profiles = "a DatasetProfile (generate_statistics makes one, load_profile reads one)"
    require(profile, DatasetProfile, function=function, parameter="profile", needs=profiles)
    require(
        schema,
        Schema,
        function=function,
        parameter="schema",
        needs="a Schema (load_schema reads one, infer_schema makes one)",
    )
    for name, value in (("baseline", baseline), ("serving", serving)):
        if value is not None:
            require(value, DatasetProfile, function=function, parameter=name, needs=profiles)


def _check_dataset(run: _Run, profile: DatasetProfile, baseline: DatasetProfile | None) -> None:
    d = run.schema.dataset
    n = profile.num_rows
    if d.min_row_count is not None and n < d.min_row_count:
        run.flag(
            C.DATASET_LOW_NUM_EXAMPLES,
            None,
            f"the dataset has {n} rows, fewer than the {d.min_row_count} expected",
            measured=n,
            expected={"min": d.min_row_count},
        )
    if d.max_row_count is not None and n > d.max_row_count:
        run.flag(
            C.DATASET_HIGH_NUM_EXAMPLES,
            None,
            f"the dataset has {n} rows, more than the {d.max_row_count} expected",
            measured=n,
            expected={"max": d.max_row_count},
        )
    if baseline is None or baseline.num_rows == 0:
        return
    ratio = n / baseline.num_rows
    low = d.min_row_count_ratio is not None and ratio < d.min_row_count_ratio
    high = d.max_row_count_ratio is not None and ratio > d.max_row_count_ratio
    run.measurements.append(
        DriftMeasurement(
            path=None,
            kind=MeasurementKind.DRIFT,
            method="row_count_ratio",
            distance=ratio,
            threshold=d.max_row_count_ratio if not low else d.min_row_count_ratio,
            exceeded=low or high,
            enforced=d.min_row_count_ratio is not None or d.max_row_count_ratio is not None,
        )
    )
    bounds = {"min": d.min_row_count_ratio, "max": d.max_row_count_ratio}
    if low:
        run.flag(
            C.COMPARATOR_LOW_NUM_EXAMPLES,
            None,
            f"the dataset has {ratio:.3g}x the baseline's {baseline.num_rows} rows, "
            f"below the allowed ratio {d.min_row_count_ratio}",
            measured=ratio,
            expected=bounds,
        )
    if high:
        run.flag(
            C.COMPARATOR_HIGH_NUM_EXAMPLES,
            None,
            f"the dataset has {ratio:.3g}x the baseline's {baseline.num_rows} rows, "
            f"above the allowed ratio {d.max_row_count_ratio}",
            measured=ratio,
            expected=bounds,
        )


def _check_columns(run: _Run, profile: DatasetProfile, active: tuple[Feature, ...]) -> None:
    known = set(run.schema.feature_names)
    for path, stats in profile.features.items():
        if path not in known:
            run.flag(
                C.SCHEMA_NEW_COLUMN,
                path,
                f"column {path!r} ({stats.type}) is not in the schema; add it to the schema "
                "or drop it from the data",
                measured=str(stats.type),
            )
    recorded = {f.name for f in run.schema.features if f.skipped}
    for skipped in profile.skipped:
        if skipped.path in recorded:
            continue  # _check_skipped compares it with the schema's
        if skipped.path in known:
            run.flag(
                C.UNEXPECTED_DATA_TYPE,
                skipped.path,
                f"feature {skipped.path!r} arrived as {skipped.arrow_type}, which cannot be "
                f"profiled ({skipped.reason})",
                measured=skipped.arrow_type,
            )
        else:
            run.flag(
                C.SCHEMA_NEW_COLUMN,
                skipped.path,
                f"column {skipped.path!r} ({skipped.arrow_type}) is not in the schema",
                measured=skipped.arrow_type,
            )
    _check_skipped(run, profile)
    skipped_paths = {s.path for s in profile.skipped}
    for f in active:
        required = f.presence.min_fraction > 0 or f.presence.min_count > 0
        if f.name not in profile.features and f.name not in skipped_paths and required:
            run.flag(
                C.SCHEMA_MISSING_COLUMN,
                f.name,
                f"column {f.name!r} is missing from the data, but the schema requires it "
                f"in {_pct(f.presence.min_fraction)} of rows",
                measured=None,
                expected={"min_fraction": f.presence.min_fraction},
            )


def _check_skipped(run: _Run, profile: DatasetProfile) -> None:
    """The schema's skipped features (columns it cannot check): each must keep its Arrow type."""
    skipped = {s.path: s for s in profile.skipped}
    for f in run.schema.features:
        if not f.skipped or f.deprecated:
            continue
        stats = profile.features.get(f.name)
        now = skipped.get(f.name)
        arrived = stats.arrow_type if stats is not None else now.arrow_type if now else None
        if arrived is None or arrived == f.arrow_type:
            continue
        run.flag(
            C.UNEXPECTED_DATA_TYPE,
            f.name,
            f"feature {f.name!r} arrived as {arrived}, but the schema records it as a column "
            f"of {f.arrow_type} that it does not check; update the schema for the new type",
            measured=arrived,
            expected=f.arrow_type,
        )


def _bool_ok(run: _Run, f: Feature, s: FeatureStatistics) -> bool | None:
    """For a bool feature arriving as text or numbers: whether every value reads as a bool.

    None when the values' type is none of those (the plain type check decides).
    """
    if s.type is FeatureType.STRING and s.string is not None:
        st = s.string
        seen: list[str] = (
            list(st.value_counts)
            if st.value_counts is not None
            else [t.value for t in st.top_values]
        )
        odd = sorted(v for v in seen if v.strip().lower() not in _BOOL_TEXT)
        if not odd and (st.value_counts is not None or st.distinct_upper_bound <= 4):
            return True
        if len(odd) == len(seen):
            # No value reads as a bool: the column changed type, it is not a sloppy bool.
            return None
        run.flag(
            C.BOOL_TYPE_UNEXPECTED_STRING,
            f.name,
            f"bool feature {f.name!r} has text values that are not true/false "
            f"({', '.join(repr(v) for v in odd[:5]) or 'beyond the top values'})",
            measured=odd[:10],
            expected=sorted(_BOOL_TEXT),
        )
        return False
    if s.type in (FeatureType.INT, FeatureType.FLOAT) and s.numeric is not None:
        n = s.numeric
        if n.num_values == 0 or (
            n.min is not None
            and n.max is not None
            and n.min >= 0
            and n.max <= 1
            # Floats in [0, 1] are bools only if no quantile falls strictly in between.
            and (s.type is FeatureType.INT or all(q in (0.0, 1.0) for q in n.quantiles))
        ):
            return True
        code = (
            C.BOOL_TYPE_UNEXPECTED_INT
            if s.type is FeatureType.INT
            else C.BOOL_TYPE_UNEXPECTED_FLOAT
        )
        run.flag(
            code,
            f.name,
            f"bool feature {f.name!r} has {s.type} values other than 0 and 1 "
            f"(from {n.min} to {n.max})",
            measured={"min": n.min, "max": n.max},
            expected={"min": 0, "max": 1},
        )
        return False
    return None


def _type_ok(run: _Run, f: Feature, s: FeatureStatistics) -> bool:
    actual = s.type
    if actual == f.type or actual is FeatureType.NULL or (f.type, actual) in _COMPATIBLE_TYPES:
        return True
    if f.type is FeatureType.BOOL:
        verdict = _bool_ok(run, f, s)
        if verdict is not None:
            return verdict
    why = " (its values mix numbers and text, so it was read as text)" if s.mixed_types else ""
    if s.num_int_overflow:
        why = " (some of its integers lie beyond int64, so it was read as floats)"
    run.flag(
        C.UNEXPECTED_DATA_TYPE,
        f.name,
        f"feature {f.name!r} should be {f.type} but arrived as {actual} ({s.arrow_type}){why}",
        measured=str(actual),
        expected=str(f.type),
    )
    return False


def _zone_text(zone: str | None) -> str:
    return "without a time zone (naive)" if zone is None else f"in time zone {zone!r}"


def _check_time(run: _Run, f: Feature, s: FeatureStatistics) -> None:
    """A timestamp's zone, and a timestamp's or duration's unit, against the schema's."""
    t = f.time
    found = None if t is None or s.type is not f.type else time_of(s.arrow_type)
    if t is None or found is None:
        return
    unit, zone = found
    if f.type is FeatureType.TIMESTAMP and not same_time_zone(zone, t.zone):
        run.flag(
            C.TIMESTAMP_TIME_ZONE_CHANGED,
            f.name,
            f"feature {f.name!r} holds timestamps {_zone_text(zone)}, but the schema expects "
            f"them {_zone_text(t.zone)}; convert the column, or update the schema's time",
            measured={"unit": unit, "zone": zone},
            expected={"unit": t.unit, "zone": t.zone},
        )
    if unit != t.unit:
        run.flag(
            C.TIME_UNIT_CHANGED,
            f.name,
            f"feature {f.name!r} counts in {unit}, the schema records {t.unit}; the values "
            "still compare, but drift and skew are not measured across units",
            measured={"unit": unit, "zone": zone},
            expected={"unit": t.unit, "zone": t.zone},
        )


def _check_overflow(run: _Run, f: Feature, s: FeatureStatistics) -> None:
    """Values the reader could not hold as they were written (see OVERFLOW_KEY)."""
    if s.num_int_overflow:
        run.flag(
            C.INT_OVERFLOW,
            f.name,
            f"feature {f.name!r} has {s.num_int_overflow:,} integers beyond int64 "
            "(|x| >= 2**63) that were read as floats, losing digits; fix them at the source "
            "or keep the column as text",
            measured=s.num_int_overflow,
            expected=0,
        )
    if s.num_float_overflow:
        run.flag(
            C.FLOAT_OVERFLOW,
            f.name,
            f"feature {f.name!r} has {s.num_float_overflow:,} infinite values where the data "
            "holds numbers beyond the doubles (such as 1e309); fix them at the source",
            measured=s.num_float_overflow,
            expected=0,
        )


def _check_presence(run: _Run, f: Feature, s: FeatureStatistics, num_rows: int) -> None:
    p = f.presence
    expected = {"min_fraction": p.min_fraction, "min_count": p.min_count}
    if num_rows > 0 and s.num_present == 0 and (p.min_fraction > 0 or p.min_count > 0):
        run.flag(
            C.FEATURE_TYPE_NOT_PRESENT,
            f.name,
            f"feature {f.name!r} has no value in any of the {num_rows} rows",
            measured=0,
            expected=expected,
        )
        return
    if num_rows > 0 and s.presence < p.min_fraction:
        run.flag(
            C.FEATURE_TYPE_LOW_FRACTION_PRESENT,
            f.name,
            f"feature {f.name!r} is present in {_pct(s.presence)} of rows, "
            f"expected at least {_pct(p.min_fraction)}",
            measured=s.presence,
            expected=expected,
        )
    if s.num_present < p.min_count:
        run.flag(
            C.FEATURE_TYPE_LOW_NUMBER_PRESENT,
            f.name,
            f"feature {f.name!r} is present in {s.num_present} rows, "
            f"expected at least {p.min_count}",
            measured=s.num_present,
            expected=expected,
        )


def _check_value_count(run: _Run, f: Feature, s: FeatureStatistics) -> None:
    vc, stats = f.value_count, s.value_counts
    if vc is None or (vc.min is None and vc.max is None):
        return
    if stats is None:
        # Not a list column: each present row holds exactly one value.
        low_seen = high_seen = 1 if s.num_present else None
    else:
        low_seen, high_seen = stats.min, stats.max
    if low_seen is None or high_seen is None:
        return
    expected = {"min": vc.min, "max": vc.max}
    if vc.min is not None and low_seen < vc.min:
        run.flag(
            C.FEATURE_TYPE_LOW_NUMBER_VALUES,
            f.name,
            f"feature {f.name!r} has rows with {low_seen} values, expected at least {vc.min}",
            measured={"min": low_seen, "max": high_seen},
            expected=expected,
        )
    if vc.max is not None and high_seen > vc.max:
        run.flag(
            C.FEATURE_TYPE_HIGH_NUMBER_VALUES,
            f.name,
            f"feature {f.name!r} has rows with {high_seen} values, expected at most {vc.max}",
            measured={"min": low_seen, "max": high_seen},
            expected=expected,
        )


def _check_strings(
    run: _Run, f: Feature, s: FeatureStatistics, domain: StringDomain, options: ValidationOptions
) -> None:
    st = s.string
    if st is None and s.bytes is not None and s.bytes.num_values:
        # A bytes profile keeps no values, so the domain cannot be checked here: say so
        # rather than pass values nobody looked at (validate_batches checks them row by row).
        run.flag(
            C.STATS_NOT_AVAILABLE,
            f.name,
            f"feature {f.name!r} has a string domain, but its profile keeps no bytes values "
            "to check it against; validate the rows themselves (validate_batches)",
            expected={"domain_size": len(domain.values)},
        )
        return
    if st is None or st.num_values == 0:
        return
    allowed = frozenset(domain.values)
    min_mass = f.distribution.min_domain_mass if f.distribution is not None else 1.0
    exact = st.value_counts is not None
    counts: Mapping[str, float] = (
        st.value_counts
        if st.value_counts is not None
        else {t.value: t.count for t in st.top_values}
    )
    unexpected = {v: counts[v] for v in counts.keys() - allowed}
    share = sum(unexpected.values()) / st.num_values
    # Beyond the top values nothing is known exactly, but a distinct count above the domain's
    # size proves that unexpected values exist.
    hidden = not exact and st.distinct_lower_bound > len(allowed)
    if share <= 1.0 - min_mass and not (hidden and not unexpected):
        return
    ranked = sorted(unexpected.items(), key=lambda kv: (-kv[1], kv[0]))[: options.max_examples]
    shown = ", ".join(repr(v) for v, _ in ranked) or "(values beyond the top values)"
    bound = "" if exact else " at least"
    run.flag(
        C.ENUM_TYPE_UNEXPECTED_STRING_VALUES,
        f.name,
        f"feature {f.name!r} has values outside its domain ({shown}) in{bound} "
        f"{_pct(share)} of its values; allowed: {_pct(1.0 - min_mass)}",
        measured={"values": [v for v, _ in ranked], "share": share, "exact": exact},
        expected={"min_domain_mass": min_mass, "domain_size": len(allowed)},
    )


def _check_string_length(run: _Run, f: Feature, s: FeatureStatistics) -> None:
    sl, st = f.string_length, s.string
    if sl is None or st is None or st.min_length is None or st.max_length is None:
        return
    measured = {"min": st.min_length, "max": st.max_length}
    expected = {"min": sl.min, "max": sl.max}
    if sl.min is not None and st.min_length < sl.min:
        run.flag(
            C.STRING_TYPE_SHORT_STRING,
            f.name,
            f"feature {f.name!r} has values of {st.min_length} characters, "
            f"expected at least {sl.min}",
            measured=measured,
            expected=expected,
        )
    if sl.max is not None and st.max_length > sl.max:
        run.flag(
            C.STRING_TYPE_LONG_STRING,
            f.name,
            f"feature {f.name!r} has values of {st.max_length} characters, "
            f"expected at most {sl.max}",
            measured=measured,
            expected=expected,
        )


def _check_numbers(run: _Run, f: Feature, s: FeatureStatistics) -> None:
    n, d = s.numeric, f.domain
    if n is None or n.num_values == 0 or not isinstance(d, IntDomain | FloatDomain):
        return
    is_int = isinstance(d, IntDomain)
    small = C.INT_TYPE_SMALL_INT if is_int else C.FLOAT_TYPE_SMALL_FLOAT
    big = C.INT_TYPE_BIG_INT if is_int else C.FLOAT_TYPE_BIG_FLOAT
    expected = {"min": d.min, "max": d.max}
    if d.min is not None and n.min is not None and n.min < d.min:
        run.flag(
            small,
            f.name,
            f"feature {f.name!r} has values down to {n.min:g}, below the minimum {d.min:g}",
            measured={"min": n.min, "max": n.max},
            expected=expected,
        )
    if d.max is not None and n.max is not None and n.max > d.max:
        run.flag(
            big,
            f.name,
            f"feature {f.name!r} has values up to {n.max:g}, above the maximum {d.max:g}",
            measured={"min": n.min, "max": n.max},
            expected=expected,
        )
    if isinstance(d, FloatDomain):
        if d.disallow_nan and n.num_nan:
            run.flag(
                C.FLOAT_TYPE_HAS_NAN,
                f.name,
                f"feature {f.name!r} has {n.num_nan} NaN values; the schema allows none",
                measured=n.num_nan,
                expected=0,
            )
        infinities = n.num_pos_inf + n.num_neg_inf
        if d.disallow_inf and infinities:
            run.flag(
                C.FLOAT_TYPE_HAS_INF,
                f.name,
                f"feature {f.name!r} has {infinities} infinite values; the schema allows none",
                measured=infinities,
                expected=0,
            )


def _check_time_range(run: _Run, f: Feature, s: FeatureStatistics) -> None:
    """A date or timestamp feature's earliest and latest values against its time domain."""
    n, d = s.numeric, f.domain
    if not isinstance(d, TimeDomain) or n is None or n.num_values == 0:
        return
    if n.min is None or n.max is None or s.type not in (FeatureType.DATE, FeatureType.TIMESTAMP):
        return
    seen = {"min": format_time(n.min, s.arrow_type), "max": format_time(n.max, s.arrow_type)}
    expected = {"min": d.min, "max": d.max}
    if d.min is not None and int(n.min) < bound_value(d.min, f.type, s.arrow_type, "min"):
        run.flag(
            C.TIME_TYPE_EARLY_TIME,
            f.name,
            f"feature {f.name!r} has values as early as {seen['min']}, before the minimum "
            f"{d.min}; a placeholder date (1970-01-01, 1900-01-01) or a mistyped year?",
            measured=seen,
            expected=expected,
        )
    if d.max is not None and int(n.max) > bound_value(d.max, f.type, s.arrow_type, "max"):
        run.flag(
            C.TIME_TYPE_LATE_TIME,
            f.name,
            f"feature {f.name!r} has values as late as {seen['max']}, after the maximum {d.max}",
            measured=seen,
            expected=expected,
        )


def _check_unique(run: _Run, f: Feature, s: FeatureStatistics) -> None:
    u = f.unique
    if u is None or (u.min is None and u.max is None):
        return
    expected = {"min": u.min, "max": u.max}
    st, n = s.string, s.numeric
    measured: Any
    if st is not None:
        # Judge with the sketch's confidence bounds: flag only what the bounds prove.
        measured, text = st.distinct, f"{st.distinct:g}"
        lower, upper = st.distinct_lower_bound, st.distinct_upper_bound
    elif n is not None:
        lower, upper = n.distinct_lower_bound, n.distinct_upper_bound
        if n.distinct is not None:
            measured, text = n.distinct, f"{n.distinct:,}"
        elif _numeric_unique_undecided(run, f, lower, upper, expected):
            return
        else:
            measured, text = {"min": lower, "max": upper}, f"more than {lower - 1:,}"
    else:
        run.flag(
            C.STATS_NOT_AVAILABLE,
            f.name,
            f"feature {f.name!r} has distinct-count bounds, but its profile counts distinct "
            f"values only for strings and numbers ({s.type})",
            expected=expected,
        )
        return
    if u.min is not None and upper < u.min:
        run.flag(
            C.FEATURE_TYPE_LOW_UNIQUE,
            f.name,
            f"feature {f.name!r} has {text} distinct values, expected at least {u.min}",
            measured=measured,
            expected=expected,
        )
    if u.max is not None and lower > u.max:
        run.flag(
            C.FEATURE_TYPE_HIGH_UNIQUE,
            f.name,
            f"feature {f.name!r} has {text} distinct values, expected at most {u.max}",
            measured=measured,
            expected=expected,
        )


def _numeric_unique_undecided(
    run: _Run, f: Feature, lower: int, upper: int, expected: dict[str, int | None]
) -> bool:
    """Flag STATS_NOT_AVAILABLE when a numeric count past the exact cap, known only as
    ``lower``..``upper`` (no estimate), can neither pass nor fail a bound; say whether it did."""
    lo, hi = expected["min"], expected["max"]
    undecided = (lo is not None and lower < lo <= upper) or (hi is not None and lower <= hi < upper)
    if not undecided:
        return False
    if lower:
        message = (
            f"feature {f.name!r} has more than {lower - 1:,} distinct values, too many for the "
            f"profile to count exactly, so its distinct-count bounds cannot be checked; "
            f"profile with an exact_counts_cap of at least "
            f"{max(b for b in (lo, hi) if b is not None)}"
        )
    else:
        message = (
            f"feature {f.name!r} has distinct-count bounds, but its profile was written "
            f"before numeric distinct values were counted; profile the data again"
        )
    run.flag(
        C.STATS_NOT_AVAILABLE,
        f.name,
        message,
        measured={"min": lower, "max": upper},
        expected=expected,
    )
    return True


def _compare(
    run: _Run,
    f: Feature,
    s: FeatureStatistics,
    reference: DatasetProfile,
    kind: MeasurementKind,
    options: ValidationOptions,
) -> None:
    comparator = f.drift_comparator if kind is MeasurementKind.DRIFT else f.skew_comparator
    # A feature's drift level: "off" measures its comparator for information only, "warning"
    # reports it as a warning (unless the schema overrides the code's severity).
    level = f.drift_level if kind is MeasurementKind.DRIFT else "error"
    if comparator is not None and level == "off":
        comparator = None
    if comparator is None and not options.measure_all_methods:
        return
    family = feature_kind(f.type)
    if family is None:
        if comparator is not None:
            run.flag(
                C.STATS_NOT_AVAILABLE,
                f.name,
                f"feature {f.name!r} has a {kind} comparator, but no distance applies to "
                f"{f.type} features",
            )
        return
    ref = reference.features.get(f.name)
    outcome = compare_feature(s, ref, family)
    against = "baseline" if kind is MeasurementKind.DRIFT else "serving data"
    if outcome.unavailable is not None:
        if comparator is not None:
            run.flag(
                C.STATS_NOT_AVAILABLE,
                f.name,
                f"feature {f.name!r}: no {kind} measured against the {against}: "
                f"{outcome.unavailable.replace('reference', against)}",
                expected={"method": str(comparator.method), "threshold": comparator.threshold},
            )
        return
    if comparator is not None and str(comparator.method) not in outcome.distances:
        run.flag(
            C.STATS_NOT_AVAILABLE,
            f.name,
            f"feature {f.name!r}: the {comparator.method} comparator does not apply to "
            f"{family} features; use one of {', '.join(outcome.distances)}",
            expected={"method": str(comparator.method), "threshold": comparator.threshold},
        )
    for method, distance in outcome.distances.items():
        base, enforced = threshold_for(family, method, comparator)
        if not enforced and not options.measure_all_methods:
            continue
        floor = outcome.noise.get(method)
        threshold = base if base is None or floor is None else max(base, floor)
        exceeded = threshold is not None and distance > threshold
        run.measurements.append(
            DriftMeasurement(
                path=f.name,
                kind=kind,
                method=method,
                distance=distance,
                threshold=threshold,
                exceeded=exceeded,
                enforced=enforced,
            )
        )
        if enforced and exceeded:
            assert threshold is not None and base is not None  # exceeded needs a threshold
            raised = (
                ""
                if threshold == base
                else f" (the threshold {base:g}, raised to the sampling noise of "
                f"{outcome.counts[0]:.4g} and {outcome.counts[1]:.4g} effective values)"
            )
            run.flag(
                _DISTANCE_CODES[method],
                f.name,
                f"feature {f.name!r} {kind}s from the {against}: {method} = {distance:.4g}, "
                f"over the threshold {threshold:.4g}{raised}",
                measured=distance,
                expected={"method": method, "threshold": threshold},
                default=Severity.WARNING if level == "warning" else None,
            )


def _check_feature(
    run: _Run,
    f: Feature,
    s: FeatureStatistics,
    profile: DatasetProfile,
    references: Iterator[tuple[MeasurementKind, DatasetProfile]],
    options: ValidationOptions,
) -> None:
    _check_overflow(run, f, s)
    type_ok = _type_ok(run, f, s)
    if type_ok:
        _check_time(run, f, s)
        _check_presence(run, f, s, profile.num_rows)
        _check_value_count(run, f, s)
        if isinstance(f.domain, StringDomain):
            _check_strings(run, f, s, f.domain, options)
        else:
            _check_numbers(run, f, s)
            _check_time_range(run, f, s)
        _check_string_length(run, f, s)
        _check_unique(run, f, s)
    for kind, reference in references:
        if type_ok or feature_kind(s.type) == feature_kind(f.type) == "numeric":
            # Numbers compare across int, float and decimal: the distance is still measured.
            _compare(run, f, s, reference, kind, options)
        else:
            _not_compared(run, f, s, kind)
        if kind is MeasurementKind.DRIFT:
            _compare_missing(run, f, s, profile, reference, options)
            if type_ok:
                _check_freshness(run, f, s, reference)


def _check_freshness(run: _Run, f: Feature, s: FeatureStatistics, baseline: DatasetProfile) -> None:
    """A date or timestamp feature with freshness: its values lie after the baseline's."""
    if f.freshness is None:
        return
    ref = baseline.features.get(f.name)
    share = stale_share(s, ref)
    if share is None or share <= f.freshness.max_stale_fraction:
        return
    assert ref is not None and ref.numeric is not None  # stale_share needs both
    latest = ref.numeric.max
    run.flag(
        C.TIME_NOT_AFTER_BASELINE,
        f.name,
        f"feature {f.name!r}: {_pct(share)} of its values lie at or before the baseline's "
        f"latest value, where at most {_pct(f.freshness.max_stale_fraction)} may; is this "
        "window a replayed or mislabelled one?",
        measured={"stale_share": share},
        expected={
            "max_stale_fraction": f.freshness.max_stale_fraction,
            "baseline_max": latest,
        },
    )


def _not_compared(run: _Run, f: Feature, s: FeatureStatistics, kind: MeasurementKind) -> None:
    """Say that a comparison did not run because the feature changed type (the README
    promises STATS_NOT_AVAILABLE wherever a comparison could not be made)."""
    comparator = f.drift_comparator if kind is MeasurementKind.DRIFT else f.skew_comparator
    if comparator is None:
        return
    against = "baseline" if kind is MeasurementKind.DRIFT else "serving data"
    run.flag(
        C.STATS_NOT_AVAILABLE,
        f.name,
        f"feature {f.name!r}: no {kind} measured against the {against}: it arrived as "
        f"{s.type}, and a {comparator.method} distance between {f.type} and {s.type} values "
        "means nothing",
        measured=str(s.type),
        expected={"method": str(comparator.method), "threshold": comparator.threshold},
    )


_PRESENCE_CODES = frozenset(
    {
        C.FEATURE_TYPE_LOW_FRACTION_PRESENT,
        C.FEATURE_TYPE_LOW_NUMBER_PRESENT,
        C.FEATURE_TYPE_NOT_PRESENT,
    }
)


def _presence_flagged(run: _Run, path: str) -> bool:
    return any(a.path == path and a.code in _PRESENCE_CODES for a in run.anomalies)


def _compare_missing(
    run: _Run,
    f: Feature,
    s: FeatureStatistics,
    profile: DatasetProfile,
    baseline: DatasetProfile,
    options: ValidationOptions,
) -> None:
    """The missing share against the baseline's: Cohen's h, held to ``missing_drift``
    (or to twice its sampling noise, whichever is larger)."""
    md = f.missing_drift
    if md is None and not options.measure_all_methods:
        return
    m = compare_missing(s, baseline.features.get(f.name), profile.num_rows, baseline.num_rows)
    if m is None:
        return
    base = md.threshold if md is not None else MISSING_REFERENCE_THRESHOLD
    threshold = max(base, m.noise)
    exceeded = m.distance > threshold
    run.measurements.append(
        DriftMeasurement(
            path=f.name,
            kind=MeasurementKind.DRIFT,
            method=MISSING_METHOD,
            distance=m.distance,
            threshold=threshold,
            exceeded=exceeded,
            enforced=md is not None,
        )
    )
    if md is None or not exceeded or _presence_flagged(run, f.name):
        # A presence anomaly already says the feature is missing too often: one problem, one
        # anomaly (the distance stays among the measurements).
        return
    moved = "rose" if m.current_share > m.reference_share else "fell"
    noise = (
        ""
        if threshold == base
        else f" (the threshold {base:g}, raised to twice the sampling noise of "
        f"{profile.num_rows} and {baseline.num_rows} rows)"
    )
    run.flag(
        C.COMPARATOR_MISSING_DRIFT_HIGH,
        f.name,
        f"feature {f.name!r} is missing in {_pct(m.current_share)} of rows, against "
        f"{_pct(m.reference_share)} in the baseline: its missing share {moved} by Cohen's "
        f"h = {m.distance:.3g}, over {threshold:.3g}{noise}",
        measured={"missing_share": m.current_share, "cohens_h": m.distance},
        expected={
            "baseline_missing_share": m.reference_share,
            "method": "cohens_h",
            "threshold": threshold,
        },
        # A share that fell (the data got more complete: penguins_raw's isotopes, 11% missing
        # in its first season and none in the next) is worth a look, not a failed window, and
        # so is a change in how often an optional column (missing in most baseline rows, as
        # penguins_raw's free-text comments: 73% then 90%) is filled; a required-looking
        # column losing values is what the check exists for.
        default=Severity.WARNING
        if moved == "fell" or m.reference_share >= OPTIONAL_MISSING_SHARE
        else None,
    )


#: a feature missing in at least this share of the baseline's rows is optional: its missing
#: share moving is a warning (see _compare_missing)
OPTIONAL_MISSING_SHARE = 0.5


def validate_statistics(
    profile: DatasetProfile,
    schema: Schema,
    *,
    baseline: DatasetProfile | None = None,
    serving: DatasetProfile | None = None,
    environment: str | None = None,
    options: ValidationOptions | None = None,
) -> ValidationReport:
    """Check a profile against a schema, and measure drift and skew.

    Deprecated features, and features not expected in ``environment``, are not checked.

    Args:
        profile: the statistics of the data to validate.
        schema: what the data must look like.
        baseline: the profile of an earlier span; each feature's distribution is compared with
            it (drift, with the schema's drift comparators) and the row-count ratio checked.
        serving: the profile of serving data; compared likewise (skew comparators).
        environment: validate as in this environment (e.g. ``SERVING``); it must be one the
            schema names.
        options: see :class:`ValidationOptions`.

    Returns:
        The report: anomalies, every measured distance, a summary and a verdict.

    Raises:
        InputError: the data and the schema share no column name (the wrong schema).
        ProfileFormatError: a profile of a format version this release does not read.
        OptionError: ``environment`` is not defined by the schema.
        ArgumentTypeError: ``profile``, ``baseline`` or ``serving`` is not a profile, or
            ``schema`` not a schema (a TypeError).
    """
    _require_arguments(profile, schema, baseline, serving)
    options = options or ValidationOptions()
    _check_request(profile, schema, {"baseline": baseline, "serving": serving}, environment)
    run = _Run(schema=schema, anomalies=[], measurements=[])
    _check_dataset(run, profile, baseline)
    active = schema.features_in(environment)
    _check_columns(run, profile, active)
    refs = [
        (kind, ref)
        for kind, ref in ((MeasurementKind.DRIFT, baseline), (MeasurementKind.SKEW, serving))
        if ref is not None
    ]
    for f in active:
        s = profile.features.get(f.name)
        if s is not None:
            _check_feature(run, f, s, profile, iter(refs), options)
    return ValidationReport(
        anomalies=tuple(run.anomalies),
        measurements=tuple(run.measurements),
        summary=ReportSummary(
            row_count=profile.num_rows,
            baseline_row_count=None if baseline is None else baseline.num_rows,
            serving_row_count=None if serving is None else serving.num_rows,
            features_checked=len(active),
            environment=environment,
        ),
    )
