"""The text report of ``datacheck validate``: short by default, every distance with ``--verbose``.

A pass on a wide table should fit on a screen. By default the text holds the verdict, the
anomalies (one line each, then the message), and a table of only the features with something
to say: an anomaly, or a distance of the schema's comparator over its threshold. Distances over
a threshold that do not count towards the verdict (other methods, measured for information, or
a comparator at warning level) are counted in one line, never marked ``OVER``. ``--verbose``
adds what each anomaly measured against what was expected, and every distance.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

from datacheck.cli._term import colour, format_table
from datacheck.report import MeasurementStatus, measurement_status
from datacheck.validate import Anomaly, DriftMeasurement, Severity, ValidationReport

__all__ = ["render_validation_text"]

_WIDTH = 80
_INDENT = " " * 9
#: the name of the dataset-level row (row counts)
_DATASET = "(dataset)"


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items() if v is not None) or "-"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _severity_label(severity: Severity) -> str:
    label = severity.value.upper().ljust(8)
    return colour(label, "red" if severity is Severity.ERROR else "yellow", sys.stdout)


def _anomaly_lines(anomalies: Sequence[Anomaly], *, verbose: bool) -> Iterator[str]:
    """One line per anomaly (severity, feature, code), its message indented under it."""
    order = sorted(anomalies, key=lambda a: (a.severity is not Severity.ERROR, a.path is not None))
    for a in order:
        where = a.path if a.path is not None else _DATASET
        # A feature name longer than the terminal wraps rather than overflow it.
        head = textwrap.wrap(
            f"{where}: {a.code}",
            _WIDTH - len(_INDENT),
            break_on_hyphens=False,
            break_long_words=True,
        ) or [where]
        yield _severity_label(a.severity) + " " + head[0]
        yield from (_INDENT + line for line in head[1:])
        for line in textwrap.wrap(a.message, _WIDTH - len(_INDENT)):
            yield _INDENT + line
        if verbose:
            detail = f"measured: {_show(a.measured)}   expected: {_show(a.expected)}"
            for line in textwrap.wrap(detail, _WIDTH - len(_INDENT)):
                yield colour(_INDENT + line, "dim", sys.stdout)


def _ratio(m: DriftMeasurement) -> float:
    return m.distance / m.threshold if m.threshold else m.distance


def _method(m: DriftMeasurement) -> str:
    return m.method if m.kind.value == "drift" else f"{m.method} ({m.kind.value})"


def _status_text(status: MeasurementStatus) -> str:
    if status is MeasurementStatus.OVER:
        return colour(status.value, "red", sys.stdout)
    if status is MeasurementStatus.WARNING:
        return colour(status.value, "yellow", sys.stdout)
    return status.value


def _feature_table(report: ValidationReport) -> str | None:
    """Features with an anomaly or a counted (or warning) distance over its threshold."""
    order: dict[str | None, int] = {}
    for path in [a.path for a in report.anomalies] + [m.path for m in report.measurements]:
        order.setdefault(path, len(order))
    errors: dict[str | None, int] = {}
    warnings: dict[str | None, int] = {}
    for a in report.anomalies:
        tally = errors if a.severity is Severity.ERROR else warnings
        tally[a.path] = tally.get(a.path, 0) + 1
    worst: dict[str | None, DriftMeasurement] = {}
    flagged: set[str | None] = set()
    for m in report.measurements:
        if not m.enforced:
            continue
        if measurement_status(m, report.anomalies).flagged:
            flagged.add(m.path)
        if m.path not in worst or _ratio(m) > _ratio(worst[m.path]):
            worst[m.path] = m
    paths = sorted(
        set(errors) | set(warnings) | flagged,
        key=lambda p: (
            -errors.get(p, 0),
            -warnings.get(p, 0),
            -(_ratio(worst[p]) if p in worst else 0.0),
            order.get(p, 0),
        ),
    )
    if not paths:
        return None
    distances = bool(report.measurements)
    rows: list[list[object]] = []
    for p in paths:
        row: list[object] = [_DATASET if p is None else p, errors.get(p, 0), warnings.get(p, 0)]
        if distances:
            shown = worst.get(p)
            if shown is None:
                row += ["", None, None, ""]
            else:
                status = measurement_status(shown, report.anomalies)
                row += [_method(shown), shown.distance, shown.threshold, status.value]
        rows.append(row)
    headers = ["feature", "errors", "warnings"]
    if distances:
        headers += ["comparator", "distance", "threshold", ""]
    table = format_table(headers, rows, width=_WIDTH)
    if not distances:
        return table
    # Colour the status cells after the table is laid out, so that widths stay right.
    lines = table.splitlines()
    for i, line in enumerate(lines[2:], start=2):
        for status in (MeasurementStatus.OVER, MeasurementStatus.WARNING):
            if line.endswith(status.value):
                lines[i] = line[: -len(status.value)] + _status_text(status)
    return "\n".join(lines)


def _distance_table(report: ValidationReport) -> str:
    """Every measured distance against its threshold (``--verbose``)."""
    rows = [
        (
            m.path if m.path is not None else "(rows)",
            m.kind.value,
            m.method + ("*" if m.enforced else ""),
            m.distance,
            m.threshold,
            measurement_status(m, report.anomalies).value,
        )
        for m in sorted(report.measurements, key=lambda m: (m.path or "", m.kind, m.method))
    ]
    return format_table(
        ("feature", "kind", "method", "distance", "threshold", ""), rows, width=_WIDTH
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


def _distance_note(report: ValidationReport) -> list[str]:
    """One line on the distances the default text leaves out."""
    if not report.measurements:
        return []
    info = sum(
        measurement_status(m, report.anomalies) is MeasurementStatus.INFO
        for m in report.measurements
    )
    text = f"{_plural(len(report.measurements), 'distance')} measured"
    if info:
        text += f"; {info:,} over a threshold for information only (they do not count)"
    return textwrap.wrap(text + "; --verbose lists every distance", _WIDTH)


def render_validation_text(report: ValidationReport, source: str, *, verbose: bool = False) -> str:
    """The human report: a head line, anomalies, features with something to say, a verdict.

    Args:
        report: the validation report.
        source: what was validated, named in the first line.
        verbose: also what each anomaly measured and expected, and every distance.
    """
    s = report.summary
    head = f"{source}: {s.row_count:,} rows, {s.features_checked} features checked"
    if s.baseline_row_count is not None:
        head += f"; baseline {s.baseline_row_count:,} rows"
    if s.serving_row_count is not None:
        head += f"; serving {s.serving_row_count:,} rows"
    if s.environment is not None:
        head += f"; environment {s.environment}"
    lines = textwrap.wrap(head, _WIDTH)
    if report.anomalies:
        lines += ["", *_anomaly_lines(report.anomalies, verbose=verbose)]
    table = _feature_table(report)
    if table is not None:
        lines += ["", table]
    if verbose and report.measurements:
        lines += [
            "",
            _distance_table(report),
            "* the schema's comparator; OVER: over its threshold at error level (fails the data)",
        ]
    elif report.measurements:
        lines += ["", *_distance_note(report)]
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = colour("FAIL", "red", sys.stdout) if errors else colour("PASS", "green", sys.stdout)
    lines.append(f"{verdict}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
    return "\n".join(lines)
