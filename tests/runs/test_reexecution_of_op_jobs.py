"""Re-execution of op jobs: --from-failure runs exactly the steps that failed or never ran;
the outputs of the others are loaded through their IO manager from the run of the chain that
stored them, so the ops that succeeded do not run again."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from freshet.errors import SelectionError, UsageError
from freshet.instance.instance import Instance
from freshet.instance.launcher import RunLauncher
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.runs.reexecution import reexecution_request
from freshet.storage.records import EventType, RunRecord, RunStatus

# Each op counts its runs in a file next to this module; `transform` fails while a file
# named `broken` exists there.
DEFS = """
    from pathlib import Path

    import freshet as fr

    HERE = Path(__file__).parent


    def count(name):
        path = HERE / f"ran_{name}"
        path.write_text(str(int(path.read_text()) + 1 if path.exists() else 1))


    @fr.op
    def extract():
        count("extract")
        return 2


    @fr.op
    def transform(x):
        count("transform")
        if (HERE / "broken").exists():
            raise RuntimeError("transform is broken")
        return x * 10


    @fr.op
    def load(y):
        count("load")
        (HERE / "loaded").write_text(str(y + 1))
        return y + 1


    @fr.job
    def etl():
        load(transform(extract()))


    @fr.op(out=fr.DynamicOut())
    def split():
        count("split")
        for i in range(3):
            yield fr.DynamicOutput(i, mapping_key=f"k{i}")
        if (HERE / "broken_split").exists():
            raise RuntimeError("split broke after yielding")


    @fr.op
    def square(x):
        count("square")
        if x == 1 and (HERE / "broken").exists():
            raise RuntimeError("square is broken for 1")
        return x * x


    @fr.op
    def total(values):
        (HERE / "total").write_text(str(sum(values)))
        return sum(values)


    @fr.job
    def fan():
        total(split().map(square).collect())


    @fr.op
    def halve(x):
        count("halve")
        return x // 2


    @fr.job
    def fan_chain():
        total(split().map(lambda x: halve(square(x))).collect())


    @fr.op(out=fr.DynamicOut())
    def split_unsorted():
        count("split_unsorted")
        for i in (2, 10, 1):
            yield fr.DynamicOutput(i, mapping_key=f"k{i}")


    @fr.op
    def listing(values):
        count("listing")
        if (HERE / "broken_listing").exists():
            raise RuntimeError("listing is broken")
        (HERE / "listing").write_text(repr(values))


    @fr.job
    def fan_list():
        listing(split_unsorted().map(square).collect())


    class JsonFiles(fr.IOManager):
        # op outputs as text files named after the run, step and output

        def handle_output(self, context, obj):
            (HERE / ("json_" + "_".join(context.get_identifier()))).write_text(str(obj))

        def load_input(self, context):
            upstream = context.upstream_output.get_identifier()
            return int((HERE / ("json_" + "_".join(upstream))).read_text())


    @fr.op(config_schema={"start": int}, out=fr.Out(io_manager_key="json_io"))
    def configured_extract(context):
        count("configured_extract")
        return context.op_config["start"]


    @fr.job(resource_defs={"json_io": JsonFiles()})
    def configured():
        load(transform(configured_extract()))


    defs = fr.Definitions(jobs=[etl, fan, fan_chain, fan_list, configured])
