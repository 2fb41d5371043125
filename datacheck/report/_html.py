"""The HTML report: one self-contained page (or notebook fragment) built from a report view.

Layout: a header with the verdict, summary cards, the list of anomalies, dataset-level facts,
then one card per feature (chart, statistics beside the baseline's, the schema's constraints,
drift distances against thresholds, its anomalies). Cards come in "anomalies first" order, so
the page reads well even where its script does not run; the script re-sorts and filters.

Every string that comes from the data, the schema or a file name goes through
:func:`html.escape`; no data is ever placed inside the script.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from html import escape

from datacheck._format import DASH, fmt_count, fmt_number, fmt_share, value_formatter
from datacheck._types import FeatureType
from datacheck.io import write_bytes_atomic
from datacheck.report._assets import CSS, SCRIPT
from datacheck.report._charts import (
    BarRow,
    Bins,
    bars_svg,
    histogram_svg,
    numeric_bins,
    presence_svg,
)
from datacheck.report._status import MeasurementStatus, measurement_status
from datacheck.report._view import FeatureView, ReportView, build_view
from datacheck.schema import (
    BoolDomain,
    Feature,
    FloatDomain,
    IntDomain,
    Schema,
    StringDomain,
    TimeDomain,
)
from datacheck.stats import QUANTILE_RANKS, DatasetProfile, FeatureStatistics, quantile_label
from datacheck.validate import Anomaly, DriftMeasurement, MeasurementKind, ValidationReport

__all__ = ["render_html", "write_html"]

#: categories a bar chart shows from the data, and at most this many more from the baseline
_TOP_ROWS = 10
_BASELINE_EXTRA = 3
#: string domain values listed in the schema panel before "+N more"
_DOMAIN_SHOWN = 12
#: the anomaly list starts unfolded up to this many anomalies
_ANOMALIES_OPEN = 12

#: names a reader knows, beside the percentile labels of the quantiles they are
_QUANTILE_NAMES = {0.0: "min", 0.5: "median", 1.0: "max"}

# Fragments shown in one notebook need distinct element ids.
_fragment_ids = itertools.count(1)


def _rank_label(rank: float) -> str:
    """``p1``, ``p25``; ``p0 (min)``, ``p50 (median)``, ``p100 (max)``."""
    name = _QUANTILE_NAMES.get(rank)
    return quantile_label(rank) + (f" ({name})" if name else "")


def _sorted_features(view: ReportView) -> list[FeatureView]:
    return sorted(view.features, key=lambda f: (-f.errors, -f.warnings, -f.drift_score, f.index))


# ---------------------------------------------------------------- statistics


def _missing_share(s: FeatureStatistics) -> float:
    total = s.num_present + s.num_missing
    return s.num_missing / total if total else 0.0


def _distinct(s: FeatureStatistics) -> str:
    if s.string is not None:
        st = s.string
        if st.distinct_exact:
            return fmt_count(st.distinct)
        return f"≈{fmt_count(st.distinct)}"
    if s.bool is not None:
        return str((s.bool.num_true > 0) + (s.bool.num_false > 0))
    if s.numeric is not None:
        n = s.numeric
        if n.distinct is not None:
            return fmt_count(n.distinct)
        if n.distinct_lower_bound:
            # Past the profile's exact cap only a lower bound is kept, never an estimate.
            return f">{fmt_count(n.distinct_lower_bound - 1)}"
    return DASH


def _with_share(count: int, share: float, s: FeatureStatistics) -> str:
    """A count of rows and its share of the rows; zero rows have no share to show."""
    if s.num_present + s.num_missing == 0:
        return fmt_count(count)
    return f"{fmt_count(count)} ({fmt_share(share)})"


def _stat_rows(s: FeatureStatistics) -> dict[str, str]:
    """Statistic name -> value text, in reading order."""
    rows = {
        "present": _with_share(s.num_present, s.presence, s),
        "missing": _with_share(s.num_missing, _missing_share(s), s),
        "distinct": _distinct(s),
    }
    if s.value_counts is not None:
        vc = s.value_counts
        rows["values per row"] = f"{vc.min}\u2013{vc.max}, mean {fmt_number(vc.mean)}"
    if s.numeric is not None:
        n = s.numeric
        fmt = value_formatter(s)
        rows["mean"] = DASH if n.mean is None else fmt(n.mean)
        rows["std dev"] = fmt_number(n.std_dev)
        rows["zeros"] = fmt_count(n.num_zeros)
        # Every quantile, labelled; the ends are the exact extremes (exact ints too).
        quantiles: dict[float, float | None] = dict(zip(QUANTILE_RANKS, n.quantiles, strict=False))
        quantiles[0.0], quantiles[1.0] = n.min, n.max
        for rank in QUANTILE_RANKS:
            value = quantiles.get(rank)
            rows[_rank_label(rank)] = DASH if value is None else fmt(value)
        for label, count in (("NaN", n.num_nan), ("+∞", n.num_pos_inf), ("\u2212∞", n.num_neg_inf)):
            if count:
                rows[label] = fmt_count(count)
    if s.string is not None:
        st = s.string
        if st.top_values:
            top = st.top_values[0]
            rows["top value"] = f"{top.value} ({fmt_count(top.count)})"
        if st.mean_length is not None:
            rows["length"] = (
                f"{st.min_length}\u2013{st.max_length}, mean {fmt_number(st.mean_length)}"
            )
    if s.bool is not None:
        b = s.bool
        rows["true"] = fmt_count(b.num_true)
        rows["false"] = fmt_count(b.num_false)
    if s.bytes is not None:
        by = s.bytes
        if by.mean_length is not None:
            rows["length (bytes)"] = (
                f"{by.min_length}\u2013{by.max_length}, mean {fmt_number(by.mean_length)}"
            )
        rows["invalid UTF-8"] = fmt_count(by.num_invalid_utf8)
    if s.mixed_types:
        rows["note"] = "numbers and text mixed; read as text"
    if s.num_int_overflow:
        rows["beyond int64"] = f"{fmt_count(s.num_int_overflow)}; read as floats"
    if s.num_float_overflow:
        rows["beyond float64"] = f"{fmt_count(s.num_float_overflow)}; read as infinity"
    return rows


def _stats_table(f: FeatureView) -> str:
    if f.stats is None:
        return '<p class="dcr-empty">No statistics: the feature is absent from the data.</p>'
    current = _stat_rows(f.stats)
    base = _stat_rows(f.baseline) if f.baseline is not None else None
    labels = list(current) + [k for k in (base or {}) if k not in current]
    head = '<tr><th></th><th class="num">current</th>'
    head += '<th class="num">baseline</th></tr>' if base is not None else "</tr>"
    body = []
    for label in labels:
        cells = f'<td class="num">{escape(current.get(label, DASH))}</td>'
        if base is not None:
            cells += f'<td class="num">{escape(base.get(label, DASH))}</td>'
        body.append(f"<tr><th>{escape(label)}</th>{cells}</tr>")
    return f'<table class="dcr-stats">{head}{"".join(body)}</table>'


# ---------------------------------------------------------------- charts


def _category_shares(s: FeatureStatistics | None) -> tuple[dict[str, float], float] | None:
    """Value -> count, and the number of values, of a string or bool feature."""
    if s is None:
        return None
    if s.bool is not None:
        b = s.bool
        return {"true": float(b.num_true), "false": float(b.num_false)}, float(
            b.num_true + b.num_false
        )
    if s.string is not None:
        st = s.string
        if st.value_counts is not None:
            counts = {k: float(v) for k, v in st.value_counts.items()}
        else:
            counts = {t.value: float(t.count) for t in st.top_values}
        return counts, float(st.num_values)
    return None


def _bar_rows(f: FeatureView) -> tuple[list[BarRow], int]:
    """The categories to draw and how many more the data holds."""
    cur = _category_shares(f.stats)
    assert cur is not None  # only called for categorical features
    counts, total = cur
    base = _category_shares(f.baseline)
    shown = sorted(counts, key=lambda k: -counts[k])[:_TOP_ROWS]
    if base is not None:
        extra = [k for k in sorted(base[0], key=lambda k: -base[0][k]) if k not in shown]
        shown += extra[:_BASELINE_EXTRA]
    rows = [
        BarRow(
            label=value,
            current=counts.get(value, 0.0) / total if total else 0.0,
            baseline=None
            if base is None
            else (base[0].get(value, 0.0) / base[1] if base[1] else 0.0),
        )
        for value in shown
    ]
    distinct = f.stats.string.distinct if f.stats and f.stats.string else len(counts)
    return rows, max(round(distinct) - len([r for r in rows if r.current > 0]), 0)


def _legend(has_baseline: bool) -> str:
    if not has_baseline:
        return ""
    return '<p class="dcr-legend"><i class="cur"></i>current<i class="base"></i>baseline</p>'


def _approximation_note(bins: Bins) -> str:
    """What a histogram drawn from a sketch may miss, as the sketch's error bound."""
    if bins.exact or bins.rank_error is None:
        return ""
    error = bins.rank_error
    rows = fmt_count(error * bins.num_values)
    return (
        f'<p class="dcr-note dcr-approx" data-rank-error="{error:.6g}">Approximate: drawn from '
        f"a quantile sketch of {fmt_count(bins.num_values)} values, each bar\u2019s share may "
        f"be off by up to {escape(fmt_share(error))} (about {rows} values; KLL\u2019s "
        "normalized rank error, 99% confidence), so a low or empty bar may still hold values."
        "</p>"
    )


