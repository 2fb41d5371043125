"""Running any statistics generator over a source, and the one loader for "data or profile".

:func:`run_generator` is the plain loop over record batches that Beam's ``CombineGlobally``
performs on a cluster (``datacheck.beam.RunGenerator``), for any :class:`StatsGenerator`:
the core's own and a plugin's. :func:`as_profile` is what every caller that accepts "data or
its profile" calls, so the command, the service and Python code agree on what a ``.json`` is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeGuard, TypeVar

from datacheck.stats._generate import generate_statistics, iter_batches
from datacheck.stats._options import StatsOptions
from datacheck.stats._profile import DatasetProfile
from datacheck.stats._protocol import StatsGenerator
from datacheck.stats._serde import load_profile

__all__ = ["as_profile", "is_profile_path", "run_generator"]

A = TypeVar("A")
Out = TypeVar("Out")


def run_generator(
    generator: StatsGenerator[A, Out], source: object, *, batch_size: int = 65_536
) -> Out:
    """Run ``generator`` over every record batch of ``source`` and return its output.

    Args:
        generator: Any statistics generator (create, add, extract; see :class:`StatsGenerator`).
        source: Anything :func:`datacheck.io.read_batches` reads, or record batches.
        batch_size: The most rows handed to one ``add_input``.
    """
    accumulator = generator.create_accumulator()
    for batch in iter_batches(source, batch_size):
        accumulator = generator.add_input(accumulator, batch)
    return generator.extract_output(accumulator)


def is_profile_path(source: object) -> TypeGuard[str | os.PathLike[str]]:
    """Whether ``source`` names a profile document: a path ending in ``.json`` (any case).

    Data files are ``.csv``, ``.parquet`` or ``.jsonl``; a ``.json`` is always a profile, so
    a misspelt profile path is reported as a missing profile, not read as data.
    """
    return isinstance(source, str | os.PathLike) and Path(source).suffix.lower() == ".json"


def as_profile(
    source: object,
    options: StatsOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    generate: Callable[[object, StatsOptions | None], DatasetProfile] | None = None,
) -> DatasetProfile:
    """The profile of ``source``: a profile is itself, a ``.json`` path is read, data profiled.

    Args:
        source: A :class:`DatasetProfile`, the path of a profile document (``.json``), or data
            (anything :func:`generate_statistics` reads).
        options: What to compute when ``source`` is data.
        progress: Called with each batch's row count while data is profiled in memory.
        generate: Profiles data instead of :func:`generate_statistics` (for instance on Beam);
            called as ``generate(source, options)``.

    Raises:
        InputNotFoundError: A profile path or data path that does not exist.
        ProfileFormatError: The profile document is invalid.
        InputError: The data cannot be read.
    """
    if isinstance(source, DatasetProfile):
        return source
    if is_profile_path(source):
        return load_profile(source)
    if generate is not None:
        return generate(source, options)
    return generate_statistics(source, options, progress=progress)