"""

IN_PROCESS = {"execution": {"in_process": {}}}


@pytest.fixture
def origin(code_location) -> dict:
    return code_location("op_reexec_defs", DEFS)


@pytest.fixture
def instance(tmp_path: Path, origin: dict) -> Iterator[Instance]:
    with Instance.from_home(tmp_path / "home") as opened:
        yield opened


def runs_of(tmp_path: Path, op: str) -> int:
    path = tmp_path / f"ran_{op}"
    return int(path.read_text()) if path.exists() else 0


def started_steps(instance: Instance, run_id: str) -> list[str]:
    records = instance.get_event_records(EventType.STEP_START, run_id=run_id)
    return [r.event.step_key for r in records]


@pytest.fixture
def failed_etl_run(instance: Instance, tmp_path: Path, origin: dict, run_request):
    """Runs `etl` while `transform` is broken (with `run_config`): the failed run."""

    def run(run_config: dict | None) -> RunRecord:
        (tmp_path / "broken").write_text("")
        request = LaunchRequest(origin=origin, job_name="etl", run_config=run_config)
        parent = run_request(instance, request)
        assert parent.status is RunStatus.FAILURE
        assert [runs_of(tmp_path, op) for op in ("extract", "transform", "load")] == [1, 1, 0]
        return parent

    return run


@pytest.mark.parametrize(
    "run_config", [IN_PROCESS, None], ids=["in-process-executor", "multiprocess-executor"]
)
def test_from_failure_reruns_the_failed_op_and_its_downstream_loading_the_rest(
    instance: Instance, tmp_path: Path, run_config: dict | None, run_request, failed_etl_run
) -> None:
    parent = failed_etl_run(run_config)
    (tmp_path / "broken").unlink()

    request = reexecution_request(instance.storage, parent, from_failure=True)
    assert request.op_selection == ("transform", "load")
    assert request.reused_outputs == (("extract", "result", parent.run_id),)
    child = run_request(instance, request)

    assert child.status is RunStatus.SUCCESS
    assert (child.parent_run_id, child.root_run_id) == (parent.run_id, parent.run_id)
    assert started_steps(instance, child.run_id) == ["transform", "load"]
    assert [runs_of(tmp_path, op) for op in ("extract", "transform", "load")] == [1, 2, 1]
    assert (tmp_path / "loaded").read_text() == "21"
    loaded = instance.get_event_records(EventType.LOADED_INPUT, run_id=child.run_id)
    assert {(r.event.step_key, r.event.data.get("upstream_step")) for r in loaded} == {
        ("transform", "extract"),
        ("load", "transform"),
    }


def test_a_second_re_execution_loads_outputs_from_the_run_that_stored_them(
    instance: Instance, tmp_path: Path, run_request, failed_etl_run
) -> None:
    parent = failed_etl_run(IN_PROCESS)
    child = run_request(instance, reexecution_request(instance.storage, parent, from_failure=True))
    assert child.status is RunStatus.FAILURE  # still broken
    (tmp_path / "broken").unlink()

    request = reexecution_request(instance.storage, child, from_failure=True)
    assert request.op_selection == ("transform", "load")
    # extract ran only in the root run: its output is read from there
    assert request.reused_outputs == (("extract", "result", parent.run_id),)
    grandchild = run_request(instance, request)

    assert grandchild.status is RunStatus.SUCCESS
    assert (grandchild.parent_run_id, grandchild.root_run_id) == (child.run_id, parent.run_id)
    assert [runs_of(tmp_path, op) for op in ("extract", "transform", "load")] == [1, 3, 1]
    assert (tmp_path / "loaded").read_text() == "21"


def test_from_failure_keeps_the_config_of_ops_it_does_not_run_and_their_io_manager(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    """The parent's run config configures an op the re-execution does not run (checked, then
    ignored), and that op's output is read back through the IO manager that stored it."""
    (tmp_path / "broken").write_text("")
    run_config = {**IN_PROCESS, "ops": {"configured_extract": {"config": {"start": 3}}}}
    parent = run_request(
        instance,
        LaunchRequest(origin=origin, job_name="configured", run_config=run_config),
    )
    assert parent.status is RunStatus.FAILURE
    (tmp_path / "broken").unlink()

    child = run_request(instance, reexecution_request(instance.storage, parent, from_failure=True))

    assert child.status is RunStatus.SUCCESS
    assert started_steps(instance, child.run_id) == ["transform", "load"]
    assert runs_of(tmp_path, "configured_extract") == 1
    assert (tmp_path / "loaded").read_text() == "31"


def test_select_re_executes_named_ops_of_an_op_job(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="etl", run_config=IN_PROCESS)
    )
    assert parent.status is RunStatus.SUCCESS

    child = run_request(
        instance, reexecution_request(instance.storage, parent, selection="transform*")
    )

    assert child.status is RunStatus.SUCCESS
    assert started_steps(instance, child.run_id) == ["transform", "load"]
    assert [runs_of(tmp_path, op) for op in ("extract", "transform", "load")] == [1, 2, 2]


