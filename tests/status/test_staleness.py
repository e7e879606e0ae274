"""Staleness rules, one by one: missing, code changes, new upstream data, early cut-off,
propagation, dependency changes, observations — and the causes that explain them."""

import freshet as fr
from freshet import StaleCauseCategory as Category
from freshet import StaleStatus as Status


def _defs(*assets, checks=()):
    return fr.Definitions(assets=list(assets), asset_checks=list(checks))


def _asset(name, deps=(), code_version=None, value=1):
    def compute():
        return value

    return fr.asset(name=name, deps=list(deps), code_version=code_version)(compute)


def _status(defs, instance):
    return {k.to_user_string(): s for k, s in fr.get_asset_statuses(defs, instance).items()}


def test_never_materialized_is_missing():
    instance = fr.Instance.ephemeral()
    statuses = _status(_defs(_asset("a")), instance)
    assert statuses["a"].status is Status.MISSING
    assert statuses["a"].causes == ()


def test_freshly_materialized_is_up_to_date():
    instance = fr.Instance.ephemeral()
    defs = _defs(_asset("a"), _asset("b", ["a"]))
    fr.materialize(defs, instance=instance)
    assert {k: s.status for k, s in _status(defs, instance).items()} == {
        "a": Status.UP_TO_DATE,
        "b": Status.UP_TO_DATE,
    }


def test_code_version_change_makes_stale_with_code_cause():
    instance = fr.Instance.ephemeral()
    fr.materialize(_defs(_asset("a", code_version="1")), instance=instance)
    statuses = _status(_defs(_asset("a", code_version="2")), instance)
    [cause] = statuses["a"].causes
    assert statuses["a"].status is Status.STALE
    assert cause.category is Category.CODE
    assert cause.message == "code version changed from 1 to 2"


def test_new_upstream_data_makes_downstream_stale_with_data_cause():
    instance = fr.Instance.ephemeral()
    fr.materialize(_defs(_asset("a", value=1), _asset("b", ["a"])), instance=instance)
    defs = _defs(_asset("a", value=2), _asset("b", ["a"]))
    fr.materialize(defs, selection="a", instance=instance)
    statuses = _status(defs, instance)
    assert statuses["a"].status is Status.UP_TO_DATE
    [cause] = statuses["b"].causes
    assert cause.category is Category.DATA
    assert cause.dependency == fr.AssetKey("a")
    assert cause.message.startswith("upstream a has a new data version (")
    assert "materialized" in cause.message


def test_same_data_version_upstream_cuts_off_the_ripple():
    instance = fr.Instance.ephemeral()
    defs = _defs(_asset("a", value=1), _asset("b", ["a"]), _asset("c", ["b"]))
    fr.materialize(defs, instance=instance)
    fr.materialize(defs, selection="a", instance=instance)  # same bytes, same version
    assert {s.status for s in _status(defs, instance).values()} == {Status.UP_TO_DATE}


def test_stale_upstream_propagates_as_dependency_cause():
    instance = fr.Instance.ephemeral()
    fr.materialize(_defs(_asset("a", code_version="1"), _asset("b", ["a"])), instance=instance)
    statuses = _status(_defs(_asset("a", code_version="2"), _asset("b", ["a"])), instance)
    [cause] = statuses["b"].causes
    assert cause.category is Category.DEPENDENCY
    assert cause.message == "upstream a is stale"


def test_added_and_removed_dependencies_are_causes():
    instance = fr.Instance.ephemeral()
    fr.materialize(_defs(_asset("a"), _asset("x"), _asset("b", ["x"])), instance=instance)
    statuses = _status(_defs(_asset("a"), _asset("x"), _asset("b", ["a"])), instance)
    messages = sorted(c.message for c in statuses["b"].causes)
    assert messages == [
        "new dependency on a since the last materialization",
        "no longer depends on x",
    ]


def test_new_observation_of_a_source_makes_downstream_stale():
    instance = fr.Instance.ephemeral()
    version = {"v": "1"}

    @fr.observable_source_asset
    def raw_events():
        return fr.DataVersion(version["v"])

    @fr.asset(deps=[raw_events])
    def events():
        return 1

    defs = _defs(raw_events, events)
    fr.observe(defs, instance=instance)
    fr.materialize(defs, instance=instance)
    assert _status(defs, instance)["events"].status is Status.UP_TO_DATE
    fr.observe(defs, instance=instance)  # same version: nothing changes
    assert _status(defs, instance)["events"].status is Status.UP_TO_DATE
    version["v"] = "2"
    fr.observe(defs, instance=instance)
    [cause] = _status(defs, instance)["events"].causes
    assert cause.category is Category.DATA
    assert "upstream raw_events has a new data version (1 -> 2), observed" in cause.message


def test_observation_returning_a_non_version_records_nothing():
    @fr.observable_source_asset
    def feed():
        return 42

    instance = fr.Instance.ephemeral()
    result = fr.observe(_defs(feed), instance=instance, raise_on_error=False)
    assert not result.success
    assert "observation of 'feed' returned int" in result.get_step_failure_events()[0].message
    assert instance.get_latest_observation("feed") is None


def test_materialize_stale_or_missing_rebuilds_exactly_what_is_out_of_date():
    instance = fr.Instance.ephemeral()
    first = _defs(_asset("a"), _asset("b", ["a"]), _asset("c"))
    fr.materialize(first, instance=instance)
    changed = _defs(_asset("a"), _asset("b", ["a"], code_version="2"), _asset("c"), _asset("d"))
    result = fr.materialize(changed, selection="status:stale or status:missing", instance=instance)
    rebuilt = sorted(
        m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
    )
    assert rebuilt == ["b", "d"]
    assert {s.status for s in _status(changed, instance).values()} == {Status.UP_TO_DATE}


def test_statuses_can_be_narrowed_by_selection():
    instance = fr.Instance.ephemeral()
    defs = _defs(_asset("a"), _asset("b", ["a"]))
    assert set(fr.get_asset_statuses(defs, instance, selection="b")) == {fr.AssetKey("b")}
