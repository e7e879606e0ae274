"""DuckDB: a `DuckDBResource` handing out connections, and IO managers storing pandas or
polars DataFrames as tables ``schema.asset_name`` (install ``freshet[duckdb]`` plus
``freshet[pandas]`` or ``freshet[polars]``).

A partitioned asset writes one partition at a time: its rows are deleted and the new ones
inserted in one transaction. The partition's rows are those whose ``partition_expr`` column
(definition metadata of the asset) equals the partition key; without ``partition_expr`` the
IO manager keeps the key in a ``partition_key`` column it adds and drops again on load.
"""

from __future__ import annotations

import re
import time
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from pydantic import Field

import freshet as fr
from freshet.integrations._extras import require
from freshet.integrations._parquet import describe_output, not_a_frame, wants_dict

__all__ = ["DuckDBPandasIOManager", "DuckDBPolarsIOManager", "DuckDBResource"]

PARTITION_COLUMN = "partition_key"
#: the partition key of each row, as text, while a dict of partitions is loaded
_KEY_COLUMN = "__freshet_partition"
_LOCK_MESSAGE = re.compile(r"lock", re.IGNORECASE)


def _duckdb() -> Any:
    return require("duckdb", "duckdb", "freshet.integrations.duckdb")


@contextmanager
def _connect(
    database: str, config: dict[str, Any], read_only: bool, lock_timeout: float
) -> Iterator[Any]:
    """A connection, retried while another process holds the file's lock."""
    duckdb = _duckdb()
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            conn = duckdb.connect(database, read_only=read_only, config=dict(config))
            break
        except duckdb.IOException as exc:
            if not _LOCK_MESSAGE.search(str(exc)):
                raise fr.ExecutionError(f"cannot open DuckDB database {database!r}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise fr.ExecutionError(
                    f"DuckDB database {database!r} is locked by another process (tried for "
                    f"{lock_timeout:g}s): close the other connection (a notebook, a DuckDB "
                    f"shell, another run) or raise lock_timeout_seconds. DuckDB said: {exc}"
                ) from None
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 1.0)
    try:
        yield conn
    finally:
        conn.close()


class DuckDBResource(fr.ConfigurableResource):
    """A DuckDB database (a file path, or ``:memory:``) for assets that run SQL themselves.

    ``with duckdb.get_connection() as conn: conn.execute(...)``; a file locked by another
    process is retried for ``lock_timeout_seconds`` before a clear error.
    """

    database: str
    read_only: bool = False
    connection_config: dict[str, Any] = Field(default_factory=dict)
    lock_timeout_seconds: float = 10.0

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        with _connect(
            self.database, self.connection_config, self.read_only, self.lock_timeout_seconds
        ) as conn:
            yield conn


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class _DuckDBIOManager(fr.ConfigurableIOManager):
    database: str
    schema_: str | None = Field(default=None, alias="schema")
    lock_timeout_seconds: float = 10.0

    frame_kind: ClassVar[str] = "DataFrame"

    model_config = {"populate_by_name": True}

    @abstractmethod
    def _as_frame(self, obj: Any) -> Any:
        """The frame to insert; raise TypeError when ``obj`` is not one."""

    @abstractmethod
    def _fetch(self, relation: Any) -> Any:
        """A frame of the rows of a DuckDB relation."""

    @abstractmethod
    def _drop_column(self, frame: Any, column: str) -> Any: ...

    @abstractmethod
    def _with_column(self, frame: Any, column: str, value: str) -> Any: ...

    @abstractmethod
    def _split(self, frame: Any, column: str) -> dict[str, Any]:
        """The rows of `frame` by their value in `column` (dropped from each part)."""

    @abstractmethod
    def _row_count(self, frame: Any) -> int: ...

    def _table(self, asset_key: fr.AssetKey) -> tuple[str, str]:
        path = list(asset_key.path)
        schema = self.schema_ or (path[-2] if len(path) > 1 else "public")
        return schema, path[-1]

    def handle_output(self, context: fr.OutputContext, obj: Any) -> None:
        if context.asset_key is None:
            raise fr.ExecutionError(
                f"{type(self).__name__} stores assets as tables; {describe_output(context)} "
                "is an op output: give it another io_manager_key"
            )
        try:
            frame = self._as_frame(obj)
        except TypeError:
            raise not_a_frame(self, self.frame_kind, context, obj) from None
        schema, table = self._table(context.asset_key)
        partition_expr = context.definition_metadata.get("partition_expr")
        if context.partition_key is not None and partition_expr is None:
            frame = self._with_column(frame, PARTITION_COLUMN, context.partition_key)
            partition_expr = PARTITION_COLUMN
        name = f"{_quote(schema)}.{_quote(table)}"
        with _connect(self.database, {}, False, self.lock_timeout_seconds) as conn:
            conn.register("_freshet_frame", frame)
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
                if context.partition_key is None:
                    conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _freshet_frame")
                else:
                    conn.execute(
                        f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM _freshet_frame LIMIT 0"
                    )
                    conn.execute(
                        f"DELETE FROM {name} WHERE CAST({_quote(str(partition_expr))} AS VARCHAR)"
                        " = ?",
                        [context.partition_key],
                    )
                    conn.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _freshet_frame")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.unregister("_freshet_frame")
            columns = conn.execute(f"DESCRIBE {name}").fetchall()
        context.add_output_metadata(
            {
                "row_count": fr.MetadataValue.int(self._row_count(frame)),
                "column_schema": fr.MetadataValue.table_schema(
                    fr.TableSchema(
                        columns=[fr.TableColumn(name=c[0], type=str(c[1])) for c in columns]
                    )
                ),
                "table": fr.MetadataValue.text(f"{schema}.{table}"),
            }
        )
        return None

    def load_input(self, context: fr.InputContext) -> Any:
        key = context.upstream_asset_key
        if key is None:
            raise fr.ExecutionError(
                f"input {context.name!r}: {type(self).__name__} loads assets only"
            )
        schema, table = self._table(key)
        name = f"{_quote(schema)}.{_quote(table)}"
        partition_expr = context.upstream_output.definition_metadata.get("partition_expr")
        drop = partition_expr is None
        column = _quote(str(partition_expr or PARTITION_COLUMN))
        keys: list[str] | None = None
        if context.partition_key is not None:
            keys = [context.partition_key]
        elif context.asset_partition_keys is not None:
            keys = list(context.asset_partition_keys)
        with _connect(self.database, {}, False, self.lock_timeout_seconds) as conn:
            exists = conn.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = ? AND table_name = ?",
                [schema, table],
            ).fetchone()[0]
            if not exists:
                raise fr.ExecutionError(
                    f"input {context.name!r}: no table {schema}.{table} for asset "
                    f"'{key.to_user_string()}' in DuckDB database {self.database!r}; "
                    "materialize it first"
                )
            if keys is None:
                return self._fetch(conn.sql(f"SELECT * FROM {name}"))
            if context.loads_many_partitions and wants_dict(context.dagster_type):
                # one query; the rows split by partition key in the frame library
                tagged = self._fetch(
                    conn.sql(
                        f"SELECT *, CAST({column} AS VARCHAR) AS {_quote(_KEY_COLUMN)} "
                        f"FROM {name} WHERE CAST({column} AS VARCHAR) IN "
                        f"(SELECT unnest(?::VARCHAR[]))",
                        params=[keys],
                    )
                )
                parts = self._split(tagged, _KEY_COLUMN)
                empty = self._drop_column(tagged, _KEY_COLUMN)[:0]
                return {k: self._finish(parts.get(k, empty), drop) for k in keys}
            relation = conn.sql(
                f"SELECT * FROM {name} WHERE CAST({column} AS VARCHAR) IN "
                f"(SELECT unnest(?::VARCHAR[])) ORDER BY CAST({column} AS VARCHAR)",
                params=[keys],
            )
            return self._finish(self._fetch(relation), drop)

    def _finish(self, frame: Any, drop_partition_column: bool) -> Any:
        return self._drop_column(frame, PARTITION_COLUMN) if drop_partition_column else frame