def test_re_executing_a_whole_op_job_run_runs_every_op(
    instance: Instance, tmp_path: Path, run_request, failed_etl_run
) -> None:
    parent = failed_etl_run(IN_PROCESS)
    (tmp_path / "broken").unlink()

    child = run_request(instance, reexecution_request(instance.storage, parent))

    assert child.status is RunStatus.SUCCESS
    assert started_steps(instance, child.run_id) == ["extract", "transform", "load"]


def test_from_failure_of_a_successful_op_job_run_is_refused(
    instance: Instance, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="etl", run_config=IN_PROCESS)
    )
    with pytest.raises(UsageError, match="nothing failed"):
        reexecution_request(instance.storage, parent, from_failure=True)


def test_an_unknown_op_in_a_select_is_refused_before_anything_is_launched(
    instance: Instance, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="etl", run_config=IN_PROCESS)
    )

    with pytest.raises(SelectionError) as caught:
        reexecution_request(instance.storage, parent, selection="extract, lod, trnsform+")

    message = str(caught.value)
    assert message.startswith(f"--select (ops of job 'etl', as run {parent.run_id} ran it): ")
    assert "'lod' matches no op in the job (did you mean load?)" in message
    assert "'trnsform+' matches no op in the job (did you mean transform?)" in message
    assert "'extract'" not in message
    assert [r.run_id for r in instance.get_runs()] == [parent.run_id]


def test_a_malformed_op_selection_entry_is_refused_before_anything_is_launched(
    instance: Instance, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="etl", run_config=IN_PROCESS)
    )

    with pytest.raises(SelectionError, match=r"entry 'load\*\*' is not an op name"):
        reexecution_request(instance.storage, parent, selection="load**")
    with pytest.raises(UsageError, match="--select is empty"):
        reexecution_request(instance.storage, parent, selection=" , ")


def test_a_nested_graph_name_in_a_select_is_accepted(
    instance: Instance, code_location, run_request
) -> None:
    origin = code_location(
        "nested_defs",
        """
        import freshet as fr

        @fr.op
        def one():
            return 1

        @fr.op
        def plus(x):
            return x + 1

        @fr.graph
        def inner(x):
            return plus(x)

        @fr.job
        def outer():
            inner(one())

        defs = fr.Definitions(jobs=[outer])
        """,
    )
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="outer", run_config=IN_PROCESS)
    )
    [start] = instance.get_event_records(EventType.RUN_START, run_id=parent.run_id)
    assert start.event.data["nodes"] == ["inner.plus", "one"]

    child = run_request(instance, reexecution_request(instance.storage, parent, selection="inner"))

    assert child.status is RunStatus.SUCCESS
    assert started_steps(instance, child.run_id) == ["inner.plus"]
    with pytest.raises(SelectionError, match="'iner' matches no op in the job"):
        reexecution_request(instance.storage, parent, selection="iner")


def test_an_unknown_op_a_run_worker_is_given_fails_the_run_naming_it(
    instance: Instance, origin, run_request
) -> None:
    # What a re-execution of a run recorded before RUN_START listed its job's nodes meets.
    child = run_request(
        instance,
        LaunchRequest(origin=origin, job_name="etl", run_config=IN_PROCESS, op_selection=("lod",)),
    )

    assert child.status is RunStatus.FAILURE
    assert started_steps(instance, child.run_id) == []
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=child.run_id)
    assert "'lod' matches no op" in (failure.event.message or "")
    assert "did you mean load" in (failure.event.message or "")


