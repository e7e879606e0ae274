"""Staleness per partition, rule by rule and mapping by mapping: identity, daily <- hourly
(listed and folded provenance), previous day, unpartitioned <- partitioned through all; and
how an asset's partitions sum up to its own status."""

import pytest

import freshet as fr
from freshet import StaleCauseCategory as Category
from freshet import StaleStatus as Status
from freshet.errors import UsageError
from freshet.status.partitions import get_partition_statuses

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-06")
HOURLY = fr.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-01-04-00:00")
D1, D2, D3 = "2024-01-01", "2024-01-02", "2024-01-03"


def _asset(name, *, deps=(), code_version=None, partitions_def=DAILY, values=None, mapping=None):
    """A partitioned asset returning `values[(name, partition)]` (default 1)."""
    values = {} if values is None else values
    dependencies = [
        fr.AssetDep(dep, partition_mapping=mapping) if mapping is not None else dep for dep in deps
    ]

    @fr.asset(
        name=name, deps=dependencies, code_version=code_version, partitions_def=partitions_def
    )
    def compute(context: fr.AssetExecutionContext):
        return values.get((name, context.partition_key), 1)

    return compute


def _plain(name, *, deps=(), mapping=None, values=None):
    values = {} if values is None else values
    dependencies = [
        fr.AssetDep(dep, partition_mapping=mapping) if mapping is not None else dep for dep in deps
    ]

    @fr.asset(name=name, deps=dependencies)
    def compute():
        return values.get((name, None), 1)

    return compute


def _run(defs, instance, partitions, selection=None):
    for partition in partitions:
        fr.materialize(defs, instance=instance, partition_key=partition, selection=selection)


def _staleness(defs, instance, key):
    return get_partition_statuses(defs, instance, key)


def test_fresh_partitions_are_up_to_date_and_the_others_missing():
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[_asset("events"), _asset("clean", deps=["events"])])
    _run(defs, instance, [D1, D2])
    result = _staleness(defs, instance, "clean")
    assert sorted(result.up_to_date) == [D1, D2]
    assert len(result.stale) == 0
    assert len(result.missing) == 3 and D3 in result.missing
    assert result.status_of(D3) is Status.MISSING
    assert result.counts() == {"stale": 0, "missing": 3, "up_to_date": 2}


def test_code_version_change_makes_every_materialized_partition_stale():
    instance = fr.Instance.ephemeral()
    _run(fr.Definitions(assets=[_asset("events", code_version="1")]), instance, [D1, D2])
    changed = fr.Definitions(assets=[_asset("events", code_version="2")])
    result = _staleness(changed, instance, "events")
    assert sorted(result.stale) == [D1, D2]
    [cause] = result.causes_for(D1)
    assert (cause.category, cause.partition) == (Category.CODE, D1)
    assert cause.message == "code version changed from 1 to 2"


def test_identity_new_upstream_data_makes_only_that_partition_stale():
    instance = fr.Instance.ephemeral()
    values = {}
    defs = fr.Definitions(
        assets=[_asset("events", values=values), _asset("clean", deps=["events"])]
    )
    _run(defs, instance, [D1, D2])
    values[("events", D2)] = 2
    _run(defs, instance, [D2], selection="events")
    result = _staleness(defs, instance, "clean")
    assert list(result.stale) == [D2]
    assert list(result.up_to_date) == [D1]
    [cause] = result.causes_for(D2)
    assert cause.category is Category.DATA
    assert cause.dependency == fr.AssetKey("events")
    assert cause.message.startswith(f"upstream events partition {D2} has a new data version (")
    assert "materialized" in cause.message


def test_identity_same_upstream_data_version_cuts_off_the_ripple():
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[_asset("events"), _asset("clean", deps=["events"])])
    _run(defs, instance, [D1])
    _run(defs, instance, [D1], selection="events")  # same value, same data version
    assert list(_staleness(defs, instance, "clean").up_to_date) == [D1]


