"""from_schema: hypothesis strategies for records, record batches, tables and data frames that
satisfy a schema.

:class:`SchemaStrategies` holds one :class:`~datacheck.testing._plan.FeaturePlan` per feature
and draws tables by construction: first the row count (inside every row-count bound), then each
column with its presence, list lengths, distinct count and domain met exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa
from hypothesis import strategies as st

from datacheck.errors import MissingExtraError, OptionError, SchemaFormatError
from datacheck.schema import Schema
from datacheck.testing._layout import assemble
from datacheck.testing._patterns import key_unique_parts
from datacheck.testing._plan import FeaturePlan, draw_column
from datacheck.testing._values import arrow_type
from datacheck.validate import schema_environments

__all__ = ["DEFAULT_MAX_ROWS", "Kind", "SchemaStrategies", "TableDraw", "from_schema"]

#: rows of a drawn table when the caller sets no max_rows (small data shrinks and runs fast)
DEFAULT_MAX_ROWS = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class TableDraw:
    """A drawn table before it becomes Arrow: Python columns that callers may still change."""

    num_rows: int
    #: feature path -> one Python value per row (None: missing)
    columns: dict[str, list[Any]]
    #: feature path -> Arrow type of its column
    types: dict[str, pa.DataType] = field(default_factory=dict)

    def table(self) -> pa.Table:
        """The Arrow table of these columns (struct columns for dotted paths)."""
        return assemble(list(self.columns), self.columns, self.types, self.num_rows)


def _check_environment(schema: Schema, environment: str | None) -> None:
    if environment is not None and environment not in schema_environments(schema):
        known = ", ".join(sorted(schema_environments(schema))) or "none"
        raise OptionError(
            f"from_schema(environment={environment!r}): the schema does not define it (it "
            f"defines: {known}); pass one of those or None"
        )


class SchemaStrategies:
    """Strategies for data that satisfies one schema; made by :func:`from_schema`.

    The columns are the schema's active features expected in the environment; a deprecated
    feature's column is drawn or left out (validation ignores it) with values of its type;
    features not expected in the environment are left out. Struct columns hold dotted paths.
    """

    def __init__(self, schema: Schema, *, environment: str | None = None) -> None:
        _check_environment(schema, environment)
        self.schema = schema
        self.environment = environment
        expected = {f.name for f in schema.features_in(environment)}
        self._plans: list[FeaturePlan] = []
        for i, f in enumerate(schema.features):
            if f.deprecated:
                self._plans.append(FeaturePlan.of(f, checked=False))
            elif f.name in expected:
                plan = FeaturePlan.of(f, checked=True)
                problem = plan.problem()
                if problem is not None:
                    raise SchemaFormatError(
                        f"<schema>: /features/{i}: {problem}; no data satisfies this schema"
                    )
                self._plans.append(plan)
        scalar = [p for p in self._plans if p.checked and not p.is_list]
        #: per unique key, the feature drawn all-distinct (which makes the key unique)
        self.unique_parts = key_unique_parts(schema, {p.feature.name: p.size for p in scalar})

    @property
    def plans(self) -> tuple[FeaturePlan, ...]:
        """The plan of every generated column, in schema order."""
        return tuple(self._plans)

    def row_bounds(self, min_rows: int, max_rows: int | None) -> tuple[int, int]:
        """The row counts a table may have: the caller's bounds within the schema's.

        Raises:
            OptionError: no row count satisfies both.
        """
        d = self.schema.dataset
        needed = max((p.rows_needed() for p in self._plans if p.checked), default=0)
        low = max(min_rows, d.min_row_count or 0, needed)
        cap = max_rows if max_rows is not None else max(DEFAULT_MAX_ROWS, low)
        high = cap if d.max_row_count is None else min(cap, d.max_row_count)
        # A unique key's drawn part holds a different value in every row.
        sizes = [p.size for p in self._plans if p.feature.name in self.unique_parts]
        high = int(min([high, *sizes]))
        if low > high:
            raise OptionError(
                f"tables(min_rows={min_rows}, max_rows={max_rows}): the schema needs between "
                f"{max(d.min_row_count or 0, needed)} and "
                f"{d.max_row_count if d.max_row_count is not None else 'any number of'} rows; "
                "widen min_rows/max_rows to overlap that range"
            )
        return low, high

    def draw_table(
        self,
        draw: st.DrawFn,
        num_rows: int,
        *,
        dataset_level: bool = True,
        overrides: Mapping[str, FeaturePlan] | None = None,
        exact: Mapping[str, int] | None = None,
    ) -> TableDraw:
        """Draw every column for ``num_rows`` rows.

        Args:
            draw: hypothesis' draw function.
            num_rows: the table's rows.
            dataset_level: meet presence fractions and counts and distinct counts (tables);
                False meets only row-level constraints (single records).
            overrides: feature path -> a plan to use instead of the schema's.
            exact: feature path -> exactly this many present rows.
        """
        columns: dict[str, list[Any]] = {}
        types: dict[str, pa.DataType] = {}
        for plan in self._plans:
            name = plan.feature.name
            plan = (overrides or {}).get(name, plan)
            # A deprecated column is drawn or left out: validation must ignore it either way.
            if not plan.checked and not draw(st.booleans()):
                continue
            bounds = plan.distinct_low > 0 or plan.distinct_high is not None
            columns[name] = draw_column(
                draw,
                plan,
                num_rows,
                floor=plan.present_floor(num_rows, dataset_level=dataset_level),
                exact=(exact or {}).get(name),
                distinct=(plan.distinct_low, plan.distinct_high)
                if bounds and dataset_level
                else None,
                unique=dataset_level and name in self.unique_parts,
            )
            types[name] = arrow_type(plan.feature)
        return TableDraw(num_rows=num_rows, columns=columns, types=types)

    def _tables(self, min_rows: int, max_rows: int | None) -> st.SearchStrategy[pa.Table]:
        low, high = self.row_bounds(min_rows, max_rows)

        @st.composite
        def tables(draw: st.DrawFn) -> pa.Table:
            return self.draw_table(draw, draw(st.integers(low, high))).table()

        return tables()

    def records(self) -> st.SearchStrategy[dict[str, Any]]:
        """One row as a dict (struct columns as nested dicts, lists as lists, None: missing).

        A record meets the row-level constraints: types, domains, required features present,
        list lengths, environments. Fractions, counts and distinct counts are properties of a
        dataset; draw :meth:`tables` for those.
        """

        @st.composite
        def records(draw: st.DrawFn) -> dict[str, Any]:
            drawn = self.draw_table(draw, 1, dataset_level=False)
            table = drawn.table()
            row: dict[str, Any] = table.to_pylist()[0] if table.num_rows else {}
            return row

        return records()

    def tables(
        self, *, min_rows: int = 1, max_rows: int | None = None
    ) -> st.SearchStrategy[pa.Table]:
        """Tables that pass every check of the schema (row counts within both bounds).

        Args:
            min_rows: fewest rows (raised to what the schema needs).
            max_rows: most rows; None: 20, or what the schema needs when more.

        Raises:
            OptionError: the bounds leave no row count the schema accepts.
        """
        return self._tables(min_rows, max_rows)

    def batches(
        self, *, min_rows: int = 1, max_rows: int | None = None
    ) -> st.SearchStrategy[pa.RecordBatch]:
        """Like :meth:`tables`, as one ``pyarrow.RecordBatch``."""
        return self._tables(min_rows, max_rows).map(_to_batch)

    def dataframes(
        self, *, min_rows: int = 1, max_rows: int | None = None
    ) -> st.SearchStrategy[Any]:
        """Like :meth:`tables`, as pandas DataFrames with Arrow-backed columns
        (``pd.ArrowDtype``), so that ints with missing values stay ints."""
        import pandas as pd

        return self._tables(min_rows, max_rows).map(
            lambda t: t.to_pandas(types_mapper=pd.ArrowDtype)
        )

    def polars_frames(
        self, *, min_rows: int = 1, max_rows: int | None = None
    ) -> st.SearchStrategy[Any]:
        """Like :meth:`tables`, as polars DataFrames.

        Raises:
            MissingExtraError: polars is not installed.
        """
        try:
            import polars as pl
        except ImportError:
            raise MissingExtraError("polars", "polars") from None
        return self._tables(min_rows, max_rows).map(pl.from_arrow)


def _to_batch(table: pa.Table) -> pa.RecordBatch:
    if table.num_rows == 0:
        return pa.RecordBatch.from_pylist([], schema=table.schema)
    return table.combine_chunks().to_batches()[0]


#: what :func:`from_schema` draws
Kind = Literal["records", "tables", "batches", "dataframes", "polars_frames"]


def from_schema(
    schema: Schema,
    *,
    environment: str | None = None,
    kind: Kind = "records",
    min_rows: int = 1,
    max_rows: int | None = None,
) -> st.SearchStrategy[Any]:
    """A strategy for data that satisfies ``schema`` in ``environment``.

    ``@given(from_schema(schema))`` draws one record (a dict); ``kind`` picks a ``pa.Table``,
    ``pa.RecordBatch``, pandas or polars DataFrame of ``min_rows`` to ``max_rows`` rows
    instead (:class:`SchemaStrategies` offers the same as methods). Every drawn table passes
    ``validate_statistics`` and ``validate_batches`` with no anomaly from the constraints it
    meets: types, domains, ranges (NaN and infinities only where allowed), presence fractions
    and counts, list lengths, distinct counts, row counts, environments, deprecated features.
    A record meets the row-level ones. Row-count ratios and drift need a baseline, so they are
    not drawn for.

    Args:
        schema: the schema the data must satisfy.
        environment: draw data for this environment (features not expected in it are left
            out); None: every feature.
        kind: ``"records"`` (the default), ``"tables"``, ``"batches"``, ``"dataframes"`` or
            ``"polars_frames"``.
        min_rows: fewest rows of a drawn table (not used for records).
        max_rows: most rows of a drawn table; None: a small default within the schema's bounds.

    Raises:
        OptionError: ``environment`` is not one the schema defines, or an unknown ``kind``.
        SchemaFormatError: a feature no data can satisfy (a required null feature, an empty
            domain with required values).
    """
    strategies = SchemaStrategies(schema, environment=environment)
    if kind == "records":
        return strategies.records()
    tables = {
        "tables": strategies.tables,
        "batches": strategies.batches,
        "dataframes": strategies.dataframes,
        "polars_frames": strategies.polars_frames,
    }
    if kind not in tables:
        raise OptionError(
            f"from_schema: unknown kind {kind!r}; use one of records, {', '.join(tables)}"
        )
    return tables[kind](min_rows=min_rows, max_rows=max_rows)
