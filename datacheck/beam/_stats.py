"""GenerateStatistics and ProfileCombineFn: the core profile generator as one Beam CombineFn.

The CombineFn only forwards to :class:`datacheck.stats.ProfileGenerator`, so the pipeline and
:func:`datacheck.generate_statistics` compute the same thing. Slicing is done with keys: every
batch goes to the whole-dataset key and each of its slices to that slice's key, and one
``CombinePerKey`` profiles them all. Combiner lifting then adds batches into accumulators
where they are read, and only accumulators (sketches, bounded in size) cross the shuffle:
never a value, never a row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import apache_beam as beam
import pyarrow as pa

from datacheck.errors import InputError, OptionError
from datacheck.stats import DatasetProfile, ProfileGenerator, StatsOptions
from datacheck.stats._generate import ProfileAccumulator, split_slices

__all__ = ["GenerateStatistics", "ProfileCombineFn"]

#: the key of the whole dataset; a slice key is never empty (it always names its columns)
_WHOLE = ""


class ProfileCombineFn(beam.CombineFn):  # type: ignore[misc]  # Beam ships no type hints
    """:class:`datacheck.stats.ProfileGenerator` as a ``beam.CombineFn`` over record batches.

    Every method forwards to the generator; the only addition is a thread pool over columns
    per worker (created in :meth:`setup`, never pickled), as ``generate_statistics`` uses.

    Example::

        profile = batches | "Profile" >> beam.CombineGlobally(ProfileCombineFn(StatsOptions()))

    Args:
        options: What to compute; with ``slice_by`` the generator slices inside its
            accumulator (:class:`GenerateStatistics` slices with keys instead).
    """

    def __init__(self, options: StatsOptions | None = None) -> None:
        super().__init__()
        self._generator = ProfileGenerator(options)
        self._pool: ThreadPoolExecutor | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"generator": self._generator}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._generator = state["generator"]
        self._pool = None

    def setup(self) -> None:
        threads = self._generator.options.threads or os.cpu_count() or 1
        if threads > 1 and self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=threads)
            self._generator.pool = self._pool

    def teardown(self) -> None:
        if self._pool is not None:
            self._generator.pool = None
            self._pool.shutdown()
            self._pool = None

    def create_accumulator(self) -> ProfileAccumulator:
        return self._generator.create_accumulator()

    def add_input(
        self, accumulator: ProfileAccumulator, batch: pa.RecordBatch
    ) -> ProfileAccumulator:
        return self._generator.add_input(accumulator, batch)

    def merge_accumulators(
        self, accumulators: Iterable[ProfileAccumulator]
    ) -> ProfileAccumulator:
        return self._generator.merge_accumulators(accumulators)

    def compact(self, accumulator: ProfileAccumulator) -> ProfileAccumulator:
        return self._generator.compact(accumulator)

    def extract_output(self, accumulator: ProfileAccumulator) -> DatasetProfile:
        return self._generator.extract_output(accumulator)


def _too_many_slices(options: StatsOptions) -> OptionError:
    return OptionError(
        f"--slice-by {','.join(options.slice_by)}: more than {options.max_slices} slices; "
        "slice by columns with fewer distinct values, or raise max_slices"
    )


class _KeyBySlice(beam.DoFn):  # type: ignore[misc]  # Beam ships no type hints
    """The batch under the whole-dataset key, and each of its slices under the slice's key.

    Each worker stops as soon as it sees more than ``max_slices`` slice keys, as the in-memory
    generator does, so a slice column with a value per row fails early rather than making
    one accumulator per row.
    """

    def __init__(self, options: StatsOptions) -> None:
        super().__init__()
        self._generator = ProfileGenerator(options)
        self._seen: set[str] = set()

    def process(self, batch: pa.RecordBatch) -> Iterator[tuple[str, pa.RecordBatch]]:
        generator = self._generator
        generator.check_columns(batch)
        yield _WHOLE, batch
        options = generator.options
        if not options.slice_by or not batch.num_rows:
            return
        for key, rows in split_slices(batch, options.slice_by):
            if key not in self._seen:
                if len(self._seen) >= options.max_slices:
                    raise _too_many_slices(options)
                self._seen.add(key)
            yield key, rows


def _assemble(
    profiles: list[tuple[str, DatasetProfile]], options: StatsOptions
) -> DatasetProfile:
    """One profile with its slices, as ``generate_statistics`` returns it."""
    by_key = dict(profiles)
    whole = by_key.pop(_WHOLE, None)
    if whole is None or whole.num_rows == 0:
        raise InputError("the pipeline's input holds no rows; profile a dataset with data")
    if len(by_key) > options.max_slices:
        raise _too_many_slices(options)
    slices = {key: replace(by_key[key], options=options) for key in sorted(by_key)}
    return replace(whole, options=options, slices=slices)


class GenerateStatistics(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Profile a ``PCollection`` of record batches into one :class:`DatasetProfile`.

    The result equals :func:`datacheck.generate_statistics` on the same rows: exact counts are
    equal, sketch-based fields (quantiles, histograms, distinct counts, top values) agree
    within the sketches' error bounds. With ``options.slice_by`` the profile holds one profile
    per slice, each combined under its own key, so slices spread over workers.

    Example::

        with beam.Pipeline() as p:
            _ = (
                p
                | "Read" >> ReadBatches("data/*.parquet")
                | "Stats" >> GenerateStatistics(StatsOptions(slice_by=("country",)))
                | "Write" >> WriteProfile("profile.json")
            )

    Args:
        options: What to compute; defaults to ``StatsOptions()``.

    Raises:
        InputError: In the running pipeline, when the input holds no rows.
        OptionError: In the running pipeline, when the weight or a slice column is missing,
            or there are more than ``options.max_slices`` slices.
    """

    def __init__(self, options: StatsOptions | None = None) -> None:
        super().__init__()
        self._options = options or StatsOptions()

    def expand(self, batches: Any) -> Any:
        options = self._options
        per_key = ProfileCombineFn(replace(options, slice_by=()))
        return (
            batches
            | "KeyBySlice" >> beam.ParDo(_KeyBySlice(options))
            | "ProfilePerSlice" >> beam.CombinePerKey(per_key)
            | "CollectSlices" >> beam.combiners.ToList()
            | "Assemble" >> beam.Map(_assemble, options)
        )
