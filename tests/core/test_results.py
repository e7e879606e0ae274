from __future__ import annotations

import json
import math
import pickle
import typing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from freshet.core.keys import AssetKey
from freshet.core.results import (
    DataVersion,
    MaterializeResult,
    MetadataValue,
    MetadataValueType,
    Output,
    TableColumn,
    TableRecord,
    TableSchema,
    normalize_metadata,
)
from freshet.errors import InvalidDefinitionError, StorageError


def test_data_version_str_is_its_value():
    assert str(DataVersion("abc")) == "abc"
    assert DataVersion("abc") == DataVersion("abc")


def test_data_version_rejects_empty_value():
    with pytest.raises(InvalidDefinitionError, match="non-empty string"):
        DataVersion("")


def test_output_defaults_and_coerces_str_data_version():
    out = Output(5, data_version="v1")
    assert out.value == 5
    assert out.output_name == "result"
    assert out.metadata == {}
    assert out.data_version == DataVersion("v1")
    assert out.tags == {}


def test_output_can_be_parametrised_for_annotations():
    assert typing.get_origin(Output[int]) is Output


def test_output_rejects_non_str_tags_naming_the_output():
    with pytest.raises(InvalidDefinitionError, match=r"Output 'clean'.*tags must map str to str"):
        Output(1, output_name="clean", tags={"n": 1})


def test_materialize_result_coerces_asset_key_and_copies_inputs():
    metadata = {"row_count": 3}
    result = MaterializeResult(asset_key="a/b", metadata=metadata, check_results=[1])
    metadata["row_count"] = 4
    assert result.asset_key == AssetKey(["a", "b"])
    assert result.metadata == {"row_count": 3}
    assert result.check_results == (1,)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", MetadataValue.text("hello")),
        (True, MetadataValue.bool(True)),
        (3, MetadataValue.int(3)),
        (2.5, MetadataValue.float(2.5)),
        ({"a": [1, 2]}, MetadataValue.json({"a": [1, 2]})),
        ([1, "x"], MetadataValue.json([1, "x"])),
        (None, MetadataValue.null()),
        (Path("/tmp/x"), MetadataValue.path("/tmp/x")),
        (
            TableSchema([TableColumn("id", "int")]),
            MetadataValue.table_schema(TableSchema([TableColumn("id", "int")])),
        ),
        (AssetKey("up"), MetadataValue.asset("up")),
        (datetime(2024, 1, 1, tzinfo=UTC), MetadataValue.timestamp(1704067200.0)),
    ],
    ids=["str", "bool", "int", "float", "dict", "list", "none", "path", "schema", "asset", "dt"],
)
def test_plain_values_are_coerced_to_metadata_values(value, expected):
    assert normalize_metadata({"k": value}, where="metadata of asset 'a'") == {"k": expected}


def test_bool_is_not_coerced_to_int():
    value = normalize_metadata({"flag": True}, where="w")["flag"]
    assert value.type_name is MetadataValueType.BOOL
    assert value.value is True


def test_int_subclasses_and_number_like_values_are_coerced():
    class Count(int):
        pass

    assert normalize_metadata({"n": Count(4)}, where="w")["n"] == MetadataValue.int(4)


def test_metadata_values_pass_through_unchanged():
    md = MetadataValue.md("# hi")
    assert normalize_metadata({"doc": md}, where="w")["doc"] is md


def test_unsupported_value_names_where_key_and_type():
    with pytest.raises(InvalidDefinitionError) as info:
        normalize_metadata(
            {"ok": 1, "bad": object(), "worse": {1, 2}}, where="metadata of asset 'a'"
        )
    message = str(info.value)
    assert "metadata of asset 'a'" in message
    assert "'bad' has a value of type object" in message
    assert "'worse' has a value of type set" in message


def test_unserializable_json_metadata_is_rejected_with_its_key():
    with pytest.raises(InvalidDefinitionError, match=r"key 'cfg'.*JSON-serializable"):
        normalize_metadata({"cfg": {"when": object()}}, where="w")


def test_non_str_metadata_key_is_rejected():
    with pytest.raises(InvalidDefinitionError, match="metadata keys are str"):
        normalize_metadata({1: "x"}, where="w")


def test_empty_or_missing_metadata_normalizes_to_empty_dict():
    assert normalize_metadata(None, where="w") == {}
    assert normalize_metadata({}, where="w") == {}


@pytest.mark.parametrize(
    "value",
    [
        MetadataValue.text("t"),
        MetadataValue.int(1),
        MetadataValue.float(1.5),
        MetadataValue.bool(False),
        MetadataValue.json({"a": [1, None]}),
        MetadataValue.md("**b**"),
        MetadataValue.url("https://example.com"),
        MetadataValue.path("/data/x.parquet"),
        MetadataValue.table_schema(TableSchema([TableColumn("id", "int", "the id")])),
        MetadataValue.table([TableRecord({"id": 1, "name": "a"})]),
        MetadataValue.timestamp(1700000000.5),
        MetadataValue.asset(["raw", "events"]),
        MetadataValue.null(),
    ],
    ids=lambda v: v.type_name.value,
)
def test_metadata_value_round_trips_through_json(value):
    stored = json.loads(json.dumps(value.to_json()))
    assert stored["type"] == value.type_name.value
    assert MetadataValue.from_json(stored) == value


def test_non_finite_float_round_trips_through_strict_json():
    stored = json.loads(json.dumps(MetadataValue.float(math.inf).to_json(), allow_nan=False))
    assert MetadataValue.from_json(stored).value == math.inf


def test_table_infers_schema_from_first_record():
    table = MetadataValue.table([TableRecord({"id": 1, "ok": True, "name": "x"})])
    assert [(c.name, c.type) for c in table.value.schema.columns] == [
        ("id", "int"),
        ("ok", "bool"),
        ("name", "string"),
    ]


def test_table_record_rejects_non_scalar_values():
    with pytest.raises(InvalidDefinitionError, match="column 'tags'"):
        TableRecord({"tags": ["a"]})


def test_unknown_stored_type_says_to_upgrade():
    with pytest.raises(StorageError, match="newer freshet"):
        MetadataValue.from_json({"type": "hologram", "value": 1})


def test_int_constructor_rejects_bool():
    with pytest.raises(InvalidDefinitionError):
        MetadataValue.int(True)


def test_metadata_values_are_immutable_and_picklable():
    value = MetadataValue.json({"a": 1})
    with pytest.raises(AttributeError, match="immutable"):
        value.value = 2
    assert pickle.loads(pickle.dumps(value)) == value
    assert pickle.loads(pickle.dumps(MetadataValue.null())) == MetadataValue.null()


def test_metadata_values_of_different_kinds_are_not_equal():
    assert MetadataValue.text("a") != MetadataValue.md("a")
    assert MetadataValue.int(1) != MetadataValue.float(1.0)
    assert hash(MetadataValue.text("a")) == hash(MetadataValue.text("a"))
