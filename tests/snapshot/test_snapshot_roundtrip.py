"""A snapshot holds every kind of definition and reads back equal from its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pydantic
import pytest

import freshet as fr
from freshet.core.assets import ExecutionType
from freshet.errors import SnapshotError, SnapshotVersionError
from freshet.snapshot import (
    FORMAT_VERSION,
    DefinitionsSnapshot,
    JobKind,
    OpaqueValue,
    ResourceKind,
)


def _round_trip(defs: fr.Definitions) -> tuple[DefinitionsSnapshot, DefinitionsSnapshot]:
    built = DefinitionsSnapshot.from_definitions(defs)
    read = DefinitionsSnapshot.from_json(built.to_json())
    assert read.to_json() == built.to_json()
    assert read.fingerprint == built.fingerprint
    return built, read


def _node(snapshot: DefinitionsSnapshot, key: str):
    return snapshot.get_asset_graph().node(fr.AssetKey.from_user_string(key))


# ---- assets ---------------------------------------------------------------------------------


def test_asset_attributes_survive_the_round_trip():
    @fr.asset(
        description="orders, cleaned",
        metadata={"row_count": 3, "owner_note": "x", "schema": {"a": 1}},
        group_name="sales",
        owners=["team:data", "ana@example.com"],
        tags={"tier": "gold"},
        kinds={"python", "duckdb"},
        code_version="v2",
        io_manager_key="warehouse",
        pool="db",
        backfill_policy=fr.BackfillPolicy.multi_run(5),
    )
    def orders():
        return 1

    defs = fr.Definitions(assets=[orders], resources={"warehouse": fr.InMemoryIOManager()})
    built, read = _round_trip(defs)
    node = _node(read, "orders")
    assert node == _node(built, "orders")
    assert node.description == "orders, cleaned"
    assert node.metadata["row_count"] == fr.MetadataValue.int(3)
    assert node.metadata["schema"] == fr.MetadataValue.json({"a": 1})
    assert (node.group_name, node.owners) == ("sales", ("team:data", "ana@example.com"))
    assert node.tags == {"tier": "gold"} and node.kinds == {"python", "duckdb"}
    assert (node.code_version, node.io_manager_key, node.pool) == ("v2", "warehouse", "db")
    assert node.backfill_policy == fr.BackfillPolicy.multi_run(5)
    assert node.is_materializable and node.node_name == "orders"
    assert node.source_file == __file__ and isinstance(node.source_line, int)


def test_multi_asset_records_its_node_and_whether_it_can_subset():
    @fr.multi_asset(specs=[fr.AssetSpec("x"), fr.AssetSpec("y")], can_subset=True, name="both")
    def both():
        yield fr.MaterializeResult(asset_key="x")
        yield fr.MaterializeResult(asset_key="y")

    @fr.multi_asset(specs=[fr.AssetSpec("p"), fr.AssetSpec("q")], name="together")
    def together():
        yield fr.MaterializeResult(asset_key="p")
        yield fr.MaterializeResult(asset_key="q")

    _, read = _round_trip(fr.Definitions(assets=[both, together]))
    graph = read.get_asset_graph()
    x = _node(read, "x")
    assert (x.node_name, x.can_subset, x.produced_with) == (
        "both",
        True,
        (fr.AssetKey("x"), fr.AssetKey("y")),
    )
    assert graph.required_multi_asset_neighbors(fr.AssetKey("x")) == {fr.AssetKey("x")}
    assert graph.required_multi_asset_neighbors(fr.AssetKey("p")) == {
        fr.AssetKey("p"),
        fr.AssetKey("q"),
    }


def test_graph_asset_is_marked_as_computed_by_a_graph():
    @fr.op
    def fetch():
        return 1

    @fr.op
    def clean(value):
        return value

    @fr.graph_asset
    def cleaned():
        return clean(fetch())

    _, read = _round_trip(fr.Definitions(assets=[cleaned]))
    node = _node(read, "cleaned")
    assert node.is_graph_asset and node.node_name == "cleaned"


def test_graph_multi_asset_and_asset_outs_keep_their_node_and_io_managers():
    @fr.op(out={"one": fr.Out(), "two": fr.Out()})
    def split():
        return 1, 2

    @fr.graph_multi_asset(outs={"left": fr.AssetOut(), "right": fr.AssetOut()})
    def halves():
        one, two = split()
        return {"left": one, "right": two}

    @fr.multi_asset(
        outs={
            "raw": fr.AssetOut(io_manager_key="lake", group_name="ingest"),
            "clean": fr.AssetOut(code_version="3"),
        }
    )
    def loaded():
        return 1, 2

    defs = fr.Definitions(assets=[halves, loaded], resources={"lake": fr.InMemoryIOManager()})
    _, read = _round_trip(defs)
    left = _node(read, "left")
    assert left.is_graph_asset and left.node_name == "halves"
    assert set(left.produced_with) == {fr.AssetKey("left"), fr.AssetKey("right")}
    raw, clean = _node(read, "raw"), _node(read, "clean")
    assert (raw.io_manager_key, raw.group_name) == ("lake", "ingest")
    assert (clean.io_manager_key, clean.code_version) == ("io_manager", "3")
    assert raw.node_name == clean.node_name == "loaded"


def test_multi_asset_check_keeps_each_check_and_its_step():
    @fr.asset
    def orders():
        return 1

    @fr.asset
    def customers():
        return 1

    @fr.multi_asset_check(
        specs=[
            fr.AssetCheckSpec("orders_ok", asset="orders", blocking=True),
            fr.AssetCheckSpec("customers_ok", asset="customers"),
        ]
    )
    def checks():
        yield fr.AssetCheckResult(passed=True, asset_key="orders", check_name="orders_ok")
        yield fr.AssetCheckResult(passed=True, asset_key="customers", check_name="customers_ok")

    _, read = _round_trip(fr.Definitions(assets=[orders, customers], asset_checks=[checks]))
    by_name = {c.name: c for c in read.asset_checks}
    assert by_name["orders_ok"].blocking and not by_name["customers_ok"].blocking
    assert by_name["orders_ok"].node_name == by_name["customers_ok"].node_name == "checks"


def test_source_observable_and_external_assets_keep_their_flags():
    @fr.observable_source_asset(auto_observe_interval_minutes=30)
    def raw_files():
        return fr.DataVersion("1")

    legacy = fr.SourceAsset("legacy")
    external = fr.AssetSpec("made_elsewhere", group_name="ext")

    @fr.asset(deps=[raw_files, "legacy", "made_elsewhere"])
    def combined():
        return 1

    _, read = _round_trip(fr.Definitions(assets=[raw_files, legacy, external, combined]))
    observed = _node(read, "raw_files")
    assert observed.is_observable and observed.auto_observe_interval_minutes == 30
    assert _node(read, "legacy").execution_type is ExecutionType.UNEXECUTABLE
    assert _node(read, "made_elsewhere").is_external
    assert _node(read, "made_elsewhere").node_name is None
    assert read.get_asset_graph().parents(fr.AssetKey("combined")) == {
        fr.AssetKey("raw_files"),
        fr.AssetKey("legacy"),
        fr.AssetKey("made_elsewhere"),
    }


def test_check_specs_and_asset_checks_keep_blocking():
    @fr.asset(check_specs=[fr.AssetCheckSpec("non_empty", asset="table", blocking=True)])
    def table():
        yield fr.MaterializeResult()

    @fr.asset_check(asset=table, description="no nulls", additional_deps=["other"])
    def no_nulls():
        return fr.AssetCheckResult(passed=True)

    other = fr.AssetSpec("other")
    _, read = _round_trip(fr.Definitions(assets=[table, other], asset_checks=[no_nulls]))
    by_name = {c.name: c for c in read.asset_checks}
    assert by_name["non_empty"].blocking and by_name["non_empty"].node_name is None
    assert not by_name["no_nulls"].blocking
    assert by_name["no_nulls"].node_name == "table__check__no_nulls"
    assert by_name["no_nulls"].additional_deps == (fr.AssetKey("other"),)
    specs = read.get_asset_graph().check_specs_for(fr.AssetKey("table"))
    assert [(s.name, s.blocking) for s in specs] == [("non_empty", True), ("no_nulls", False)]


def test_values_not_serializable_are_kept_opaque_not_guessed():
    class Odd:
        def __repr__(self):
            return "Odd()"

    @fr.asset(metadata={"odd": Odd()})
    def odd():
        return 1

    _, read = _round_trip(fr.Definitions(assets=[odd]))
    value = _node(read, "odd").metadata["odd"]
    assert isinstance(value, OpaqueValue)
    assert value.repr == "Odd()"
    assert value.python_type.endswith("Odd")
    assert _node(read, "odd").automation_condition is None


# ---- jobs, schedules, sensors, resources, executor --------------------------------------------


class LimitConfig(fr.Config):
    limit: int = 10


def test_asset_job_keeps_its_selection_partitions_and_config_schema():
    daily = fr.DailyPartitionsDefinition("2024-01-01")

    @fr.asset(partitions_def=daily)
    def events(config: LimitConfig):
        return config.limit

    @fr.asset(partitions_def=daily)
    def summary(events):
        return events

    job = fr.define_asset_job(
        "nightly",
        selection=fr.AssetSelection.assets("summary").upstream(),
        tags={"k": "v"},
        partitions_def=daily,
    )
    _, read = _round_trip(fr.Definitions(assets=[events, summary], jobs=[job]))
    snap = read.get_job("nightly")
    assert snap.kind is JobKind.ASSET
    assert snap.asset_keys == (fr.AssetKey("events"), fr.AssetKey("summary"))
    assert snap.selection == str(fr.AssetSelection.assets("summary").upstream())
    assert snap.tags == {"k": "v"} and snap.partitions_def == daily
    limit = snap.run_config_schema["properties"]["ops"]["properties"]["events"]
    assert "config" in limit["properties"]


def test_op_job_keeps_its_graph():
    @fr.op(out={"a": fr.Out(), "b": fr.Out()})
    def split():
        return 1, 2

    @fr.op
    def add(x, y):
        return x + y

    @fr.job(tags={"team": "core"})
    def adding():
        a, b = split()
        add(a, b)

    _, read = _round_trip(fr.Definitions(jobs=[adding]))
    snap = read.get_job("adding")
    assert snap.kind is JobKind.OP and snap.tags == {"team": "core"}
    nodes = {n.name: n for n in snap.op_nodes}
    assert nodes["split"].outputs == ("a", "b")
    assert [(i.name, i.outputs) for i in nodes["add"].inputs] == [
        ("x", (("split", "a"),)),
        ("y", (("split", "b"),)),
    ]


def test_schedule_keeps_cron_zone_and_redacted_run_config():
    @fr.asset
    def daily_table():
        return 1

    job = fr.define_asset_job("refresh", selection="daily_table")
    schedule = fr.ScheduleDefinition(
        job=job,
        cron_schedule="0 6 * * *",
        execution_timezone="Europe/Berlin",
        run_config={"ops": {"daily_table": {"config": {"token": fr.EnvVar("TOKEN")}}}},
        default_status="RUNNING",
    )
    _, read = _round_trip(fr.Definitions(assets=[daily_table], jobs=[job], schedules=[schedule]))
    (snap,) = read.schedules
    assert (snap.name, snap.cron_schedule, snap.job_name) == (
        "refresh_schedule",
        "0 6 * * *",
        "refresh",
    )
    assert snap.execution_timezone == "Europe/Berlin"
    assert snap.default_status is fr.DefaultScheduleStatus.RUNNING
    assert snap.run_config == {"ops": {"daily_table": {"config": {"token": {"env": "TOKEN"}}}}}


def test_sensors_keep_their_kind_target_and_interval():
    @fr.asset
    def files():
        return 1

    job = fr.define_asset_job("load", selection="files")

    @fr.sensor(job=job, minimum_interval_seconds=5, default_status="RUNNING")
    def new_files(context):
        return fr.SkipReason("nothing new")

    @fr.asset_sensor(asset_key="files", target=fr.AssetSelection.assets("files"))
    def files_changed(context, event):
        return fr.RunRequest()

    @fr.run_failure_sensor
    def alert(context):
        pass

    defs = fr.Definitions(assets=[files], jobs=[job], sensors=[new_files, files_changed, alert])
    _, read = _round_trip(defs)
    by_name = {s.name: s for s in read.sensors}
    assert by_name["new_files"].job_name == "load"
    assert by_name["new_files"].minimum_interval_seconds == 5
    assert by_name["new_files"].default_status.value == "RUNNING"
    assert by_name["files_changed"].sensor_type.value == "asset"
    assert by_name["files_changed"].target_keys == (fr.AssetKey("files"),)
    assert by_name["files_changed"].asset_key == fr.AssetKey("files")
    assert by_name["alert"].run_statuses == ("FAILURE",)


class Warehouse(fr.ConfigurableResource):
    """The warehouse."""

    host: str
    password: str
    api_key: pydantic.SecretStr = pydantic.SecretStr("built-in-default")
    port: int = 5432


def test_resources_keep_schema_and_secret_names_but_never_values(monkeypatch):
    @fr.resource(config_schema={"url": str})
    def client(context):
        return context.resource_config

    warehouse = Warehouse(host="db.internal", password=fr.EnvVar("WAREHOUSE_PASSWORD"))
    defs = fr.Definitions(resources={"warehouse": warehouse, "client": client, "plain": 42})
    built, read = _round_trip(defs)
    by_name = {r.name: r for r in read.resources}
    wh = by_name["warehouse"]
    assert wh.kind is ResourceKind.CONFIGURABLE and wh.python_type.endswith("Warehouse")
    assert wh.secret_fields == ("password", "api_key")
    assert set(wh.config_schema["properties"]) == {"host", "password", "api_key", "port"}
    assert wh.description == "The warehouse."
    assert by_name["client"].kind is ResourceKind.FUNCTION
    assert by_name["plain"].kind is ResourceKind.VALUE
    assert by_name["plain"].python_type == "builtins.int"
    text = built.to_json()
    assert "db.internal" not in text and "built-in-default" not in text


def test_executor_is_named():
    _, read = _round_trip(fr.Definitions(executor=fr.multiprocess_executor(max_concurrent=4)))
    assert read.executor.name == "multiprocess"


# ---- format ---------------------------------------------------------------------------------


def _simple_defs(code_version: str = "1") -> fr.Definitions:
    @fr.asset(code_version=code_version)
    def a():
        return 1

    @fr.asset
    def b(a):
        return a

    return fr.Definitions(assets=[a, b])


def test_fingerprint_is_stable_and_changes_with_the_definitions():
    first = DefinitionsSnapshot.from_definitions(_simple_defs())
    again = DefinitionsSnapshot.from_definitions(_simple_defs())
    changed = DefinitionsSnapshot.from_definitions(_simple_defs("2"))
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint != changed.fingerprint
    assert first == again and first != changed


def test_snapshot_is_frozen():
    snapshot = DefinitionsSnapshot.from_definitions(_simple_defs())
    with pytest.raises(AttributeError):
        snapshot.assets = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        snapshot.assets[0].code_version = "x"  # type: ignore[misc]


def test_json_names_types_by_stable_names_not_python_classes():
    @fr.asset(partitions_def=fr.DailyPartitionsDefinition("2024-01-01"))
    def daily():
        return 1

    @fr.asset(
        partitions_def=fr.DailyPartitionsDefinition("2024-01-01"),
        deps=[fr.AssetDep(daily, partition_mapping=fr.TimeWindowPartitionMapping(start_offset=-1))],
    )
    def lagged():
        return 1

    doc = json.loads(
        DefinitionsSnapshot.from_definitions(fr.Definitions(assets=[daily, lagged])).to_json()
    )
    assert doc["format_version"] == FORMAT_VERSION
    assert [d["type"] for d in doc["partitions_defs"]] == ["partitions.daily"]
    (dep,) = doc["assets"][1]["deps"]
    assert dep["partition_mapping"] == {
        "type": "mapping.time_window",
        "start_offset": -1,
        "end_offset": 0,
    }
    assert "Definition" not in json.dumps(doc["partitions_defs"])


def test_snapshot_from_a_newer_freshet_is_refused_with_upgrade_advice():
    doc = json.loads(DefinitionsSnapshot.from_definitions(_simple_defs()).to_json())
    doc["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(SnapshotVersionError, match=r"newer freshet.*upgrade freshet"):
        DefinitionsSnapshot.from_json(json.dumps(doc))


def test_unknown_metadata_type_is_refused_with_upgrade_advice():
    doc = json.loads(DefinitionsSnapshot.from_definitions(_simple_defs()).to_json())
    doc["assets"][0]["metadata"] = {"m": {"type": "hologram", "value": 1}}
    with pytest.raises(SnapshotVersionError, match=r"hologram.*upgrade freshet"):
        DefinitionsSnapshot.from_json(json.dumps(doc))


def test_unknown_type_name_is_refused_with_upgrade_advice():
    doc = json.loads(DefinitionsSnapshot.from_definitions(_simple_defs()).to_json())
    doc["assets"][0]["automation_condition"] = {"type": "condition.from_the_future"}
    with pytest.raises(SnapshotVersionError, match=r"condition.from_the_future.*upgrade"):
        DefinitionsSnapshot.from_json(json.dumps(doc))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "must be JSON"),
        ('{"assets": []}', "not a freshet definitions snapshot"),
        ('{"format": "freshet.definitions_snapshot", "format_version": 1}', "malformed"),
        (
            '{"format": "freshet.definitions_snapshot", "format_version": 1, "assets": '
            '[{"key": "a", "partitions_def": 3}], "partitions_defs": [], "source_files": []}',
            "malformed",
        ),
        (
            '{"format": "freshet.definitions_snapshot", "format_version": 1, "assets": [], '
            '"partitions_defs": [{"type": "partitions.static", "keys": ["a", "a"]}], '
            '"source_files": []}',
            "malformed.*duplicate keys",
        ),
        ('{"format": "freshet.definitions_snapshot", "format_version": "1"}', "format_version"),
    ],
    ids=["not-json", "no-format", "missing-parts", "bad-reference", "bad-value", "bad-version"],
)
def test_bad_snapshot_text_is_a_clear_error(text, message):
    with pytest.raises(SnapshotError, match=message):
        DefinitionsSnapshot.from_json(text)


def test_a_stored_version_1_snapshot_still_reads(tmp_path):
    stored = (
        '{"asset_checks":[],"assets":[{"code_version":"1","key":"a","node_name":"a",'
        '"partitions_def":0,"source_file":0,"source_line":3},{"deps":["a",{"key":"c",'
        '"partition_mapping":{"type":"mapping.last"}}],"key":"b","node_name":"b"},'
        '{"execution_type":"UNEXECUTABLE","key":"c","partitions_def":1},'
        '{"key":"m1","node_name":"m","produced_with":0},'
        '{"key":"m2","node_name":"m","produced_with":0}],"executor":null,'
        '"format":"freshet.definitions_snapshot","format_version":1,"jobs":[],'
        '"partitions_defs":[{"cron_schedule":"0 0 * * *","end":null,"end_offset":0,'
        '"fmt":"%Y-%m-%d","start":"2024-01-01T00:00:00+00:00","timezone":"UTC",'
        '"type":"partitions.daily"},{"keys":["x","y"],"type":"partitions.static"}],'
        '"produced_together":[["m1","m2"]],"resources":[],"schedules":[],"sensors":[],'
        '"source_files":["/project/assets.py"]}'
    )
    snapshot = DefinitionsSnapshot.from_json(stored)
    graph = snapshot.get_asset_graph()
    node = graph.node(fr.AssetKey("a"))
    assert node.partitions_def == fr.DailyPartitionsDefinition("2024-01-01")
    assert node.partitions_def.get_partition_keys(datetime(2024, 1, 3))[:] == [
        "2024-01-01",
        "2024-01-02",
    ]
    assert (node.source_file, node.source_line, node.code_version) == ("/project/assets.py", 3, "1")
    b = graph.node(fr.AssetKey("b"))
    assert b.parent_keys == (fr.AssetKey("a"), fr.AssetKey("c"))
    assert b.partition_mapping_for(fr.AssetKey("c")) == fr.LastPartitionMapping()
    assert b.produced_with == (fr.AssetKey("b"),) and b.group_name == "default"
    assert graph.node(fr.AssetKey("c")).is_external
    together = {fr.AssetKey("m1"), fr.AssetKey("m2")}
    assert graph.required_multi_asset_neighbors(fr.AssetKey("m2")) == together
    assert snapshot.to_json() == stored


_PROJECT = """
import freshet as fr

