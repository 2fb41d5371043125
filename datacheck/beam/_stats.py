"""Statistics generators on Beam: any generator as a CombineFn, and the core profile's stages.

:class:`GeneratorCombineFn` and :class:`RunGenerator` run any
:class:`~datacheck.stats.StatsGenerator` (a plugin's too). :class:`ProfileCombineFn` only
forwards to :class:`datacheck.stats.ProfileGenerator`, so the pipeline and
:func:`datacheck.generate_statistics` compute the same thing. Slicing is done with keys: every
batch goes to the whole-dataset key and each of its slices to that slice's key, and one
``CombinePerKey`` profiles them all. Combiner lifting then adds batches into accumulators
where they are read, and only accumulators (sketches, bounded in size) cross the shuffle:
never a value, never a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import apache_beam as beam
import pyarrow as pa

from datacheck._threads import start_pool, thread_count
from datacheck.stats import DatasetProfile, ProfileGenerator, StatsGenerator, StatsOptions

__all__ = ["GenerateStatistics", "GeneratorCombineFn", "ProfileCombineFn", "RunGenerator"]

#: the key of the whole dataset; a slice key is never empty (it always names its columns)
_WHOLE = ""


class GeneratorCombineFn(beam.CombineFn):  # type: ignore[misc]  # Beam ships no type hints
    """Any :class:`~datacheck.stats.StatsGenerator` as a ``beam.CombineFn`` over record batches.

    Every method forwards to the generator, which already has a CombineFn's shape, so a
    plugin's generator runs on Beam exactly as :func:`datacheck.stats.run_generator` runs it
    in memory. The generator is pickled to the workers.

    Example::

        counts = batches | "Count" >> beam.CombineGlobally(GeneratorCombineFn(MyGenerator()))

    Args:
        generator: The generator to run.
    """

    def __init__(self, generator: StatsGenerator[Any, Any]) -> None:
        super().__init__()
        self.generator = generator

    def create_accumulator(self) -> Any:
        return self.generator.create_accumulator()

    def add_input(self, accumulator: Any, batch: pa.RecordBatch) -> Any:
        return self.generator.add_input(accumulator, batch)

    def merge_accumulators(self, accumulators: Iterable[Any]) -> Any:
        return self.generator.merge_accumulators(list(accumulators))

    def compact(self, accumulator: Any) -> Any:
        return self.generator.compact(accumulator)

    def extract_output(self, accumulator: Any) -> Any:
        return self.generator.extract_output(accumulator)


class RunGenerator(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Run a statistics generator over a ``PCollection`` of record batches: one output.

    The Beam face of :func:`datacheck.stats.run_generator`; combiner lifting adds batches into
    accumulators where they are read, and only accumulators cross the shuffle.

    Example::

        with beam.Pipeline() as p:
            _ = p | ReadBatches("data/*.csv") | "Votes" >> RunGenerator(MyGenerator())

    Args:
        generator: Any :class:`~datacheck.stats.StatsGenerator`.
    """

    def __init__(self, generator: StatsGenerator[Any, Any]) -> None:
        super().__init__()
        self._generator = generator

    def expand(self, batches: Any) -> Any:
        return batches | "Combine" >> beam.CombineGlobally(GeneratorCombineFn(self._generator))


class ProfileCombineFn(GeneratorCombineFn):
    """:class:`datacheck.stats.ProfileGenerator` as a ``beam.CombineFn`` over record batches.

    A :class:`GeneratorCombineFn` plus a thread pool over columns per worker (created in
    :meth:`setup`, never pickled), as ``generate_statistics`` uses.

    Example::

        profile = batches | "Profile" >> beam.CombineGlobally(ProfileCombineFn(StatsOptions()))

    Args:
        options: What to compute; with ``slice_by`` the generator slices inside its
            accumulator (:class:`GenerateStatistics` slices with keys instead).
    """

    def __init__(self, options: StatsOptions | None = None) -> None:
        profiles = ProfileGenerator(options)
        super().__init__(profiles)
        self._profiles = profiles
        self._pool: ThreadPoolExecutor | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"generator": self._profiles}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._profiles = self.generator = state["generator"]
        self._pool = None

    def setup(self) -> None:
        threads = thread_count(self._profiles.options.threads)
        if threads > 1 and self._pool is None:
            self._pool = start_pool(threads)
            self._profiles.pool = self._pool

    def teardown(self) -> None:
        if self._pool is not None:
            self._profiles.pool = None
            self._pool.shutdown()
            self._pool = None

    def extract_output(self, accumulator: Any) -> Any:
        return _without_row_order(self._profiles.extract_output(accumulator))


def _without_row_order(profile: DatasetProfile) -> DatasetProfile:
    """The profile without the numeric features' row order: Beam merges accumulators in no
    order, so a merged row order would describe rows in an order they never had."""
    features = {
        path: f
        if f.numeric is None or f.numeric.row_order is None
        else replace(f, numeric=replace(f.numeric, row_order=None))
        for path, f in profile.features.items()
    }
    slices = {key: _without_row_order(s) for key, s in profile.slices.items()}
    return replace(profile, features=features, slices=slices)


class _KeyBySlice(beam.DoFn):  # type: ignore[misc]  # Beam ships no type hints
    """The batch under the whole-dataset key, and each of its slices under the slice's key.

    Each worker stops as soon as it sees more than ``max_slices`` slice keys, as the in-memory
    generator does (the same :meth:`~datacheck.stats.ProfileGenerator.split`), so a slice
    column with a value per row fails early rather than making one accumulator per row.
    """

    def __init__(self, options: StatsOptions) -> None:
        super().__init__()
        self._generator = ProfileGenerator(options)
        self._seen: set[str] = set()

    def process(self, batch: pa.RecordBatch) -> Iterator[tuple[str, pa.RecordBatch]]:
        self._generator.check_columns(batch)
        yield _WHOLE, batch
        for key, rows in self._generator.split(batch, self._seen):
            self._seen.add(key)
            yield key, rows


def _assemble(profiles: list[tuple[str, DatasetProfile]], options: StatsOptions) -> DatasetProfile:
    """One profile with its slices, as ``generate_statistics`` returns it (``num_rows`` 0, and
    no feature, when the input held no batch at all)."""
    by_key = dict(profiles)
    whole = by_key.pop(_WHOLE, None)
    if whole is None:
        generator = ProfileGenerator(options)
        whole = generator.extract_output(generator.create_accumulator())
    ProfileGenerator(options).check_slice_count(len(by_key))
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

    An input of zero rows gives a profile of ``num_rows`` 0, as in memory.

    Raises:
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
