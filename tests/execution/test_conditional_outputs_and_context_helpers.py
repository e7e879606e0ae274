"""Optional op outputs that are not produced (conditional branching) skip what reads them
without failing the run; per-output partition helpers on the step context; partition keys
on IO manager contexts."""

from __future__ import annotations

import freshet as fr
from freshet.storage.records import EventType


def test_an_unproduced_optional_output_skips_its_readers_and_the_run_succeeds():
    ran = []

    @fr.op(out={"yes": fr.Out(is_required=False), "no": fr.Out(is_required=False)})
    def decide():
        yield fr.Output(1, output_name="yes")

    @fr.op
    def on_yes(value):
        ran.append("yes")
        return value

    @fr.op
    def on_no(value):
        ran.append("no")
        return value

    @fr.op
    def after_no(value):
        ran.append("after")

    @fr.job
    def branching():
        yes, no = decide()
        on_yes(yes)
        after_no(on_no(no))

    result = branching.execute_in_process()
    assert result.success
    assert ran == ["yes"]
    skipped = {e.step_key for e in result.events_of_type(EventType.STEP_SKIPPED)}
    assert skipped == {"on_no", "after_no"}


def test_a_missing_required_output_still_fails():
    @fr.op(out={"a": fr.Out(), "b": fr.Out()})
    def half():
        yield fr.Output(1, output_name="a")

    @fr.job
    def failing():
        half()

    result = failing.execute_in_process(raise_on_error=False)
    assert not result.success
    assert "did not produce required output(s) b" in result.failure_message


def test_context_answers_per_output_partition_questions_and_names_its_op():
    seen = {}
    daily = fr.DailyPartitionsDefinition("2024-01-01")

    @fr.asset(partitions_def=daily)
    def day(context: fr.AssetExecutionContext):
        seen["key"] = context.asset_partition_key_for_output()
        seen["keys"] = context.asset_partition_keys_for_output()
        seen["window"] = context.asset_partitions_time_window_for_output().start.day
        seen["op"] = context.op_def.name
        seen["tag"] = (context.has_tag("team"), context.get_tag("team"))
        return 1

    fr.materialize([day], partition_key="2024-01-05", tags={"team": "data"})
    assert seen == {
        "key": "2024-01-05",
        "keys": ["2024-01-05"],
        "window": 5,
        "op": "day",
        "tag": (True, "data"),
    }


def test_io_manager_contexts_carry_the_partition_being_stored_and_loaded():
    seen = {}
    regions = fr.StaticPartitionsDefinition(["eu", "us"])

    class Recording(fr.IOManager):
        def handle_output(self, context, obj):
            seen["out"] = context.asset_partition_key

        def load_input(self, context):
            seen["in"] = context.asset_partition_key
            return 1

    @fr.asset(partitions_def=regions, io_manager_key="rec")
    def up():
        return 1

    @fr.asset(partitions_def=regions)
    def down(up):
        return up

    fr.materialize([up, down], partition_key="us", resources={"rec": Recording()})
    assert seen == {"out": "us", "in": "us"}