def _chart(f: FeatureView, num_rows: int) -> str:
    label = f"distribution of {f.path}"
    s = f.stats
    if f.kind == "numeric" and s is not None:
        bins = numeric_bins(
            s.numeric,
            f.baseline.numeric if f.baseline is not None else None,
            integer=s.type in (FeatureType.INT, FeatureType.DATE),
        )
        if bins is not None:
            note = ""
            if bins.clipped:
                note = (
                    '<p class="dcr-note">Range cut to the 1st\u201399th percentiles; '
                    "the end bars hold the tails.</p>"
                )
            note += _approximation_note(bins)
            return (
                histogram_svg(bins, value_formatter(s), label=label)
                + _legend(bins.baseline is not None)
                + note
            )
    if f.kind == "categorical":
        rows, more = _bar_rows(f)
        if rows:
            note = (
                f'<p class="dcr-note">{fmt_count(more)} more values not shown.</p>' if more else ""
            )
            return bars_svg(rows, label=label) + _legend(rows[0].baseline is not None) + note
    present = s.num_present if s is not None else 0
    missing = s.num_missing if s is not None else num_rows
    note = (
        ""
        if s is not None and s.bytes is None
        else ('<p class="dcr-note">No value distribution for this feature; present rows shown.</p>')
    )
    return presence_svg(present, missing, label=f"presence of {f.path}") + note


