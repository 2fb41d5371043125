"""The schema model: frozen value objects for a dataset's contract with its data.

A :class:`Schema` holds one :class:`Feature` per feature path and the dataset-level
:class:`DatasetConstraints`. Every part is a frozen dataclass; build a changed schema with
:func:`dataclasses.replace`. Serialisation to and from JSON lives in ``_serde.py``; the
semantic checks (min <= max, unique names) in ``_check.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from datacheck._types import FeatureType
from datacheck.io import ReaderOptions

__all__ = [
    "DRIFT_LEVELS",
    "FORMAT_VERSION",
    "SEVERITY_LEVELS",
    "BoolDomain",
    "Comparator",
    "ComparatorMethod",
    "DatasetConstraints",
    "DistributionConstraints",
    "Domain",
    "Feature",
    "FloatDomain",
    "Freshness",
    "IntDomain",
    "Lifecycle",
    "MissingDrift",
    "Presence",
    "RowCheck",
    "Schema",
    "StringDomain",
    "StringLength",
    "StringPattern",
    "TimeDomain",
    "TimeType",
    "UniqueConstraints",
    "ValueCount",
]

#: The shape of the schema document this release writes (``schemas/schema.v1.json``).
FORMAT_VERSION = 1

#: The severities a schema may assign to an anomaly code (the validation engine's ``Severity``).
SEVERITY_LEVELS = ("error", "warning")

#: How a feature's drift against a baseline counts (:attr:`Feature.drift_level`): an error
#: fails validation, a warning is reported, off is measured for information only.
DRIFT_LEVELS = ("error", "warning", "off")


class ComparatorMethod(StrEnum):
    """A distance between two distributions of one feature (drift or skew)."""

    JENSEN_SHANNON = "jensen_shannon"
    L_INFINITY = "l_infinity"
    PSI = "psi"
    KS = "ks"
    WASSERSTEIN = "wasserstein"


class Lifecycle(StrEnum):
    """Whether a feature is validated: a deprecated one stays in the schema, unchecked."""

    ACTIVE = "active"
    DEPRECATED = "deprecated"


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    """How often a feature must be present (non-null) in the rows of a dataset."""

    #: lowest allowed fraction of rows where the feature is present, in [0, 1]
    min_fraction: float = 0.0
    #: lowest allowed number of rows where the feature is present
    min_count: int = 0

    @property
    def required(self) -> bool:
        """Whether every row must hold the feature."""
        return self.min_fraction >= 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueCount:
    """Bounds on the number of values per row of a list feature (None: unbounded)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StringLength:
    """Bounds on the length of each string value, in characters (Unicode code points; None:
    unbounded on that side). What pandera's ``str_length`` and Great Expectations'
    ``expect_column_value_lengths_to_be_between`` check."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StringPattern:
    """A regular expression every value of a string feature must match as a whole (RE2
    syntax, as Arrow runs it; see the README for where RE2, Python's ``re`` and JSON Schema's
    ECMA-262 dialect differ). Checked row by row (``STRING_PATTERN_MISMATCH``) and over the
    dataset as the share of present values that do not match."""

    #: the expression, matched against the whole value (no anchors needed)
    regex: str
    #: highest allowed share of present values that do not match, in [0, 1]
    max_mismatch_fraction: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class IntDomain:
    """Integer values in a closed range (None: unbounded on that side)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FloatDomain:
    """Floating-point values in a closed range, optionally without NaN or infinities."""

    min: float | None = None
    max: float | None = None
    disallow_nan: bool = False
    disallow_inf: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StringDomain:
    """The closed set of allowed string values (kept sorted and unique)."""

    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Sorted and unique, so that equal domains compare equal and serialise identically.
        object.__setattr__(self, "values", tuple(sorted(set(self.values))))


