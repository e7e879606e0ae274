"""Ops, graphs and jobs as the ops and jobs guides write them."""


def test_job_with_config_and_execute_in_process(dg):
    class AddConfig(dg.Config):
        amount: int

    @dg.op
    def start() -> int:
        return 1

    @dg.op
    def add(config: AddConfig, value: int) -> int:
        return value + config.amount

    @dg.job
    def adding():
        add(start())

    result = adding.execute_in_process(run_config=dg.RunConfig(ops={"add": AddConfig(amount=4)}))
    assert result.success
    assert result.output_for_node("add") == 5


def test_ops_with_multiple_outputs(dg):
    @dg.op(out={"evens": dg.Out(), "odds": dg.Out()})
    def split():
        return [2], [1, 3]

    @dg.op
    def count(values):
        return len(values)

    @dg.job
    def splitting():
        evens, odds = split()
        count.alias("count_evens")(evens)
        count.alias("count_odds")(odds)

    result = splitting.execute_in_process()
    assert result.output_for_node("count_odds") == 2


def test_dynamic_fan_out_and_fan_in(dg):
    @dg.op(out=dg.DynamicOut())
    def files():
        for name in ["a", "b", "c"]:
            yield dg.DynamicOutput(name.upper(), mapping_key=name)

    @dg.op
    def size(value):
        return len(value)

    @dg.op
    def total(sizes):
        return sum(sizes)

    @dg.job
    def fan():
        total(files().map(size).collect())

    result = fan.execute_in_process()
    assert result.success
    assert result.output_for_node("total") == 3


def test_a_fan_out_mapped_twice_keeps_the_yielded_order(dg):
    @dg.op(out=dg.DynamicOut())
    def files():
        for name in ["c", "a", "b"]:
            yield dg.DynamicOutput(name, mapping_key=name)

    @dg.op
    def shout(value):
        return value.upper()

    @dg.op
    def exclaim(value):
        return value + "!"

    @dg.op
    def joined(values):
        return " ".join(values)

    @dg.job
    def fan():
        joined(files().map(shout).map(exclaim).collect())

    result = fan.execute_in_process()
    assert result.success
    assert result.output_for_node("joined") == "C! A! B!"


def test_nested_graph_and_retry_policy(dg):
    @dg.op
    def one():
        return 1

    @dg.op
    def inc(value):
        return value + 1

    @dg.graph
    def add_two(value):
        return inc.alias("inc_b")(inc(value))

    @dg.job(op_retry_policy=dg.RetryPolicy(max_retries=1))
    def nested():
        add_two(one())

    result = nested.execute_in_process()
    assert result.success
    assert result.output_for_node("add_two.inc_b") == 3


def test_graph_execute_in_process_and_step_events(dg):
    @dg.op
    def hello():
        return "hi"

    @dg.graph
    def greeting():
        hello()

    result = greeting.execute_in_process()
    assert result.success
    assert [e.step_key for e in result.get_step_success_events()] == ["hello"]
    assert any(e.is_step_success for e in result.events_for_node("hello"))


def test_failure_is_reported_without_raising(dg):
    @dg.op
    def broken():
        raise dg.Failure(description="bad input", metadata={"rows": 0})

    @dg.job
    def failing():
        broken()

    result = failing.execute_in_process(raise_on_error=False)
    assert not result.success
    [failure] = result.get_step_failure_events()
    assert failure.step_key == "broken"


def test_config_mapping_job(dg):
    @dg.op(config_schema={"word": str})
    def shout(context):
        return context.op_config["word"].upper()

    @dg.config_mapping(config_schema={"simple": str})
    def simplified(values):
        return {"ops": {"shout": {"config": {"word": values["simple"]}}}}

    @dg.job(config=simplified)
    def shouting():
        shout()

    result = shouting.execute_in_process(run_config={"simple": "hey"})
    assert result.output_for_node("shout") == "HEY"


def test_op_selection_runs_a_subset_of_a_job(dg):
    @dg.op
    def extract() -> int:
        return 2

    @dg.op
    def transform(value: int) -> int:
        return value * 10

    @dg.op
    def load(value: int) -> int:
        return value + 1

    @dg.job
    def etl():
        load(transform(extract()))

    upstream = etl.execute_in_process(op_selection=["*transform"])
    assert upstream.success
    assert upstream.output_for_node("transform") == 20
    ran = {event.step_key for event in upstream.get_step_success_events()}
    assert ran == {"extract", "transform"}

    # an op whose upstream op is not selected takes its input from run config
    alone = etl.execute_in_process(
        op_selection=["load"], run_config={"ops": {"load": {"inputs": {"value": 41}}}}
    )
    assert alone.output_for_node("load") == 42