# ---------------------------------------------------------------- schema


def _bound(value: float | None, infinite: str) -> str:
    return infinite if value is None else fmt_number(value)


def _span(low: float | None, high: float | None) -> str:
    return f"{_bound(low, '0')}\u2013{_bound(high, '∞')}"


def _domain(feature: Feature) -> str | None:
    d = feature.domain
    if isinstance(d, IntDomain | FloatDomain):
        low = _bound(d.min, "\u2212∞")
        text = f"[{low}, {_bound(d.max, '∞')}]"
        if isinstance(d, FloatDomain):
            text += "".join(
                part
                for flag, part in ((d.disallow_nan, ", no NaN"), (d.disallow_inf, ", no ∞"))
                if flag
            )
        return escape(text)
    if isinstance(d, StringDomain):
        values = ", ".join(f"<code>{escape(v)}</code>" for v in d.values[:_DOMAIN_SHOWN])
        more = len(d.values) - _DOMAIN_SHOWN
        return f"{len(d.values)} values: {values}" + (f", +{more} more" if more > 0 else "")
    if isinstance(d, BoolDomain):
        return "true, false"
    if isinstance(d, TimeDomain):
        earliest = "\u2212∞" if d.min is None else d.min
        return escape(f"[{earliest}, {d.max or '∞'}]")
    return None


