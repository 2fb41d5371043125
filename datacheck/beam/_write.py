"""WriteProfile and WriteReport: a pipeline's single result to one file, written atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import apache_beam as beam

from datacheck.io import write_bytes_atomic
from datacheck.stats import DatasetProfile, save_profile
from datacheck.validate import ValidationReport

__all__ = ["WriteProfile", "WriteReport"]


def _save_profile(profile: DatasetProfile, path: str) -> str:
    save_profile(profile, path)
    return path


def _save_report(report: ValidationReport, path: str) -> str:
    write_bytes_atomic(path, (report.to_json() + "\n").encode("utf-8"))
    return path


class WriteProfile(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Write the one profile of a ``PCollection`` to a JSON file (``schemas/statistics.v1``).

    The write is atomic (a temporary file renamed over ``path``), so a reader never sees half
    a profile. The worker that writes must see ``path`` (on a cluster: a shared mount). The
    output is a ``PCollection`` holding ``path`` once written.

    Example::

        with beam.Pipeline() as p:
            _ = p | ReadBatches("data.csv") | GenerateStatistics() | WriteProfile("profile.json")

    Args:
        path: The profile file to create or replace.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self._path = str(Path(path))

    def expand(self, profiles: Any) -> Any:
        return profiles | "WriteProfile" >> beam.Map(_save_profile, self._path)


class WriteReport(beam.PTransform):  # type: ignore[misc]  # Beam ships no type hints
    """Write the one report of a ``PCollection`` to a JSON file (``schemas/report.v1``).

    The text is what ``datacheck validate --format json`` prints; the write is atomic. The
    output is a ``PCollection`` holding ``path`` once written.

    Example::

        with beam.Pipeline() as p:
            _ = (
                p
                | ReadBatches("data.csv")
                | GenerateStatistics()
                | ValidateStatistics(load_schema("schema.json"))
                | WriteReport("report.json")
            )

    Args:
        path: The report file to create or replace.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self._path = str(Path(path))

    def expand(self, reports: Any) -> Any:
        return reports | "WriteReport" >> beam.Map(_save_report, self._path)
