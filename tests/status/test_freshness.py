"""Data time and freshness: an asset's data time follows the root data it incorporates, an
upstream rebuilt to the same bytes moves it forward, new upstream data does not, and a
FreshnessPolicy turns it into on time / late (by how much, since when, why) / unknown."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

import freshet as fr
from freshet import FreshnessStatus as Status
from freshet.snapshot import DefinitionsSnapshot
from freshet.status.freshness import freshness_of

HOUR = 3600.0


def _asset(name, deps=(), value=1, policy=None):
    def compute():
        return value

    return fr.asset(name=name, deps=list(deps), freshness_policy=policy)(compute)


def _freshness(defs, instance, now):
    return {k.to_user_string(): f for k, f in fr.get_freshness(defs, instance, now=now).items()}


def _materialize(defs, instance, selection="*"):
    before = time.time()
    fr.materialize(defs, instance=instance, selection=selection)
    return before, time.time()


def test_never_materialized_is_unknown_and_says_so():
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[_asset("a", policy=fr.FreshnessPolicy(60))])
    state = _freshness(defs, instance, now=time.time())["a"]
    assert state.status is Status.UNKNOWN
    assert state.data_time is None
    assert state.causes == ("a has never been materialized",)


def test_a_root_is_on_time_within_its_lag_and_late_after_it():
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[_asset("a", policy=fr.FreshnessPolicy(60))])
    before, after = _materialize(defs, instance)
    on_time = _freshness(defs, instance, now=after + 0.5 * HOUR)["a"]
    assert on_time.status is Status.ON_TIME
    assert before <= on_time.data_time <= after
    assert on_time.next_deadline == pytest.approx(on_time.data_time + HOUR)
    late = _freshness(defs, instance, now=on_time.data_time + 1.5 * HOUR)["a"]
    assert late.status is Status.LATE
    assert late.is_late
    assert late.late_by_minutes == pytest.approx(30.0)
    assert late.late_since == pytest.approx(late.data_time + HOUR)
    assert late.lag_minutes == pytest.approx(90.0)
    assert "requires data up to" in late.causes[0]
    assert late.causes[1].startswith("upstream a was last materialized at")


def test_downstream_data_time_is_the_oldest_of_its_upstreams():
    instance = fr.Instance.ephemeral()
    policy = fr.FreshnessPolicy(60)
    assets = [_asset("old"), _asset("new"), _asset("joined", ["old", "new"], policy=policy)]
    defs = fr.Definitions(assets=assets)
    _materialize(defs, instance, selection="old")
    time.sleep(0.05)
    _materialize(defs, instance, selection="new")
    _materialize(defs, instance, selection="joined")
    resolver_now = time.time()
    state = _freshness(defs, instance, now=resolver_now + 2 * HOUR)["joined"]
    assert state.status is Status.LATE
    # held back by `old`, the older of the two roots
    assert any(cause.startswith("upstream old was last materialized") for cause in state.causes)
    assert not any("upstream new" in cause for cause in state.causes)


def test_an_upstream_rebuilt_to_the_same_bytes_moves_the_data_time_forward():
    instance = fr.Instance.ephemeral()
    policy = fr.FreshnessPolicy(60)
    defs = fr.Definitions(assets=[_asset("raw", value=7), _asset("report", ["raw"], policy=policy)])
    _materialize(defs, instance)
    first = _freshness(defs, instance, now=time.time())["report"].data_time
    time.sleep(0.05)
    _, rebuilt_at = _materialize(defs, instance, selection="raw")  # same value: same version
    second = _freshness(defs, instance, now=time.time())["report"].data_time
    assert first < second <= rebuilt_at


def test_new_upstream_data_leaves_the_recorded_data_time_and_says_why():
    instance = fr.Instance.ephemeral()
    policy = fr.FreshnessPolicy(60)
    first_defs = fr.Definitions(
        assets=[_asset("raw", value=1), _asset("report", ["raw"], policy=policy)]
    )
    _materialize(first_defs, instance)
    before = _freshness(first_defs, instance, now=time.time())["report"].data_time
    time.sleep(0.05)
    defs = fr.Definitions(assets=[_asset("raw", value=2), _asset("report", ["raw"], policy=policy)])
    _materialize(defs, instance, selection="raw")
    state = _freshness(defs, instance, now=before + 2 * HOUR)["report"]
    assert state.data_time == pytest.approx(before)
    assert state.status is Status.LATE
    assert any("upstream raw has changed since" in cause for cause in state.causes)


def test_a_source_asset_data_time_is_its_latest_observation():
    instance = fr.Instance.ephemeral()

    @fr.observable_source_asset
    def orders():
        return fr.DataVersion("v1")

    report = _asset("report", ["orders"], policy=fr.FreshnessPolicy(30))
    defs = fr.Definitions(assets=[orders, report])
    fr.observe([orders], instance=instance)
    _materialize(defs, instance, selection="report")
    observed = instance.storage.get_latest_observation(fr.AssetKey("orders")).timestamp
    state = _freshness(defs, instance, now=observed + HOUR)["report"]
    assert state.data_time == pytest.approx(observed)
    assert state.status is Status.LATE
    assert any(cause.startswith("upstream orders was last observed at") for cause in state.causes)
    time.sleep(0.05)
    fr.observe([orders], instance=instance)  # the same version, observed again: fresher
    again = instance.storage.get_latest_observation(fr.AssetKey("orders")).timestamp
    assert _freshness(defs, instance, now=again)["report"].data_time == pytest.approx(again)


def test_a_cron_policy_requires_the_lag_at_each_tick_only():
    instance = fr.Instance.ephemeral()
    policy = fr.FreshnessPolicy(30, cron_schedule="0 9 * * *")
    defs = fr.Definitions(assets=[_asset("daily_report", policy=policy)])
    _materialize(defs, instance)
    data_time = _freshness(defs, instance, now=time.time())["daily_report"].data_time
    # the first 09:00 tick more than 30 minutes after the data time
    moment = datetime.fromtimestamp(data_time + 1800, tz=UTC)
    tick = moment.replace(hour=9, minute=0, second=0, microsecond=0)
    if tick <= moment:
        tick += timedelta(days=1)
    just_before = _freshness(defs, instance, now=tick.timestamp() - 60)["daily_report"]
    assert just_before.status is Status.ON_TIME
    assert just_before.next_deadline == pytest.approx(tick.timestamp())
    after_tick = _freshness(defs, instance, now=tick.timestamp() + 60)["daily_report"]
    assert after_tick.status is Status.LATE
    assert after_tick.late_since == pytest.approx(tick.timestamp())
    assert after_tick.required_data_time == pytest.approx(tick.timestamp() - 1800)


def test_a_time_partitioned_asset_is_as_fresh_as_its_newest_partition():
    instance = fr.Instance.ephemeral()
    daily = fr.DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01")

    @fr.asset(partitions_def=daily, freshness_policy=fr.FreshnessPolicy(24 * 60))
    def events(context):
        return context.partition_key

    defs = fr.Definitions(assets=[events])
    fr.materialize(defs, instance=instance, partition_key="2024-01-10")
    state = _freshness(defs, instance, now=time.time())["events"]
    # data up to the end of the newest materialized window
    assert state.data_time == pytest.approx(datetime(2024, 1, 11, tzinfo=UTC).timestamp())
    assert state.status is Status.LATE
    assert "newest materialized partition is 2024-01-10" in state.causes[-1]


def test_a_snapshot_gives_the_same_freshness_as_the_definitions():
    instance = fr.Instance.ephemeral()
    policy = fr.FreshnessPolicy(60)
    defs = fr.Definitions(assets=[_asset("raw"), _asset("report", ["raw"], policy=policy)])
    _materialize(defs, instance)
    snapshot = DefinitionsSnapshot.from_json(DefinitionsSnapshot.from_definitions(defs).to_json())
    now = time.time() + 2 * HOUR
    assert fr.get_freshness(snapshot, instance, now=now) == fr.get_freshness(
        defs, instance, now=now
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"maximum_lag_minutes": -5}, "between 0 and"),
        ({"maximum_lag_minutes": "60"}, "must be a number of minutes"),
        ({"maximum_lag_minutes": 60, "cron_schedule": "0 0 9 * * *"}, "write five fields"),
        ({"maximum_lag_minutes": 60, "cron_schedule_timezone": "Mars/Base"}, "Mars/Base"),
    ],
    ids=["negative", "not-a-number", "bad-cron", "bad-timezone"],
)
def test_bad_policies_are_definition_errors(kwargs, message):
    with pytest.raises(fr.DefinitionsError, match=message):
        fr.FreshnessPolicy(**kwargs)


def test_a_policy_of_the_wrong_type_names_the_asset():
    with pytest.raises(fr.DefinitionsError, match="asset 'a': freshness_policy must be"):
        fr.asset(name="a", freshness_policy={"maximum_lag_minutes": 5})(lambda: 1)


def test_assets_over_a_never_observed_source_take_their_recorded_times_from_the_status_rows():
    instance = fr.Instance.ephemeral()

    @fr.observable_source_asset
    def orders():
        return fr.DataVersion("v1")

    policy = fr.FreshnessPolicy(60)
    reports = [_asset(f"report_{i}", ["orders"], policy=policy) for i in range(3)]
    defs = fr.Definitions(assets=[orders, *reports])
    before, after = _materialize(defs, instance, selection=[f"report_{i}" for i in range(3)])
    storage = instance.storage
    reads = []
    original = storage.get_asset_status

    def counting(keys, *args, **kwargs):
        reads.append(sorted(k.to_user_string() for k in keys))
        return original(keys, *args, **kwargs)

    storage.get_asset_status = counting
    try:
        states = freshness_of(defs.get_asset_graph(), storage, now=after)
    finally:
        del storage.get_asset_status
    assert {k.to_user_string() for k in states} == {f"report_{i}" for i in range(3)}
    for state in states.values():
        assert before <= state.data_time <= after
        assert state.status is Status.ON_TIME
    assert reads == []  # no status record with its events: the status rows hold the times
