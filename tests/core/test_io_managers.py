from __future__ import annotations

import hashlib
import os
import pickle
import threading

import pytest

from freshet.core.builtin_io_managers import FilesystemIOManager, InMemoryIOManager
from freshet.core.io_managers import InputContext, IOManager, OutputContext
from freshet.core.keys import AssetKey
from freshet.core.results import DataVersion
from freshet.errors import ExecutionError, UsageError


def _out(base_dir: str = "", **kwargs) -> OutputContext:
    defaults = {"run_id": "run1", "step_key": "orders", "asset_key": AssetKey(["sales", "orders"])}
    return OutputContext(**{**defaults, **kwargs}, base_dir=base_dir)


def _in(upstream: OutputContext, **kwargs) -> InputContext:
    fields = {
        "name": "orders",
        "upstream_output": upstream,
        "asset_key": upstream.asset_key,
        "partition_key": upstream.partition_key,
        "base_dir": upstream.base_dir,
    }
    return InputContext(**{**fields, **kwargs})


# ---- contexts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "identifier"),
    [
        ({}, ["sales", "orders"]),
        ({"partition_key": "2024-01-01"}, ["sales", "orders", "2024-01-01"]),
        ({"asset_key": None, "name": "out"}, ["run1", "orders", "out"]),
    ],
    ids=["asset", "partitioned-asset", "op-output"],
)
def test_output_identifier(kwargs, identifier):
    assert _out(**kwargs).get_identifier() == identifier


def test_output_context_flags():
    context = _out(partition_key="p")
    assert context.has_asset_key and context.has_partition_key
    assert not _out(asset_key=None).has_asset_key


def test_added_output_metadata_is_consumed_once():
    context = _out()
    context.add_output_metadata({"row_count": 3})
    context.add_output_metadata({"path": "x"})
    assert context.consume_added_metadata() == {"row_count": 3, "path": "x"}
    assert context.consume_added_metadata() == {}


def test_input_context_partition_flags():
    upstream = _out(partition_key="a")
    single = _in(upstream)
    many = _in(upstream, partition_key=None, asset_partition_keys=["a", "b"])
    assert single.has_asset_partitions and not single.loads_many_partitions
    assert many.has_asset_partitions and many.loads_many_partitions
    assert not _in(_out()).has_asset_partitions


def test_io_manager_is_abstract():
    with pytest.raises(TypeError):
        IOManager()


# ---- filesystem ----------------------------------------------------------------------------


def test_filesystem_round_trip_under_asset_key_path(tmp_path):
    io = FilesystemIOManager()
    context = _out(str(tmp_path))
    io.handle_output(context, {"rows": [1, 2]})
    assert (tmp_path / "sales" / "orders").is_file()
    assert io.load_input(_in(context)) == {"rows": [1, 2]}


def test_filesystem_returns_sha256_of_written_bytes(tmp_path):
    version = FilesystemIOManager().handle_output(_out(str(tmp_path)), [1, 2, 3])
    written = (tmp_path / "sales" / "orders").read_bytes()
    assert version == DataVersion(hashlib.sha256(written).hexdigest())


def test_same_value_gives_same_fingerprint_and_different_value_another(tmp_path):
    io = FilesystemIOManager()
    first = io.handle_output(_out(str(tmp_path)), {"a": 1})
    second = io.handle_output(_out(str(tmp_path)), {"a": 1})
    third = io.handle_output(_out(str(tmp_path)), {"a": 2})
    assert first == second != third


def test_explicit_base_dir_wins_over_instance_folder(tmp_path):
    io = FilesystemIOManager(base_dir=str(tmp_path / "mine"))
    io.handle_output(_out(str(tmp_path / "instance")), 1)
    assert (tmp_path / "mine" / "sales" / "orders").is_file()
    assert not (tmp_path / "instance").exists()


def test_partitioned_output_goes_under_partition_key(tmp_path):
    io = FilesystemIOManager()
    context = _out(str(tmp_path), partition_key="2024-01-01")
    io.handle_output(context, "jan")
    assert (tmp_path / "sales" / "orders" / "2024-01-01").is_file()
    assert io.load_input(_in(context)) == "jan"