@dataclass(frozen=True, slots=True, kw_only=True)
class BoolDomain:
    """Boolean values; only a bool column gets this domain."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeDomain:
    """Dates or timestamps in a closed range, as ISO 8601 text (None: unbounded on that side).

    A date feature takes dates (``2007-11-01``); a timestamp feature takes timestamps
    (``2007-11-01T08:30:00``), zoned (``+00:00``) exactly when the feature's :class:`TimeType`
    is, or, when naive, dates (midnight). Values outside are ``TIME_TYPE_EARLY_TIME`` or
    ``TIME_TYPE_LATE_TIME``; see ``datacheck.schema._timedomain`` for how bounds compare and
    how inference picks a min.
    """

    min: str | None = None
    max: str | None = None


#: The domain of a feature's values; the kind must match the feature's type.
Domain = IntDomain | FloatDomain | StringDomain | BoolDomain | TimeDomain


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeType:
    """The unit and time zone of a timestamp feature's values, or the unit of a duration's.

    A time zone that changes, appears or disappears is an error (``TIMESTAMP_TIME_ZONE_CHANGED``):
    naive and zoned timestamps do not compare, and two zones show the same instant as different
    wall times. A unit alone that changes is a warning (``TIME_UNIT_CHANGED``): the values still
    compare (Arrow converts units), but a coarser unit cuts precision and drift distances over
    counts of different units mean nothing, so they are not measured.
    """

    #: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``
    unit: str
    #: the IANA name or fixed offset of a zoned timestamp (``"UTC"``, ``"+01:00"``); None for
    #: naive timestamps and for durations
    zone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionConstraints:
    """Constraints on how the values fall into the domain."""

    #: lowest allowed fraction of values that lie inside the domain, in [0, 1]
    min_domain_mass: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class UniqueConstraints:
    """Bounds on the number of distinct values (FEATURE_TYPE_LOW/HIGH_UNIQUE)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparator:
    """A drift or skew check: a distance method and the threshold it must stay under."""

    method: ComparatorMethod
    threshold: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingDrift:
    """A missingness-drift check: the share of rows missing the feature, against the baseline's.

    The distance is Cohen's h, ``|2 asin(sqrt(p1)) - 2 asin(sqrt(p2))|``, the effect size for
    two proportions: a move of a few points at low missing shares (2% to 5%: h = 0.17) is small,
    a doubling from 9% to 18% (h = 0.27) is not. It compares with a baseline, so it is checked
    only when validation is given one.
    """

    #: the largest allowed Cohen's h between the two missing shares, in [0, pi]
    threshold: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Freshness:
    """Dates or timestamps that move on with time: compared with a baseline (an earlier
    window), the data's values lie after the baseline's latest value, not within its span.

    Checked only when validation is given a baseline. A window whose dates lie within the
    baseline's is a replayed or mislabelled one (``TIME_NOT_AFTER_BASELINE``); a drift
    comparator would instead flag every legitimate next window, whose dates are all new.
    """

    #: the largest share of the values that may lie at or before the baseline's latest
    #: value (late rows of the previous window), in [0, 1]
    max_stale_fraction: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Feature:
    """One feature's constraints.

    ``name`` is the feature path: a column name, or a dotted path (``a.b``) into struct columns,
    as the profile names features.
    """

    name: str
    type: FeatureType
    presence: Presence = field(default_factory=Presence)
    #: values per row, for list features only
    value_count: ValueCount | None = None
    domain: Domain | None = None
    #: characters per value, for string features only
    string_length: StringLength | None = None
    #: a regular expression each value must match, for string features only
    pattern: StringPattern | None = None
    #: the unit and time zone, for timestamp and duration features (None: not recorded, so
    #: any unit and zone pass)
    time: TimeType | None = None
    distribution: DistributionConstraints | None = None
    unique: UniqueConstraints | None = None
    drift_comparator: Comparator | None = None
    skew_comparator: Comparator | None = None
    #: compares the missing share with the baseline's (drift only)
    missing_drift: MissingDrift | None = None
    #: how the drift comparator's anomaly counts (:data:`DRIFT_LEVELS`): ``"error"``,
    #: ``"warning"`` or ``"off"`` (the distance is still measured and reported). A field of
    #: its own, not :attr:`severity_overrides`: drift raises one of five codes depending on
    #: the comparator's method, and skew raises the same codes, so an override of a code
    #: could neither name "drift of this feature" nor survive a change of method, and a
    #: severity has no "off"
    drift_level: str = "error"
    #: for date and timestamp features: the values must lie after the baseline's
    freshness: Freshness | None = None
    #: when non-empty, the feature is expected only in these environments
    in_environments: tuple[str, ...] = ()
    #: the feature is not expected in these environments
    not_in_environments: tuple[str, ...] = ()
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    description: str = ""
    #: anomaly code -> severity ("error" or "warning") for this feature
    severity_overrides: Mapping[str, str] = field(default_factory=dict)
    #: the Arrow type of a column datacheck cannot profile (a union, an extension type, a list
    #: of structs): such a feature is :attr:`skipped`, listed so that its column is not a new
    #: one; its type is null and only its Arrow type is checked
    arrow_type: str | None = None

    def __post_init__(self) -> None:
        # A private copy: the caller's dict may change later. A plain dict (not a
        # MappingProxyType) so that schemas pickle, as Beam workers need; treat it as read-only.
        object.__setattr__(self, "severity_overrides", dict(self.severity_overrides))

    @property
    def deprecated(self) -> bool:
        """Whether the feature is deprecated (kept in the schema but not validated)."""
        return self.lifecycle is Lifecycle.DEPRECATED

    @property
    def skipped(self) -> bool:
        """Whether the feature is a column datacheck cannot profile (see :attr:`arrow_type`):
        its values are not validated."""
        return self.arrow_type is not None

    def expected_in(self, environment: str | None, default_environments: tuple[str, ...]) -> bool:
        """Whether the feature must be present in ``environment`` (TFDV's environment rules).

        With no environment every feature is expected. Otherwise ``not_in_environments`` wins,
        then ``in_environments`` when given; a feature naming neither is expected in the
        schema's default environments, or everywhere when the schema names none.
        """
        if environment is None:
            return True
        if environment in self.not_in_environments:
            return False
        if self.in_environments:
            return environment in self.in_environments
        return not default_environments or environment in default_environments


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetConstraints:
    """Constraints on the dataset as a whole."""

    min_row_count: int | None = None
    max_row_count: int | None = None
    #: lowest allowed ratio of this dataset's row count to the baseline's
    min_row_count_ratio: float | None = None
    #: highest allowed ratio of this dataset's row count to the baseline's
    max_row_count_ratio: float | None = None


