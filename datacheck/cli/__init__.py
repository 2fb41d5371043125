"""The ``datacheck`` command: argument parsing, the list of commands, and error handling.

Each command lives in ``datacheck/cli/_cmd_<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and ``set_defaults(run=<function(argparse.Namespace) -> int>)``. The
modules are listed in ``COMMANDS`` in the order ``--help`` shows them. Installed plugins add
their commands after these (see :mod:`datacheck.plugin`).

Exit codes: 0 fine, 1 error-level anomalies found, 2 usage or input error, 130 interrupted,
141 stdout closed early (``datacheck ... | head``).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO, cast

from datacheck import __version__
from datacheck.cli._reader_arg import add_reader_arguments, reader_options
from datacheck.cli._runner_arg import add_runner_arguments, pipeline_options
from datacheck.cli._term import ProgressBar, format_table
from datacheck.errors import DatacheckError, DatacheckWarning
from datacheck.plugin import discover_plugins, load_reference

# The building blocks a plugin's command uses to read, run on Beam and print as the core's do.
__all__ = [
    "COMMANDS",
    "ProgressBar",
    "add_reader_arguments",
    "add_runner_arguments",
    "build_parser",
    "format_table",
    "main",
    "pipeline_options",
    "reader_options",
]

#: the command modules, ``datacheck.cli._cmd_<name>``, in help order
COMMANDS: tuple[str, ...] = (
    "stats",
    "infer",
    "schema",
    "validate",
    "report",
    "skew",
    "serve",
    "plugins",
)

#: exit code when stdout is closed before we finish writing (128 + SIGPIPE, as a shell reports)
_EXIT_BROKEN_PIPE = 141
_EXIT_INTERRUPTED = 130
_EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(_EXIT_USAGE, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def _chosen_command(argv: Sequence[str]) -> str | None:
    # The top-level parser has only --help and --version, so the first word is the command.
    return next((a for a in argv if not a.startswith("-")), None)


def _add_plugin_commands(subparsers: Any, argv: Sequence[str]) -> None:
    """Add every plugin's commands; import only the registrar of the command that runs.

    The other plugin commands get a parser with their one-line help, so ``datacheck --help``
    lists them without importing their modules (or torch behind them).
    """
    plugins, failures = discover_plugins()
    for failure in failures:
        print(
            f"datacheck: warning: plugin {failure.name!r} ({failure.reference}) is not "
            f"available: {_one_line(failure.reason)}",
            file=sys.stderr,
        )
    taken = set(COMMANDS) | {"plugins"}
    chosen = _chosen_command(argv)
    for plugin in plugins:
        for command in plugin.commands:
            if command.name in taken:
                print(
                    f"datacheck: warning: plugin {plugin.name!r}: command {command.name!r} "
                    "is already taken; it is not added",
                    file=sys.stderr,
                )
                continue
            taken.add(command.name)
            if command.name == chosen:
                load_reference(command.register)(subparsers)
            else:
                subparsers.add_parser(command.name, help=command.help, add_help=False)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser of the whole command: every module in ``COMMANDS``, then plugins' commands.

    Args:
        argv: The arguments to be parsed; a plugin command named in them is fully registered
            (its module imported), the others only listed.
    """
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
    _add_plugin_commands(subparsers, argv)
    chosen = subparsers.choices.get(_chosen_command(argv) or "")
    _command_options.clear()
    if chosen is not None:
        _command_options.update(o for a in chosen._actions for o in a.option_strings)
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


#: the flag of each core parameter a command passes on; errors about it are printed with it
_FLAGS = {
    "baseline": "--baseline",
    "columns": "--columns",
    "delimiter": "--delimiter",
    "environment": "--environment",
    "exclude": "--exclude",
    "format": "--input-format",
    "keep_values": "--keep-values",
    "keys": "--key",
    "null_values": "--null-values",
    "quarantine": "--quarantine",
    "runner": "--runner",
    "serving": "--serving",
    "slice_by": "--slice-by",
    "weight": "--weight",
}


