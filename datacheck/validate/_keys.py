"""Unique keys: exact duplicate detection over a stream of batches, in bounded memory.

A key is a tuple of features (the schema's ``unique_keys``). Each row's key is hashed to 128
bits, two 64-bit words computed with numpy over whole columns (no Python loop per row):
integers, booleans, dates and times by their 64-bit value put through two different bijective
mixers (splitmix64's finalizer), so that a one-column integer key cannot collide at all;
strings and bytes by two polynomial hashes of their bytes modulo 2**64 (prefix sums over the
data buffer), mixed with the length. Floats that hold an integer hash as that integer, so a
column read as int64 in one file and float64 in another gives the same keys. A new key is
taken for a duplicate only when both its words were seen (see :class:`KeyTracker`): about
``n**3 / 2**128`` over n keys (3e-12 at a billion); strings crafted to collide (Thue-Morse
sequences defeat any polynomial hash modulo 2**64) could, so this is a data check, not a
security boundary.

The hashes seen so far take **16 bytes per distinct key** (two ``uint64`` words, kept in
sorted runs, see :class:`KeyTracker`) plus a filter of 2 to 4 bytes per key (a bitmap that
answers most lookups of new keys with one read), and while runs merge, a copy of the runs
being merged. A tracker that would hold more than its ``max_keys`` stops: it frees its memory
and says, for that batch and every later one, that the key was not checked (never silently).

A row with a missing key part is not compared, as in SQL (``NULL`` is not equal to ``NULL``
in a ``UNIQUE`` constraint): it passes the key check. A NaN key part is a value, equal to
other NaNs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from datacheck._columns import resolve_path
from datacheck._regex import key_name
from datacheck.schema import Schema
from datacheck.validate._codes import AnomalyCode
from datacheck.validate._rows import (
    REASONS_COLUMN,
    REASONS_TYPE,
    SOURCE_COLUMNS,
    CheckedBatch,
)
from datacheck.validate._rows import _with_source as with_source

__all__ = ["DEFAULT_MAX_KEYS", "KeyChecks", "KeyTracker", "key_hashes", "with_duplicates"]

#: distinct keys a tracker holds by default: 160 MB of hashes (16 bytes each) and a filter
DEFAULT_MAX_KEYS = 10_000_000

_U = np.uint64
_Words = npt.NDArray[np.uint64]
# Multipliers of splitmix64's finalizer and of the polynomial string hashes (odd, so
# invertible modulo 2**64).
_M1, _M2 = _U(0xBF58476D1CE4E5B9), _U(0x94D049BB133111EB)
_P1, _P2 = 0x100000001B3, 0x9E3779B97F4A7C15
# Per-kind seeds: an int 5 and a string "5" in one key position do not hash alike.
_INT_SEED, _FLOAT_SEED, _TEXT_SEED = _U(0x1F), _U(0x2F), _U(0x3F)


def _mix(x: _Words) -> _Words:
    """splitmix64's finalizer: a bijection of uint64 that spreads every input bit."""
    x = x ^ (x >> _U(30))
    x = x * _M1
    x = x ^ (x >> _U(27))
    x = x * _M2
    return x ^ (x >> _U(31))


def _two(words: _Words, seed: np.uint64) -> tuple[_Words, _Words]:
    """Two independent hashes of 64-bit words: each a bijection, so distinct words stay distinct."""
    return _mix(words ^ seed), _mix((words + seed) * _M2 ^ _U(0x5555555555555555))


def _powers(base: int, n: int) -> tuple[_Words, _Words]:
    """``base**j`` and ``base**-j`` modulo 2**64 for j in 0..n."""
    inverse = pow(base, -1, 2**64)
    up = np.full(n + 1, base, dtype=np.uint64)
    down = np.full(n + 1, inverse, dtype=np.uint64)
    up[0] = down[0] = 1
    return np.cumprod(up, dtype=np.uint64), np.cumprod(down, dtype=np.uint64)


