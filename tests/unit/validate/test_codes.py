"""The anomaly code enum, its default severities, and the report JSON Schema stay in step."""

from __future__ import annotations

import json
from pathlib import Path

from datacheck.validate import DEFAULT_SEVERITY, AnomalyCode, Severity

REPORT_SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "report.v1.json"


def test_json_schema_lists_exactly_the_enum_codes() -> None:
    document = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    assert document["$defs"]["code"]["enum"] == [c.value for c in AnomalyCode]


def test_every_code_has_a_default_severity() -> None:
    assert set(DEFAULT_SEVERITY) == set(AnomalyCode)


def test_codes_are_their_own_names() -> None:
    assert all(c.name == c.value for c in AnomalyCode)


def test_missing_statistics_is_a_warning_and_drift_an_error() -> None:
    assert DEFAULT_SEVERITY[AnomalyCode.STATS_NOT_AVAILABLE] is Severity.WARNING
    assert DEFAULT_SEVERITY[AnomalyCode.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH] is Severity.ERROR
