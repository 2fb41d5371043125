"""Plans: what a generated table must hold, and the drawing of its columns by construction.

A :class:`FeaturePlan` turns one feature's constraints into numbers: how many rows must hold a
value (from presence and distinct-count bounds), how many values a present row holds, how many
distinct values the column holds. :func:`draw_column` then draws a column that meets them
exactly, without rejecting anything: a presence mask is topped up to its lower bound, list
lengths are drawn inside their bounds, and a column with distinct-count bounds draws that many
distinct values first and repeats them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from datacheck._types import FeatureType
from datacheck.schema import Feature, Presence, StringDomain
from datacheck.testing._patterns import pattern_problem
from datacheck.testing._values import any_values, domain_size, valid_values

__all__ = ["FeaturePlan", "draw_column", "presence_floor"]

#: extra values per row drawn for lists without an upper bound (small lists shrink better)
LIST_SLACK = 3


def presence_floor(presence: Presence, num_rows: int) -> int:
    """The fewest present rows out of ``num_rows`` that meet ``presence``.

    Computed the way validation computes it (``present / rows < min_fraction`` fails), so float
    rounding can never make the floor one row short.
    """
    k = min(num_rows, max(presence.min_count, math.ceil(presence.min_fraction * num_rows)))
    while k < num_rows and num_rows and k / num_rows < presence.min_fraction:
        k += 1
    return k


@dataclass(frozen=True, slots=True, kw_only=True)
class FeaturePlan:
    """One feature's generation plan. ``checked``: False for a feature validation ignores
    (deprecated), whose values only have the right type."""

    feature: Feature
    checked: bool
    values: st.SearchStrategy[Any]
    #: values per present row: (1, 1) for a scalar feature; high None: unbounded
    length_low: int
    length_high: int | None
    #: distinct values the column must hold (None: any number)
    distinct_low: int
    distinct_high: int | None
    #: how many distinct values the domain allows
    size: float

    @classmethod
    def of(cls, feature: Feature, *, checked: bool, dataset_level: bool = True) -> FeaturePlan:
        """The plan of ``feature``; ``dataset_level`` False leaves out distinct-count bounds."""
        vc = feature.value_count
        low: int = 1 if vc is None else vc.min or 0
        high: int | None = 1 if vc is None else vc.max
        u = feature.unique if checked and dataset_level else None
        values = valid_values(feature) if checked else any_values(feature)
        size = (
            domain_size(feature)
            if checked
            else domain_size(Feature(name=feature.name, type=feature.type, value_count=vc))
        )
        if u is not None and u.max is not None:
            # A column may hold no more distinct values than its bound.
            size = min(size, u.max)
        if size == 0 and vc is not None:
            # Nothing may go in a list: a present list is empty (and none is present when
            # lists need values).
            high = 0
        return cls(
            feature=feature,
            checked=checked,
            values=values,
            length_low=low,
            length_high=high,
            distinct_low=0 if u is None or u.min is None else u.min,
            distinct_high=None if u is None else u.max,
            size=size,
        )

    @property
    def is_list(self) -> bool:
        """Whether the column is a list column (the feature has a value count)."""
        return self.feature.value_count is not None

    @property
    def presence(self) -> Presence:
        """The presence the column must meet (none for unchecked features)."""
        return self.feature.presence if self.checked else Presence()

    def rows_for_values(self, num_values: int) -> int:
        """The fewest present rows that can hold ``num_values`` values (may be impossible:
        then more than any table has)."""
        if num_values <= 0:
            return 0
        if self.length_high is None:
            return 1
        if self.length_high == 0:
            return 2**62
        return math.ceil(num_values / self.length_high)

    def present_floor(self, num_rows: int, *, dataset_level: bool = True) -> int:
        """The fewest present rows a table of ``num_rows`` rows may give this feature."""
        if not dataset_level:
            return num_rows if self.presence.required else 0
        return max(presence_floor(self.presence, num_rows), self.rows_for_values(self.distinct_low))

    def rows_needed(self) -> int:
        """The fewest rows a table needs for this feature's presence and distinct counts."""
        return max(self.presence.min_count, self.rows_for_values(self.distinct_low))

    def problem(self) -> str | None:
        """Why no data can satisfy this feature, or None when some can."""
        f = self.feature
        wants_rows = self.presence.min_fraction > 0 or self.presence.min_count > 0
        if self.size == 0 and not self.is_list and wants_rows:
            what = "null" if f.type is FeatureType.NULL else "an empty domain"
            return f"feature {f.name!r} has {what} but requires presence; no value can satisfy it"
        if self.distinct_low > self.size:
            return (
                f"feature {f.name!r} requires at least {self.distinct_low} distinct values but "
                f"its domain holds {int(self.size)}"
            )
        if self.distinct_low > 0 and self.length_high == 0:
            return f"feature {f.name!r} requires distinct values but its lists must be empty"
        if (
            self.distinct_high is not None
            and self.distinct_high == 0
            and wants_rows
            and (self.length_low > 0)
        ):
            return f"feature {f.name!r} requires values but allows no distinct value"
        vc = f.value_count
        if vc is not None and vc.min is not None and vc.max is not None and vc.min > vc.max:
            return f"feature {f.name!r} has value_count min > max"
        if self.size == 0 and self.length_low > 0 and wants_rows:
            return f"feature {f.name!r} requires values in its lists but its domain is empty"
        sl = f.string_length
        if sl is not None and sl.min is not None and sl.max is not None and sl.min > sl.max:
            return f"feature {f.name!r} has string_length min > max"
        if not isinstance(f.domain, StringDomain) and f.type is FeatureType.STRING:
            why = pattern_problem(f)
            if why is not None:
                return f"feature {f.name!r}: {why}"
        if isinstance(f.domain, StringDomain) and f.type not in (
            FeatureType.STRING,
            FeatureType.BYTES,
        ):
            return f"feature {f.name!r}: a string domain on a {f.type} feature"
        return None