def _schema_panel(f: FeatureView, schema: Schema | None) -> str:
    if schema is None:
        return ""
    feature = f.schema
    if feature is None:
        return (
            '<div class="dcr-schema"><h4>Schema</h4>'
            '<p class="dcr-empty">Not in the schema.</p></div>'
        )
    p = feature.presence
    presence = "required" if p.required else f"at least {fmt_share(p.min_fraction)} of rows"
    if p.min_count:
        presence += f", at least {fmt_count(p.min_count)} row{'s' * (p.min_count != 1)}"
    items: list[tuple[str, str]] = [
        ("type", escape(str(feature.type))),
        ("presence", escape(presence)),
    ]
    if feature.value_count is not None:
        vc = feature.value_count
        items.append(("values per row", escape(_span(vc.min, vc.max))))
    domain = _domain(feature)
    if domain is not None:
        items.append(("domain", domain))
    if feature.string_length is not None:
        sl = feature.string_length
        items.append(("characters", escape(_span(sl.min, sl.max))))
    if feature.pattern is not None:
        share = feature.pattern.max_mismatch_fraction
        allowed = f" (up to {fmt_share(share)} may differ)" if share else ""
        items.append(("pattern", escape(f"{feature.pattern.regex}{allowed}")))
    if feature.distribution is not None:
        items.append(
            ("in domain", escape(f"at least {fmt_share(feature.distribution.min_domain_mass)}"))
        )
    if feature.unique is not None:
        u = feature.unique
        items.append(("distinct", escape(_span(u.min, u.max))))
    for name, comparator in (
        ("drift", feature.drift_comparator),
        ("skew", feature.skew_comparator),
    ):
        if comparator is not None:
            items.append(
                (name, escape(f"{comparator.method} ≤ {fmt_number(comparator.threshold)}"))
            )
    if feature.missing_drift is not None:
        threshold = fmt_number(feature.missing_drift.threshold)
        items.append(("missing drift", escape(f"cohens_h ≤ {threshold}")))
    if feature.in_environments:
        items.append(("only in", escape(", ".join(feature.in_environments))))
    if feature.not_in_environments:
        items.append(("not in", escape(", ".join(feature.not_in_environments))))
    if feature.deprecated:
        items.append(("lifecycle", "deprecated (not validated)"))
    if feature.description:
        items.append(("about", escape(feature.description)))
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    return f'<div class="dcr-schema"><h4>Schema</h4><dl>{rows}</dl></div>'


# ---------------------------------------------------------------- drift and anomalies


def _meter(m: DriftMeasurement) -> str:
    if m.threshold is None or not math.isfinite(m.distance):
        return ""
    scale = max(m.distance, m.threshold) * 1.25 or 1.0
    fill = min(m.distance / scale, 1.0) * 100
    mark = m.threshold / scale * 100
    return (
        f'<span class="dcr-meter" title="distance against threshold">'
        f'<span class="dcr-meter-fill" style="width:{fill:.1f}%"></span>'
        f'<span class="dcr-meter-mark" style="left:{mark:.1f}%"></span></span>'
    )


_AGAINST = {MeasurementKind.DRIFT: "baseline", MeasurementKind.SKEW: "serving"}


#: the row class of each status: only a distance that counts towards the verdict is "over"
_STATUS_CLASS = {
    MeasurementStatus.OVER: "over",
    MeasurementStatus.WARNING: "warn",
    MeasurementStatus.INFO: "info",
}