def _text_hashes(values: pa.Array) -> tuple[_Words, _Words]:
    """Two polynomial hashes of each value's bytes, ``sum((byte + 1) * P**i)`` modulo 2**64,
    from prefix sums over the data buffer: ``(S[end] - S[start]) * P**-start``."""
    if not pa.types.is_large_binary(values.type):
        values = pc.cast(values, pa.large_binary())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[
        values.offset : values.offset + len(values) + 1
    ]
    data_buffer = values.buffers()[2]
    first, last = int(offsets[0]), int(offsets[-1])
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)[first:last]
        if data_buffer is not None
        else np.empty(0, np.uint8)
    )
    start, end = offsets[:-1] - first, offsets[1:] - first
    length = (end - start).astype(np.uint64)
    out = []
    for base in (_P1, _P2):
        up, down = _powers(base, data.size)
        prefix = np.zeros(data.size + 1, dtype=np.uint64)
        np.cumsum((data.astype(np.uint64) + _U(1)) * up[:-1], out=prefix[1:])
        out.append(
            _mix(((prefix[end] - prefix[start]) * down[start]) ^ (length * _M1) ^ _TEXT_SEED)
        )
    return out[0], out[1]


def _words(values: pa.Array) -> tuple[_Words, _Words]:
    """Two 64-bit hashes of each value of one key column (nulls hash to anything)."""
    t = values.type
    if pa.types.is_dictionary(t):
        return _words(values.dictionary_decode())
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
        return _text_hashes(values)
    if pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return _text_hashes(values)
    if pa.types.is_decimal(t):
        values = pc.cast(values, pa.float64())
        t = values.type
    if pa.types.is_floating(t):
        floats = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            integral = np.isfinite(floats) & (np.floor(floats) == floats) & (np.abs(floats) < 2**63)
        whole = np.where(integral, floats, 0).astype(np.int64).view(np.uint64)
        # -0.0 is 0.0, and every NaN the same NaN.
        canonical = np.where(np.isnan(floats), np.nan, floats + 0.0).view(np.uint64)
        h1i, h2i = _two(whole, _INT_SEED)
        h1f, h2f = _two(canonical, _FLOAT_SEED)
        return np.where(integral, h1i, h1f), np.where(integral, h2i, h2f)
    if pa.types.is_boolean(t):
        values = pc.cast(values, pa.int8())
    elif pa.types.is_date(t):
        values = pc.cast(values, pa.date32())
    elif pa.types.is_timestamp(t):
        values = pc.cast(values, pa.timestamp("us", t.tz), safe=False)
    elif pa.types.is_duration(t):
        values = pc.cast(values, pa.duration("us"), safe=False)
    elif not pa.types.is_integer(t) and not pa.types.is_time(t):
        # Any other type (a struct leaf of an odd kind): compared by its text.
        return _text_hashes(pc.cast(values, pa.string()))
    if not pa.types.is_integer(values.type):
        # Dates and times: their integer count of units, read in place.
        values = values.view(pa.int32() if values.type.bit_width == 32 else pa.int64())
    ints = pc.fill_null(pc.cast(values, pa.int64(), safe=False), 0)
    return _two(ints.to_numpy().view(np.uint64), _INT_SEED)


def key_hashes(
    batch: pa.RecordBatch | pa.Table, key: tuple[str, ...]
) -> tuple[_Words, _Words, npt.NDArray[np.bool_]]:
    """The two 64-bit hashes of each row's key, and whether the row has every key part.

    A key feature missing from the batch makes every row's key incomplete (not compared).
    """
    n = batch.num_rows
    h1 = np.zeros(n, dtype=np.uint64)
    h2 = np.zeros(n, dtype=np.uint64)
    complete = np.ones(n, dtype=np.bool_)
    for name in key:
        column = resolve_path(batch, name)
        if column is None:
            return h1, h2, np.zeros(n, dtype=np.bool_)
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        if column.null_count:
            complete &= pc.is_valid(column).to_numpy(zero_copy_only=False)
        w1, w2 = _words(column)
        if len(key) == 1:
            # One part: its words are already mixed hashes.
            return w1, w2, complete
        h1 = _mix(h1 * _U(_P1) + w1)
        h2 = _mix(h2 * _U(_P2) + w2 + _U(1))
    return h1, h2, complete


#: filter bits per key held: one key in 16 not seen passes the filter to the binary search
_BITS_PER_KEY = 16


