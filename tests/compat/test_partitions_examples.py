"""Partitioned assets and jobs as the partitions guide writes them."""


def test_daily_partitioned_asset_reads_its_partition(dg):
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=daily)
    def events(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    result = dg.materialize([events], partition_key="2024-01-05")
    assert result.success
    [mat] = result.get_asset_materialization_events()
    assert mat.partition == "2024-01-05"


def test_static_partitions_with_a_downstream_asset(dg):
    regions = dg.StaticPartitionsDefinition(["eu", "us"])

    @dg.asset(partitions_def=regions)
    def sales(context) -> int:
        return {"eu": 1, "us": 2}[context.partition_key]

    @dg.asset(partitions_def=regions)
    def doubled(sales: int) -> int:
        return sales * 2

    instance = (
        dg.Instance.ephemeral() if hasattr(dg, "Instance") else dg.DagsterInstance.ephemeral()
    )
    result = dg.materialize([sales, doubled], partition_key="us", instance=instance)
    assert result.success
    assert result.asset_value("doubled") == 4


def test_multi_partitioned_asset_reads_dimensions(dg):
    partitions = dg.MultiPartitionsDefinition(
        {
            "date": dg.DailyPartitionsDefinition(start_date="2024-01-01"),
            "color": dg.StaticPartitionsDefinition(["red", "blue"]),
        }
    )

    @dg.asset(partitions_def=partitions)
    def painted(context: dg.AssetExecutionContext) -> str:
        keys = context.partition_key.keys_by_dimension
        return f"{keys['color']}@{keys['date']}"

    key = dg.MultiPartitionKey({"date": "2024-01-02", "color": "red"})
    result = dg.materialize([painted], partition_key=key)
    assert result.asset_value("painted") == "red@2024-01-02"


def test_partitioned_asset_check(dg):
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=daily)
    def rows(context) -> int:
        return 10

    @dg.asset_check(asset=rows, partitions_def=daily)
    def has_rows(rows: int):
        return dg.AssetCheckResult(passed=rows > 0)

    result = dg.materialize([rows, has_rows], partition_key="2024-01-03")
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed
    assert evaluation.partition == "2024-01-03"


def test_partitioned_config_job(dg):
    @dg.op(config_schema={"date": str})
    def process(context):
        return context.op_config["date"]

    @dg.daily_partitioned_config(start_date="2024-01-01")
    def by_day(start, _end):
        return {"ops": {"process": {"config": {"date": start.strftime("%Y-%m-%d")}}}}

    @dg.job(config=by_day)
    def daily_job():
        process()

    result = daily_job.execute_in_process(partition_key="2024-03-01")
    assert result.output_for_node("process") == "2024-03-01"
