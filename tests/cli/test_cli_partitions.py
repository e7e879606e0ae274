"""`freshet materialize --partition / --partition-range` on partitioned assets."""

import json

DEFS = """
import freshet as fr

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")

@fr.asset(partitions_def=DAILY)
def daily(context):
    return context.partition_keys

defs = fr.Definitions(assets=[daily])
"""


def test_partition_range_runs_one_partition_per_run_for_assets_reading_partition_key(write, invoke):
    write(
        "defs.py",
        """
        import freshet as fr

        DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")

        @fr.asset(partitions_def=DAILY)
        def events(context: fr.AssetExecutionContext):
            return context.partition_key

        defs = fr.Definitions(assets=[events])
        """,
    )
    result = invoke(
        "-f",
        "defs.py",
        "materialize",
        "--select",
        "events",
        "--partition-range",
        "2024-01-01...2024-01-05",
    )
    assert result.exit_code == 0, result.output
    assert "5 run(s)" in result.output
    assert "5 materialized, 0 failed" in result.output
    status = invoke("-f", "defs.py", "assets", "partitions", "events", "--json")
    assert json.loads(status.output)["materialized"] == ["2024-01-01...2024-01-05"]


def test_partition_range_is_one_run_for_single_run_assets(write, invoke):
    write(
        "defs.py",
        """
        import freshet as fr

        DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")

        @fr.asset(partitions_def=DAILY, backfill_policy=fr.BackfillPolicy.single_run())
        def daily(context):
            return context.partition_keys

        defs = fr.Definitions(assets=[daily])
        """,
    )
    result = invoke("-f", "defs.py", "materialize", "--partition-range", "2024-01-01...2024-01-05")
    assert result.exit_code == 0, result.output
    assert "run(s)" not in result.output
    assert "5 materialized" in result.output


def test_partition_outside_the_definition_is_a_usage_error(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "materialize", "--partition", "2025-01-01")
    assert result.exit_code == 2
    assert "valid keys run from '2024-01-01' to '2024-01-31'" in result.output
    assert "Traceback" not in result.output


def test_malformed_partition_range_is_a_usage_error(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "materialize", "--partition-range", "2024-01-05")
    assert result.exit_code == 2
    assert "separated by '...'" in result.output


MIXED = """
import freshet as fr

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")

@fr.asset(partitions_def=DAILY)
def events(context):
    return context.partition_key

@fr.asset
def numbers():
    return [1, 2]

@fr.asset
def total(numbers):
    return sum(numbers)

defs = fr.Definitions(assets=[events, numbers, total])
"""


def test_materialize_without_a_partition_runs_the_unpartitioned_and_says_how_to_backfill(
    write, invoke
):
    write("defs.py", MIXED)
    invoke("-f", "defs.py", "materialize", "--select", "events", "--partition", "2024-01-03")
    result = invoke("-f", "defs.py", "materialize")
    assert result.exit_code == 0, result.output
    assert "2 materialized, 0 failed" in result.output
    assert "events is partitioned: 1 of 31 partitions materialized (30 missing)" in result.output
    assert "freshet backfill --select events --missing" in result.output


def test_the_readme_recipe_for_stale_and_missing_works_with_partitioned_assets(write, invoke):
    write("defs.py", MIXED)
    result = invoke("-f", "defs.py", "materialize", "--select", "status:stale or status:missing")
    assert result.exit_code == 0, result.output
    assert "2 materialized" in result.output
    assert "freshet backfill --select events --missing" in result.output
    backfill = invoke("-f", "defs.py", "backfill", "--select", "events", "--missing")
    assert backfill.exit_code == 0, backfill.output
    again = invoke("-f", "defs.py", "materialize", "--select", "status:stale or status:missing")
    assert again.exit_code == 0, again.output
    assert "selects no asset" in again.output


def test_only_partitioned_assets_without_a_partition_is_a_usage_error(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "materialize")
    assert result.exit_code == 2
    assert "daily is partitioned: 0 of 31 partitions materialized (31 missing)" in result.output
    assert "freshet backfill --select daily --missing" in result.output


def test_partition_and_partition_range_together_name_the_flags(write, invoke):
    write("defs.py", DEFS)
    result = invoke(
        "-f",
        "defs.py",
        "materialize",
        "--partition",
        "2024-01-01",
        "--partition-range",
        "2024-01-01...2024-01-02",
    )
    assert result.exit_code == 2
    assert "--partition and --partition-range are exclusive" in result.stderr
    assert "partition_key" not in result.stderr


AROUND_A_RANGE = """
import freshet as fr

daily = fr.DailyPartitionsDefinition("2024-05-01", end_date="2024-05-04")

@fr.asset
def settings():
    return {"scale": 2}

@fr.asset(partitions_def=daily, deps=["settings"])
def events(context):
    return context.partition_key

@fr.asset
def summary(events):
    return len(events)

defs = fr.Definitions(assets=[settings, events, summary])
"""


def test_a_range_with_unpartitioned_assets_runs_them_once_around_the_partitions(write, invoke):
    write("defs.py", AROUND_A_RANGE)
    result = invoke("-f", "defs.py", "materialize", "--partition-range", "2024-05-01...2024-05-03")
    assert result.exit_code == 0, result.output
    output = result.output
    assert output.index("settings") < output.index("[1/3] 2024-05-01") < output.index("summary")
    runs = json.loads(invoke("runs", "list", "--json").output)
    assert len(runs) == 5  # settings, three partitions of events, summary
    status = json.loads(invoke("-f", "defs.py", "assets", "status", "--json").output)
    assert {item["key"]: item["status"] for item in status}["summary"] == "up_to_date"
