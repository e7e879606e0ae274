"""PandasParquetIOManager against real pandas, pyarrow and fsspec: files, metadata, data
versions, partitions, bad values."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

import freshet as fr
from freshet.integrations.pandas import PandasParquetIOManager

DAYS = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04")


@fr.asset
def orders() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "amount": [9.5, 3.0, 7.25]})


@fr.asset
def big_orders(orders: pd.DataFrame) -> pd.DataFrame:
    return orders[orders["amount"] > 5]


def _materialize(assets, base_path, instance=None, **kwargs):
    io = PandasParquetIOManager(base_path=str(base_path))
    return fr.materialize(assets, resources={"io_manager": io}, instance=instance, **kwargs)


def test_writes_one_parquet_file_per_asset_and_loads_it_downstream(tmp_path):
    result = _materialize([orders, big_orders], tmp_path)
    assert pq.read_table(tmp_path / "orders.parquet").num_rows == 3
    stored = pd.read_parquet(tmp_path / "big_orders.parquet")
    assert stored["id"].tolist() == [1, 3]
    assert result.success


def test_records_row_count_and_column_schema(tmp_path):
    result = _materialize([orders], tmp_path)
    [mat] = result.get_asset_materialization_events()
    assert mat.metadata["row_count"].value == 3
    schema = mat.metadata["column_schema"].value
    assert [(c.name, c.type) for c in schema.columns] == [("id", "int64"), ("amount", "float64")]


def test_data_version_is_the_sha256_of_the_file_written(tmp_path):
    import hashlib

    [mat] = _materialize([orders], tmp_path).get_asset_materialization_events()
    written = (tmp_path / "orders.parquet").read_bytes()
    assert mat.data_version == hashlib.sha256(written).hexdigest()


def test_unchanged_frame_cuts_off_downstream_staleness(tmp_path):
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(
        assets=[orders, big_orders],
        resources={"io_manager": PandasParquetIOManager(base_path=str(tmp_path))},
    )
    fr.materialize(defs, instance=instance)
    fr.materialize(defs, selection="orders", instance=instance)
    status = fr.get_asset_statuses(defs, instance)[fr.AssetKey("big_orders")]
    assert status.status is fr.StaleStatus.UP_TO_DATE


def test_changed_frame_makes_downstream_stale(tmp_path):
    instance = fr.Instance.ephemeral()
    rows = {"n": 3}

    @fr.asset(name="orders")
    def changing_orders() -> pd.DataFrame:
        return pd.DataFrame({"id": list(range(rows["n"])), "amount": [9.0] * rows["n"]})

    defs = fr.Definitions(
        assets=[changing_orders, big_orders],
        resources={"io_manager": PandasParquetIOManager(base_path=str(tmp_path))},
    )
    fr.materialize(defs, instance=instance)
    rows["n"] = 4
    fr.materialize(defs, selection="orders", instance=instance)
    status = fr.get_asset_statuses(defs, instance)[fr.AssetKey("big_orders")]
    assert status.status is fr.StaleStatus.STALE


@fr.asset(partitions_def=DAYS)
def daily_events(context: fr.AssetExecutionContext) -> pd.DataFrame:
    return pd.DataFrame({"day": [context.partition_key] * 2, "n": [1, 2]})


def test_partitions_are_files_in_a_folder_per_asset(tmp_path):
    for day in ("2024-01-01", "2024-01-02"):
        _materialize([daily_events], tmp_path, partition_key=day)
    assert sorted(p.name for p in (tmp_path / "daily_events").iterdir()) == [
        "2024-01-01.parquet",
        "2024-01-02.parquet",
    ]


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (pd.DataFrame, "frame"),
        (dict[str, pd.DataFrame], "dict"),
    ],
    ids=["frame-concatenated", "dict-per-partition"],
)
def test_partitioned_upstream_loads_as_the_annotation_asks(tmp_path, annotation, expected):
    instance = fr.Instance.ephemeral()
    seen = {}

    def summary(daily_events):
        seen["value"] = daily_events
        return pd.DataFrame({"rows": [1]})

    summary.__annotations__ = {"daily_events": annotation, "return": pd.DataFrame}
    summary_asset = fr.asset(summary)
    for day in DAYS.get_partition_keys():
        _materialize([daily_events], tmp_path, instance=instance, partition_key=day)
    _materialize([daily_events, summary_asset], tmp_path, instance=instance, selection="summary")
    value = seen["value"]
    if expected == "dict":
        assert sorted(value) == list(DAYS.get_partition_keys())
        assert all(len(frame) == 2 for frame in value.values())
    else:
        assert isinstance(value, pd.DataFrame)
        assert value["day"].tolist() == [d for d in DAYS.get_partition_keys() for _ in (1, 2)]


def test_works_on_an_fsspec_url():
    import fsspec

    base = "memory://freshet-test-pandas"
    _materialize([orders, big_orders], base)
    fs = fsspec.filesystem("memory")
    with fs.open("/freshet-test-pandas/big_orders.parquet", "rb") as file:
        assert pd.read_parquet(file)["id"].tolist() == [1, 3]
    fs.rm("/freshet-test-pandas", recursive=True)


def test_a_value_that_is_not_a_dataframe_names_the_asset_and_its_type(tmp_path):
    @fr.asset
    def not_a_frame():
        return [1, 2, 3]

    result = _materialize([not_a_frame], tmp_path, raise_on_error=False)
    assert not result.success
    message = result.failure_message
    assert "asset 'not_a_frame'" in message
    assert "builtins.list" in message and "pandas.DataFrame" in message
    assert not (tmp_path / "not_a_frame.parquet").exists()


def test_loading_what_was_never_written_says_to_materialize_it(tmp_path):
    result = _materialize(
        [orders, big_orders], tmp_path, selection="big_orders", raise_on_error=False
    )
    assert "no Parquet file for 'orders'" in result.failure_message