#: what a row whose check comes out null (unknown) gets: it passes, or it fails
ROW_CHECK_ON_NULL = ("pass", "fail")


@dataclass(frozen=True, slots=True, kw_only=True)
class RowCheck:
    """A check on each row over several columns: a row expression, or a custom check.

    Exactly one of ``expression`` and ``check`` is set. An expression is written in datacheck's
    expression language (``end >= start``, ``total == a + b``, ``x is null or y > 0``; see
    ``datacheck.schema.expression``); a custom check names a function registered with
    ``datacheck.validate.register_check`` or the ``datacheck.checks`` entry-point group. A row
    passes where the check is true. Nulls are SQL's: a comparison with a missing value is null
    (unknown), and a row whose check is null passes unless ``on_null`` is ``"fail"``.
    """

    #: names the check in reasons, anomalies and diffs; unique among the schema's row checks
    name: str
    #: a row expression that must be true
    expression: str | None = None
    #: the name of a registered custom check
    check: str | None = None
    #: the largest difference between two numbers at which ``==`` holds (and ``!=`` does not)
    #: in ``expression``; None: exact
    tolerance: float | None = None
    #: ``"pass"`` or ``"fail"``: what a row whose check is null gets
    on_null: str = "pass"
    description: str = ""

    @property
    def rule(self) -> str:
        """The check in a few words: its expression (with tolerance and null rule) or its
        custom check's name."""
        text = self.expression if self.expression is not None else f"custom check {self.check}"
        notes = [f"± {self.tolerance:g}"] if self.tolerance else []
        notes += ["null fails"] if self.on_null == "fail" else []
        return f"{text} ({'; '.join(notes)})" if notes else str(text)


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    """A dataset's schema: its features and dataset-level constraints.

    ``format_version`` is the shape of the document (owned by datacheck); ``version`` is this
    schema's revision, bumped on every change. Not hashable (it holds mappings); compare with
    ``==``.
    """

    features: tuple[Feature, ...] = ()
    dataset: DatasetConstraints = field(default_factory=DatasetConstraints)
    #: environments a feature is expected in unless it says otherwise (e.g. TRAINING, SERVING)
    default_environments: tuple[str, ...] = ()
    #: anomaly code -> severity ("error" or "warning") for every feature
    severity_overrides: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    version: int = 1
    format_version: int = FORMAT_VERSION
    #: how data is read for validation unless the caller says otherwise (delimiter, null
    #: markers, columns): as the data it was inferred from was read; None: the defaults
    reader: ReaderOptions | None = None
    #: checks on each row over several columns (row expressions, custom checks)
    row_checks: tuple[RowCheck, ...] = ()
    #: feature combinations whose values must be unique over the rows (primary keys), each a
    #: tuple of feature names; a row with a missing key part is not compared (as in SQL)
    unique_keys: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "unique_keys", tuple(tuple(k) for k in self.unique_keys))
        object.__setattr__(self, "row_checks", tuple(self.row_checks))
        object.__setattr__(self, "severity_overrides", dict(self.severity_overrides))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of this schema (checked by ``schemas/schema.v1.json``)."""
        # Imported here: the serde module builds on this one.
        from datacheck.schema._serde import schema_to_dict

        return schema_to_dict(self)

    @classmethod
    def from_dict(cls, document: Any, *, source: str = "<schema>") -> Schema:
        """Build and check a schema from its JSON document.

        Raises:
            SchemaFormatError: the document is invalid; the message names ``source`` and the
                JSON pointer of the problem.
        """
        from datacheck.schema._serde import schema_from_dict

        return schema_from_dict(document, source=source)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The feature paths, in schema order."""
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> Feature | None:
        """The feature at path ``name``, or None when the schema has no such feature."""
        for f in self.features:
            if f.name == name:
                return f
        return None

    def features_in(self, environment: str | None) -> tuple[Feature, ...]:
        """The active features expected in ``environment`` (all active ones for None); skipped
        features are not among them, as their values cannot be checked."""
        return tuple(
            f
            for f in self.features
            if not f.deprecated
            and not f.skipped
            and f.expected_in(environment, self.default_environments)
        )

    def severity_override(self, code: str, feature: str | None = None) -> str | None:
        """The severity set for anomaly ``code``: the feature's, else the schema's, else None."""
        if feature is not None:
            f = self.feature(feature)
            if f is not None and code in f.severity_overrides:
                return f.severity_overrides[code]
        return self.severity_overrides.get(code)
