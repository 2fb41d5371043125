"""``--runner RUNNER [-- BEAM_OPTIONS...]``: run on Apache Beam instead of in memory.

The commands that profile data (``stats``, ``infer``, ``validate``) call
:func:`add_runner_arguments` when they build their parser and :func:`profile_data` where they
profile; ``validate`` runs :func:`datacheck.beam.check_dataset_on_beam` instead of
:func:`datacheck.validate.check_dataset` with :func:`pipeline_options`. Without
``--runner`` nothing changes: the in-memory path runs. Everything after a bare ``--`` goes to
Beam untouched (``-- --direct_num_workers=2``, ``-- --flink_master=...``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from datacheck.cli._engine_arg import (
    add_engine_arguments,
    engine_of,
    profile_on_engine,
    runs_on_beam,
)
from datacheck.cli._term import ProgressBar
from datacheck.stats import DatasetProfile, StatsOptions, as_profile

__all__ = ["add_runner_arguments", "pipeline_options", "profile_data"]

_RUNNER_HELP = (
    "run on Apache Beam with this runner: DirectRunner, FlinkRunner, SparkRunner, "
    "DataflowRunner or PortableRunner (needs pip install 'datacheck-ml[beam]'); Beam's own "
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
                given, beam = given[:cut], given[cut + 1 :]
            parsed, extras = super().parse_known_args(given, namespace)
            if beam and not runs_on_beam(parsed):
                self.error(f"{beam[0]}: Beam options (after ' -- ') need --runner or --engine beam")
            parsed.beam_options = beam
            return parsed, extras

    return _BeamOptionsParser


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--runner`` to a command, and take what follows a bare ``--`` as Beam options."""
    parser.add_argument("--runner", metavar="RUNNER", help=_RUNNER_HELP)
    parser.set_defaults(runner=None, beam_options=[])
    add_engine_arguments(parser)  # --engine local|beam|spark|dask (see _engine_arg.py)
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


def _label(source: object) -> str:
    if isinstance(source, list | tuple):
        return f"profiling {len(source)} sources"
    return f"profiling {source}"


def profile_data(
    args: argparse.Namespace | None,
    source: object,
    options: StatsOptions | None = None,
) -> DatasetProfile:
    """The profile a ``DATA|PROFILE`` argument names (:func:`datacheck.stats.as_profile`).

    A ``.json`` is a profile to read; data is profiled in memory with a progress bar on a
    terminal, or on Beam when the command was given ``--runner``.

    Args:
        args: The command's parsed arguments (None, or no ``--runner``: in memory).
        source: A profile path, or what ``generate_statistics`` reads.
        options: What to compute.
    """
    if args is not None and engine_of(args) in ("spark", "dask"):
        return profile_on_engine(args, source, options)
    if args is not None and getattr(args, "runner", None) is not None:
        from datacheck.beam import file_paths, profile_on_beam

        beam_options = pipeline_options(args)
        return as_profile(
            source,
            options,
            generate=lambda data, opts: profile_on_beam(file_paths(data), opts, beam_options),
        )
    with ProgressBar(label=_label(source)) as bar:
        return as_profile(source, options, progress=bar.update)
