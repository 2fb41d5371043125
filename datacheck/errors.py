"""Errors raised for bad requests; bad *data* is reported as anomalies, never raised.

Every error names what it is about (file, row, field, JSON pointer) and, where there is one,
the fix. Each class also inherits the builtin it resembles, so callers that catch
``ValueError`` or ``OSError`` keep working::

    DatacheckError
    ├── InputError (ValueError)            unreadable or malformed input data
    │   └── InputNotFoundError (FileNotFoundError)
    ├── SchemaFormatError (ValueError)     a schema document that is not valid
    ├── ProfileFormatError (ValueError)    a statistics document that is not valid
    ├── StoreError (OSError)               the schema store: unknown name or version, I/O
    ├── OptionError (ValueError)           a bad option: unknown column, environment, runner
    └── MissingExtraError (ImportError)    an optional dependency is not installed

The CLI turns any ``DatacheckError`` into one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "DatacheckError",
    "InputError",
    "InputNotFoundError",
    "MissingExtraError",
    "OptionError",
    "ProfileFormatError",
    "SchemaFormatError",
    "StoreError",
]


class DatacheckError(Exception):
    """Base of every error datacheck raises on purpose."""


class InputError(DatacheckError, ValueError):
    """Input data cannot be read: malformed file, bad encoding, empty dataset, wrong type."""


class InputNotFoundError(InputError, FileNotFoundError):
    """An input path or glob matches no file."""


class SchemaFormatError(DatacheckError, ValueError):
    """A schema document is malformed or fails ``schemas/schema.v1.json``."""


class ProfileFormatError(DatacheckError, ValueError):
    """A statistics (profile) document is malformed or fails ``schemas/statistics.v1.json``."""


class StoreError(DatacheckError, OSError):
    """The schema store cannot answer: unknown name or version, or an I/O failure."""


class OptionError(DatacheckError, ValueError):
    """An option names something that does not exist (a column, an environment, a runner)."""


class MissingExtraError(DatacheckError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` to run."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed; install it with: pip install 'datacheck[{extra}]'"
        )
        self.module = module
        self.extra = extra
