"""violating() for patterns and unique keys.

A pattern is broken by one value that does not match it but keeps the feature's string length
(a few candidates are tried against Arrow's RE2, as validation runs it); a feature with a
string domain is left out (an outside value would leave the domain too). A unique key is
broken by copying one row's key values into a later row: the later row is the duplicate,
quarantined as ``DUPLICATE_KEY``; the key's features are present in every row (a missing part
is never compared), and a key whose features carry distinct-count bounds, or that contains
another key, is left out (the copy would break those too).
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import assume
from hypothesis import strategies as st

from datacheck._regex import key_name
from datacheck._types import FeatureType
from datacheck.schema import Presence, StringDomain
from datacheck.testing._patterns import matches
from datacheck.testing._plan import FeaturePlan
from datacheck.testing._violating import C, Violation, _Builder, _Kind, _violation

__all__ = ["pattern_key_kinds"]

_CANDIDATES = ("", "~", "\x00", "~~~~~~~~", " ", "a", "0", "A a", "~" * 64)


def _mismatch(plan: FeaturePlan) -> str | None:
    """A value that does not match the feature's pattern and keeps its string length."""
    f = plan.feature
    assert f.pattern is not None
    sl = f.string_length
    low = 0 if sl is None or sl.min is None else sl.min
    high = None if sl is None else sl.max
    tries = [*_CANDIDATES, "~" * low, "~" * max(low, 1)]
    for text in tries:
        fits = len(text) >= low and (high is None or len(text) <= high)
        if fits and not matches(f.pattern.regex, text):
            return text
    return None


def _pattern_kind(b: _Builder, plan: FeaturePlan) -> _Kind | None:
    f = plan.feature
    if (
        f.pattern is None
        or f.type is not FeatureType.STRING
        or isinstance(f.domain, StringDomain)
        or f.unique is not None
        or plan.is_list
    ):
        return None
    bad = _mismatch(plan)
    if bad is None:
        return None
    share = f.pattern.max_mismatch_fraction
    what = f"{f.name} value {bad!r} does not match its pattern {f.pattern.regex!r}"

    def draw_it(draw: st.DrawFn) -> Violation:
        one = b.at_least_one_value(plan)
        n = draw(st.integers(max(b.needed(), one.rows_needed()), max(b.high(), b.needed())))
        drawn = b.table(draw, n, overrides={f.name: one})
        column = drawn.columns[f.name]
        present = [i for i, v in enumerate(column) if v is not None]
        # Enough rows broken that the share is over the allowed one (every one when needed).
        need = int(share * len(present)) + 1
        rows = sorted(draw(st.permutations(present))[: max(1, need)])
        for i in rows:
            column[i] = bad
        return _violation(
            drawn, C.STRING_PATTERN_MISMATCH, f.name, C.STRING_PATTERN_MISMATCH, rows, what
        )

    return _Kind(description=what, draw=draw_it)


def _key_kind(b: _Builder, key: tuple[str, ...]) -> _Kind | None:
    plans = [b.plans.get(name) for name in key]
    if any(p is None or not p.checked or p.feature.unique is not None for p in plans):
        return None
    others = [k for k in b.s.schema.unique_keys if k != key]
    if any(set(k) <= set(key) for k in others):
        return None
    name = key_name(key)
    what = f"a later row repeats an earlier row's key ({name})"

    def draw_it(draw: st.DrawFn) -> Violation:
        overrides = {
            p.feature.name: replace(
                p, feature=replace(p.feature, presence=Presence(min_fraction=1.0))
            )
            for p in plans
            if p is not None
        }
        n = draw(st.integers(max(b.needed(), 2), max(b.high(), b.needed(), 2)))
        drawn = b.table(draw, n, overrides=overrides)
        first = draw(st.integers(0, n - 2))
        later = draw(st.integers(first + 1, n - 1))
        for part in key:
            drawn.columns[part][later] = drawn.columns[part][first]
        # The copy must not repeat another key too (it may, when their parts overlap).
        for other in others:
            if all(o in drawn.columns for o in other):
                seen = set()
                for i in range(n):
                    values = tuple(repr(drawn.columns[o][i]) for o in other)
                    if any(drawn.columns[o][i] is None for o in other):
                        continue
                    assume(values not in seen)
                    seen.add(values)
        return _violation(drawn, C.DUPLICATE_KEY, name, C.DUPLICATE_KEY, [later], what)

    return _Kind(description=what, draw=draw_it)


def pattern_key_kinds(b: _Builder) -> list[_Kind]:
    """The pattern and unique-key violations the schema allows."""
    kinds = [k for plan in b.checked if (k := _pattern_kind(b, plan)) is not None]
    kinds += [k for key in b.s.schema.unique_keys if (k := _key_kind(b, key)) is not None]
    return kinds