def _measurement_table(
    measurements: Sequence[DriftMeasurement], anomalies: Sequence[Anomaly]
) -> str:
    if not measurements:
        return ""
    rows = []
    for m in measurements:
        standing = measurement_status(m, anomalies)
        status = DASH if standing is MeasurementStatus.NONE else standing.value
        method = escape(m.method) + (' <span class="dcr-tag">schema</span>' if m.enforced else "")
        rows.append(
            f'<tr class="{_STATUS_CLASS.get(standing, "")}"><td>{_AGAINST[m.kind]}</td>'
            f'<td>{method}</td><td class="num">{escape(fmt_number(m.distance))}</td>'
            f'<td class="num">{escape(fmt_number(m.threshold))}</td>'
            f"<td>{_meter(m)}</td><td>{escape(status)}</td></tr>"
        )
    return (
        '<table class="dcr-drift"><tr><th>against</th><th>method</th>'
        '<th class="num">distance</th><th class="num">threshold</th><th></th><th></th></tr>'
        + "".join(rows)
        + "</table>"
    )


def _anomaly_items(anomalies: Sequence[Anomaly]) -> str:
    if not anomalies:
        return ""
    items = "".join(
        f'<li class="{escape(str(a.severity))}"><span class="dcr-sev {escape(str(a.severity))}">'
        f"{escape(str(a.severity))}</span> <code>{escape(str(a.code))}</code> "
        f"{escape(a.message)}</li>"
        for a in anomalies
    )
    return f'<ul class="dcr-alist">{items}</ul>'


# ---------------------------------------------------------------- overview


def _distinct_count(s: FeatureStatistics) -> float:
    """The distinct count to sort by (an estimate or a lower bound where not exact)."""
    if s.string is not None:
        return float(s.string.distinct)
    if s.bool is not None:
        return float((s.bool.num_true > 0) + (s.bool.num_false > 0))
    if s.numeric is not None:
        n = s.numeric
        return float(n.distinct if n.distinct is not None else n.distinct_lower_bound)
    return -1.0


def _cell(text: str, key: str | float, cls: str = "") -> str:
    """A table cell whose sort key (``data-v``) is a number or text; the text is escaped."""
    value = f"{key:.6g}" if isinstance(key, float) else escape(key)
    attr = f' class="{cls}"' if cls else ""
    return f'<td{attr} data-v="{value}">{text}</td>'


def _worst_cell(f: FeatureView) -> str:
    m = f.worst
    if m is None:
        return _cell(DASH, -1.0, "num")
    standing = measurement_status(m, f.anomalies)
    against = f", threshold {fmt_number(m.threshold)}" if m.threshold is not None else ""
    title = escape(f"{m.kind} {m.method} {fmt_number(m.distance)}{against}: {standing}")
    text = (
        f'<span title="{title}">{escape(fmt_number(m.distance))} '
        f"<small>{escape(m.method)}</small></span>"
    )
    status = _STATUS_CLASS.get(standing, "")
    return _cell(text, f.drift_score, f"num {status}".strip())


def _anomaly_count(f: FeatureView) -> str:
    parts = [
        f'<span class="dcr-sev {sev}">{count} {sev}{"s" * (count > 1)}</span>'
        for count, sev in ((f.errors, "error"), (f.warnings, "warning"))
        if count
    ]
    return _cell(", ".join(parts) or DASH, float(f.errors * 1_000_000 + f.warnings))


def _overview_row(f: FeatureView, prefix: str) -> str:
    s = f.stats
    if s is not None:
        kind = str(s.type) + ("[]" if s.value_counts is not None else "")
        missing = _missing_share(s)
        cells = [
            _cell(escape(kind), kind),
            _cell(escape(fmt_share(missing)), missing, "num"),
            _cell(escape(_distinct(s)), _distinct_count(s), "num"),
        ]
    else:
        kind = str(f.schema.type) if f.schema is not None else DASH
        cells = [_cell(escape(kind), kind), _cell(DASH, -1.0, "num"), _cell(DASH, -1.0, "num")]
    name = f'<a href="#{prefix}-f{f.index}"><code>{escape(f.path)}</code></a>'
    severity = "error" if f.errors else "warning" if f.warnings else ""
    return (
        f'<tr class="{severity}">{_cell(name, f.path)}{"".join(cells)}'
        f"{_worst_cell(f)}{_anomaly_count(f)}</tr>"
    )


