"""Re-execution: a new run with parent and root ids; --from-failure runs only what failed or
did not run, loading the other assets' values from their IO managers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from freshet.errors import UsageError
from freshet.instance.instance import Instance
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.runs.reexecution import reexecution_request
from freshet.storage.records import EventType, RunRecord, RunStatus

DEFS = """
    from pathlib import Path

    import freshet as fr

    @fr.asset
    def a():
        return 1

    @fr.asset
    def b(a):
        if Path(__file__).with_name("broken").exists():
            raise RuntimeError("b is broken")
        return a + 1

    @fr.asset
    def c(b):
        return b + 1

    @fr.asset
    def d(a):
        return a * 10

    defs = fr.Definitions(assets=[a, b, c, d])
"""


@pytest.fixture
def origin(code_location) -> dict:
    return code_location("reexec_defs", DEFS)


@pytest.fixture
def instance(tmp_path: Path, origin: dict) -> Iterator[Instance]:
    with Instance.from_home(tmp_path / "home") as opened:
        yield opened


def materialized(instance: Instance, run_id: str) -> list[str]:
    records = instance.get_event_records(EventType.ASSET_MATERIALIZATION, run_id=run_id)
    return sorted(r.asset_key.to_user_string() for r in records if r.asset_key)


def test_from_failure_reruns_only_failed_and_skipped_assets(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    (tmp_path / "broken").write_text("")
    parent = run_request(instance, LaunchRequest(origin=origin, selection="*"))
    assert parent.status is RunStatus.FAILURE
    assert materialized(instance, parent.run_id) == ["a", "d"]
    (tmp_path / "broken").unlink()

    request = reexecution_request(instance.storage, parent, from_failure=True)
    assert request.selection == "b or c"
    child = run_request(instance, request)
    assert child.status is RunStatus.SUCCESS
    assert (child.parent_run_id, child.root_run_id) == (parent.run_id, parent.run_id)
    assert materialized(instance, child.run_id) == ["b", "c"]
    loaded = instance.get_event_records(EventType.LOADED_INPUT, run_id=child.run_id)
    assert any(r.event.step_key == "b" for r in loaded)

    grandchild = run_request(instance, reexecution_request(instance.storage, child))
    assert (grandchild.parent_run_id, grandchild.root_run_id) == (child.run_id, parent.run_id)
    assert materialized(instance, grandchild.run_id) == ["b", "c"]


def test_reexecution_with_a_selection(instance: Instance, origin, run_request) -> None:
    parent = run_request(instance, LaunchRequest(origin=origin, selection="*"))
    child = run_request(instance, reexecution_request(instance.storage, parent, selection="d"))
    assert child.status is RunStatus.SUCCESS
    assert materialized(instance, child.run_id) == ["d"]


def test_from_failure_of_a_successful_run_is_refused(
    instance: Instance, origin, run_request
) -> None:
    parent = run_request(instance, LaunchRequest(origin=origin, selection="a"))
    with pytest.raises(UsageError, match="nothing failed"):
        reexecution_request(instance.storage, parent, from_failure=True)


def test_a_run_still_in_progress_cannot_be_reexecuted(instance: Instance, origin) -> None:
    run_id = enqueue(instance.storage, LaunchRequest(origin=origin, selection="a"))
    queued = instance.get_run(run_id)
    assert queued is not None
    with pytest.raises(UsageError, match="QUEUED"):
        reexecution_request(instance.storage, queued)


def test_reexecuting_code_that_no_longer_defines_the_assets_fails_the_new_run(
    instance: Instance, tmp_path: Path, origin, run_request
) -> None:
    parent = run_request(instance, LaunchRequest(origin=origin, selection="d"))
    (tmp_path / "reexec_defs.py").write_text(
        "import freshet as fr\n\n@fr.asset\ndef a():\n    return 1\n\ndefs = fr.Definitions(assets=[a])\n"
    )
    sys.modules.pop("reexec_defs", None)
    child = run_request(instance, reexecution_request(instance.storage, parent))
    assert child.status is RunStatus.FAILURE
    [failure] = instance.get_event_records(EventType.RUN_FAILURE, run_id=child.run_id)
    assert "d" in failure.event.message


def test_from_failure_of_a_failed_observation_run_is_refused_not_taken_for_an_op_job(
    tmp_path: Path,
) -> None:
    import freshet as fr

    @fr.observable_source_asset
    def feed():
        raise RuntimeError("the feed is down")

    with Instance.from_home(tmp_path / "home") as instance:
        result = fr.observe(fr.Definitions(assets=[feed]), instance=instance, raise_on_error=False)
        parent = instance.get_run(result.run_id)
        assert parent is not None and parent.status is RunStatus.FAILURE
        origin = {"python_file": str(tmp_path / "defs.py"), "location_name": "defs"}
        with pytest.raises(UsageError, match="re-execute the whole run"):
            reexecution_request(instance.storage, parent, from_failure=True, origin=origin)


@pytest.mark.parametrize(
    ("job_name", "start_data", "planned_an_asset", "op_job"),
    [
        ("etl", {"plan": "graph"}, False, True),
        ("daily", {"plan": "assets"}, False, False),  # e.g. a job of asset checks alone
        # runs recorded before RUN_START named its plan: told by what they planned
        ("etl", {}, False, True),
        ("daily", {}, True, False),
        ("__observe", {}, False, False),
    ],
)
def test_a_run_of_an_op_job_is_told_by_its_plan_and_older_runs_by_what_they_planned(
    job_name: str, start_data: dict, planned_an_asset: bool, op_job: bool
) -> None:
    from freshet.core.keys import AssetKey
    from freshet.runs.reexecution import _is_op_job_run
    from freshet.storage.memory import MemoryStorage
    from freshet.storage.records import Event

    storage = MemoryStorage()
    run = RunRecord(run_id="r1", job_name=job_name, status=RunStatus.FAILURE)
    events = [Event(event_type=EventType.RUN_START, run_id="r1", data=start_data)]
    if planned_an_asset:
        planned = EventType.ASSET_MATERIALIZATION_PLANNED
        events.append(Event(event_type=planned, run_id="r1", asset_key=AssetKey("a")))
    storage.add_run(run, events=events)
    assert _is_op_job_run(storage, run) is op_job
