"""Asset checks: evaluations are recorded; a failed blocking check stops downstream."""

import freshet as fr
from freshet.storage.records import EventType


@fr.asset
def rows():
    return [1, -2, 3]


@fr.asset
def report(rows):
    return len(rows)


def _no_negatives(blocking):
    @fr.asset_check(asset=rows, blocking=blocking)
    def no_negatives(rows):
        bad = [r for r in rows if r < 0]
        return fr.AssetCheckResult(passed=not bad, metadata={"bad": len(bad)})

    return no_negatives


def test_check_evaluation_is_recorded():
    defs = fr.Definitions(assets=[rows], asset_checks=[_no_negatives(False)])
    result = fr.materialize(defs)
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.asset_key == fr.AssetKey("rows")
    assert evaluation.check_name == "no_negatives"
    assert evaluation.passed is False
    assert evaluation.metadata["bad"].value == 1
    assert result.success  # a non-blocking check failure does not fail the run


def test_blocking_check_failure_skips_downstream():
    defs = fr.Definitions(assets=[rows, report], asset_checks=[_no_negatives(True)])
    result = fr.materialize(defs, raise_on_error=False)
    assert not result.success
    skipped = [e.step_key for e in result.all_events if e.event_type is EventType.STEP_SKIPPED]
    assert skipped == ["report"]
    materialized = {m.asset_key for m in result.get_asset_materialization_events()}
    assert materialized == {fr.AssetKey("rows")}


def test_check_specs_reported_by_the_asset_itself():
    @fr.asset(check_specs=[fr.AssetCheckSpec("positive", asset="values", blocking=True)])
    def values():
        yield fr.Output([1, 2])
        yield fr.AssetCheckResult(passed=True)

    result = fr.materialize([values])
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "positive" and evaluation.passed


def test_declared_check_without_a_result_fails_the_step():
    @fr.asset(check_specs=[fr.AssetCheckSpec("forgotten", asset="values")])
    def values():
        return [1]

    result = fr.materialize([values], raise_on_error=False)
    assert "forgotten" in result.get_step_failure_events()[0].message


def test_instance_indexes_the_latest_check_evaluation():
    instance = fr.Instance.ephemeral()
    defs = fr.Definitions(assets=[rows], asset_checks=[_no_negatives(False)])
    fr.materialize(defs, instance=instance)
    record = instance.storage.get_latest_check_evaluation(
        fr.AssetCheckKey(fr.AssetKey("rows"), "no_negatives")
    )
    assert record.event.data["passed"] is False
