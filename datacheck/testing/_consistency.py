"""The consistency law of a statistics generator, as a check any plugin's tests can call.

A :class:`~datacheck.stats.StatsGenerator` must give one output however its batches are
grouped: added one at a time to one accumulator, added to one accumulator each and merged
(in either order), or compacted before and after the merge (what Beam's combiner lifting
does), and its accumulators must survive pickling (Beam ships them between workers). TFDV
tests every generator these ways; :func:`assert_generator_consistent` runs them all.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pyarrow as pa

from datacheck.stats import DatasetProfile, FeatureStatistics, StatsGenerator

__all__ = ["assert_generator_consistent", "assert_profiles_equivalent"]

A = TypeVar("A")
Out = TypeVar("Out")


def _require(condition: object, message: str) -> None:
    # Not ``assert``: this check must hold under ``python -O`` too.
    if not condition:
        raise AssertionError(message)


def _close(a: Any, b: Any, where: str, rel: float = 1e-9) -> None:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            raise AssertionError(f"{where}: {a!r} != {b!r}")
        if math.isnan(a) or math.isnan(b):
            _require(math.isnan(a) and math.isnan(b), f"{where}: {a!r} != {b!r}")
        else:
            _require(math.isclose(a, b, rel_tol=rel, abs_tol=1e-9), f"{where}: {a!r} != {b!r}")
    else:
        _require(a == b, f"{where}: {a!r} != {b!r}")


def _assert_features(a: FeatureStatistics, b: FeatureStatistics, where: str) -> None:
    for name in (
        "path",
        "type",
        "arrow_type",
        "num_present",
        "num_missing",
        "mixed_types",
        "num_int_overflow",
        "num_float_overflow",
    ):
        _require(getattr(a, name) == getattr(b, name), f"{where}.{name}")
    _close(a.presence, b.presence, f"{where}.presence")
    _close(a.weighted_num_present, b.weighted_num_present, f"{where}.weighted_num_present")
    if a.value_counts is not None or b.value_counts is not None:
        if a.value_counts is None or b.value_counts is None:
            raise AssertionError(where)
        for name in ("min", "max", "num_values"):
            _require(getattr(a.value_counts, name) == getattr(b.value_counts, name), where)
        _close(a.value_counts.mean, b.value_counts.mean, f"{where}.value_counts.mean")
    if a.numeric is not None or b.numeric is not None:
        x, y = a.numeric, b.numeric
        if x is None or y is None:
            raise AssertionError(where)
        for name in (
            "num_values",
            "num_zeros",
            "num_nan",
            "num_pos_inf",
            "num_neg_inf",
            "distinct",
            "distinct_lower_bound",
            "distinct_values",
            "distinct_counts",
        ):
            _require(getattr(x, name) == getattr(y, name), f"{where}.numeric.{name}")
        for name in ("min", "max"):
            _close(getattr(x, name), getattr(y, name), f"{where}.numeric.{name}")
        for name in ("mean", "std_dev"):
            _close(getattr(x, name), getattr(y, name), f"{where}.numeric.{name}", rel=1e-7)
        # Small inputs keep every value in the KLL sketch, so its quantiles are exact too.
        _require(x.quantiles == y.quantiles, f"{where}.numeric.quantiles")
        if x.weighted is not None or y.weighted is not None:
            if x.weighted is None or y.weighted is None:
                raise AssertionError(where)
            _close(x.weighted.total_weight, y.weighted.total_weight, where, rel=1e-7)
            _close(x.weighted.mean, y.weighted.mean, f"{where}.weighted.mean", rel=1e-7)
    if a.string is not None or b.string is not None:
        s, t = a.string, b.string
        if s is None or t is None:
            raise AssertionError(where)
        for name in (
            "num_values",
            "min_length",
            "max_length",
            "distinct_exact",
            "top_values_exact",
            "value_counts",
            "top_values",
        ):
            _require(getattr(s, name) == getattr(t, name), f"{where}.string.{name}")
        _close(s.mean_length, t.mean_length, f"{where}.string.mean_length")
        if s.distinct_exact:
            _require(s.distinct == t.distinct, f"{where}.string.distinct")
        else:
            _require(t.distinct_lower_bound <= s.distinct <= t.distinct_upper_bound, where)
    _require(a.bytes == b.bytes or _bytes_close(a, b), f"{where}.bytes")
    if a.bool is not None or b.bool is not None:
        if a.bool is None or b.bool is None:
            raise AssertionError(f"{where}.bool")
        counts = (a.bool.num_true, a.bool.num_false), (b.bool.num_true, b.bool.num_false)
        _require(counts[0] == counts[1], where)
        # Weighted counts are float sums: their last digit depends on the order of addition.
        _close(a.bool.weighted_num_true, b.bool.weighted_num_true, f"{where}.bool.weighted")
        _close(a.bool.weighted_num_false, b.bool.weighted_num_false, f"{where}.bool.weighted")


def _bytes_close(a: FeatureStatistics, b: FeatureStatistics) -> bool:
    x, y = a.bytes, b.bytes
    if x is None or y is None:
        return False
    return (
        x.num_values == y.num_values
        and x.num_invalid_utf8 == y.num_invalid_utf8
        and x.min_length == y.min_length
        and x.max_length == y.max_length
        and math.isclose(x.mean_length or 0.0, y.mean_length or 0.0, rel_tol=1e-9)
    )


def assert_profiles_equivalent(a: DatasetProfile, b: DatasetProfile, where: str = "") -> None:
    """Raise AssertionError unless two profiles describe the same data.

    Exact fields (counts, types, paths, slice keys) must be equal; float sums agree within a
    tight relative tolerance (their last digits depend on the order of addition); quantiles of
    small inputs are exact; a distinct count past the exact cap lies within the other's bounds.

    Args:
        a: One profile.
        b: The other.
        where: A prefix for the message, naming where the profiles came from.
    """
    _require(a.num_rows == b.num_rows, f"{where}num_rows: {a.num_rows} != {b.num_rows}")
    _close(a.weighted_num_rows, b.weighted_num_rows, f"{where}weighted_num_rows")
    _require(list(a.features) == list(b.features), f"{where}feature paths")
    _require(a.skipped == b.skipped, f"{where}skipped")
    for path in a.features:
        _assert_features(a.features[path], b.features[path], f"{where}{path}")
    _require(list(a.slices) == list(b.slices), f"{where}slice keys")
    for key in a.slices:
        assert_profiles_equivalent(a.slices[key], b.slices[key], f"{where}[{key}].")


def _same_output(a: Any, b: Any, where: str) -> None:
    if isinstance(a, DatasetProfile) and isinstance(b, DatasetProfile):
        assert_profiles_equivalent(a, b, f"{where}: ")
    else:
        _require(a == b, f"{where}: {a!r} != {b!r}")


def assert_generator_consistent(
    generator: StatsGenerator[A, Out],
    batches: Sequence[pa.RecordBatch],
    *,
    equal: Callable[[Out, Out, str], None] | None = None,
) -> Out:
    """Raise AssertionError unless ``generator`` gives one output however batches are grouped.

    The reference is every batch added, in order, to one accumulator. It must equal: one
    accumulator per batch merged in order; the same merged in reverse order; each compacted,
    merged, then compacted again; and an accumulator after a pickle round trip. Merging must
    change only the first accumulator it is given.

    Args:
        generator: The generator under test.
        batches: Its input; at least two batches make the merges meaningful.
        equal: ``equal(got, expected, where)`` raises AssertionError when two outputs differ;
            by default profiles are compared with :func:`assert_profiles_equivalent` and
            anything else with ``==``.

    Returns:
        The reference output, for further assertions.
    """
    same = equal or _same_output
    reference = generator.create_accumulator()
    for batch in batches:
        reference = generator.add_input(reference, batch)
    expected = generator.extract_output(reference)

    def singles() -> list[A]:
        return [generator.add_input(generator.create_accumulator(), b) for b in batches]

    same(
        generator.extract_output(generator.merge_accumulators(singles())),
        expected,
        "one accumulator per batch, merged",
    )
    same(
        generator.extract_output(generator.merge_accumulators(singles()[::-1])),
        expected,
        "one accumulator per batch, merged in reverse order",
    )
    compacted = generator.compact(
        generator.merge_accumulators([generator.compact(a) for a in singles()])
    )
    same(generator.extract_output(compacted), expected, "compacted, merged, compacted")
    shipped = pickle.loads(pickle.dumps(singles()))
    same(
        generator.extract_output(generator.merge_accumulators(shipped)),
        expected,
        "accumulators after a pickle round trip, merged",
    )
    if len(batches) >= 2:
        first, second = singles()[:2]
        before = generator.extract_output(pickle.loads(pickle.dumps(second)))
        generator.merge_accumulators([first, second])
        same(
            generator.extract_output(second),
            before,
            "merge_accumulators changed an accumulator other than the first",
        )
    return expected