class _Filter:
    """A bitmap of the first words' top bits (a one-hash Bloom filter): most keys not seen
    before are told apart by one read, and only the others (about 6%, with 16 bits a key) are
    looked up in the sorted runs, whose binary search misses the cache at every step (one read
    is 40x faster than ``np.searchsorted`` into a million words)."""

    def __init__(self, keys: int) -> None:
        self.bits = max(20, (max(1, keys) * _BITS_PER_KEY - 1).bit_length())
        self.map = np.zeros(1 << (self.bits - 3), dtype=np.uint8)

    def _where(self, a: _Words) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint8]]:
        slot = (a >> _U(64 - self.bits)).astype(np.intp)
        return slot >> 3, (1 << (slot & 7)).astype(np.uint8)

    def add(self, a: _Words) -> None:
        """Set the bits of the sorted words ``a``."""
        if not a.size:
            return
        byte, bit = self._where(a)
        # Sorted words give sorted bytes: OR the bits of each byte's run, then set each once.
        starts = np.flatnonzero(np.concatenate([[True], byte[1:] != byte[:-1]]))
        self.map[byte[starts]] |= np.bitwise_or.reduceat(bit, starts)

    def may_hold(self, a: _Words) -> npt.NDArray[np.bool_]:
        byte, bit = self._where(a)
        held: npt.NDArray[np.bool_] = (self.map[byte] & bit) != 0
        return held

    @property
    def nbytes(self) -> int:
        return int(self.map.nbytes)


def _member(runs: list[_Words], q: _Words) -> npt.NDArray[np.bool_]:
    """Whether each word of ``q`` (sorted) is in one of the sorted ``runs``."""
    found = np.zeros(q.size, dtype=np.bool_)
    for run in runs:
        if not run.size:
            continue
        at = np.searchsorted(run, q)  # sorted queries: each search starts where the last ended
        found |= run[np.minimum(at, run.size - 1)] == q
    return found


class KeyTracker:
    """The keys seen so far in a stream of batches, for one unique key (not thread-safe:
    batches are fed in input order on one thread).

    The two 64-bit words of the keys' hashes are kept apart, each in sorted runs of plain
    ``uint64`` arrays: runs merge with a timsort (no permutation to carry), and a key's
    second word is looked up only when its first one was seen; the second words are sorted
    only then (data without duplicates never sorts them). A key is taken for a duplicate
    when both its words were seen, not necessarily in the same key: for a key not seen before
    that takes two 64-bit coincidences, about n**2 / 2**128 for each key checked (n**3 / 2**128
    in all: 3e-12 at a billion keys).
    """

    def __init__(self, key: tuple[str, ...], max_keys: int) -> None:
        #: the key's features
        self.key = key
        #: the most distinct keys held before the tracker gives up
        self.max_keys = max_keys
        self._first: list[_Words] = []
        self._second: list[_Words] = []
        #: second words not sorted into ``_second`` yet
        self._pending: list[_Words] = []
        self._filter = _Filter(0)
        #: distinct keys held
        self.size = 0
        #: the tracker passed ``max_keys`` and checks no more
        self.full = False

    @property
    def nbytes(self) -> int:
        """The memory the held keys take (16 bytes each, and the filter's 2 to 4 a key)."""
        words = sum(int(run.nbytes) for run in (*self._first, *self._second, *self._pending))
        return words + self._filter.nbytes

    def duplicates(self, batch: pa.RecordBatch | pa.Table) -> npt.NDArray[np.int64] | None:
        """The rows of ``batch`` whose key an earlier row (of this batch or an earlier one)
        has, ascending; None when the key is not checked (the tracker is full). The batch
        whose keys pass ``max_keys`` is checked up to its first key that does not fit, and
        the tracker is :attr:`full` after it."""
        if self.full:
            return None
        h1, h2, complete = key_hashes(batch, self.key)
        if complete.all():
            rows, a, b = np.arange(h1.size), h1, h2
        else:
            rows = np.flatnonzero(complete)
            a, b = h1[rows], h2[rows]
        ordered = np.sort(a)
        # Repeats within the batch need equal first words, which a sort shows (rarely there).
        repeated = (
            _repeated_rows(a, b)
            if np.any(ordered[1:] == ordered[:-1])
            else np.zeros(a.size, dtype=np.bool_)
        )
        # Then the keys of earlier batches: the filter clears most, the runs tell the rest.
        maybe = np.flatnonzero(self._filter.may_hold(a) & ~repeated)
        if maybe.size:
            maybe = maybe[np.argsort(a[maybe], kind="stable")]
            maybe = maybe[_member(self._first, a[maybe])]
        if maybe.size:
            repeated[maybe] = self._second_held(b[maybe])
        new = ~repeated
        added = int(new.sum())
        if self.size + added > self.max_keys:
            # The rows before the first key that does not fit are checked; then it stops.
            cut = rows[np.flatnonzero(new)[self.max_keys - self.size]]
            self.full = True
            self._first, self._second, self._pending = [], [], []  # the memory goes back
            self._filter = _Filter(0)
            found: npt.NDArray[np.int64] = rows[repeated]
            kept: npt.NDArray[np.int64] = found[found < cut]
            return kept
        if added:
            words = ordered if added == a.size else np.sort(a[new])
            self._first.append(words)
            self._pending.append(b[new])
            self.size += added
            _compact(self._first)
            if self.size * _BITS_PER_KEY > 1 << self._filter.bits:
                # Twice the bits, set again from the runs: at most one in 16 wrong.
                self._filter = _Filter(2 * self.size)
                for run in self._first:
                    self._filter.add(run)
            else:
                self._filter.add(words)
        return rows[repeated]

    def _second_held(self, b: _Words) -> npt.NDArray[np.bool_]:
        """Whether each second word was seen; the pending ones are sorted into runs first."""
        for words in self._pending:
            self._second.append(np.sort(words))
            _compact(self._second)
        self._pending = []
        by_word = np.argsort(b)
        held = np.empty(b.size, dtype=np.bool_)
        held[by_word] = _member(self._second, b[by_word])
        return held


