"""What a schema update cannot fix: the errors the updated schema still finds in the data.

:func:`datacheck.schema.update_schema` relaxes presence, domains, ranges, value counts and
string lengths, and adds new columns as optional features; it never changes a type or a time
zone (that would break the data the schema accepted before). :func:`unfixed_anomalies`
validates the data against the updated schema and says, for each error left, why an update
does not fix it, so that ``datacheck schema update`` never reports success on data that still
fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from datacheck.schema import Schema
from datacheck.stats import DatasetProfile
from datacheck.validate._codes import AnomalyCode
from datacheck.validate._report import Anomaly
from datacheck.validate._statistics import validate_statistics

__all__ = ["UnfixedAnomaly", "unfixed_anomalies"]

C = AnomalyCode

_TYPE = (
    "an update never changes a feature's type: data of the old type would then fail, a "
    "breaking change; change the type by hand (schema diff shows it as BREAKING) or fix the data"
)

#: code -> why an update leaves it; codes not listed get :data:`_OTHER`
_WHY: dict[AnomalyCode, str] = {
    C.UNEXPECTED_DATA_TYPE: _TYPE,
    C.BOOL_TYPE_UNEXPECTED_STRING: _TYPE,
    C.BOOL_TYPE_UNEXPECTED_INT: _TYPE,
    C.BOOL_TYPE_UNEXPECTED_FLOAT: _TYPE,
    C.TIMESTAMP_TIME_ZONE_CHANGED: "an update keeps the recorded time zone: timestamps in "
    "another zone compare wrongly with the old ones; convert the data or set the zone by hand",
    C.INT_OVERFLOW: "these values could not be read as written (integers beyond int64): no "
    "schema accepts them; fix the data",
    C.FLOAT_OVERFLOW: "these values could not be read as written (numbers beyond the doubles "
    "read as infinity): no schema accepts them; fix the data",
}
_OTHER = (
    "an update relaxes presence, domains, ranges, value counts and string lengths only; "
    "edit this check by hand or fix the data"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnfixedAnomaly:
    """An error the data still raises under the updated schema."""

    anomaly: Anomaly
    #: why :func:`~datacheck.schema.update_schema` does not relax it, and what to do instead
    why: str


def unfixed_anomalies(
    schema: Schema, profile: DatasetProfile, *, environment: str | None = None
) -> tuple[UnfixedAnomaly, ...]:
    """The error-level anomalies ``profile`` still raises under ``schema``, each with why.

    Args:
        schema: the schema after :func:`~datacheck.schema.update_schema`.
        profile: the statistics of the data the update was made from.
        environment: validate as in this environment.

    Returns:
        One entry per error-level anomaly, in report order; empty when the data passes.
    """
    report = validate_statistics(profile, schema, environment=environment)
    return tuple(UnfixedAnomaly(anomaly=a, why=_WHY.get(a.code, _OTHER)) for a in report.errors)