class DuckDBPandasIOManager(_DuckDBIOManager):
    """Stores pandas DataFrames as DuckDB tables ``schema.asset_name`` (``schema`` defaults to
    the asset key's prefix, else ``public``) and loads them back as DataFrames."""

    frame_kind: ClassVar[str] = "pandas.DataFrame"

    def _as_frame(self, obj: Any) -> Any:
        pd = require("pandas", "pandas", "DuckDBPandasIOManager")
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(type(obj))
        return obj

    def _fetch(self, relation: Any) -> Any:
        return relation.df()

    def _drop_column(self, frame: Any, column: str) -> Any:
        return frame.drop(columns=[column]) if column in frame.columns else frame

    def _split(self, frame: Any, column: str) -> dict[str, Any]:
        return {
            key: part.drop(columns=[column]).reset_index(drop=True)
            for key, part in frame.groupby(column, sort=False)
        }

    def _with_column(self, frame: Any, column: str, value: str) -> Any:
        return frame.assign(**{column: value})

    def _row_count(self, frame: Any) -> int:
        return len(frame)


class DuckDBPolarsIOManager(_DuckDBIOManager):
    """Stores polars DataFrames (or LazyFrames, collected) as DuckDB tables
    ``schema.asset_name`` and loads them back as polars DataFrames."""

    frame_kind: ClassVar[str] = "polars.DataFrame"

    def _as_frame(self, obj: Any) -> Any:
        pl = require("polars", "polars", "DuckDBPolarsIOManager")
        if isinstance(obj, pl.LazyFrame):
            obj = obj.collect()
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(type(obj))
        return obj

    def _fetch(self, relation: Any) -> Any:
        return relation.pl()

    def _drop_column(self, frame: Any, column: str) -> Any:
        return frame.drop(column) if column in frame.columns else frame

    def _split(self, frame: Any, column: str) -> dict[str, Any]:
        return {
            part[column][0]: part.drop(column)
            for part in frame.partition_by(column, maintain_order=True)
        }

    def _with_column(self, frame: Any, column: str, value: str) -> Any:
        pl = require("polars", "polars", "DuckDBPolarsIOManager")
        return frame.with_columns(pl.lit(value).alias(column))

    def _row_count(self, frame: Any) -> int:
        return int(frame.height)