def _repeated_rows(a: _Words, b: _Words) -> npt.NDArray[np.bool_]:
    """Whether each row's (a, b) is an earlier row's, in row order."""
    order = _stable_order(a)
    repeated = np.empty(a.size, dtype=np.bool_)
    repeated[order] = _repeated_in_batch(a[order], b[order])
    return repeated


#: runs of about one size merged at once
_FAN_IN = 4


def _compact(runs: list[_Words]) -> None:
    """Merge the last :data:`_FAN_IN` runs into one when they are of about one size (the
    first under twice the last's): runs grow fourfold per level, so a key is merged about
    log4(keys / batch rows) times, and there are at most 3 runs a level to search (few keys
    get past the filter to search them)."""
    while len(runs) >= _FAN_IN and runs[-_FAN_IN].size < 2 * runs[-1].size:
        merged = np.concatenate(runs[-_FAN_IN:])
        merged.sort(kind="stable")  # timsort: sorted runs merge in about linear time
        runs[-_FAN_IN:] = [merged]


#: rows a batch is sorted in at once by :func:`_stable_order`'s packed keys (20 bits of index)
_INDEX_BITS = 20


def _stable_order(a: _Words) -> npt.NDArray[np.intp]:
    """A stable argsort of ``a`` (a key's rows stay in input order).

    ``np.argsort(kind="stable")`` on uint64 is a timsort through an index, 15x slower than
    ``np.sort``; so the index is packed into the low bits of each hash and the packed words
    sorted directly: the order is by the hash's top 44 bits, then by row. Hashes that share
    their top 44 bits but not the rest (about n**2 / 2**45 pairs: one in 8,000 batches of
    65,536 rows) leave the result unsorted, which is checked, and then the slow sort is used.
    """
    if a.size >= 1 << _INDEX_BITS:
        return np.argsort(a, kind="stable")
    mask = _U((1 << _INDEX_BITS) - 1)
    packed = (a & ~mask) | np.arange(a.size, dtype=np.uint64)
    packed.sort()
    order = (packed & mask).astype(np.intp)
    ordered = a[order]
    if ordered.size > 1 and not np.all(ordered[1:] >= ordered[:-1]):
        return np.argsort(a, kind="stable")
    return order


