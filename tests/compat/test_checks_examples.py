"""Asset checks as the checks guide writes them."""


def test_asset_check_on_a_value(dg):
    @dg.asset
    def orders():
        return [{"id": 1}, {"id": None}]

    @dg.asset_check(asset=orders)
    def ids_present(orders):
        missing = sum(1 for row in orders if row["id"] is None)
        return dg.AssetCheckResult(passed=missing == 0, metadata={"missing": missing})

    result = dg.materialize([orders, ids_present])
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed is False
    assert evaluation.metadata["missing"].value == 1


def test_checks_declared_on_the_asset_with_check_specs(dg):
    @dg.asset(check_specs=[dg.AssetCheckSpec("non_empty", asset="items")])
    def items():
        yield dg.Output([1])
        yield dg.AssetCheckResult(passed=True)

    result = dg.materialize([items])
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]


def test_multi_asset_check(dg):
    @dg.asset
    def left():
        return 1

    @dg.asset
    def right():
        return 2

    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec("ok", asset="left"), dg.AssetCheckSpec("ok", asset="right")]
    )
    def both_ok():
        yield dg.AssetCheckResult(asset_key="left", check_name="ok", passed=True)
        yield dg.AssetCheckResult(asset_key="right", check_name="ok", passed=True)

    result = dg.materialize([left, right, both_ok])
    assert result.success
    assert len(result.get_asset_check_evaluations()) == 2


def test_blocking_check_stops_downstream(dg):
    @dg.asset
    def source():
        return 0

    @dg.asset_check(asset=source, blocking=True)
    def positive(source):
        return dg.AssetCheckResult(passed=source > 0)

    @dg.asset
    def downstream(source):
        return source

    result = dg.materialize([source, positive, downstream], raise_on_error=False)
    materialized = {m.asset_key for m in result.get_asset_materialization_events()}
    assert dg.AssetKey("downstream") not in materialized


def test_check_reading_another_asset_with_additional_ins(dg):
    @dg.asset
    def orders():
        return [{"customer": "a"}, {"customer": "b"}]

    @dg.asset
    def customers():
        return ["a"]

    @dg.asset_check(asset=orders, additional_ins={"customers": dg.AssetIn("customers")})
    def known_customers(orders, customers):
        unknown = [row for row in orders if row["customer"] not in customers]
        return dg.AssetCheckResult(passed=not unknown, metadata={"unknown": len(unknown)})

    result = dg.materialize([orders, customers, known_customers])
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed is False


def test_unit_testing_a_check_with_its_context(dg):
    @dg.asset
    def rows():
        return [1, 2]

    @dg.asset_check(asset=rows)
    def non_empty(context: dg.AssetCheckExecutionContext, rows):
        context.log.info("checking")
        return dg.AssetCheckResult(passed=len(rows) > 0)

    result = non_empty(dg.build_asset_check_context(), [1])
    assert result.passed