#: the option strings of the command being run: a plugin's parameter ``model_in`` is printed as
#: its command's ``--model-in`` with no table to keep
_command_options: set[str] = set()


def _flag_for(parameter: str) -> str | None:
    """The flag a parameter is printed as: the core's table, else the running command's own
    option of that name (``model_in`` -> ``--model-in``), else None."""
    flag = _FLAGS.get(parameter)
    if flag is None and parameter:
        spelled = "--" + parameter.replace("_", "-")
        flag = spelled if spelled in _command_options else None
    return flag


#: a parameter named in a reason as Python spells it with no value after it (``baseline=``)
_PARAMETER_MENTION = re.compile(r"\b([a-z_]+)=(?=[\s),;]|$)")


#: a parameter named with a value as Python writes it (``format='csv'``, ``exclude=['a']``)
_PARAMETER_VALUE = re.compile(r"\b([a-z_]+)=('(?:[^'\\]|\\.)*'|\[[^\]]*\])")


def _flag_with_value(match: re.Match[str]) -> str:
    flag = _flag_for(match[1])
    if flag is None:
        return match[0]
    try:
        value = ast.literal_eval(match[2])
    except (ValueError, SyntaxError):
        return match[0]
    return f"{flag} {_shown(value)}"


def _shown(value: object) -> str:
    """A parameter's value as it is typed after its flag: lists comma-separated; a value a
    shell or a reader could not see as one word quoted as Python writes it."""
    shown = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    if not shown or not shown.isprintable() or " " in shown:
        shown = repr(shown)
    return shown


def _flags_in(text: str) -> str:
    """``text`` with each parameter it names as ``baseline=`` named by its flag instead."""
    text = _PARAMETER_VALUE.sub(_flag_with_value, text)
    return _PARAMETER_MENTION.sub(lambda m: _flag_for(m[1]) or m[0], text)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A datacheck warning as one line on stderr, its parameters named by their flags."""
    if issubclass(category, DatacheckWarning):
        print(f"datacheck: warning: {_one_line(_flags_in(str(message)))}", file=sys.stderr)
    else:
        _SHOW_WARNING(message, category, filename, lineno, file, line)


_SHOW_WARNING = warnings.showwarning


def _error_line(error: DatacheckError) -> str:
    """The error as the command line would have said it: ``--weight w: ...``, not ``weight=``."""
    flag = _flag_for(error.parameter or "")
    if flag is None:
        return _one_line(_flags_in(str(error)))
    return _one_line(f"{flag} {_shown(error.value)}: {_flags_in(error.reason)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the datacheck command and return its exit code.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 fine, 1 error-level anomalies, 2 usage or input error (one line on stderr, no
        traceback), 130 interrupted, 141 stdout closed early.
    """
    try:
        given = list(sys.argv[1:] if argv is None else argv)
        parser = build_parser(given)
        try:
            args = parser.parse_args(given)
        except SystemExit as stop:
            # argparse exits for --help, --version and usage errors; return the code instead.
            return stop.code if isinstance(stop.code, int) else _EXIT_USAGE
        run = cast(Callable[[argparse.Namespace], int], args.run)
        with warnings.catch_warnings():
            # Renamed columns, a sniffed delimiter: said once per file, however Python is set.
            warnings.simplefilter("always", DatacheckWarning)
            warnings.showwarning = _show_warning
            code = run(args)
        sys.stdout.flush()
        return code
    except DatacheckError as error:
        print(f"datacheck: error: {_error_line(error)}", file=sys.stderr)
        return _EXIT_USAGE
    except KeyboardInterrupt:
        return _EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return _EXIT_BROKEN_PIPE
    except OSError as error:
        # A file we were asked to write cannot be (permissions, missing directory, full disk).
        name = f"{error.filename}: " if error.filename else ""
        print(f"datacheck: error: {name}{_one_line(error.strerror or str(error))}", file=sys.stderr)
        return _EXIT_USAGE