def test_stale_upstream_partition_propagates_to_the_partitions_that_read_it():
    instance = fr.Instance.ephemeral()
    first = fr.Definitions(
        assets=[_asset("events", code_version="1"), _asset("clean", deps=["events"])]
    )
    _run(first, instance, [D1, D2])
    _run(first, instance, [D3], selection="clean")  # reads a missing upstream partition
    changed = fr.Definitions(
        assets=[_asset("events", code_version="2"), _asset("clean", deps=["events"])]
    )
    result = _staleness(changed, instance, "clean")
    assert sorted(result.stale) == [D1, D2, D3]
    [stale_cause] = result.causes_for(D1)
    assert (stale_cause.category, stale_cause.message) == (
        Category.DEPENDENCY,
        f"upstream events partition {D1} is stale",
    )
    [missing_cause] = result.causes_for(D3)
    assert missing_cause.message == f"upstream events partition {D3} is missing"


def test_added_and_removed_dependencies_are_causes_per_partition():
    instance = fr.Instance.ephemeral()
    first = fr.Definitions(assets=[_asset("a"), _asset("x"), _asset("b", deps=["x"])])
    _run(first, instance, [D1])
    changed = fr.Definitions(assets=[_asset("a"), _asset("x"), _asset("b", deps=["a"])])
    messages = sorted(c.message for c in _staleness(changed, instance, "b").causes_for(D1))
    assert messages == [
        "new dependency on a since the last materialization",
        "no longer depends on x",
    ]


@pytest.mark.parametrize(
    ("mapping", "upstream_partitions", "folded"),
    [
        (None, 24, False),
        (fr.TimeWindowPartitionMapping(start_offset=-1), 48, True),
    ],
    ids=["one-day-listed", "two-days-folded"],
)
def test_daily_reading_hourly_partitions(mapping, upstream_partitions, folded):
    instance = fr.Instance.ephemeral()
    values = {}
    daily = _asset("daily", deps=["hourly"], mapping=mapping)
    defs = fr.Definitions(assets=[_asset("hourly", partitions_def=HOURLY, values=values), daily])
    hours = [h for h in HOURLY.get_partition_keys() if h < "2024-01-03"]
    _run(defs, instance, hours, selection="hourly")
    result = fr.materialize(defs, instance=instance, partition_key=D2, selection="daily")
    [mat] = result.get_asset_materialization_events()
    assert (len(mat.provenance) == 1) is folded
    assert _staleness(defs, instance, "daily").status_of(D2) is Status.UP_TO_DATE
    _run(defs, instance, ["2024-01-02-05:00"], selection="hourly")  # same data: cut off
    assert _staleness(defs, instance, "daily").status_of(D2) is Status.UP_TO_DATE
    values[("hourly", "2024-01-02-05:00")] = 2
    _run(defs, instance, ["2024-01-02-05:00"], selection="hourly")
    [cause] = _staleness(defs, instance, "daily").causes_for(D2)
    assert cause.category is Category.DATA
    assert cause.dependency == fr.AssetKey("hourly")
    if folded:
        assert cause.message.startswith(
            f"upstream hourly: the {upstream_partitions} partitions it reads (2024-01-01-00:00..."
        )
    else:
        assert "upstream hourly partition 2024-01-02-05:00 has a new data version" in cause.message


def test_previous_day_mapping_blames_the_previous_upstream_partition():
    instance = fr.Instance.ephemeral()
    values = {}
    previous = fr.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    defs = fr.Definitions(
        assets=[
            _asset("events", values=values),
            _asset("report", deps=["events"], mapping=previous),
        ]
    )
    _run(defs, instance, [D1, D2], selection="events")
    _run(defs, instance, [D2, D3], selection="report")
    assert sorted(_staleness(defs, instance, "report").up_to_date) == [D2, D3]
    values[("events", D1)] = 2
    _run(defs, instance, [D1], selection="events")
    result = _staleness(defs, instance, "report")
    [cause] = result.causes_for(D2)
    assert cause.message.startswith(f"upstream events partition {D1} has a new data version")
    assert result.status_of(D3) is Status.UP_TO_DATE


def test_unpartitioned_asset_reading_all_partitions():
    instance = fr.Instance.ephemeral()
    values = {}
    defs = fr.Definitions(
        assets=[_asset("events", values=values), _plain("summary", deps=["events"])]
    )
    _run(defs, instance, [D1, D2], selection="events")
    fr.materialize(defs, instance=instance, selection="summary")
    statuses = fr.get_asset_statuses(defs, instance)
    [missing] = statuses[fr.AssetKey("summary")].causes
    assert missing.message == f"upstream events partition {D3} is missing (and 2 more partitions)"
    _run(defs, instance, DAILY.get_partition_keys(), selection="events")
    fr.materialize(defs, instance=instance, selection="summary")
    assert fr.get_asset_statuses(defs, instance)[fr.AssetKey("summary")].status is (
        Status.UP_TO_DATE
    )
    values[("events", D2)] = 2
    _run(defs, instance, [D2], selection="events")
    [changed] = fr.get_asset_statuses(defs, instance)[fr.AssetKey("summary")].causes
    assert changed.category is Category.DATA
    assert changed.message.startswith(f"upstream events partition {D2} has a new data version")