def _repeated_in_batch(sa: _Words, sb: _Words) -> npt.NDArray[np.bool_]:
    """Whether each entry (sorted by ``sa``, ties in input order) repeats an earlier one."""
    out = np.zeros(sa.size, dtype=np.bool_)
    if sa.size < 2:
        return out
    same_a = sa[1:] == sa[:-1]
    same = same_a & (sb[1:] == sb[:-1])
    if not np.any(same_a & ~same):
        out[1:] = same
        return out
    # Equal first words with different second ones (a 64-bit collision): compare each group's
    # members by both words.
    group_start = 0
    found: set[int] = set()
    for i in range(1, sa.size):
        if sa[i] != sa[i - 1]:
            group_start, found = i, set()
            continue
        if not found:
            found.add(int(sb[group_start]))
        word = int(sb[i])
        out[i] = word in found
        found.add(word)
    return out


class KeyChecks:
    """The schema's unique keys checked over a stream of checked batches, in input order."""

    def __init__(self, schema: Schema, environment: str | None, max_keys: int) -> None:
        active = {f.name for f in schema.features_in(environment)}
        #: one tracker per key whose features are all checked in ``environment``
        self.trackers = [
            KeyTracker(key, max_keys)
            for key in schema.unique_keys
            if all(name in active for name in key)
        ]

    def apply(self, checked: CheckedBatch) -> CheckedBatch:
        """``checked`` with its rows that repeat a key quarantined (``DUPLICATE_KEY``, the
        key's features as the reason's feature), and the keys it could not check named."""
        unchecked = []
        for tracker in self.trackers:
            rows = tracker.duplicates(checked.batch)
            if rows is None or tracker.full:
                unchecked.append(key_name(tracker.key))
            if rows is not None and rows.size:
                checked = _with_failures(
                    checked, rows, AnomalyCode.DUPLICATE_KEY, key_name(tracker.key)
                )
        return replace(checked, unchecked_keys=tuple(unchecked)) if unchecked else checked


def _with_failures(
    checked: CheckedBatch, rows: npt.NDArray[np.int64], code: AnomalyCode, feature: str
) -> CheckedBatch:
    """``checked`` with ``rows`` (ascending) failing one more check: each gains a reason
    after its others, and those not yet quarantined join the quarantine."""
    before = checked.quarantined_rows
    every = np.union1d(before, rows)
    old = checked.quarantined.column(REASONS_COLUMN)
    old_entries = pc.list_flatten(old)
    owners = before[pc.list_parent_indices(old).to_numpy()] if len(old_entries) else rows[:0]
    new_entries = pa.StructArray.from_arrays(
        [
            pa.array([str(code)] * rows.size, pa.string()),
            pa.array([feature] * rows.size, pa.string()),
        ],
        fields=list(REASONS_TYPE.value_type),
    )
    entries = pa.concat_arrays([old_entries.cast(REASONS_TYPE.value_type), new_entries])
    entry_rows = np.concatenate([owners, rows])
    order = np.argsort(entry_rows, kind="stable")  # stable: a row's earlier reasons first
    position = np.searchsorted(every, entry_rows[order])
    offsets = np.zeros(every.size + 1, dtype=np.int32)
    np.cumsum(np.bincount(position, minlength=every.size), out=offsets[1:])
    reasons = pa.ListArray.from_arrays(
        pa.array(offsets), entries.take(pa.array(order)), type=REASONS_TYPE
    )
    quarantined = checked.batch.take(pa.array(every)).append_column(
        pa.field(REASONS_COLUMN, REASONS_TYPE), reasons
    )
    return replace(checked, quarantined=quarantined, quarantined_rows=every.astype(np.int64))


def with_duplicates(
    checked: CheckedBatch, duplicates: Sequence[tuple[tuple[str, ...], npt.NDArray[np.int64]]]
) -> CheckedBatch:
    """``checked`` (as :func:`validate_batches` gave it, source columns included) with the
    rows of each ``(key, rows)`` quarantined as ``DUPLICATE_KEY``, after their other reasons.

    For an engine that finds the duplicates itself (Beam's keyed combine): the rows are the
    batch's, ascending, and the batch carries its source tag (as ``ReadBatches`` gives it).
    """
    if not any(rows.size for _, rows in duplicates):
        return checked
    quarantined = checked.quarantined.drop_columns(
        [c for c in SOURCE_COLUMNS if c in checked.quarantined.schema.names]
    )
    checked = replace(checked, quarantined=quarantined)
    for key, rows in duplicates:
        if rows.size:
            checked = _with_failures(checked, rows, AnomalyCode.DUPLICATE_KEY, key_name(key))
    return with_source(checked, 0)
