"""materialize(): the events, versions, provenance, failures and results of a run."""

import subprocess
import sys

import pytest

import freshet as fr
from freshet.storage.records import EventType, RunStatus


@fr.asset
def numbers():
    return [1, 2, 3]


@fr.asset
def total(numbers):
    return sum(numbers)


def _types(result):
    return [e.event_type for e in result.all_events]


def test_materialize_runs_assets_in_dependency_order():
    result = fr.materialize([total, numbers])
    assert result.success
    assert result.output_for_node("total") == 6
    keys = [m.asset_key for m in result.get_asset_materialization_events()]
    assert keys == [fr.AssetKey("numbers"), fr.AssetKey("total")]


def test_run_emits_the_event_vocabulary():
    types = _types(fr.materialize([numbers, total]))
    assert types[:2] == [EventType.RUN_STARTING, EventType.RUN_START]
    assert types[-1] == EventType.RUN_SUCCESS
    for expected in [
        EventType.ASSET_MATERIALIZATION_PLANNED,
        EventType.STEP_START,
        EventType.STEP_INPUT,
        EventType.LOADED_INPUT,
        EventType.STEP_OUTPUT,
        EventType.HANDLED_OUTPUT,
        EventType.ASSET_MATERIALIZATION,
        EventType.STEP_SUCCESS,
        EventType.RESOURCE_INIT,
    ]:
        assert expected in types, expected


def test_events_and_run_are_persisted_to_the_instance():
    instance = fr.Instance.ephemeral()
    result = fr.materialize([numbers, total], instance=instance)
    run = instance.get_run(result.run_id)
    assert run.status is RunStatus.SUCCESS
    stored = instance.get_event_records(run_id=result.run_id)
    assert [r.event.event_type for r in stored] == _types(result)
    latest = instance.get_latest_materialization(fr.AssetKey("total"))
    assert latest.event.run_id == result.run_id


def test_materialization_records_versions_and_provenance():
    instance = fr.Instance.ephemeral()

    @fr.asset(code_version="7")
    def versioned(numbers):
        return len(numbers)

    fr.materialize([numbers, versioned], instance=instance)
    event = instance.get_latest_materialization(fr.AssetKey("versioned")).event
    upstream = instance.get_latest_materialization(fr.AssetKey("numbers")).event
    assert event.data["code_version"] == "7"
    assert len(event.data["data_version"]) == 64  # full sha-256 of the stored bytes
    assert event.data["provenance"] == [
        {"key": "numbers", "partition": None, "data_version": upstream.data["data_version"]}
    ]


def test_identical_output_has_identical_data_version():
    instance = fr.Instance.ephemeral()
    first = fr.materialize([numbers], instance=instance).get_asset_materialization_events()
    second = fr.materialize([numbers], instance=instance).get_asset_materialization_events()
    assert first[0].data_version == second[0].data_version


def test_user_data_version_wins():
    @fr.asset
    def explicit():
        return fr.Output(5, data_version=fr.DataVersion("v5"))

    [mat] = fr.materialize([explicit]).get_asset_materialization_events()
    assert mat.data_version == "v5"


def test_provenance_reads_versions_from_previous_runs():
    instance = fr.Instance.ephemeral()
    fr.materialize([numbers], instance=instance)
    upstream = instance.get_latest_materialization(fr.AssetKey("numbers")).event
    result = fr.materialize([numbers, total], selection="total", instance=instance)
    [mat] = result.get_asset_materialization_events()
    assert mat.provenance[0]["data_version"] == upstream.data["data_version"]
    assert result.output_for_node("total") == 6


def test_materialize_result_records_metadata_without_storing():
    @fr.asset
    def external_table():
        return fr.MaterializeResult(metadata={"row_count": 10, "path": "s3://x"})

    [mat] = fr.materialize([external_table]).asset_materializations_for_node("external_table")
    assert mat.metadata["row_count"].value == 10
    assert mat.metadata["path"].value == "s3://x"


def test_context_metadata_and_logs_are_recorded():
    @fr.asset
    def logged(context: fr.AssetExecutionContext):
        context.log.info("hello from %s", "logged")
        context.add_output_metadata({"rows": 2})
        return [1, 2]

    result = fr.materialize([logged])
    logs = [e.message for e in result.all_events if e.event_type is EventType.LOG]
    assert logs == ["hello from logged"]
    [mat] = result.get_asset_materialization_events()
    assert mat.metadata["rows"].value == 2


def test_failed_step_skips_downstream_and_fails_the_run():
    @fr.asset
    def broken():
        raise ValueError("boom")

    @fr.asset
    def after(broken):
        return broken

    result = fr.materialize([broken, after], raise_on_error=False)
    assert not result.success
    [failure] = result.get_step_failure_events()
    assert failure.data["error"]["cls"] == "ValueError"
    assert "boom" in failure.message
    skipped = [e for e in result.all_events if e.event_type is EventType.STEP_SKIPPED]
    assert [e.step_key for e in skipped] == ["after"]
    assert result.all_events[-1].event_type is EventType.RUN_FAILURE


