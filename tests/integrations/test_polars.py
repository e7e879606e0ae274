"""PolarsParquetIOManager against real polars and fsspec: files, metadata, data versions,
partitions, LazyFrames, bad values."""

from __future__ import annotations

import hashlib

import polars as pl

import freshet as fr
from freshet.integrations.polars import PolarsParquetIOManager

DAYS = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-03")


@fr.asset
def plays() -> pl.DataFrame:
    return pl.DataFrame({"track": ["a", "b", "a"], "seconds": [30, 200, 95]})


@fr.asset
def long_plays(plays: pl.LazyFrame) -> pl.LazyFrame:
    assert isinstance(plays, pl.LazyFrame)
    return plays.filter(pl.col("seconds") > 60)


def _materialize(assets, base_path, **kwargs):
    io = PolarsParquetIOManager(base_path=str(base_path))
    return fr.materialize(assets, resources={"io_manager": io}, **kwargs)


def test_writes_parquet_records_metadata_and_fingerprints_the_bytes(tmp_path):
    result = _materialize([plays, long_plays], tmp_path)
    mats = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    assert pl.read_parquet(tmp_path / "long_plays.parquet")["seconds"].to_list() == [200, 95]
    assert mats["long_plays"].metadata["row_count"].value == 2
    schema = mats["plays"].metadata["column_schema"].value
    assert [(c.name, c.type) for c in schema.columns] == [("track", "String"), ("seconds", "Int64")]
    written = (tmp_path / "plays.parquet").read_bytes()
    assert mats["plays"].data_version == hashlib.sha256(written).hexdigest()


def test_same_frame_gives_the_same_data_version(tmp_path):
    first = _materialize([plays], tmp_path).get_asset_materialization_events()[0]
    second = _materialize([plays], tmp_path).get_asset_materialization_events()[0]
    assert first.data_version == second.data_version


@fr.asset(partitions_def=DAYS)
def daily(context: fr.AssetExecutionContext) -> pl.DataFrame:
    return pl.DataFrame({"day": [context.partition_key]})


def test_partitioned_upstream_loads_concatenated_or_as_a_dict(tmp_path):
    instance = fr.Instance.ephemeral()
    seen = {}

    @fr.asset
    def together(daily: pl.DataFrame) -> pl.DataFrame:
        seen["together"] = daily
        return daily

    @fr.asset
    def apart(daily: dict[str, pl.DataFrame]) -> pl.DataFrame:
        seen["apart"] = daily
        return pl.concat(list(daily.values()))

    for day in DAYS.get_partition_keys():
        _materialize([daily], tmp_path, instance=instance, partition_key=day)
    _materialize(
        [daily, together, apart], tmp_path, instance=instance, selection="together or apart"
    )
    assert seen["together"]["day"].to_list() == ["2024-01-01", "2024-01-02"]
    assert {k: v["day"].to_list() for k, v in seen["apart"].items()} == {
        "2024-01-01": ["2024-01-01"],
        "2024-01-02": ["2024-01-02"],
    }
    assert sorted(p.name for p in (tmp_path / "daily").iterdir()) == [
        "2024-01-01.parquet",
        "2024-01-02.parquet",
    ]


def test_a_pandas_frame_is_refused_naming_the_asset_and_its_type(tmp_path):
    import pandas as pd

    @fr.asset
    def wrong_kind():
        return pd.DataFrame({"a": [1]})

    result = _materialize([wrong_kind], tmp_path, raise_on_error=False)
    assert "asset 'wrong_kind'" in result.failure_message
    assert f"returned a {type(pd.DataFrame()).__module__}.DataFrame" in result.failure_message
    assert "polars.DataFrame" in result.failure_message