def test_op_output_goes_under_run_and_step(tmp_path):
    io = FilesystemIOManager()
    context = _out(str(tmp_path), asset_key=None, step_key="clean", name="out")
    io.handle_output(context, 7)
    assert (tmp_path / "run1" / "clean" / "out").is_file()
    assert io.load_input(_in(context, name="x")) == 7


@pytest.mark.parametrize(
    "partition_key",
    ["../../escape", "..", "a\\b", "100%"],
    ids=["traversal", "dotdot", "backslash", "percent"],
)
def test_partition_keys_cannot_escape_the_asset_folder(tmp_path, partition_key):
    io = FilesystemIOManager()
    base = tmp_path / "base"
    context = _out(str(base), partition_key=partition_key)
    io.handle_output(context, partition_key)
    asset_dir = base / "sales" / "orders"
    assert [p.parent for p in asset_dir.iterdir()] == [asset_dir]
    assert io.load_input(_in(context)) == partition_key


def test_many_partitions_load_as_a_dict(tmp_path):
    io = FilesystemIOManager()
    for key in ("a", "b"):
        io.handle_output(_out(str(tmp_path), partition_key=key), key.upper())
    context = _in(_out(str(tmp_path)), partition_key=None, asset_partition_keys=["a", "b"])
    assert io.load_input(context) == {"a": "A", "b": "B"}


def test_missing_file_names_asset_path_and_what_to_do(tmp_path):
    context = _in(_out(str(tmp_path)), name="orders_in")
    with pytest.raises(ExecutionError) as info:
        FilesystemIOManager().load_input(context)
    message = str(info.value)
    assert "asset 'sales/orders'" in message
    assert str(tmp_path / "sales" / "orders") in message
    assert "materialize it first" in message


def test_missing_partition_is_named(tmp_path):
    io = FilesystemIOManager()
    io.handle_output(_out(str(tmp_path), partition_key="a"), 1)
    context = _in(_out(str(tmp_path)), partition_key=None, asset_partition_keys=["a", "b"])
    with pytest.raises(ExecutionError, match="partition 'b'"):
        io.load_input(context)


def test_failed_write_keeps_previous_file_and_leaves_no_temp_file(tmp_path):
    io = FilesystemIOManager()
    io.handle_output(_out(str(tmp_path)), "good")
    with pytest.raises(ExecutionError, match="cannot be pickled"):
        io.handle_output(_out(str(tmp_path)), threading.Lock())
    assert os.listdir(tmp_path / "sales") == ["orders"]
    assert io.load_input(_in(_out(str(tmp_path)))) == "good"


def test_stored_file_is_a_plain_pickle(tmp_path):
    FilesystemIOManager().handle_output(_out(str(tmp_path)), {"x": 1})
    with open(tmp_path / "sales" / "orders", "rb") as f:
        assert pickle.load(f) == {"x": 1}


def test_filesystem_without_any_folder_says_how_to_fix():
    with pytest.raises(UsageError, match=r"FilesystemIOManager\(base_dir=\.\.\.\)"):
        FilesystemIOManager().handle_output(_out(""), 1)


# ---- in memory -----------------------------------------------------------------------------


def test_in_memory_round_trip_without_fingerprint():
    io = InMemoryIOManager()
    context = _out(partition_key="p")
    assert io.handle_output(context, [1]) is None
    assert io.load_input(_in(context)) == [1]


def test_in_memory_many_partitions_load_as_a_dict():
    io = InMemoryIOManager()
    for key in ("a", "b"):
        io.handle_output(_out(partition_key=key), key)
    context = _in(_out(), partition_key=None, asset_partition_keys=["a", "b"])
    assert io.load_input(context) == {"a": "a", "b": "b"}


def test_in_memory_values_are_per_instance():
    context = _out()
    InMemoryIOManager().handle_output(context, 1)
    with pytest.raises(ExecutionError, match="no value in memory for asset 'sales/orders'"):
        InMemoryIOManager().load_input(_in(context))
