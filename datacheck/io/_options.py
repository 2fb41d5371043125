"""ReaderOptions: how files are read (format, CSV dialect, missing-value markers, columns).

One value says how a source was read, so that a profile and the schema inferred from it can
record it and later data is read the same way. Its JSON object (:meth:`ReaderOptions.to_dict`)
is the ``reader`` of both the statistics and the schema document; both JSON Schemas describe it
the same way (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from datacheck.errors import OptionError

__all__ = ["DELIMITERS", "FORMATS", "NULL_VALUES", "ReaderOptions"]

#: the file formats read_batches understands, by name (tsv: a CSV delimited by tabs)
FORMATS = ("csv", "jsonl", "parquet", "tsv")

#: the delimiters a CSV is sniffed for, in order of preference when several fit
DELIMITERS = (",", "\t", ";", "|")

#: Text read as missing in every CSV column by default: pandas' default ``na_values`` (pandas
#: 2 and 3), so a CSV read by datacheck and by ``pandas.read_csv`` agree on what is missing.
#: R's ``write.csv`` writes ``NA``; pyarrow's own default lacks ``<NA>`` and ``None``.
NULL_VALUES: tuple[str, ...] = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)


def _names(parameter: str, value: Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes):
        raise OptionError("give a list of names, not one string", parameter=parameter, value=value)
    names = tuple(value)
    for name in names:
        if not isinstance(name, str):
            raise OptionError("names are strings", parameter=parameter, value=name)
    return names


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderOptions:
    """How :func:`datacheck.io.read_batches` reads files; recorded in profiles and schemas.

    The null markers apply to CSV files only (JSON Lines and Parquet have real nulls). A
    marker is missing in every column type, quoted or not, as ``pandas.read_csv`` reads it: in
    a float column too, so ``NaN`` in a CSV is a missing value, not a float NaN (leave it out
    of ``null_values`` to read it as a NaN). Not hashable (it holds a mapping).

    Raises:
        OptionError: A bad format, delimiter, column list or ``keep_values``.
    """

    #: csv, tsv, parquet or jsonl; None: each file's format from its extension
    format: str | None = None
    #: the CSV field delimiter; None: sniffed among , tab ; | from each file's first lines
    #: (a .tsv file, or format tsv, is read with tabs)
    delimiter: str | None = None
    #: text read as missing in every CSV column (default: pandas' ``na_values``)
    null_values: tuple[str, ...] = NULL_VALUES
    #: column -> values that are data in that column, not missing (``{"country": ("NA",)}``
    #: keeps Namibia); such a column is read as text
    keep_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: read only these columns, in this order; None: every column
    columns: tuple[str, ...] | None = None
    #: leave these columns out
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Lists become tuples here, so a value built from Python lists equals its JSON round trip.
        if self.format is not None and self.format not in FORMATS:
            raise OptionError(
                f"unknown format; use one of: {', '.join(FORMATS)}",
                parameter="format",
                value=self.format,
            )
        if self.delimiter is not None and (
            not isinstance(self.delimiter, str)
            or len(self.delimiter) != 1
            or self.delimiter in '\r\n"'
        ):
            raise OptionError(
                "a delimiter is one character other than a quote or a line break, such as "
                "',', '\\t', ';' or '|'",
                parameter="delimiter",
                value=self.delimiter,
            )
        object.__setattr__(self, "null_values", _names("null_values", self.null_values) or ())
        object.__setattr__(self, "columns", _names("columns", self.columns))
        object.__setattr__(self, "exclude", _names("exclude", self.exclude) or ())
        if not isinstance(self.keep_values, Mapping):
            raise OptionError(
                "give a mapping of column name to the values kept in it, e.g. {'country': ['NA']}",
                parameter="keep_values",
                value=self.keep_values,
            )
        keep = {
            str(column): _names("keep_values", values) or ()
            for column, values in self.keep_values.items()
        }
        object.__setattr__(self, "keep_values", keep)
        both = set(self.columns or ()) & set(self.exclude)
        if both:
            raise OptionError(
                f"{sorted(both)[0]!r} is both read (columns) and left out (exclude)",
                parameter="exclude",
                value=list(self.exclude),
            )

    def nulls_of(self, column: str) -> tuple[str, ...]:
        """The markers read as missing in ``column``: the null values less those it keeps."""
        kept = self.keep_values.get(column, ())
        return tuple(v for v in self.null_values if v not in kept)

    def to_dict(self) -> dict[str, Any]:
        """The options as the ``reader`` JSON object of profiles and schemas."""
        return {
            "format": self.format,
            "delimiter": self.delimiter,
            "null_values": list(self.null_values),
            "keep_values": {k: list(v) for k, v in sorted(self.keep_values.items())},
            "columns": None if self.columns is None else list(self.columns),
            "exclude": list(self.exclude),
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> ReaderOptions:
        """Options from their JSON object (as :meth:`to_dict` writes it; keys may be left out)."""
        return cls(
            format=document.get("format"),
            delimiter=document.get("delimiter"),
            null_values=tuple(document.get("null_values", NULL_VALUES)),
            keep_values={k: tuple(v) for k, v in document.get("keep_values", {}).items()},
            columns=None if document.get("columns") is None else tuple(document["columns"]),
            exclude=tuple(document.get("exclude", ())),
        )
