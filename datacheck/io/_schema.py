"""One Arrow schema per source: unify the schemas of several parts, conform batches to it.

A source (a directory, a glob, a file read in blocks) can disagree with itself: a column is
int64 in one file and float64 in another, text in a third, or missing from a fourth. Every
batch a source yields has the same schema: types are widened (int to float, null to anything),
a column whose parts hold numbers and text becomes a string column marked with
``datacheck.mixed_types``, a column some part marks ``datacheck.overflow`` keeps every part's
overflow marks, and a column missing from a part is filled with nulls there.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datacheck._types import MIXED_TYPES_KEY, OVERFLOW_KEY, OVERFLOW_KINDS
from datacheck.errors import InputError

__all__ = ["conform", "empty_batch", "mark_mixed", "mark_overflow", "unify"]


def mark_mixed(field: pa.Field) -> pa.Field:
    """The field as a string column marked as holding mixed types."""
    metadata = dict(field.metadata or {})
    metadata[MIXED_TYPES_KEY] = b"true"
    return pa.field(field.name, pa.string(), nullable=True, metadata=metadata)


def mark_overflow(field: pa.Field, kinds: list[str]) -> pa.Field:
    """The field marked with overflow ``kinds`` (see ``datacheck._types.OVERFLOW_KEY``), on top
    of the marks it already has."""
    metadata = dict(field.metadata or {})
    had = metadata.get(OVERFLOW_KEY, b"").decode().split(",")
    marks = [kind for kind in OVERFLOW_KINDS if kind in kinds or kind in had]
    metadata[OVERFLOW_KEY] = ",".join(marks).encode()
    return field.with_metadata(metadata)


def _keep_overflow(merged: pa.Field, other: pa.Field) -> pa.Field:
    mark = (other.metadata or {}).get(OVERFLOW_KEY)
    return merged if not mark else mark_overflow(merged, mark.decode().split(","))


def _is_mixed(field: pa.Field) -> bool:
    return (field.metadata or {}).get(MIXED_TYPES_KEY) == b"true"


def _merge_fields(a: pa.Field, b: pa.Field) -> pa.Field:
    if _is_mixed(a) or _is_mixed(b):
        return mark_mixed(a)
    if a.type.equals(b.type):
        return _keep_overflow(a.with_nullable(a.nullable or b.nullable), b)
    try:
        merged = pa.unify_schemas(
            [pa.schema([a.with_metadata(None)]), pa.schema([b.with_metadata(None)])],
            promote_options="permissive",
        ).field(0)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return mark_mixed(a)
    return _keep_overflow(merged.with_metadata(a.metadata).with_nullable(True), b)


def unify(schemas: list[pa.Schema], columns: list[str] | None = None) -> pa.Schema:
    """The schema every part can be conformed to, without schema-level metadata.

    Args:
        schemas: The parts' schemas, in reading order.
        columns: When given, the result holds exactly these columns, in this order.

    Returns:
        Fields in first-seen order (or ``columns`` order); a field missing from some part is
        nullable.
    """
    fields: dict[str, pa.Field] = {}
    seen_in: dict[str, int] = {}
    for schema in schemas:
        for field in schema:
            seen_in[field.name] = seen_in.get(field.name, 0) + 1
            known = fields.get(field.name)
            fields[field.name] = field if known is None else _merge_fields(known, field)
    result = [
        f if seen_in[name] == len(schemas) else f.with_nullable(True) for name, f in fields.items()
    ]
    if columns is not None:
        by_name = {f.name: f for f in result}
        result = [by_name[name] for name in columns if name in by_name]
    return pa.schema(result)


def conform(batch: pa.RecordBatch, target: pa.Schema, origin: str) -> pa.RecordBatch:
    """Cast, reorder and null-fill ``batch`` so its schema is exactly ``target``.

    Args:
        batch: A batch read from one part of a source.
        target: The source's schema (from :func:`unify`).
        origin: The part's name, for error messages.

    Raises:
        InputError: A column cannot be represented in the unified type (for instance a struct
            in one file and an integer in another).
    """
    if batch.schema.equals(target, check_metadata=True):
        return batch
    arrays: list[pa.Array] = []
    for field in target:
        index = batch.schema.get_field_index(field.name)
        if index < 0:
            arrays.append(pa.nulls(batch.num_rows, field.type))
            continue
        column = batch.column(index)
        if not column.type.equals(field.type):
            try:
                column = pc.cast(column, field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
                raise InputError(
                    f"{origin}: column {field.name!r} is {column.type} here but {field.type} "
                    f"elsewhere in the same source and cannot be converted ({error}); "
                    "read the parts separately"
                ) from None
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A zero-row batch carrying ``schema`` (what an empty dataset yields)."""
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)
