"""Checks beyond one function per check: `@multi_asset_check` evaluating several checks in
one step, and checks on partitioned assets recorded per partition."""

from __future__ import annotations

import pytest

import freshet as fr


@fr.asset
def orders():
    return [1, 2, 3]


@fr.asset
def customers():
    return ["a"]


def test_multi_asset_check_reports_one_result_per_spec_in_one_step():
    calls = []

    @fr.multi_asset_check(
        specs=[
            fr.AssetCheckSpec("has_rows", asset=orders),
            fr.AssetCheckSpec("has_rows", asset=customers),
        ]
    )
    def row_counts(context: fr.AssetCheckExecutionContext):
        calls.append(sorted(k.to_user_string() for k in context.selected_asset_check_keys))
        yield fr.AssetCheckResult(passed=True, asset_key="orders", check_name="has_rows")
        yield fr.AssetCheckResult(passed=False, asset_key="customers", check_name="has_rows")

    assert isinstance(row_counts, fr.AssetChecksDefinition)
    assert len(row_counts.check_keys) == 2
    result = fr.materialize([orders, customers, row_counts])
    assert result.success
    assert calls == [["customers:has_rows", "orders:has_rows"]]
    outcomes = {
        (e.asset_key.to_user_string(), e.passed) for e in result.get_asset_check_evaluations()
    }
    assert outcomes == {("orders", True), ("customers", False)}


def test_multi_asset_check_missing_a_result_fails_naming_it():
    @fr.multi_asset_check(
        specs=[fr.AssetCheckSpec("a", asset=orders), fr.AssetCheckSpec("b", asset=orders)]
    )
    def only_one():
        return [fr.AssetCheckResult(passed=True, check_name="a")]

    result = fr.materialize([orders, only_one], raise_on_error=False)
    assert not result.success
    assert "no AssetCheckResult for orders:b" in result.failure_message


def test_multi_asset_check_is_definitions_checked_for_duplicates():
    spec = fr.AssetCheckSpec("same", asset=orders)

    @fr.asset_check(asset=orders, name="same")
    def single():
        return fr.AssetCheckResult(passed=True)

    @fr.multi_asset_check(specs=[spec])
    def multi():
        return fr.AssetCheckResult(passed=True)

    with pytest.raises(fr.DefinitionsError, match="defined twice"):
        fr.Definitions(assets=[orders], asset_checks=[single, multi])


def test_multi_asset_check_validates_its_specs():
    with pytest.raises(fr.DefinitionsError, match=r"multi_asset_check 'bad'.*AssetCheckSpec"):

        @fr.multi_asset_check(specs=["orders"])
        def bad(): ...


daily = fr.DailyPartitionsDefinition("2024-01-01", end_date="2024-01-10")


@fr.asset(partitions_def=daily)
def events(context):
    return context.partition_key


def test_partitioned_check_runs_per_partition_and_records_its_status_per_partition():
    @fr.asset_check(asset=events, partitions_def=daily)
    def matches_partition(context: fr.AssetCheckExecutionContext, events):
        return fr.AssetCheckResult(passed=events == context.partition_key)

    instance = fr.Instance.ephemeral()
    for key in ("2024-01-02", "2024-01-03"):
        result = fr.materialize([events, matches_partition], partition_key=key, instance=instance)
        [evaluation] = result.get_asset_check_evaluations()
        assert (evaluation.partition, evaluation.passed) == (key, True)
    check_key = fr.AssetCheckKey(fr.AssetKey("events"), "matches_partition")
    for key in ("2024-01-02", "2024-01-03"):
        assert instance.storage.get_latest_check_evaluation(check_key, key) is not None
    assert instance.storage.get_latest_check_evaluation(check_key, "2024-01-04") is None


def test_partitioned_check_must_use_its_assets_partitions():
    @fr.asset_check(asset=events, partitions_def=fr.DailyPartitionsDefinition("2023-01-01"))
    def other_partitions():
        return fr.AssetCheckResult(passed=True)

    with pytest.raises(fr.DefinitionsError, match="partitions_def differs"):
        fr.Definitions(assets=[events], asset_checks=[other_partitions])


def test_asset_check_partitions_def_must_be_a_definition():
    with pytest.raises(fr.DefinitionsError, match="partitions_def must be a partitions"):

        @fr.asset_check(asset=events, partitions_def="daily")
        def wrong(): ...


def test_additional_ins_must_name_parameters_and_leave_one_for_the_asset():
    with pytest.raises(fr.DefinitionsError, match="additional_ins names other"):

        @fr.asset_check(asset=orders, additional_ins={"other": fr.AssetIn("customers")})
        def no_param(orders):
            return fr.AssetCheckResult(passed=True)

    with pytest.raises(fr.DefinitionsError, match="map the others with"):

        @fr.asset_check(asset=orders)
        def two_params(orders, customers):
            return fr.AssetCheckResult(passed=True)


def test_additional_ins_are_dependencies_of_the_check():
    @fr.asset_check(asset=orders, additional_ins={"people": fr.AssetIn("customers")})
    def cross(orders, people):
        return fr.AssetCheckResult(passed=len(people) <= len(orders))

    assert cross.spec.additional_deps == (fr.AssetKey("customers"),)
    result = fr.materialize([orders, customers, cross])
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]
