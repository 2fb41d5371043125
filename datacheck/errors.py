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
    ├── RowCheckError (ValueError)         a row check that cannot run: an unregistered custom
    │                                      check, one that raises or returns a bad mask
    ├── ArgumentTypeError (TypeError)      an argument of the wrong kind (None, or a profile
    │                                      where a schema goes)
    └── MissingExtraError (ImportError)    an optional dependency is not installed

    DatacheckWarning (UserWarning)
    └── InputWarning                       input read, but not as written (columns renamed,
                                           a .csv delimited by another character)

Messages speak the caller's language, which is Python: an error about an argument names the
parameter as the function spells it, ``weight='w': no such column; the columns are: a, b``,
never a command-line flag. The same facts are attributes, all optional: ``parameter`` and
``value`` (the argument), ``path``, ``column`` and ``row`` (what in the data it is about), and
``reason`` (the message without its ``parameter=value: `` opening). A front end that spells the
parameter otherwise writes its own opening before ``reason``; the CLI prints
``datacheck: error: --weight w: no such column; ...`` and exits with code 2.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "DISTRIBUTION",
    "ArgumentTypeError",
    "DatacheckError",
    "DatacheckWarning",
    "InputError",
    "InputNotFoundError",
    "InputWarning",
    "MissingExtraError",
    "OptionError",
    "ProfileFormatError",
    "RowCheckError",
    "SchemaFormatError",
    "StoreError",
]


class DatacheckError(Exception):
    """Base of every error datacheck raises on purpose.

    ``DatacheckError("message")`` is the whole message; with ``parameter`` the message opens
    with ``parameter=value`` (the value's ``repr``), as a Python call would have written it.

    Args:
        reason: What is wrong and, where there is one, the fix.
        parameter: The Python parameter the error is about, e.g. ``"weight"``, ``"slice_by"``.
        value: The value given for ``parameter`` (or the one item of it that is wrong).
        path: The file the error is about.
        column: The column the error is about.
        row: The row the error is about, as the message counts it.
    """

    def __init__(
        self,
        reason: str = "",
        *,
        parameter: str | None = None,
        value: object = None,
        path: str | os.PathLike[str] | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        message = reason if parameter is None else f"{parameter}={value!r}: {reason}"
        super().__init__(message)
        #: the message without its ``parameter=value: `` opening
        self.reason = reason
        #: the Python parameter the error is about
        self.parameter = parameter
        #: the value given for ``parameter``
        self.value = value
        #: the file the error is about
        self.path = None if path is None else os.fspath(path)
        #: the column the error is about
        self.column = column
        #: the row the error is about
        self.row = row

    def __str__(self) -> str:
        # OSError's own __str__ would write errno and filename, which these errors leave unset.
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles as ``cls(*args)``, which would drop the keyword attributes; Beam
        # pickles errors to send them between processes.
        fields = {
            "parameter": self.parameter,
            "value": self.value,
            "path": self.path,
            "column": self.column,
            "row": self.row,
        }
        rest = {k: v for k, v in self.__dict__.items() if k not in fields and k != "reason"}
        return _rebuild, (type(self), self.reason, fields), rest or None


def _rebuild(cls: type[DatacheckError], reason: str, fields: dict[str, Any]) -> DatacheckError:
    """An error from what :meth:`DatacheckError.__reduce__` kept (the unpickling half)."""
    return cls(reason, **fields)


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


class RowCheckError(DatacheckError, ValueError):
    """A schema's row check cannot run: its custom check is not registered where validation
    runs, or it raised or returned something other than one boolean per row. The message
    names the check."""


class ArgumentTypeError(DatacheckError, TypeError):
    """An argument of the wrong kind: None, or a profile where a schema goes. The value in
    the message is the kind that was given (``schema=<NoneType>``), not its whole repr."""


class _Kind(str):
    """A type's name that reads as ``<name>`` in a ``parameter=value`` opening."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{self}>"


def require(
    value: object,
    expected: type | tuple[type, ...],
    *,
    function: str,
    parameter: str,
    needs: str,
) -> None:
    """Raise :class:`ArgumentTypeError` unless ``value`` is an ``expected`` instance.

    Args:
        value: the argument given.
        expected: the class (or classes) it must be an instance of.
        function: the public function that takes it, as users call it.
        parameter: the parameter's name, as the function spells it.
        needs: what the parameter takes and where one comes from
            (``"a Schema (load_schema or infer_schema makes one)"``).
    """
    if not isinstance(value, expected):
        raise wrong_argument(value, function=function, parameter=parameter, needs=needs)


def wrong_argument(
    value: object, *, function: str, parameter: str, needs: str
) -> ArgumentTypeError:
    """The :class:`ArgumentTypeError` for ``value``, given for ``parameter`` of ``function``,
    which takes ``needs`` (see :func:`require`)."""
    return ArgumentTypeError(
        f"{function} takes {needs}", parameter=parameter, value=_Kind(type(value).__name__)
    )


#: datacheck's distribution name on PyPI ("datacheck" there is an unrelated project); the
#: import name is ``datacheck``
DISTRIBUTION = "datacheck-ml"


class MissingExtraError(DatacheckError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` to run: the
    extra of the :data:`DISTRIBUTION`, or the same extra from a clone."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed; install it with: pip install '{DISTRIBUTION}[{extra}]' "
            f"(or, in a clone of datacheck: pip install -e '.[{extra}]')"
        )
        self.module = module
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.module, self.extra)


class DatacheckWarning(UserWarning):
    """Base of every warning datacheck gives; the command prints each as one line on stderr."""


class InputWarning(DatacheckWarning):
    """Input was read, but not exactly as written: renamed columns, a sniffed delimiter."""
