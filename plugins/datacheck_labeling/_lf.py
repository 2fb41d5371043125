"""Labeling functions: small noisy heuristics that vote a class for a row, or abstain.

A labeling function (LF) is written either over one row, a mapping of column name to value
(the easy way, run in a process pool), or, with ``vectorized=True``, over a whole
``pyarrow.RecordBatch``, returning one vote per row (the fast way: no Python loop per row).
Votes are ints: :data:`ABSTAIN` (-1) or a class ``0..k-1``.

An LF pickles by reference (its module and name), so the processes that run row-wise LFs
import it rather than receive its code; an LF defined where no process can import it (a
lambda, a function inside a function) runs in the calling process instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, overload

__all__ = ["ABSTAIN", "LabelingFunction", "labeling_function"]

#: the vote of an LF that has no opinion on a row
ABSTAIN = -1


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LabelingFunction:
    """A named labeling function and the resources it is called with.

    Call it as the function it wraps: ``lf(row)`` for a row-wise LF, ``lf(batch)`` for a
    vectorized one. Build it with :func:`labeling_function`.
    """

    #: the LF's name: the label matrix column it fills, the row of the summary
    name: str
    #: the wrapped function: ``f(row, **resources) -> int`` or ``f(batch, **resources)``
    #: returning one int per row (a numpy or Arrow integer array)
    func: Callable[..., Any]
    #: keyword arguments passed on every call (lookup tables, models)
    resources: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: True: ``func`` takes a whole record batch; False: one row at a time
    vectorized: bool = False

    def __call__(self, data: Any) -> Any:
        return self.func(data, **self.resources)

    def __repr__(self) -> str:
        kind = "vectorized" if self.vectorized else "row-wise"
        return f"LabelingFunction({self.name!r}, {kind})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The decorated name in its module is this object, so the worker imports it by
        # reference; the wrapped function itself cannot be pickled by name any more (its
        # module attribute is now the LabelingFunction), and a closure never could.
        module = getattr(self.func, "__module__", None)
        qualname = getattr(self.func, "__qualname__", "")
        if module is None or "<" in qualname or module == "__main__":
            raise TypeError(f"labeling function {self.name!r} cannot be imported by reference")
        return _import_lf, (module, qualname, self.name)


def _import_lf(module: str, qualname: str, name: str) -> LabelingFunction:
    """The LF ``module.qualname`` (the unpickling half of :meth:`LabelingFunction.__reduce__`)."""
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    if isinstance(target, LabelingFunction) and target.name == name:
        return target
    # An LF made by a factory, or kept in a list: find it by name among the module's values.
    for value in vars(importlib.import_module(module)).values():
        if isinstance(value, LabelingFunction) and value.name == name:
            return value
        if isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, LabelingFunction) and item.name == name:
                    return item
    raise TypeError(f"{module}.{qualname} is not the labeling function {name!r}")


@overload
def labeling_function(
    func: Callable[..., Any],
) -> LabelingFunction: ...


@overload
def labeling_function(
    func: None = None,
    *,
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    vectorized: bool = False,
) -> Callable[[Callable[..., Any]], LabelingFunction]: ...


def labeling_function(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    vectorized: bool = False,
) -> LabelingFunction | Callable[[Callable[..., Any]], LabelingFunction]:
    """Make a function a labeling function; usable bare or with arguments.

    Example::

        @labeling_function()
        def short_review(row):
            return NEGATIVE if len(row["text"]) < 20 else ABSTAIN

        @labeling_function(vectorized=True)
        def has_refund(batch):
            hit = pc.match_substring(batch["text"], "refund")
            return pc.if_else(hit, NEGATIVE, ABSTAIN)

    Args:
        func: The function (when used bare, ``@labeling_function``).
        name: The LF's name; the function's name by default.
        resources: Keyword arguments passed to every call.
        vectorized: The function takes a ``pyarrow.RecordBatch`` and returns one vote per row.

    Returns:
        A :class:`LabelingFunction`, or a decorator that makes one.
    """

    def wrap(f: Callable[..., Any]) -> LabelingFunction:
        if not callable(f):
            raise TypeError(f"labeling_function needs a function, not {type(f).__name__}")
        return LabelingFunction(
            name=name or str(getattr(f, "__name__", "lf")),
            func=f,
            resources=MappingProxyType(dict(resources or {})),
            vectorized=vectorized,
        )

    return wrap if func is None else wrap(func)