@pytest.mark.parametrize("run_config", [IN_PROCESS, {}], ids=["in-process", "multiprocess"])
def test_a_failed_mapping_key_re_runs_alone_over_the_stored_fan_out(
    instance: Instance, tmp_path: Path, origin, run_request, run_config: dict
) -> None:
    (tmp_path / "broken").write_text("")
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan", run_config=run_config)
    )
    assert parent.status is RunStatus.FAILURE
    (tmp_path / "broken").unlink()

    request = reexecution_request(instance.storage, parent, from_failure=True)
    assert request.op_selection == ("square[k1]", "total")
    child = run_request(instance, request)

    assert child.status is RunStatus.SUCCESS
    assert [runs_of(tmp_path, op) for op in ("split", "square")] == [1, 4]
    assert (tmp_path / "total").read_text() == "5"
    started = [
        r.event.step_key
        for r in instance.get_event_records(EventType.STEP_START, run_id=child.run_id)
    ]
    assert started == ["square[k1]", "total"]


def test_mapped_ops_downstream_of_a_failed_key_read_the_other_keys_from_the_run(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    (tmp_path / "broken").write_text("")
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan_chain", run_config=IN_PROCESS)
    )
    assert parent.status is RunStatus.FAILURE
    (tmp_path / "broken").unlink()

    request = reexecution_request(instance.storage, parent, from_failure=True)
    assert request.op_selection == ("square[k1]", "halve", "total")
    child = run_request(instance, request)

    assert child.status is RunStatus.SUCCESS
    # halve never ran in the parent: every key runs, reading square's stored k0 and k2
    assert [runs_of(tmp_path, op) for op in ("split", "square", "halve")] == [1, 4, 3]
    assert (tmp_path / "total").read_text() == str(0 // 2 + 1 // 2 + 4 // 2)


def test_a_failed_key_yielded_late_keeps_the_collected_order_in_spawned_step_processes(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    # each step process makes the plan again from the run: the mapping keys keep their order
    spawn = {"execution": {"multiprocess": {"start_method": "spawn"}}}
    (tmp_path / "broken").write_text("")
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan_list", run_config=spawn)
    )
    assert parent.status is RunStatus.FAILURE
    (tmp_path / "broken").unlink()

    child = run_request(instance, reexecution_request(instance.storage, parent, from_failure=True))

    assert child.status is RunStatus.SUCCESS
    assert (tmp_path / "listing").read_text() == "[4, 100, 1]"


def test_a_key_failing_again_is_the_only_key_the_next_re_execution_runs(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    (tmp_path / "broken").write_text("")
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan", run_config=IN_PROCESS)
    )
    child = run_request(instance, reexecution_request(instance.storage, parent, from_failure=True))
    assert child.status is RunStatus.FAILURE
    (tmp_path / "broken").unlink()

    request = reexecution_request(instance.storage, child, from_failure=True)

    assert request.op_selection == ("square[k1]", "total")
    assert run_request(instance, request).status is RunStatus.SUCCESS
    assert runs_of(tmp_path, "square") == 5  # 3, then k1 twice
    assert (tmp_path / "total").read_text() == "5"


def test_a_fan_out_yielded_again_is_never_mixed_with_an_older_one(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan", run_config=IN_PROCESS)
    )
    # split runs again alone: the squares stored before belong to the older fan-out
    again = run_request(instance, reexecution_request(instance.storage, parent, selection="split"))
    assert again.status is RunStatus.SUCCESS

    request = reexecution_request(instance.storage, again, selection="total")
    child = run_request(instance, request)

    assert child.status is RunStatus.SUCCESS
    assert {run_id for node, _, run_id in request.reused_outputs if "[" in node} <= {again.run_id}
    started = instance.get_event_records(EventType.STEP_START, run_id=child.run_id)
    assert started[0].event.step_key == "split"


def test_a_yielder_that_failed_part_way_yields_again(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    (tmp_path / "broken_split").write_text("")
    failed = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan", run_config=IN_PROCESS)
    )
    assert failed.status is RunStatus.FAILURE
    (tmp_path / "broken_split").unlink()

    # its outputs were stored, but the keys it did not yield cannot be known
    request = reexecution_request(instance.storage, failed, selection="square+")

    assert not [row for row in request.reused_outputs if row[0].startswith("split[")]
    child = run_request(instance, request)
    started = instance.get_event_records(EventType.STEP_START, run_id=child.run_id)
    assert started[0].event.step_key == "split"


def test_selecting_a_mapped_op_re_runs_every_key_without_its_yielder(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan", run_config=IN_PROCESS)
    )

    child = run_request(
        instance, reexecution_request(instance.storage, parent, selection="square+")
    )

    assert child.status is RunStatus.SUCCESS
    assert [runs_of(tmp_path, op) for op in ("split", "square")] == [1, 6]
    assert (tmp_path / "total").read_text() == "5"


def test_a_mapping_key_the_fan_out_does_not_have_is_refused(
    instance: Instance, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan", run_config=IN_PROCESS)
    )
    request = reexecution_request(instance.storage, parent, selection="square[k9]")

    child = run_request(instance, request)

    assert child.status is RunStatus.FAILURE
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=child.run_id)
    assert "'square' has no mapping key 'k9'" in (failure.event.message or "")
    assert "keys: k0, k1, k2" in (failure.event.message or "")

    unmapped = run_request(
        instance, reexecution_request(instance.storage, parent, selection="total[k0]")
    )
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=unmapped.run_id)
    assert "'total' is not an op mapped over a dynamic output" in (failure.event.message or "")


