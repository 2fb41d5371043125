"""The ``datacheck`` command: argument parsing, the list of commands, and error handling.

Each command lives in ``datacheck/cli/_cmd_<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and ``set_defaults(run=<function(argparse.Namespace) -> int>)``. The
modules are listed in ``COMMANDS`` in the order ``--help`` shows them.

Exit codes: 0 fine, 1 error-level anomalies found, 2 usage or input error, 130 interrupted,
141 stdout closed early (``datacheck ... | head``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, cast

from datacheck import __version__
from datacheck.errors import DatacheckError

__all__ = ["COMMANDS", "build_parser", "main"]

#: the command modules, ``datacheck.cli._cmd_<name>``, in help order
COMMANDS: tuple[str, ...] = ("stats", "infer", "schema", "validate", "report", "skew")

#: exit code when stdout is closed before we finish writing (128 + SIGPIPE, as a shell reports)
_EXIT_BROKEN_PIPE = 141
_EXIT_INTERRUPTED = 130
_EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(_EXIT_USAGE, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command, with every module in ``COMMANDS`` registered."""
    parser = _Parser(
        prog="datacheck",
        description="Schema-based data validation for machine-learning pipelines.",
        epilog="Exit codes: 0 fine, 1 error-level anomalies, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"datacheck {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"datacheck.cli._cmd_{name}")
        module.register(subparsers)
    return parser


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _quiet_stdout() -> None:
    # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        return
    finally:
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the datacheck command and return its exit code.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 fine, 1 error-level anomalies, 2 usage or input error (one line on stderr, no
        traceback), 130 interrupted, 141 stdout closed early.
    """
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:
            # argparse exits for --help, --version and usage errors; return the code instead.
            return stop.code if isinstance(stop.code, int) else _EXIT_USAGE
        run = cast(Callable[[argparse.Namespace], int], args.run)
        code = run(args)
        sys.stdout.flush()
        return code
    except DatacheckError as error:
        print(f"datacheck: error: {_one_line(str(error))}", file=sys.stderr)
        return _EXIT_USAGE
    except KeyboardInterrupt:
        return _EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return _EXIT_BROKEN_PIPE
    except OSError as error:
        # A file we were asked to write cannot be (permissions, missing directory, full disk).
        name = f"{error.filename}: " if error.filename else ""
        print(f"datacheck: error: {name}{_one_line(error.strerror or str(error))}",
              file=sys.stderr)
        return _EXIT_USAGE
