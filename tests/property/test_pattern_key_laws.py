"""Laws of the pattern and unique-key checks.

Uniqueness is split invariant: a dataset validated in any split into batches quarantines the
same rows with the same reasons, and they are the rows a plain Python reference picks (each
complete key's later occurrences). The pattern row check agrees with Python's
``re.fullmatch`` on patterns in the dialects' common subset. Data from ``from_schema`` passes
both checks, and ``violating`` breaks each one where validation sees it.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from datacheck.schema import Feature, FeatureType, IntDomain, Presence, Schema, StringPattern
from datacheck.testing import from_schema, violating
from datacheck.validate import check_dataset, validate_batches

_KEYS = Schema(
    features=(
        Feature(name="a", type=FeatureType.STRING),
        Feature(name="b", type=FeatureType.INT),
    ),
    unique_keys=(("a",), ("a", "b")),
)


def _quarantine(table: pa.Table, sizes: list[int]) -> dict[int, list[Any]]:
    batches = []
    start = 0
    for size in [*sizes, table.num_rows]:
        if start >= table.num_rows:
            break
        batches.append(table.slice(start, size).combine_chunks().to_batches()[0])
        start += size
    if not batches:
        batches = table.to_batches()
    out = {}
    offset = 0
    for checked in validate_batches(batches, _KEYS):
        reasons = checked.quarantined.column("datacheck_reasons").to_pylist()
        for row, r in zip(checked.quarantined_rows, reasons, strict=True):
            out[offset + int(row)] = r
        offset += checked.batch.num_rows
    return out


def _reference(a: list[str | None], b: list[int | None]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for key, name in (((0,), "a"), ((0, 1), "a,b")):
        seen = set()
        for i, row in enumerate(zip(a, b, strict=True)):
            parts = tuple(row[k] for k in key)
            if None in parts:
                continue
            if parts in seen:
                out.setdefault(i, []).append({"code": "DUPLICATE_KEY", "feature": name})
            seen.add(parts)
    return out


@given(
    st.lists(
        st.tuples(st.sampled_from(["x", "y", "z", "", "é", None]), st.sampled_from([0, 1, None])),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.integers(1, 7), max_size=10),
)
def test_uniqueness_is_split_invariant_and_matches_a_reference(
    rows: list[tuple[str | None, int | None]], sizes: list[int]
) -> None:
    a = [r[0] for r in rows]
    b = [r[1] for r in rows]
    table = pa.table({"a": pa.array(a, pa.string()), "b": pa.array(b, pa.int64())})
    whole = _quarantine(table, [])
    assert _quarantine(table, sizes) == whole
    assert whole == _reference(a, b)


# Patterns in the common subset of RE2 and Python's re (read with re.ASCII).
_ATOMS = st.sampled_from(
    ["a", "b", "ab", ".", r"\d", r"\w", "[a-c]", "[^a]", "[0-9]", r"\.", "x", "é"]
)


@st.composite
def _patterns(draw: st.DrawFn, depth: int = 2) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        atom = (
            draw(_ATOMS)
            if depth == 0
            else draw(_ATOMS | _patterns(depth - 1).map(lambda p: f"(?:{p})"))
        )
        parts.append(atom + draw(st.sampled_from(["", "*", "+", "?", "{1,2}"])))
    body = "".join(parts)
    if draw(st.booleans()):
        body += "|" + draw(_ATOMS)
    return body


@given(_patterns(), st.lists(st.text(alphabet="abcx09.é_ \n", max_size=6), min_size=1, max_size=20))
def test_pattern_rows_agree_with_python_fullmatch(regex: str, values: list[str]) -> None:
    schema = Schema(
        features=(Feature(name="s", type=FeatureType.STRING, pattern=StringPattern(regex=regex)),)
    )
    [checked] = validate_batches([pa.record_batch({"s": values})], schema)
    expected = [i for i, v in enumerate(values) if not re.fullmatch(regex, v, re.ASCII)]
    assert checked.quarantined_rows.tolist() == expected


_BOTH = Schema(
    features=(
        Feature(
            name="id",
            type=FeatureType.STRING,
            presence=Presence(min_fraction=1.0),
            pattern=StringPattern(regex=r"N\d{1,3}A[12]"),
        ),
        Feature(name="n", type=FeatureType.INT, domain=IntDomain(min=0, max=50)),
        Feature(name="code", type=FeatureType.STRING, pattern=StringPattern(regex="[A-Z]{2}")),
    ),
    unique_keys=(("id",), ("n", "code")),
)


@given(from_schema(_BOTH, kind="tables"))
def test_data_from_the_schema_passes_patterns_and_keys(table: pa.Table) -> None:
    check = check_dataset(table, _BOTH, on_quarantine=lambda c: None)
    assert check.report.anomalies == ()
    assert all(c.quarantined.num_rows == 0 for c in validate_batches(table.to_batches(), _BOTH))


@given(violating(_BOTH))
def test_violating_breaks_patterns_and_keys_where_validation_sees_it(violation: Any) -> None:
    seen: list[Any] = []
    report = check_dataset(violation.table, _BOTH, on_quarantine=seen.append).report
    assert (violation.code, violation.path) in {(a.code, a.path) for a in report.anomalies}
    if violation.row_code is not None:
        bad = {}
        for c in seen:
            for row, reasons in zip(
                c.quarantined_rows,
                c.quarantined.column("datacheck_reasons").to_pylist(),
                strict=True,
            ):
                bad[int(row)] = {r["code"] for r in reasons}
        for row in violation.rows:
            assert str(violation.row_code) in bad[row]
