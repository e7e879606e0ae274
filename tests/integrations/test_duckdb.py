"""DuckDB integration against real duckdb: the resource, tables per asset, partition-aware
writes, loading upstream tables, metadata, and a database locked by another process."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pandas as pd
import polars as pl
import pytest

import freshet as fr
from freshet.integrations.duckdb import (
    DuckDBPandasIOManager,
    DuckDBPolarsIOManager,
    DuckDBResource,
)

DAYS = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04")


@fr.asset(key_prefix=["analytics"])
def listens() -> pd.DataFrame:
    return pd.DataFrame({"user": ["u1", "u2", "u1"], "track": ["a", "b", "c"]})


@fr.asset(key_prefix=["analytics"], ins={"listens": fr.AssetIn(key=["analytics", "listens"])})
def listens_per_user(listens: pd.DataFrame) -> pd.DataFrame:
    return listens.groupby("user", as_index=False).size()


def _rows(database, sql):
    with duckdb.connect(str(database)) as conn:
        return conn.execute(sql).fetchall()


def test_resource_hands_out_a_connection_and_closes_it(tmp_path):
    resource = DuckDBResource(database=str(tmp_path / "db.duckdb"))
    with resource.get_connection() as conn:
        conn.execute("CREATE TABLE t AS SELECT 42 AS answer")
    with resource.get_connection() as conn:
        assert conn.execute("SELECT answer FROM t").fetchone() == (42,)
    with pytest.raises(duckdb.ConnectionException):
        conn.execute("SELECT 1")


def test_each_asset_is_a_table_named_schema_dot_asset(tmp_path):
    database = tmp_path / "db.duckdb"
    io = DuckDBPandasIOManager(database=str(database))
    result = fr.materialize([listens, listens_per_user], resources={"io_manager": io})
    assert sorted(_rows(database, "SELECT * FROM analytics.listens_per_user")) == [
        ("u1", 2),
        ("u2", 1),
    ]
    mats = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    meta = mats["analytics/listens"].metadata
    assert meta["row_count"].value == 3
    assert meta["table"].value == "analytics.listens"
    assert [(c.name, c.type) for c in meta["column_schema"].value.columns] == [
        ("user", "VARCHAR"),
        ("track", "VARCHAR"),
    ]


def test_an_explicit_schema_overrides_the_key_prefix(tmp_path):
    database = tmp_path / "db.duckdb"
    io = DuckDBPandasIOManager(database=str(database), schema="raw")
    fr.materialize([listens], resources={"io_manager": io})
    assert _rows(database, "SELECT count(*) FROM raw.listens") == [(3,)]


@fr.asset(partitions_def=DAYS, metadata={"partition_expr": "day"})
def daily_plays(context: fr.AssetExecutionContext) -> pl.DataFrame:
    day = context.partition_key
    return pl.DataFrame({"day": [day, day], "plays": [1, int(day[-1])]})


@fr.asset(partitions_def=DAYS)
def daily_skips(context: fr.AssetExecutionContext) -> pl.DataFrame:
    return pl.DataFrame({"skips": [int(context.partition_key[-1])]})


def test_partition_writes_replace_only_their_partitions_rows(tmp_path):
    database = tmp_path / "db.duckdb"
    resources = {"io_manager": DuckDBPolarsIOManager(database=str(database), schema="raw")}
    for day in ("2024-01-01", "2024-01-02", "2024-01-01"):
        fr.materialize([daily_plays], resources=resources, partition_key=day)
    assert _rows(database, "SELECT day, plays FROM raw.daily_plays ORDER BY day, plays") == [
        ("2024-01-01", 1),
        ("2024-01-01", 1),
        ("2024-01-02", 1),
        ("2024-01-02", 2),
    ]


def test_partitioned_upstream_loads_all_rows_or_a_dict_per_partition(tmp_path):
    database = tmp_path / "db.duckdb"
    instance = fr.Instance.ephemeral()
    resources = {"io_manager": DuckDBPolarsIOManager(database=str(database), schema="raw")}
    seen = {}

    @fr.asset
    def total_skips(daily_skips: pl.DataFrame) -> pl.DataFrame:
        seen["all"] = daily_skips
        return daily_skips.select(pl.col("skips").sum())

    @fr.asset
    def skips_by_day(daily_skips: dict[str, pl.DataFrame]) -> pl.DataFrame:
        seen["dict"] = daily_skips
        return pl.DataFrame({"days": [len(daily_skips)]})

    for day in DAYS.get_partition_keys():
        fr.materialize([daily_skips], resources=resources, partition_key=day, instance=instance)
    fr.materialize(
        [daily_skips, total_skips, skips_by_day],
        resources=resources,
        instance=instance,
        selection="total_skips or skips_by_day",
    )
    # the partition column the IO manager added is dropped again on load
    assert seen["all"].columns == ["skips"]
    assert seen["all"]["skips"].to_list() == [1, 2, 3]
    assert {k: v["skips"].to_list() for k, v in seen["dict"].items()} == {
        "2024-01-01": [1],
        "2024-01-02": [2],
        "2024-01-03": [3],
    }
    assert _rows(database, "SELECT * FROM raw.total_skips") == [(6,)]


def test_a_pandas_dict_of_partitions_keeps_the_partition_column_it_was_given(tmp_path):
    database = tmp_path / "db.duckdb"
    instance = fr.Instance.ephemeral()
    resources = {"io_manager": DuckDBPandasIOManager(database=str(database), schema="raw")}
    seen = {}

    @fr.asset(name="plays", partitions_def=DAYS, metadata={"partition_expr": "day"})
    def plays(context: fr.AssetExecutionContext) -> pd.DataFrame:
        day = context.partition_key
        return pd.DataFrame({"day": [day] * int(day[-1]), "n": range(int(day[-1]))})

    @fr.asset
    def per_day(plays: dict[str, pd.DataFrame]) -> pd.DataFrame:
        seen.update(plays)
        return pd.DataFrame({"days": [len(plays)]})

    for day in DAYS.get_partition_keys():
        fr.materialize([plays], resources=resources, partition_key=day, instance=instance)
    fr.materialize([plays, per_day], resources=resources, instance=instance, selection="per_day")
    assert list(seen) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    for day, frame in seen.items():
        assert list(frame.columns) == ["day", "n"]  # the asset's own column, not dropped
        assert frame["day"].tolist() == [day] * int(day[-1])
        assert frame.index.tolist() == list(range(int(day[-1])))


def test_a_failed_partition_write_leaves_the_table_as_it_was(tmp_path):
    database = tmp_path / "db.duckdb"
    io = DuckDBPandasIOManager(database=str(database), schema="raw")

    @fr.asset(name="daily_plays", partitions_def=DAYS, metadata={"partition_expr": "day"})
    def bad_plays(context: fr.AssetExecutionContext) -> pd.DataFrame:
        if context.partition_key == "2024-01-02":  # a column the table does not have
            return pd.DataFrame({"day": ["2024-01-02"], "oops": [1]})
        return pd.DataFrame({"day": ["2024-01-01"], "plays": [5]})

    fr.materialize([bad_plays], resources={"io_manager": io}, partition_key="2024-01-01")
    result = fr.materialize(
        [bad_plays], resources={"io_manager": io}, partition_key="2024-01-02", raise_on_error=False
    )
    assert not result.success
    assert _rows(database, "SELECT day, plays FROM raw.daily_plays") == [("2024-01-01", 5)]


def test_a_value_that_is_not_a_dataframe_is_refused_by_name(tmp_path):
    @fr.asset
    def oops():
        return {"a": 1}

    io = DuckDBPandasIOManager(database=str(tmp_path / "db.duckdb"))
    result = fr.materialize([oops], resources={"io_manager": io}, raise_on_error=False)
    assert "asset 'oops'" in result.failure_message
    assert "builtins.dict" in result.failure_message


@pytest.fixture
def locked_database(tmp_path):
    """A DuckDB file held open (locked) by another process until the test ends."""
    database = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " time.sleep(120)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield database
    finally:
        holder.kill()
        holder.wait(timeout=10)
        holder.stdout.close()


def test_a_database_locked_by_another_process_fails_clearly_after_the_timeout(locked_database):
    resource = DuckDBResource(database=str(locked_database), lock_timeout_seconds=0.3)
    with (
        pytest.raises(fr.ExecutionError, match="locked by another process") as caught,
        resource.get_connection(),
    ):
        pass
    assert str(locked_database) in str(caught.value)
