"""Partitioned assets in a run: the key is checked, inputs read the mapped upstream
partitions, provenance names them, and partition status reflects what ran."""

import pytest

import freshet as fr

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11")
HOURLY = fr.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-01-04-00:00")


@fr.asset(partitions_def=DAILY)
def events(context: fr.AssetExecutionContext):
    return f"events of {context.partition_key}"


@fr.asset(partitions_def=DAILY)
def cleaned(context: fr.AssetExecutionContext, events):
    return events.upper()


@fr.asset
def summary(cleaned):
    return sorted(cleaned)


def test_partition_key_reaches_the_asset_and_is_recorded():
    instance = fr.Instance.ephemeral()
    result = fr.materialize([events], partition_key="2024-01-03", instance=instance)
    assert result.asset_value("events") == "events of 2024-01-03"
    [mat] = result.get_asset_materialization_events()
    assert mat.partition == "2024-01-03"
    assert instance.get_latest_materialization("events", partition="2024-01-03") is not None
    assert instance.get_latest_materialization("events", partition="2024-01-04") is None


def test_identity_mapping_reads_the_same_partition():
    instance = fr.Instance.ephemeral()
    for day in ["2024-01-02", "2024-01-03"]:
        fr.materialize([events, cleaned], partition_key=day, instance=instance)
    result = fr.materialize(
        [events, cleaned], selection="cleaned", partition_key="2024-01-02", instance=instance
    )
    assert result.asset_value("cleaned") == "EVENTS OF 2024-01-02"
    [mat] = result.get_asset_materialization_events()
    assert [(p["key"], p["partition"]) for p in mat.provenance] == [("events", "2024-01-02")]


def test_unpartitioned_downstream_reads_all_partitions_as_a_dict():
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[events, cleaned, summary])
    for day in DAILY.get_partition_keys():
        fr.materialize(defs, selection="events or cleaned", partition_key=day, instance=instance)
    result = fr.materialize(defs, selection="summary", instance=instance)
    assert result.asset_value("summary") == sorted(DAILY.get_partition_keys())
    [mat] = result.get_asset_materialization_events()
    assert [p["partition"] for p in mat.provenance] == list(DAILY.get_partition_keys())


def test_many_upstream_partitions_fold_into_one_provenance_digest():
    hourly = fr.HourlyPartitionsDefinition(
        start_date="2024-01-01-00:00", end_date="2024-01-03-00:00"
    )

    @fr.asset(partitions_def=hourly)
    def ticks(context):
        return context.partition_key

    @fr.asset
    def all_ticks(ticks):
        return len(ticks)

    instance = fr.Instance.ephemeral()
    for key in hourly.get_partition_keys():
        fr.materialize([ticks], partition_key=key, instance=instance)
    result = fr.materialize([ticks, all_ticks], selection="all_ticks", instance=instance)
    assert result.asset_value("all_ticks") == 48
    [entry] = result.get_asset_materialization_events()[0].provenance
    assert entry["partition_count"] == 48
    assert entry["partition"] == "2024-01-01-00:00...2024-01-02-23:00"
    assert len(entry["data_version"]) == 64


def test_daily_reads_its_24_hourly_partitions():
    @fr.asset(partitions_def=HOURLY)
    def hourly(context):
        return context.partition_key

    @fr.asset(partitions_def=fr.DailyPartitionsDefinition(start_date="2024-01-01"))
    def daily(context, hourly):
        assert len(context.asset_partition_keys_for_input("hourly")) == 24
        return len(hourly)

    instance = fr.Instance.ephemeral()
    for key in HOURLY.get_partition_keys()[24:48]:
        fr.materialize([hourly], partition_key=key, instance=instance)
    result = fr.materialize(
        [hourly, daily], selection="daily", partition_key="2024-01-02", instance=instance
    )
    assert result.asset_value("daily") == 24
    [mat] = result.get_asset_materialization_events()
    assert len(mat.provenance) == 24


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "need a partition key"),
        ({"partition_key": "2023-12-31"}, "2023-12-31"),
        ({"partition_key": "yesterday"}, "yesterday"),
    ],
    ids=["no-key", "before-start", "not-a-date"],
)
def test_bad_partition_keys_are_refused_before_anything_runs(kwargs, message):
    instance = fr.Instance.ephemeral()
    with pytest.raises(fr.PartitionError, match=message):
        fr.materialize([events], instance=instance, **kwargs)
    assert instance.get_runs() == []


def test_partition_key_for_unpartitioned_assets_is_refused():
    with pytest.raises(fr.PartitionError, match="none of the selected assets is partitioned"):
        fr.materialize([fr.asset(name="plain")(lambda: 1)], partition_key="2024-01-01")


def test_partition_status_is_served_as_subsets():
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[events])
    for day in ["2024-01-01", "2024-01-02", "2024-01-05"]:
        fr.materialize(defs, partition_key=day, instance=instance)
    status = fr.get_partition_status(defs, instance, "events")
    assert status.total == 10
    assert sorted(status.materialized) == ["2024-01-01", "2024-01-02", "2024-01-05"]
    assert len(status.missing) == 7 and "2024-01-03" in status.missing
    assert len(status.failed) == 0 and len(status.in_progress) == 0