def test_when_the_yielding_op_failed_the_fan_out_runs_whole(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    (tmp_path / "broken_split").write_text("")
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan", run_config=IN_PROCESS)
    )
    assert parent.status is RunStatus.FAILURE
    (tmp_path / "broken_split").unlink()

    child = run_request(instance, reexecution_request(instance.storage, parent, from_failure=True))

    assert child.status is RunStatus.SUCCESS
    assert [runs_of(tmp_path, op) for op in ("split", "square")] == [2, 3]
    assert (tmp_path / "total").read_text() == "5"


@pytest.fixture
def failed_listing_run(instance: Instance, tmp_path: Path, origin: dict, run_request):
    """A run of `fan_list` whose collecting op failed after the whole fan-out succeeded."""

    def run(run_config: dict) -> RunRecord:
        (tmp_path / "broken_listing").write_text("")
        parent = run_request(
            instance, LaunchRequest(origin=origin, job_name="fan_list", run_config=run_config)
        )
        assert parent.status is RunStatus.FAILURE
        (tmp_path / "broken_listing").unlink()
        return parent

    return run


def test_when_only_the_collecting_op_failed_it_re_runs_alone_over_the_stored_fan_out(
    instance: Instance, tmp_path: Path, run_request, failed_listing_run
) -> None:
    parent = failed_listing_run(IN_PROCESS)

    request = reexecution_request(instance.storage, parent, from_failure=True)
    assert request.op_selection == ("listing",)
    # the mapping keys travel in the order they were yielded (not sorted: k10 before k1)
    assert [row[0] for row in request.reused_outputs if row[0].startswith("split")] == [
        "split_unsorted[k2]",
        "split_unsorted[k10]",
        "split_unsorted[k1]",
    ]
    child = run_request(instance, request)

    assert child.status is RunStatus.SUCCESS
    assert started_steps(instance, child.run_id) == ["listing"]
    assert [runs_of(tmp_path, op) for op in ("split_unsorted", "square", "listing")] == [1, 3, 2]
    assert (tmp_path / "listing").read_text() == "[4, 100, 1]"
    assert {(node, run_id) for node, _, run_id in child.reused_outputs} >= {
        ("square[k2]", parent.run_id),
        ("square[k10]", parent.run_id),
        ("square[k1]", parent.run_id),
    }


def test_a_second_re_execution_collects_the_fan_out_from_the_run_that_stored_it(
    instance: Instance, tmp_path: Path, run_request, failed_listing_run
) -> None:
    # with step processes: each rebuilds the plan, mapping keys included, from the run
    root = failed_listing_run({})
    (tmp_path / "broken_listing").write_text("")
    child = run_request(instance, reexecution_request(instance.storage, root, from_failure=True))
    assert child.status is RunStatus.FAILURE
    (tmp_path / "broken_listing").unlink()

    grandchild = run_request(
        instance, reexecution_request(instance.storage, child, from_failure=True)
    )

    assert grandchild.status is RunStatus.SUCCESS
    assert started_steps(instance, grandchild.run_id) == ["listing"]
    assert {run_id for node, _, run_id in grandchild.reused_outputs} == {root.run_id}
    assert [runs_of(tmp_path, op) for op in ("split_unsorted", "square")] == [1, 3]
    assert (tmp_path / "listing").read_text() == "[4, 100, 1]"