def test_raise_on_error_raises_step_failed_error_with_the_cause():
    @fr.asset
    def broken():
        raise KeyError("missing")

    with pytest.raises(fr.StepFailedError, match="broken") as info:
        fr.materialize([broken])
    assert isinstance(info.value.__cause__, KeyError)


def test_failure_gives_a_clean_message():
    @fr.asset
    def refuses():
        raise fr.Failure("input file is empty", metadata={"path": "/tmp/x"})

    result = fr.materialize([refuses], raise_on_error=False)
    [failure] = result.get_step_failure_events()
    assert failure.data["error"]["message"] == "input file is empty"
    assert failure.data["error"]["traceback"] == ""


def test_retry_policy_retries_then_succeeds():
    attempts = []

    @fr.asset(retry_policy=fr.RetryPolicy(max_retries=2))
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return "ok"

    result = fr.materialize([flaky])
    assert result.success and len(attempts) == 3
    types = _types(result)
    assert types.count(EventType.STEP_UP_FOR_RETRY) == 2
    assert types.count(EventType.STEP_RESTARTED) == 2


def test_retry_policy_exhausted_fails():
    @fr.asset(retry_policy=fr.RetryPolicy(max_retries=1))
    def always():
        raise ConnectionError("down")

    result = fr.materialize([always], raise_on_error=False)
    assert not result.success
    assert result.get_step_failure_events()[0].data["attempts"] == 2


def test_stdout_and_stderr_are_captured_per_step():
    import sys

    @fr.asset
    def noisy():
        print("to stdout")
        print("to stderr", file=sys.stderr)
        return 1

    instance = fr.Instance.ephemeral()
    result = fr.materialize([noisy], instance=instance)
    assert instance.compute_logs.read(result.run_id, "noisy", "stdout") == "to stdout\n"
    assert instance.compute_logs.read(result.run_id, "noisy", "stderr") == "to stderr\n"


def test_invalid_run_config_fails_before_any_step_and_writes_nothing():
    class Limit(fr.Config):
        limit: int

    @fr.asset
    def top(config: Limit):
        return config.limit

    instance = fr.Instance.ephemeral()
    with pytest.raises(fr.ConfigError) as info:
        fr.materialize(
            [top],
            instance=instance,
            run_config={"ops": {"top": {"config": {"limit": "ten", "x": 1}}}},
        )
    message = str(info.value)
    assert "ops.top.config.limit" in message
    assert "ops.top.config.x" in message
    assert instance.get_runs() == []


def test_run_config_reaches_the_asset():
    class Limit(fr.Config):
        limit: int = 2

    @fr.asset
    def top(config: Limit):
        return config.limit

    assert fr.materialize([top]).output_for_node("top") == 2
    result = fr.materialize([top], run_config=fr.RunConfig(ops={"top": Limit(limit=9)}))
    assert result.output_for_node("top") == 9


def test_resources_are_passed_by_parameter_type():
    class Greeter(fr.ConfigurableResource):
        greeting: str = "hi"

        def greet(self, name: str) -> str:
            return f"{self.greeting} {name}"

    @fr.asset
    def greeting(greeter: Greeter):
        return greeter.greet("ana")

    result = fr.materialize([greeting], resources={"greeter": Greeter(greeting="hello")})
    assert result.output_for_node("greeting") == "hello ana"


def test_selection_string_narrows_the_run():
    result = fr.materialize([numbers, total], selection="numbers")
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        fr.AssetKey("numbers")
    ]


def test_multi_asset_subsetting():
    @fr.multi_asset(specs=[fr.AssetSpec("x"), fr.AssetSpec("y")], can_subset=True)
    def xy(context: fr.AssetExecutionContext):
        for key in sorted(context.selected_asset_keys):
            yield fr.MaterializeResult(asset_key=key)

    result = fr.materialize([xy], selection="y")
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [fr.AssetKey("y")]


def test_multi_asset_without_subsetting_refuses_a_partial_selection():
    @fr.multi_asset(specs=[fr.AssetSpec("x"), fr.AssetSpec("y")])
    def xy():
        yield fr.MaterializeResult(asset_key="x")
        yield fr.MaterializeResult(asset_key="y")

    with pytest.raises(fr.SelectionError, match="cannot run a subset"):
        fr.materialize([xy], selection="x")


def test_missing_output_of_a_multi_asset_fails_the_step():
    @fr.multi_asset(specs=[fr.AssetSpec("x"), fr.AssetSpec("y")])
    def half():
        yield fr.MaterializeResult(asset_key="x")

    result = fr.materialize([half], raise_on_error=False)
    assert "did not produce y" in result.get_step_failure_events()[0].message