def test_failed_partition_shows_as_failed():
    @fr.asset(partitions_def=DAILY)
    def flaky(context):
        if context.partition_key == "2024-01-02":
            raise ValueError("bad day")
        return 1

    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[flaky])
    for day in ["2024-01-01", "2024-01-02"]:
        fr.materialize(defs, partition_key=day, instance=instance, raise_on_error=False)
    status = fr.get_partition_status(defs, instance, "flaky")
    assert list(status.failed) == ["2024-01-02"]
    assert list(status.materialized) == ["2024-01-01"]


def test_invalid_mapping_is_refused_at_definitions():
    @fr.asset(partitions_def=fr.StaticPartitionsDefinition(["eu", "us"]))
    def regional(events):
        return events

    with pytest.raises(fr.DefinitionsError, match="'regional' depends on 'events'"):
        fr.Definitions(assets=[events, regional])


def test_dynamic_partitions_come_from_the_instance():
    @fr.asset(partitions_def=fr.DynamicPartitionsDefinition("customers"))
    def per_customer(context):
        return context.partition_key

    instance = fr.Instance.ephemeral()
    with pytest.raises(fr.PartitionError):
        fr.materialize([per_customer], partition_key="acme", instance=instance)
    instance.add_dynamic_partitions("customers", ["acme", "globex"])
    assert fr.materialize([per_customer], partition_key="acme", instance=instance).success


def test_a_range_run_executes_once_and_materializes_every_partition():
    calls = []

    @fr.asset(partitions_def=DAILY)
    def daily_totals(context: fr.AssetExecutionContext):
        calls.append(context.partition_key_range)
        return {key: f"total {key}" for key in context.partition_keys}

    instance = fr.Instance.ephemeral()
    result = fr.materialize(
        [daily_totals], partition_key_range=("2024-01-02", "2024-01-04"), instance=instance
    )
    assert calls == [fr.PartitionKeyRange("2024-01-02", "2024-01-04")]
    assert [m.partition for m in result.get_asset_materialization_events()] == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]
    assert instance.get_run(result.run_id).partition == "2024-01-02...2024-01-04"
    downstream = fr.asset(
        name="one_day", partitions_def=DAILY, ins={"t": fr.AssetIn("daily_totals")}
    )(lambda t: t)
    value = fr.materialize(
        [daily_totals, downstream],
        selection="one_day",
        partition_key="2024-01-03",
        instance=instance,
    ).asset_value("one_day")
    assert value == "total 2024-01-03"


def test_partition_key_in_a_range_run_says_to_use_the_range():
    @fr.asset(partitions_def=DAILY)
    def needs_one(context):
        return context.partition_key

    result = fr.materialize(
        [needs_one], partition_key_range=("2024-01-02", "2024-01-03"), raise_on_error=False
    )
    assert "use context.partition_key_range" in result.get_step_failure_events()[0].message


def test_backwards_range_is_refused():
    with pytest.raises(fr.PartitionError, match="backwards"):
        fr.materialize([events], partition_key_range=("2024-01-05", "2024-01-02"))


def test_a_failed_range_run_marks_every_partition_failed():
    @fr.asset(partitions_def=DAILY)
    def fragile(context):
        raise ValueError("upstream API down")

    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[fragile])
    fr.materialize(
        defs,
        partition_key_range=("2024-01-02", "2024-01-04"),
        instance=instance,
        raise_on_error=False,
    )
    status = fr.get_partition_status(defs, instance, "fragile")
    assert list(status.failed) == ["2024-01-02", "2024-01-03", "2024-01-04"]


def test_multi_partition_keys_reach_the_asset_as_multi_partition_keys():
    multi = fr.MultiPartitionsDefinition(
        {"date": DAILY, "region": fr.StaticPartitionsDefinition(["eu", "us"])}
    )

    @fr.asset(partitions_def=multi)
    def regional(context):
        return dict(context.partition_key.keys_by_dimension)

    result = fr.materialize([regional], partition_key="2024-01-02|eu")
    assert result.asset_value("regional") == {"date": "2024-01-02", "region": "eu"}


def test_observe_records_one_partition_of_a_partitioned_source():
    @fr.observable_source_asset(partitions_def=DAILY)
    def feed(context):
        return fr.DataVersion(f"v-{context.partition_key}")

    instance = fr.Instance.ephemeral()
    fr.observe(fr.Definitions(assets=[feed]), instance=instance, partition_key="2024-01-02")
    record = instance.get_latest_observation("feed", partition="2024-01-02")
    assert record.event.data["data_version"] == "v-2024-01-02"


def test_time_window_is_known_to_checks_and_to_unit_test_contexts():
    context = fr.build_asset_context(partition_key="2024-01-03", partitions_def=DAILY)
    assert str(context.partition_time_window.start) == "2024-01-03 00:00:00+00:00"

    @fr.asset_check(asset=events)
    def window_check(context):
        return fr.AssetCheckResult(
            passed=True, metadata={"end": str(context.partition_time_window.end)}
        )

    result = fr.materialize(
        fr.Definitions(assets=[events], asset_checks=[window_check]), partition_key="2024-01-02"
    )
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.metadata["end"].value == "2024-01-03 00:00:00+00:00"


def test_time_window_of_a_multi_partition_without_a_time_dimension_is_a_usage_error():
    multi = fr.MultiPartitionsDefinition(
        {
            "kind": fr.StaticPartitionsDefinition(["a", "b"]),
            "region": fr.StaticPartitionsDefinition(["eu", "us"]),
        }
    )
    context = fr.build_asset_context(partition_key="a|eu", partitions_def=multi)
    with pytest.raises(fr.FreshetError, match="no time dimension"):
        _ = context.partition_time_window
