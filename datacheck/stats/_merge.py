"""merge_profiles: the profile of the union of two datasets, from their two profiles.

Each profile is turned back into the accumulator that produced it (sketches deserialized),
the accumulators merge with the generators' own merge, and the result is extracted again: one
code path, so a merged profile equals the profile of the concatenated data up to sketch error.
"""

from __future__ import annotations

from dataclasses import replace

from datacheck._types import time_of
from datacheck.errors import OptionError
from datacheck.stats._generate import ProfileAccumulator
from datacheck.stats._profile import DatasetProfile

__all__ = ["merge_profiles"]

#: Options that change what a sketch or statistic means; profiles must agree on them to merge.
_MUST_AGREE = (
    "weight",
    "slice_by",
    "exact_counts_cap",
    "kll_k",
    "hll_lg_k",
    "frequent_items_lg_max_map_size",
    "weighted_sample_size",
)


def _check_units(a: DatasetProfile, b: DatasetProfile) -> None:
    """Refuse to mix sketches of one time feature that count different units (s and us)."""
    for path, mine in a.features.items():
        theirs = b.features.get(path)
        units = (time_of(mine.arrow_type), None if theirs is None else time_of(theirs.arrow_type))
        if units[0] is not None and units[1] is not None and units[0][0] != units[1][0]:
            raise OptionError(
                f"cannot merge profiles where feature {path!r} counts in {units[0][0]} and in "
                f"{units[1][0]}; cast the column to one unit and profile the data again"
            )


def merge_profiles(a: DatasetProfile, b: DatasetProfile) -> DatasetProfile:
    """The profile of the union of the datasets profiled in ``a`` and ``b``.

    Raises:
        OptionError: the profiles were made with different weight, slices or sketch sizes,
            whose statistics cannot be combined, or count a timestamp or duration feature in
            different units.
    """
    for name in _MUST_AGREE:
        mine, theirs = getattr(a.options, name), getattr(b.options, name)
        if mine != theirs:
            raise OptionError(
                f"cannot merge profiles made with different {name} ({mine!r} and {theirs!r}); "
                "profile both datasets with the same options"
            )
    _check_units(a, b)
    accumulator = ProfileAccumulator.from_output(a)
    accumulator.merge(ProfileAccumulator.from_output(b))
    merged = accumulator.extract()
    # Data read two ways has no one way of reading it.
    reader = a.reader if a.reader == b.reader else None
    return replace(merged, options=a.options, reader=reader)