daily = fr.DailyPartitionsDefinition("2024-01-01")


@fr.asset(tags={"b": "2", "a": "1", "c": "3"}, kinds={"python", "duckdb", "sql"},
          owners=["team:x", "team:y"], partitions_def=daily, metadata={"z": 1, "y": [1, 2]})
def first():
    return 1


@fr.multi_asset(specs=[fr.AssetSpec("p", deps=[first]), fr.AssetSpec("q", deps=[first])])
def both():
    yield fr.MaterializeResult(asset_key="p")
    yield fr.MaterializeResult(asset_key="q")


class Warehouse(fr.ConfigurableResource):
    host: str = "h"


defs = fr.Definitions(
    assets=[first, both],
    jobs=[fr.define_asset_job("all_assets", selection="*")],
    resources={"warehouse": Warehouse(), "b": 1, "a": 2},
)
"""

_PRINT_FINGERPRINT = (
    "import runpy, sys; from freshet.snapshot import DefinitionsSnapshot; "
    "defs = runpy.run_path(sys.argv[1])['defs']; "
    "print(DefinitionsSnapshot.from_definitions(defs).fingerprint)"
)


def test_fingerprint_is_the_same_in_every_process(tmp_path):
    project = tmp_path / "project.py"
    project.write_text(_PROJECT)
    fingerprints = set()
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _PRINT_FINGERPRINT, str(project)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        fingerprints.add(done.stdout.strip())
    assert len(fingerprints) == 1 and len(fingerprints.pop()) == 64
