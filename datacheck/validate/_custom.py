"""Custom row checks: Python functions over a record batch, registered by name.

A schema stays a JSON document: a row check names its function (``{"name": "fare_ok",
"check": "taxi.fare_ok"}``), and validation looks the name up here, first among the functions
registered in this process (:func:`register_check`), then in the ``datacheck.checks``
entry-point group of the installed packages. The entry point is what makes a check importable
wherever validation runs (Beam workers, the service): install the package that declares it
there, as any pipeline dependency. No module named by a schema is ever imported: a schema
names a check, the installed packages say which function that is.

A check takes a :class:`pyarrow.RecordBatch` and returns one boolean per row (a pyarrow
``BooleanArray`` or ``ChunkedArray``, or a numpy bool array): true where the row passes. A null
in an Arrow mask is an unknown outcome, treated as the row check's ``on_null`` says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from datacheck.errors import RowCheckError

__all__ = [
    "CHECKS_ENTRY_POINT_GROUP",
    "CheckFunction",
    "check_mask",
    "lookup_check",
    "register_check",
    "registered_checks",
    "unregister_check",
]

#: the entry-point group installed packages declare custom checks in (name = the check's name)
CHECKS_ENTRY_POINT_GROUP = "datacheck.checks"

#: a custom check: a record batch in, one boolean per row out (true: the row passes)
CheckFunction: TypeAlias = Callable[
    [pa.RecordBatch], "pa.Array | pa.ChunkedArray | npt.NDArray[np.bool_]"
]

#: name -> function; filled by register_check and by entry points as they are looked up
_REGISTRY: dict[str, CheckFunction] = {}
_LOCK = threading.Lock()


@overload
def register_check(name: str) -> Callable[[CheckFunction], CheckFunction]: ...
@overload
def register_check(name: str, function: CheckFunction) -> CheckFunction: ...


def register_check(
    name: str, function: CheckFunction | None = None
) -> CheckFunction | Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the custom check ``name`` (in this process).

    Use it as a decorator, ``@register_check("fare_ok")``, or call it,
    ``register_check("fare_ok", fare_ok)``. Registering a name again replaces the function.
    Beam workers and the service run in other processes: declare the check in the
    ``datacheck.checks`` entry-point group of an installed package there.

    Raises:
        OptionError: ``name`` is empty, or ``function`` is not callable.
    """
    from datacheck.errors import OptionError

    if not isinstance(name, str) or not name.strip():
        raise OptionError("a custom check needs a name", parameter="name", value=name)

    def add(f: CheckFunction) -> CheckFunction:
        if not callable(f):
            raise OptionError(
                "a custom check is a function of a record batch", parameter="function", value=f
            )
        with _LOCK:
            _REGISTRY[name] = f
        return f

    return add if function is None else add(function)


def unregister_check(name: str) -> None:
    """Forget the custom check ``name`` registered in this process (nothing if there is none)."""
    with _LOCK:
        _REGISTRY.pop(name, None)


def registered_checks() -> tuple[str, ...]:
    """The names of the checks registered in this process and declared by entry points."""
    from importlib.metadata import entry_points  # ~50 ms: only when asked

    declared = {e.name for e in entry_points(group=CHECKS_ENTRY_POINT_GROUP)}
    with _LOCK:
        return tuple(sorted(declared | _REGISTRY.keys()))


def lookup_check(name: str, *, row_check: str) -> CheckFunction:
    """The function of custom check ``name`` (for the schema's row check ``row_check``).

    Raises:
        RowCheckError: no function is registered or declared under ``name``, or its entry
            point does not load.
    """
    with _LOCK:
        found = _REGISTRY.get(name)
    if found is not None:
        return found
    from importlib.metadata import entry_points  # ~50 ms: only for a check not registered

    for point in entry_points(group=CHECKS_ENTRY_POINT_GROUP, name=name):
        try:
            loaded: Any = point.load()
        except Exception as error:  # any import failure is reported the same way
            raise RowCheckError(
                f"row check {row_check!r}: custom check {name!r} does not load from its entry "
                f"point {point.value!r}: {type(error).__name__}: {error}"
            ) from error
        if not callable(loaded):
            raise RowCheckError(
                f"row check {row_check!r}: custom check {name!r}'s entry point {point.value!r} "
                f"is a {type(loaded).__name__}, not a function of a record batch"
            )
        with _LOCK:
            _REGISTRY.setdefault(name, loaded)
        return loaded  # type: ignore[no-any-return]
    raise RowCheckError(
        f"row check {row_check!r}: custom check {name!r} is not registered; register it with "
        f"datacheck.validate.register_check({name!r}) or declare it in the "
        f"{CHECKS_ENTRY_POINT_GROUP!r} entry-point group of a package installed where "
        "validation runs"
    )


def check_mask(
    function: CheckFunction, batch: pa.RecordBatch, *, name: str, row_check: str
) -> pa.Array:
    """``function(batch)`` as a boolean Arrow array, checked.

    Raises:
        RowCheckError: the function raised, or returned something other than one boolean per
            row; the message names the row check and the custom check.
    """
    where = f"row check {row_check!r}: custom check {name!r}"
    try:
        mask: Any = function(batch)
    except Exception as error:  # a user's function: any failure is reported
        raise RowCheckError(f"{where} raised {type(error).__name__}: {error}") from error
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks() if mask.num_chunks != 1 else mask.chunk(0)
    if isinstance(mask, np.ndarray):
        if mask.dtype != np.bool_ or mask.ndim != 1:
            raise RowCheckError(
                f"{where} returned a numpy array of {mask.dtype} with shape {mask.shape}; "
                "return one bool per row"
            )
        mask = pa.array(mask)
    if not isinstance(mask, pa.Array) or not pa.types.is_boolean(mask.type):
        kind = f"an Arrow {mask.type} array" if isinstance(mask, pa.Array) else type(mask).__name__
        raise RowCheckError(
            f"{where} returned {kind}; return a boolean mask (a pyarrow BooleanArray or a numpy "
            "bool array), true where the row passes"
        )
    if len(mask) != batch.num_rows:
        raise RowCheckError(
            f"{where} returned {len(mask)} values for a batch of {batch.num_rows} rows; "
            "return one per row"
        )
    return mask
