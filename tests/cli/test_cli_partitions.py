"""`freshet materialize --partition / --partition-range` on partitioned assets."""

DEFS = """
import freshet as fr

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")

@fr.asset(partitions_def=DAILY)
def daily(context):
    return context.partition_keys

defs = fr.Definitions(assets=[daily])
"""


def test_partition_range_materializes_each_partition_in_one_run(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "materialize", "--partition-range", "2024-01-01...2024-01-05")
    assert result.exit_code == 0, result.output
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


def test_partitioned_asset_without_a_key_is_a_usage_error(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "materialize")
    assert result.exit_code == 2
    assert "need a partition key" in result.output