def test_unpartitioned_asset_reading_many_partitions_compares_the_folded_digest():
    many = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-10")
    instance = fr.Instance.ephemeral()
    values = {}
    defs = fr.Definitions(
        assets=[
            _asset("events", partitions_def=many, values=values),
            _plain("summary", deps=["events"]),
        ]
    )
    _run(defs, instance, many.get_partition_keys(), selection="events")
    [mat] = fr.materialize(
        defs, instance=instance, selection="summary"
    ).get_asset_materialization_events()
    assert mat.provenance[0]["partition_count"] == 40
    summary = fr.AssetKey("summary")
    assert fr.get_asset_statuses(defs, instance)[summary].status is Status.UP_TO_DATE
    values[("events", "2024-01-20")] = 2
    _run(defs, instance, ["2024-01-20"], selection="events")
    [cause] = fr.get_asset_statuses(defs, instance)[summary].causes
    assert cause.message == (
        "upstream events: the 40 partitions it reads (2024-01-01...2024-02-09) changed since "
        "the last materialization (new data versions, or a different set of partitions)"
    )


def test_partitioned_asset_sums_up_its_partitions():
    instance = fr.Instance.ephemeral()
    first = fr.Definitions(assets=[_asset("events", code_version="1")])
    assert fr.get_asset_statuses(first, instance)[fr.AssetKey("events")].status is Status.MISSING
    _run(first, instance, [D1, D2, D3])
    # 3 of 5 partitions: the asset is not up to date while partitions are missing
    assert fr.get_asset_statuses(first, instance)[fr.AssetKey("events")].status is (Status.MISSING)
    _run(first, instance, ["2024-01-04", "2024-01-05"])
    assert fr.get_asset_statuses(first, instance)[fr.AssetKey("events")].status is (
        Status.UP_TO_DATE
    )
    status = fr.get_asset_statuses(
        fr.Definitions(assets=[_asset("events", code_version="2")]), instance
    )[fr.AssetKey("events")]
    assert status.status is Status.STALE
    [cause] = status.causes
    assert cause.partition == f"{D1}...2024-01-05"
    assert cause.message == f"code version changed to 2 (5 partitions: {D1}...2024-01-05)"


def test_partition_status_reports_stale_partitions_on_demand():
    instance = fr.Instance.ephemeral()
    values = {}
    defs = fr.Definitions(
        assets=[_asset("events", values=values), _asset("clean", deps=["events"])]
    )
    _run(defs, instance, [D1, D2])
    values[("events", D1)] = 2
    _run(defs, instance, [D1], selection="events")
    status = fr.get_partition_status(defs, instance, "clean")
    assert sorted(status.materialized) == [D1, D2]
    assert list(status.stale) == [D1]


def test_partitions_no_longer_defined_are_left_out():
    instance = fr.Instance.ephemeral()
    three = fr.StaticPartitionsDefinition(["eu", "us", "apac"])
    _run(
        fr.Definitions(assets=[_asset("sales", partitions_def=three, code_version="1")]),
        instance,
        ["eu", "apac"],
    )
    two = fr.StaticPartitionsDefinition(["eu", "us"])
    defs = fr.Definitions(assets=[_asset("sales", partitions_def=two, code_version="2")])
    result = _staleness(defs, instance, "sales")
    assert list(result.stale) == ["eu"]
    assert list(result.missing) == ["us"]
    assert "apac" not in result.records


@pytest.mark.parametrize(
    ("key", "message"),
    [("nope", "no asset 'nope'"), ("plain", "is not partitioned")],
    ids=["unknown", "unpartitioned"],
)
def test_partition_statuses_of_an_unsuitable_asset_are_refused(key, message):
    defs = fr.Definitions(assets=[_plain("plain")])
    with pytest.raises(UsageError, match=message):
        get_partition_statuses(defs, fr.Instance.ephemeral(), key)
