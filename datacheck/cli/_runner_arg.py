"""``--runner RUNNER [-- BEAM_OPTIONS...]``: run on Apache Beam instead of in memory.

The commands that profile data (``stats``, ``infer``, ``validate``) call
:func:`add_runner_arguments` when they build their parser, :func:`profile_data` where they
profile, and ``validate`` calls :func:`check_rows` for its row quarantine. Without
``--runner`` nothing changes: the in-memory path runs. Everything after a bare ``--`` goes to
Beam untouched (``-- --direct_num_workers=2``, ``-- --flink_master=...``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from datacheck.errors import OptionError
from datacheck.io import read_batches
from datacheck.schema import Schema
from datacheck.stats import DatasetProfile, StatsOptions, generate_statistics
from datacheck.validate import CheckedBatch, validate_batches

__all__ = ["add_runner_arguments", "check_rows", "pipeline_options", "profile_data"]

_RUNNER_HELP = (
    "run on Apache Beam with this runner: DirectRunner, FlinkRunner, SparkRunner, "
    "DataflowRunner or PortableRunner (needs pip install 'datacheck[beam]'); Beam's own "
    "options follow a bare '--' at the end, e.g. -- --direct_num_workers=2"
)


def _split_at_separator(parser_class: type[argparse.ArgumentParser]) -> type[Any]:
    class _BeamOptionsParser(parser_class):  # type: ignore[valid-type,misc]  # a runtime class
        """Parses up to a bare ``--``; what follows it is kept, unparsed, as Beam options."""

        def parse_known_args(
            self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
        ) -> tuple[argparse.Namespace, list[str]]:
            given = list(sys.argv[1:] if args is None else args)
            beam: list[str] = []
            if "--" in given:
                cut = given.index("--")
                given, beam = given[:cut], given[cut + 1:]
            parsed, extras = super().parse_known_args(given, namespace)
            if beam and parsed.runner is None:
                self.error(f"{beam[0]}: Beam options (after ' -- ') need --runner")
            parsed.beam_options = beam
            return parsed, extras

    return _BeamOptionsParser


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--runner`` to a command, and take what follows a bare ``--`` as Beam options."""
    parser.add_argument("--runner", metavar="RUNNER", help=_RUNNER_HELP)
    parser.set_defaults(runner=None, beam_options=[])
    # argparse has no "rest after --" for a subcommand whose positionals take several values
    # (``stats DATA...``), so this parser splits its arguments at ``--`` before parsing them.
    parser.__class__ = _split_at_separator(type(parser))


def pipeline_options(args: argparse.Namespace) -> Any:
    """The Beam ``PipelineOptions`` the command's ``--runner`` and Beam options ask for.

    Raises:
        MissingExtraError: Apache Beam is not installed.
        OptionError: An unknown runner or Beam option.
    """
    from datacheck.beam import beam_pipeline_options  # Beam is an extra: import it on use

    return beam_pipeline_options(args.runner, args.beam_options)


def profile_data(
    args: argparse.Namespace | None,
    source: object,
    options: StatsOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> DatasetProfile:
    """Profile ``source`` in memory, or on Beam when the command was given ``--runner``.

    Args:
        args: The command's parsed arguments (None, or no ``--runner``: in memory).
        source: What ``generate_statistics`` reads; with ``--runner``, paths only.
        options: What to compute.
        progress: Called with each batch's row count (in memory only).
    """
    if args is None or getattr(args, "runner", None) is None:
        return generate_statistics(source, options, progress=progress)
    from datacheck.beam import profile_on_beam

    if isinstance(source, str):
        return profile_on_beam(source, options, pipeline_options(args))
    if isinstance(source, list | tuple):
        return profile_on_beam([str(s) for s in source], options, pipeline_options(args))
    raise OptionError("--runner reads files: give paths, directories or globs")


def check_rows(
    args: argparse.Namespace,
    source: str,
    schema: Schema,
    path: str,
    write: Callable[[Iterable[CheckedBatch], str], tuple[int, int]],
) -> tuple[int, int]:
    """Check every row of ``source``; ``write`` puts the failed ones in ``path``.

    In memory, or with ``--runner`` on Beam (``ValidateBatches``, the failed rows spilled by
    the workers and written here by ``write``).

    Returns:
        (quarantined rows, input rows).
    """
    environment = args.environment
    if args.runner is None:
        return write(validate_batches(read_batches(source), schema, environment=environment), path)
    from datacheck.beam import quarantine_on_beam

    return quarantine_on_beam(source, schema, environment, path, pipeline_options(args), write)