def test_graph_asset_runs_its_ops_in_memory():
    @fr.op
    def base():
        return 10

    @fr.op
    def halve(x):
        return x // 2

    @fr.graph_asset
    def half_of_ten():
        return halve(base())

    result = fr.materialize([half_of_ten])
    assert result.asset_value("half_of_ten") == 5


def test_type_annotations_are_checked_at_step_boundaries():
    @fr.asset
    def wrong() -> int:
        return "not an int"

    result = fr.materialize([wrong], raise_on_error=False)
    assert "type check" in result.get_step_failure_events()[0].message


def test_materialize_to_memory_keeps_values_in_memory(tmp_path):
    result = fr.materialize_to_memory([numbers, total])
    assert result.asset_value("total") == 6


def test_materialize_to_memory_of_plain_assets_loads_no_config_partitions_or_daemon_state():
    unused = (
        "pydantic",
        "sqlalchemy",
        "freshet.core.partitions",
        "freshet.core.composition",
        # daemon state and the run queue: a run in this process stores neither
        "freshet.storage.state_records",
        "freshet.instance.queue_config",
        # values stay in memory: nothing is pickled; no code versions: no digests
        "pickle",
        "hashlib",
        "uuid",
    )
    code = (
        "import sys, freshet as fr\n"
        "one = fr.asset(name='one')(lambda: 1)\n"
        "two = fr.asset(name='two', ins={'up': fr.AssetIn(key='one')})(lambda up: up + 1)\n"
        "assert fr.materialize_to_memory([one, two]).asset_value('two') == 2\n"
        f"print(sorted(m for m in {unused!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]"]


def test_materialize_to_memory_without_the_upstream_value_says_to_materialize_it_first():
    with pytest.raises(fr.StepFailedError, match=r"no value in memory for asset 'numbers'; "):
        fr.materialize_to_memory([numbers, total], selection="total")


def test_materialize_to_memory_checks_config_given_to_the_io_manager_it_replaces():
    run_config = {"resources": {"io_manager": {"config": {"limit": 1}}}}
    with pytest.raises(fr.ConfigError, match=r"io_manager\.config\.limit: unknown config key"):
        fr.materialize_to_memory([numbers], run_config=run_config)
    assert fr.materialize_to_memory([numbers], run_config={"resources": {"io_manager": {}}}).success


def test_materialize_on_a_persistent_instance_of_plain_assets_loads_no_pydantic(tmp_path):
    code = (
        "import sys, freshet as fr\n"
        "one = fr.asset(name='one')(lambda: 1)\n"
        "two = fr.asset(name='two', ins={'up': fr.AssetIn(key='one')})(lambda up: up + 1)\n"
        f"with fr.Instance.from_home({str(tmp_path)!r}) as instance:\n"
        "    assert fr.materialize([one, two], instance=instance).success\n"
        "    again = fr.materialize([one, two], selection='two', instance=instance)\n"
        "    assert again.asset_value('two') == 2\n"
        "print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


@pytest.mark.parametrize(
    "make_config",
    [
        lambda base: {"resources": {"io_manager": {"config": {"base_dir": base}}}},
        lambda base: fr.RunConfig(resources={"io_manager": {"config": {"base_dir": base}}}),
    ],
    ids=["dict", "RunConfig"],
)
def test_run_config_of_the_default_io_manager_is_used(tmp_path, make_config):
    base = str(tmp_path / "elsewhere")
    with fr.Instance.from_home(tmp_path / "home") as instance:
        result = fr.materialize([numbers], instance=instance, run_config=make_config(base))
        assert result.success
    assert (tmp_path / "elsewhere" / "numbers").is_file()


def test_run_config_of_the_default_io_manager_is_checked(tmp_path):
    run_config = {"resources": {"io_manager": {"config": {"limit": 1}}}}
    error = r"io_manager\.config\.limit: unknown config key"
    with fr.Instance.from_home(tmp_path) as instance, pytest.raises(fr.ConfigError, match=error):
        fr.materialize([numbers], instance=instance, run_config=run_config)


def test_materialize_to_memory_checks_io_manager_config_given_as_a_run_config_object():
    run_config = fr.RunConfig(resources={"io_manager": {"config": {"limit": 1}}})
    with pytest.raises(fr.ConfigError, match=r"io_manager\.config\.limit: unknown config key"):
        fr.materialize_to_memory([numbers], run_config=run_config)


def test_persistent_instance_keeps_runs_across_reopen(tmp_path):
    with fr.Instance.from_home(tmp_path) as instance:
        run_id = fr.materialize([numbers], instance=instance).run_id
    with fr.Instance.from_home(tmp_path) as instance:
        assert instance.get_run(run_id).status is RunStatus.SUCCESS
        assert instance.get_latest_materialization("numbers") is not None