@st.composite
def _mask(draw: st.DrawFn, num_rows: int, floor: int, exact: int | None) -> list[bool]:
    if exact is not None:
        return [i < exact for i in range(num_rows)]
    mask = draw(st.lists(st.booleans(), min_size=num_rows, max_size=num_rows))
    missing = floor - sum(mask)
    # Top the mask up from the first rows: the result shrinks to "the first rows present".
    for i in range(num_rows):
        if missing <= 0:
            break
        if not mask[i]:
            mask[i] = True
            missing -= 1
    return mask


def _lengths(draw: st.DrawFn, plan: FeaturePlan, present: int, min_values: int) -> list[int]:
    if not plan.is_list:
        return [1] * present
    if present == 0:
        return []
    cap = plan.length_high if plan.length_high is not None else plan.length_low + LIST_SLACK
    lengths = draw(st.lists(st.integers(plan.length_low, cap), min_size=present, max_size=present))
    deficit = min_values - sum(lengths)
    for i in range(present):
        if deficit <= 0:
            break
        room = deficit if plan.length_high is None else min(deficit, plan.length_high - lengths[i])
        lengths[i] += room
        deficit -= room
    return lengths


def _stream(
    draw: st.DrawFn, plan: FeaturePlan, num_values: int, distinct: tuple[int, int | None] | None
) -> list[Any]:
    if distinct is None:
        return draw(st.lists(plan.values, min_size=num_values, max_size=num_values))
    low, high = distinct
    low = max(low, 1 if num_values else 0)
    cap = min(num_values, plan.size)
    high_n = int(cap if high is None else min(high, cap))
    if low > high_n:
        raise AssertionError(f"plan of {plan.feature.name!r} cannot hold {low} distinct values")
    d = draw(st.integers(low, high_n))
    pool = draw(st.lists(plan.values, min_size=d, max_size=d, unique_by=_identity))
    picks = (
        draw(st.lists(st.integers(0, d - 1), min_size=num_values - d, max_size=num_values - d))
        if d
        else []
    )
    return pool + [pool[i] for i in picks]


def _identity(value: Any) -> Any:
    # repr tells NaN from NaN-free values and 0.0 from -0.0, as value counts do.
    return repr(value)


def draw_column(
    draw: st.DrawFn,
    plan: FeaturePlan,
    num_rows: int,
    *,
    floor: int,
    exact: int | None = None,
    distinct: tuple[int, int | None] | None = None,
    unique: bool = False,
) -> list[Any]:
    """One column of ``num_rows`` Python values (None where missing) that meets ``plan``.

    Args:
        draw: hypothesis' draw function.
        plan: the feature's plan.
        num_rows: rows in the table.
        floor: at least this many rows hold a value.
        exact: exactly this many rows hold a value (the first ones), overriding ``floor``.
        distinct: the distinct-count bounds to meet, or None for any count.
        unique: every present value differs (the drawn part of a unique key).
    """
    # No value fits and a present row needs one: every row is missing (plans that need
    # present rows here are refused by FeaturePlan.problem).
    no_rows = plan.size == 0 and (not plan.is_list or plan.length_low > 0)
    mask = [False] * num_rows if no_rows else draw(_mask(num_rows, floor, exact))
    present = sum(mask)
    min_values = 0 if distinct is None else distinct[0]
    lengths = _lengths(draw, plan, present, min_values)
    total = sum(lengths)
    stream = (
        draw(st.lists(plan.values, min_size=total, max_size=total, unique_by=_identity))
        if unique
        else _stream(draw, plan, total, distinct)
    )
    column: list[Any] = []
    it = iter(stream)
    rows = iter(lengths)
    for present_row in mask:
        if not present_row:
            column.append(None)
        elif plan.is_list:
            column.append([next(it) for _ in range(next(rows))])
        else:
            column.append(next(it))
    return column