def _overview(view: ReportView, prefix: str) -> str:
    """One row per feature, anomalies first; a click on a heading sorts by that column."""
    if not view.features:
        return ""
    headers = (
        ("feature", ""),
        ("type", ""),
        ("missing", "num"),
        ("distinct", "num"),
        ("worst distance", "num"),
        ("anomalies", ""),
    )
    head = "".join(
        f'<th{f" class={cls!r}" if cls else ""} title="sort by {name}">{name}</th>'
        for name, cls in headers
    )
    rows = "".join(_overview_row(f, prefix) for f in _sorted_features(view))
    return (
        f'<h2>Overview</h2><table class="dcr-overview"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


# ---------------------------------------------------------------- cards and page


def _tags(f: FeatureView, view: ReportView) -> str:
    tags = []
    s = f.stats
    if s is not None:
        tags.append(
            f'<span class="dcr-tag" title="{escape(s.arrow_type)}">{escape(str(s.type))}</span>'
        )
    elif f.schema is not None:
        tags.append(f'<span class="dcr-tag">{escape(str(f.schema.type))}</span>')
    if f.errors:
        tags.append(f'<span class="dcr-tag error">{f.errors} error{"s" * (f.errors > 1)}</span>')
    if f.warnings:
        tags.append(
            f'<span class="dcr-tag warning">{f.warnings} warning{"s" * (f.warnings > 1)}</span>'
        )
    if f.drifted:
        tags.append('<span class="dcr-tag drift">drifted</span>')
    if view.profile is not None and s is None:
        tags.append('<span class="dcr-tag">absent from the data</span>')
    if view.schema is not None and f.schema is None:
        tags.append('<span class="dcr-tag">not in the schema</span>')
    return "".join(tags)


def _feature_card(f: FeatureView, view: ReportView, prefix: str) -> str:
    severity = " dcr-has-error" if f.errors else " dcr-has-warning" if f.warnings else ""
    missing = _missing_share(f.stats) if f.stats is not None else 1.0
    attrs = (
        f'id="{prefix}-f{f.index}" class="dcr-feature{severity}" data-name="{escape(f.path)}" '
        f'data-order="{f.index}" data-errors="{f.errors}" data-warnings="{f.warnings}" '
        f'data-drift="{f.drift_score:.6g}" data-missing="{missing:.6g}" data-kind="{f.kind}"'
        + (" data-drifted" if f.drifted else "")
    )
    has_data = view.profile is not None
    body = ""
    if has_data:
        columns = " dcr-noschema" if view.schema is None else ""
        body = (
            f'<div class="dcr-body{columns}"><div class="dcr-chart-box">'
            f"{_chart(f, view.profile.num_rows if view.profile else 0)}</div>"
            f"{_stats_table(f)}{_schema_panel(f, view.schema)}</div>"
        )
    elif view.schema is not None:
        body = f'<div class="dcr-body">{_schema_panel(f, view.schema)}</div>'
    return (
        f'<article {attrs}><div class="dcr-fhead"><h3><code>{escape(f.path)}</code></h3>'
        f"{_tags(f, view)}</div>{_anomaly_items(f.anomalies)}{body}"
        f"{_measurement_table(f.measurements, f.anomalies)}</article>"
    )


def _header(view: ReportView, title: str, sources: Mapping[str, str]) -> str:
    if view.validation is None:
        verdict = '<span class="dcr-verdict none">profile</span>'
    elif view.validation.errors:
        verdict = '<span class="dcr-verdict fail">FAIL</span>'
    else:
        verdict = '<span class="dcr-verdict pass">PASS</span>'
    line = " · ".join(f"{escape(k)}: <code>{escape(v)}</code>" for k, v in sources.items())
    return (
        f'<div class="dcr-head"><div><h1>{escape(title)}</h1>'
        f'<p class="dcr-sources">{line}</p></div>{verdict}</div>'
    )


def _cards(view: ReportView) -> str:
    v = view.validation
    cards: list[tuple[str, str, str]] = []
    if view.num_rows is not None:
        cards.append(("", fmt_count(view.num_rows), "rows"))
    if view.baseline_rows is not None:
        cards.append(("", fmt_count(view.baseline_rows), "baseline rows"))
    n_features = len(view.profile.features) if view.profile is not None else len(view.features)
    cards.append(("", fmt_count(n_features), "features"))
    if view.schema is not None:
        cards.append(("", fmt_count(len(view.schema.features)), "features in the schema"))
    if v is not None:
        cards.append(("err" if v.errors else "", fmt_count(len(v.errors)), "errors"))
        cards.append(("warn" if v.warnings else "", fmt_count(len(v.warnings)), "warnings"))
    if any(f.measurements for f in view.features):
        cards.append(
            ("err" if view.drifted else "", fmt_count(len(view.drifted)), "drifted features")
        )
    items = "".join(
        f'<li class="{cls}"><b>{escape(value)}</b><span>{escape(label)}</span></li>'
        for cls, value, label in cards
    )
    return f'<ul class="dcr-cards">{items}</ul>'


def _anomaly_table(view: ReportView, prefix: str) -> str:
    if view.validation is None:
        return ""
    anomalies = sorted(
        view.validation.anomalies, key=lambda a: (str(a.severity) != "error", a.path or "")
    )
    if not anomalies:
        return "<h2>Anomalies</h2><p>None: the data matches the schema.</p>"
    index = {f.path: f.index for f in view.features}
    rows = []
    for a in anomalies:
        if a.path is None:
            where = "(dataset)"
        else:
            where = f'<a href="#{prefix}-f{index[a.path]}"><code>{escape(a.path)}</code></a>'
        sev = escape(str(a.severity))
        rows.append(
            f'<tr><td><span class="dcr-sev {sev}">{sev}</span></td><td>{where}</td>'
            f"<td><code>{escape(str(a.code))}</code></td><td>{escape(a.message)}</td></tr>"
        )
    # A long list starts folded so the feature cards stay in reach; the summary counts it.
    folded = "" if len(anomalies) <= _ANOMALIES_OPEN else " (click to show)"
    return (
        f'<details class="dcr-anomalies"{"" if folded else " open"}><summary><h2>Anomalies '
        f"({len(anomalies)}){folded}</h2></summary><table><tr>"
        "<th>severity</th><th>feature</th><th>code</th><th>message</th></tr>"
        + "".join(rows)
        + "</table></details>"
    )


def _dataset_section(view: ReportView) -> str:
    parts = []
    if view.dataset_measurements:
        parts.append(
            "<h4>Row counts</h4>"
            + _measurement_table(view.dataset_measurements, view.dataset_anomalies)
        )
    if view.profile is not None and view.profile.skipped:
        rows = "".join(
            f"<tr><td><code>{escape(s.path)}</code></td><td>{escape(s.arrow_type)}</td>"
            f"<td>{escape(s.reason)}</td></tr>"
            for s in view.profile.skipped
        )
        parts.append(
            "<h4>Columns not profiled</h4><table><tr><th>column</th><th>type</th>"
            f"<th>reason</th></tr>{rows}</table>"
        )
    if view.profile is not None and view.profile.slices:
        rows = "".join(
            f'<tr><td><code>{escape(key)}</code></td><td class="num">{fmt_count(p.num_rows)}'
            "</td></tr>"
            for key, p in view.profile.slices.items()
        )
        parts.append(
            f'<h4>Slices</h4><table><tr><th>slice</th><th class="num">rows</th></tr>{rows}</table>'
        )
    if view.schema is not None and view.schema.row_checks:
        parts.append(_row_checks_table(view.schema, view.dataset_anomalies))
    return "<h2>Dataset</h2>" + "".join(parts) if parts else ""


def _row_checks_table(schema: Schema, anomalies: tuple[Anomaly, ...]) -> str:
    """The schema's row checks, each with its failing rows where validation counted them."""
    failed = {
        a.measured["check"]: a.measured
        for a in anomalies
        if str(a.code) in ("ROW_CHECK_FAILED", "CUSTOM_CHECK_FAILED")
        and isinstance(a.measured, dict)
    }
    rows = []
    for c in schema.row_checks:
        m = failed.get(c.name)
        outcome = DASH if m is None else f"{fmt_count(m['failed_rows'])} ({fmt_share(m['share'])})"
        rows.append(
            f"<tr><td><code>{escape(c.name)}</code></td><td><code>{escape(c.rule)}</code></td>"
            f'<td class="num">{escape(outcome)}</td></tr>'
        )
    return (
        "<h4>Row checks</h4><table><tr><th>check</th><th>rule</th>"
        f'<th class="num">failing rows</th></tr>{"".join(rows)}</table>'
    )


_CONTROLS = """<div class="dcr-controls" hidden>
<label>show<select name="filter"><option value="all">all features</option>
<option value="anomalies">with anomalies</option><option value="errors">with errors</option>
<option value="drifted">drifted</option><option value="numeric">numeric</option>
<option value="categorical">categorical</option></select></label>
<label>sort by<select name="sort"><option value="anomalies">anomalies first</option>
<option value="drift">drift</option><option value="name">name</option>
<option value="missing">missing share</option><option value="order">column order</option>
</select></label>
<label>name<input name="search" type="search" placeholder="filter by name"></label>
<span class="dcr-count"></span></div>"""


def _fragment(view: ReportView, title: str, sources: Mapping[str, str], prefix: str) -> str:
    from datacheck import __version__

    cards = "".join(_feature_card(f, view, prefix) for f in _sorted_features(view))
    features = (
        f'<h2>Features</h2>{_CONTROLS}<div class="dcr-features">{cards}</div>'
        if view.features
        else ""
    )
    return (
        f'<div class="dcr" id="{prefix}"><style>{CSS}</style>'
        f"{_header(view, title, sources)}{_cards(view)}{_overview(view, prefix)}"
        f"{_anomaly_table(view, prefix)}"
        f"{_dataset_section(view)}{features}"
        f"<footer>Made by datacheck {escape(__version__)}. This file is self-contained: "
        "it loads nothing from the network.</footer>"
        f"<script>{SCRIPT}</script></div>"
    )


def render_html(
    profile: DatasetProfile | None = None,
    *,
    baseline: DatasetProfile | None = None,
    schema: Schema | None = None,
    validation: ValidationReport | None = None,
    title: str = "datacheck report",
    sources: Mapping[str, str] | None = None,
    standalone: bool = True,
) -> str:
    """The HTML report of a profile, with its baseline, schema and validation when given.

    Args:
        profile: the statistics of the data; None for a report of a validation alone.
        baseline: the statistics of the data it is compared with, drawn over each chart.
        schema: the schema, shown beside each feature's statistics.
        validation: the validation report: anomalies and drift distances.
        title: the page title.
        sources: what to list under the title (``{"data": "train.csv", ...}``).
        standalone: a whole HTML document (True) or a fragment for a notebook cell (False).

    Returns:
        The HTML text; it references no external resource.
    """
    view = build_view(profile, baseline=baseline, schema=schema, validation=validation)
    prefix = "dcr" if standalone else f"dcr{next(_fragment_ids)}"
    fragment = _fragment(view, title, sources or {}, prefix)
    if not standalone:
        return fragment
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title></head><body style="margin:0">{fragment}</body></html>'
    )


def write_html(
    path: str | os.PathLike[str],
    profile: DatasetProfile | None = None,
    *,
    baseline: DatasetProfile | None = None,
    schema: Schema | None = None,
    validation: ValidationReport | None = None,
    title: str = "datacheck report",
    sources: Mapping[str, str] | None = None,
) -> int:
    """Write :func:`render_html`'s page to ``path`` atomically; return its size in bytes.

    The arguments are those of :func:`render_html`; the page is always a whole document.
    """
    data = render_html(
        profile,
        baseline=baseline,
        schema=schema,
        validation=validation,
        title=title,
        sources=sources,
    ).encode("utf-8")
    write_bytes_atomic(path, data)
    return len(data)