def test_selecting_the_collecting_op_of_a_finished_run_reads_its_fan_out(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan_list", run_config=IN_PROCESS)
    )

    child = run_request(
        instance, reexecution_request(instance.storage, parent, selection="listing")
    )

    assert child.status is RunStatus.SUCCESS
    assert started_steps(instance, child.run_id) == ["listing"]
    assert [runs_of(tmp_path, op) for op in ("split_unsorted", "square", "listing")] == [1, 3, 2]
    assert (tmp_path / "listing").read_text() == "[4, 100, 1]"


def test_a_fan_out_re_run_since_is_collected_from_that_run_alone(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="fan_list", run_config=IN_PROCESS)
    )
    again = run_request(
        instance, reexecution_request(instance.storage, parent, selection="split_unsorted*")
    )
    assert again.status is RunStatus.SUCCESS

    request = reexecution_request(instance.storage, again, selection="listing")

    fan_out = {run_id for node, _, run_id in request.reused_outputs if "[" in node}
    assert fan_out == {again.run_id}
    child = run_request(instance, request)
    assert child.status is RunStatus.SUCCESS
    assert started_steps(instance, child.run_id) == ["listing"]


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[RunLauncher]:
    started = RunLauncher(tmp_path / "home")
    yield started
    pids = list(started.running.values())
    started.close(timeout=20)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def launch_and_wait(instance: Instance, launcher: RunLauncher, request: LaunchRequest) -> RunRecord:
    run_id = enqueue(instance.storage, request)
    launcher.launch(instance.get_run(run_id))  # type: ignore[arg-type]
    deadline = time.monotonic() + 120
    while run_id in launcher.running:
        assert time.monotonic() < deadline, "the run worker did not finish"
        time.sleep(0.05)
    run = instance.get_run(run_id)
    assert run is not None
    return run


@pytest.mark.slow
def test_from_failure_in_run_worker_processes(
    instance: Instance, launcher: RunLauncher, tmp_path: Path, origin
) -> None:
    (tmp_path / "broken").write_text("")
    parent = launch_and_wait(instance, launcher, LaunchRequest(origin=origin, job_name="etl"))
    assert parent.status is RunStatus.FAILURE
    (tmp_path / "broken").unlink()

    request = reexecution_request(instance.storage, parent, from_failure=True)
    child = launch_and_wait(instance, launcher, request)

    assert child.status is RunStatus.SUCCESS
    assert [runs_of(tmp_path, op) for op in ("extract", "transform", "load")] == [1, 2, 1]
    assert (tmp_path / "loaded").read_text() == "21"


def test_runs_show_names_the_ops_a_re_execution_ran_and_the_outputs_it_read(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    import json

    from click.testing import CliRunner

    from freshet.cli.main import cli

    parent = run_request(
        instance, LaunchRequest(origin=origin, job_name="etl", run_config=IN_PROCESS)
    )
    request = reexecution_request(instance.storage, parent, selection="transform*")
    # the request offers every output of the chain; the plan reads only extract's
    assert len(request.reused_outputs) == 3
    child = run_request(instance, request)

    home = {"FRESHET_HOME": str(tmp_path / "home")}
    shown = CliRunner().invoke(cli, ["runs", "show", child.run_id, "--json"], env=home)
    data = json.loads(shown.stdout)
    # the record keeps what was asked for (as `runs list --json` shows it) ...
    assert data["op_selection"] == ["transform*"]
    assert len(data["reused_outputs"]) == 3
    # ... and `planned` what the run made of it
    assert data["planned"] == {
        "op_selection": ["transform", "load"],
        "reused_outputs": [{"node": "extract", "output": "result", "run_id": parent.run_id}],
    }
    text = CliRunner().invoke(cli, ["runs", "show", child.run_id], env=home).stdout
    assert f"reused     extract.result from {parent.run_id[:8]}" in text
