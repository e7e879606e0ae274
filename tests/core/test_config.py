from __future__ import annotations

import json

import pydantic
import pytest

from freshet.core.config import (
    Config,
    ConfigSchemaKind,
    EnvVar,
    Field,
    RunConfig,
    config_schema_from,
    redact_run_config,
    run_config_json_schema,
    validate_run_config,
)
from freshet.errors import ConfigError, InvalidDefinitionError


class TopConfig(Config):
    limit: int
    name: str = "x"


class Inner(Config):
    depth: int = 1


class Nested(Config):
    inner: Inner = Inner()
    tags: list[str] = []
    ids: list[int] = []


class AllDefaults(Config):
    rate: float = 0.5


class Secret(Config):
    password: str = EnvVar("FRESHET_TEST_PW")


class Overridable(Config):
    host: str
    port: int = 5432


def _schemas(**kwargs):
    return {name: config_schema_from(obj, f"op {name!r}") for name, obj in kwargs.items()}


def _problems(run_config, *, ops=None, resources=None, **kwargs):
    with pytest.raises(ConfigError) as info:
        validate_run_config(run_config, ops=ops or {}, resources=resources or {}, **kwargs)
    return info.value.problems


# ---- Config and EnvVar ---------------------------------------------------------------------


def test_config_rejects_unknown_fields_and_is_frozen():
    with pytest.raises(pydantic.ValidationError):
        TopConfig(limit=1, bogus=2)
    config = TopConfig(limit=1)
    with pytest.raises(pydantic.ValidationError):
        config.limit = 2


def test_config_has_marker_for_pydantic_free_modules():
    assert TopConfig.__freshet_config__ is True


def test_config_field_of_any_type_accepts_env_var_until_resolution():
    config = Overridable(host="h", port=EnvVar("PORT"))
    assert isinstance(config.port, EnvVar)


def test_legacy_field_in_config_class_is_rejected_with_the_right_spelling():
    with pytest.raises(InvalidDefinitionError, match=r"pydantic\.Field"):

        class Wrong(Config):
            limit: int = Field(int, default=3)


def test_env_var_reads_the_environment(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_X", "42")
    var = EnvVar("FRESHET_TEST_X")
    assert var.env_var_name == "FRESHET_TEST_X"
    assert var.get_value() == "42"
    assert repr(var) == "EnvVar('FRESHET_TEST_X')"


def test_unset_env_var_raises_config_error_naming_it(monkeypatch):
    monkeypatch.delenv("FRESHET_TEST_UNSET", raising=False)
    assert EnvVar("FRESHET_TEST_UNSET").get_value(default="d") == "d"
    with pytest.raises(ConfigError, match="'FRESHET_TEST_UNSET' is not set"):
        EnvVar("FRESHET_TEST_UNSET").get_value()


@pytest.mark.parametrize("name", ["", "A=B"], ids=["empty", "equals"])
def test_env_var_rejects_invalid_names(name):
    with pytest.raises(InvalidDefinitionError):
        EnvVar(name)


# ---- config_schema_from --------------------------------------------------------------------


def test_no_config_schema_is_none():
    assert config_schema_from(None, "op 'a'") is None


def test_config_class_schema_is_cached_and_knows_required_fields():
    schema = config_schema_from(TopConfig, "op 'a'")
    assert schema is config_schema_from(TopConfig, "op 'b'")
    assert schema.kind is ConfigSchemaKind.MODEL
    assert schema.required_fields == ("limit",)
    assert schema.is_required


def test_dict_schema_supports_field_defaults_nesting_and_lists():
    schema = config_schema_from(
        {
            "limit": int,
            "name": Field(str, default="x", description="who"),
            "legacy": Field(int, default_value=7),
            "maybe": Field(int, is_required=False),
            "db": {"host": Field(str, default="localhost")},
            "names": [str],
        },
        "op 'a'",
    )
    assert schema.kind is ConfigSchemaKind.FIELDS
    result = validate_run_config(
        {"ops": {"a": {"config": {"limit": "3", "names": ["p"]}}}}, ops={"a": schema}, resources={}
    )
    assert result.ops["a"] == {
        "limit": 3,
        "name": "x",
        "legacy": 7,
        "maybe": None,
        "db": {"host": "localhost"},
        "names": ["p"],
    }


def test_same_dict_schema_reuses_its_model():
    spec = {"limit": int}
    assert config_schema_from(spec, "op 'a'") is config_schema_from(dict(spec), "op 'b'")


def test_dict_schema_keys_need_not_be_identifiers():
    schema = config_schema_from({"my key": int, "schema": str}, "op 'a'")
    result = validate_run_config(
        {"ops": {"a": {"config": {"my key": 1, "schema": "s"}}}}, ops={"a": schema}, resources={}
    )
    assert result.ops["a"] == {"my key": 1, "schema": "s"}


def test_bad_dict_schema_entry_names_where_and_key():
    with pytest.raises(InvalidDefinitionError, match=r"op 'a'\.limit: a config schema entry"):
        config_schema_from({"limit": 5}, "op 'a'")


def test_unsupported_config_schema_is_rejected():
    with pytest.raises(InvalidDefinitionError, match="config_schema must be"):
        config_schema_from(42, "op 'a'")


def test_bare_type_schema_takes_that_value():
    ops = _schemas(a=int)
    result = validate_run_config({"ops": {"a": {"config": "5"}}}, ops=ops, resources={})
    assert result.ops["a"] == 5


def test_optional_bare_type_needs_no_value():
    ops = _schemas(a=int | None)
    assert validate_run_config({}, ops=ops, resources={}).ops["a"] is None


# ---- validate_run_config: results ----------------------------------------------------------


def test_nodes_get_validated_config_defaults_or_none():
    ops = {**_schemas(top=TopConfig, d=AllDefaults), "plain": None}
    result = validate_run_config({"ops": {"top": {"config": {"limit": 3}}}}, ops=ops, resources={})
    assert result.ops == {"top": TopConfig(limit=3), "d": AllDefaults(), "plain": None}


def test_run_config_object_with_config_instances_is_accepted():
    ops = _schemas(top=TopConfig)
    result = validate_run_config(RunConfig(ops={"top": TopConfig(limit=2)}), ops=ops, resources={})
    assert result.ops["top"] == TopConfig(limit=2)


def test_config_instance_may_replace_the_config_dict():
    ops = _schemas(top=TopConfig)
    result = validate_run_config(
        {"ops": {"top": {"config": TopConfig(limit=4)}}}, ops=ops, resources={}
    )
    assert result.ops["top"].limit == 4


def test_config_instance_of_another_class_is_a_problem():
    problems = _problems(RunConfig(ops={"top": AllDefaults()}), ops=_schemas(top=TopConfig))
    assert problems == [
        "ops.top.config: expected TopConfig config, got AllDefaults; pass TopConfig(...) or a dict"
    ]


def test_empty_config_for_node_without_schema_is_fine():
    result = validate_run_config(
        {"ops": {"plain": {"config": {}}}}, ops={"plain": None}, resources={}
    )
    assert result.ops == {"plain": None}


# ---- validate_run_config: problems ---------------------------------------------------------


def test_every_problem_is_listed_with_its_path():
    problems = _problems(
        {
            "executionz": {},
            "ops": {
                "top": {"config": {"limit": "ten", "bogus": 1}},
                "nope": {"config": {}},
            },
        },
        ops={**_schemas(top=TopConfig, needs=TopConfig), "a": None},
    )
    assert problems == [
        "executionz: unknown key (valid: ops, resources, execution, loggers)",
        "ops.nope: no op or asset named 'nope' in this run (known: a, needs, top)",
        "ops.top.config.limit: expected int, got 'ten'",
        "ops.top.config.bogus: unknown config key (valid keys: limit, name)",
        "ops.needs.config: missing required config (required fields: limit)",
    ]


def test_missing_field_in_given_config_is_reported_per_field():
    problems = _problems({"ops": {"top": {"config": {"name": "n"}}}}, ops=_schemas(top=TopConfig))
    assert problems == ["ops.top.config.limit: required field missing"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"inner": {"depth": "deep"}}, "ops.n.config.inner.depth: expected int, got 'deep'"),
        (
            {"inner": {"width": 1}},
            "ops.n.config.inner.width: unknown config key (valid keys: depth)",
        ),
        ({"ids": [1, "two"]}, "ops.n.config.ids[1]: expected int, got 'two'"),
        ({"tags": "a,b"}, "ops.n.config.tags: expected list, got 'a,b'"),
        ({"inner": 3}, "ops.n.config.inner: expected mapping, got 3"),
    ],
    ids=["nested-type", "nested-unknown", "list-index", "list-type", "nested-not-mapping"],
)
def test_nested_problems_have_full_paths(config, expected):
    assert _problems({"ops": {"n": {"config": config}}}, ops=_schemas(n=Nested)) == [expected]


def test_union_type_problem_is_merged_into_one_line():
    class Either(Config):
        value: int | bool

    problems = _problems({"ops": {"e": {"config": {"value": [1]}}}}, ops=_schemas(e=Either))
    assert problems == ["ops.e.config.value: expected int or bool, got [1]"]


@pytest.mark.parametrize(
    ("run_config", "expected"),
    [
        ({"ops": ["top"]}, "ops: expected a mapping of op or asset names to"),
        ({"ops": {"top": 3}}, "ops.top: expected {'config': {...}}, got 3"),
        ({"ops": {"top": {"config": {"limit": 1}, "outputs": {}}}}, "ops.top.outputs: unknown key"),
        ({"ops": {"top": {"config": [1]}}}, "ops.top.config: expected a mapping of config keys"),
    ],
    ids=["ops-not-mapping", "entry-not-mapping", "entry-unknown-key", "config-not-mapping"],
)
def test_malformed_run_config_shapes_are_reported(run_config, expected):
    problems = _problems(run_config, ops=_schemas(top=TopConfig))
    assert any(p.startswith(expected) for p in problems), problems


def test_config_for_node_without_schema_is_a_problem():
    problems = _problems({"ops": {"plain": {"config": {"x": 1}}}}, ops={"plain": None})
    assert problems == [
        "ops.plain.config: unexpected config: this op or asset declares no config schema; remove it"
    ]


def test_known_names_are_truncated_for_large_runs():
    ops = {f"asset_{i:03}": None for i in range(50)}
    (problem,) = _problems({"ops": {"nope": {}}}, ops=ops)
    assert problem.endswith("asset_019, ... (30 more))")


def test_non_mapping_run_config_is_rejected():
    with pytest.raises(ConfigError, match="run config must be a mapping"):
        validate_run_config(["ops"], ops={}, resources={})


# ---- env vars in run config ----------------------------------------------------------------


def test_env_dict_form_is_resolved(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_LIMIT", "9")
    result = validate_run_config(
        {"ops": {"top": {"config": {"limit": {"env": "FRESHET_TEST_LIMIT"}}}}},
        ops=_schemas(top=TopConfig),
        resources={},
    )
    assert result.ops["top"].limit == 9


def test_env_var_in_config_instance_is_resolved(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_LIMIT", "8")
    result = validate_run_config(
        RunConfig(ops={"top": TopConfig(limit=EnvVar("FRESHET_TEST_LIMIT"))}),
        ops=_schemas(top=TopConfig),
        resources={},
    )
    assert result.ops["top"] == TopConfig(limit=8)


def test_env_var_default_in_config_class_is_resolved(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_PW", "hunter2")
    result = validate_run_config({}, ops=_schemas(s=Secret), resources={})
    assert result.ops["s"].password == "hunter2"
    assert type(result.ops["s"].password) is str


def test_unset_env_var_is_reported_at_its_path_only(monkeypatch):
    monkeypatch.delenv("FRESHET_TEST_UNSET", raising=False)
    problems = _problems(
        {"ops": {"top": {"config": {"limit": {"env": "FRESHET_TEST_UNSET"}}}}},
        ops=_schemas(top=TopConfig),
    )
    assert problems == [
        "ops.top.config.limit: environment variable 'FRESHET_TEST_UNSET' is not set; set it in "
        "the environment where the run executes"
    ]


def test_bad_env_value_is_reported_without_showing_it(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_LIMIT", "s3cr3t")
    problems = _problems(
        {"ops": {"top": {"config": {"limit": {"env": "FRESHET_TEST_LIMIT"}}}}},
        ops=_schemas(top=TopConfig),
    )
    assert problems == [
        "ops.top.config.limit: expected int, got the value of environment variable "
        "'FRESHET_TEST_LIMIT'"
    ]
    assert "s3cr3t" not in problems[0]


def test_env_vars_can_be_left_unresolved(monkeypatch):
    monkeypatch.delenv("FRESHET_TEST_UNSET", raising=False)
    result = validate_run_config(
        {"ops": {"top": {"config": {"limit": {"env": "FRESHET_TEST_UNSET"}}}}},
        ops=_schemas(top=TopConfig),
        resources={},
        resolve_env_vars=False,
    )
    assert result.ops["top"].limit == EnvVar("FRESHET_TEST_UNSET")


# ---- resources section ---------------------------------------------------------------------


def test_resource_overrides_are_partial_over_base_values():
    schema = config_schema_from(Overridable, "resource 'db'").with_base_values({"host": "h"})
    result = validate_run_config(
        {"resources": {"db": {"config": {"port": "6543"}}}}, ops={}, resources={"db": schema}
    )
    assert result.resources == {"db": {"port": 6543}}


def test_resource_override_problems_and_unknown_resources_are_reported():
    schema = config_schema_from(Overridable, "resource 'db'").with_base_values({"host": "h"})
    problems = _problems(
        {"resources": {"db": {"config": {"port": "x"}}, "cache": {}}}, resources={"db": schema}
    )
    assert problems == [
        "resources.cache: no resource named 'cache' in this run (known: db)",
        "resources.db.config.port: expected int, got 'x'",
    ]


def test_function_resource_config_is_required_when_schema_requires_it():
    problems = _problems({}, resources={"db": config_schema_from({"url": str}, "resource 'db'")})
    assert problems == ["resources.db.config: missing required config (required fields: url)"]


# ---- RunConfig dicts and redaction ---------------------------------------------------------


def test_run_config_to_config_dict_is_plain_and_keeps_env_vars():
    run_config = RunConfig(
        ops={"top": TopConfig(limit=EnvVar("L")), "raw": {"config": {"a": 1}}},
        resources={"db": {"config": {"port": 1}}},
    )
    assert run_config.to_config_dict() == {
        "ops": {
            "top": {"config": {"limit": EnvVar("L"), "name": "x"}},
            "raw": {"config": {"a": 1}},
        },
        "resources": {"db": {"config": {"port": 1}}},
    }


def test_redaction_replaces_env_vars_with_references():
    redacted = redact_run_config(
        {"ops": {"top": {"config": TopConfig(limit=EnvVar("L"))}}, "x": [EnvVar("Y")]}
    )
    assert redacted == {
        "ops": {"top": {"config": {"limit": {"env": "L"}, "name": "x"}}},
        "x": [{"env": "Y"}],
    }
    json.dumps(redacted)


def test_redacted_config_validates_to_the_same_result(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_LIMIT", "3")
    original = RunConfig(ops={"top": TopConfig(limit=EnvVar("FRESHET_TEST_LIMIT"))})
    stored = json.loads(json.dumps(redact_run_config(original)))
    ops = _schemas(top=TopConfig)
    assert validate_run_config(stored, ops=ops, resources={}) == validate_run_config(
        original, ops=ops, resources={}
    )


# ---- JSON schema ---------------------------------------------------------------------------


def _json_schema():
    return run_config_json_schema(
        ops={**_schemas(top=TopConfig, s=Secret, n=Nested, v=int), "plain": None},
        resources={
            "db": config_schema_from(Overridable, "resource 'db'").with_base_values(
                {"host": "h", "port": EnvVar("PORT")}
            )
        },
    )


def test_json_schema_marks_required_nodes_and_is_serializable():
    schema = _json_schema()
    json.dumps(schema)
    ops = schema["properties"]["ops"]
    assert ops["required"] == ["top", "v"]
    assert ops["properties"]["top"]["required"] == ["config"]
    assert ops["properties"]["plain"]["properties"] == {}
    assert schema["additionalProperties"] is False


def test_json_schema_lets_scalar_fields_take_env_references():
    schema = _json_schema()
    limit = schema["$defs"]["TopConfig"]["properties"]["limit"]
    assert {"$ref": "#/$defs/FreshetEnvVar"} in limit["anyOf"]
    password = schema["$defs"]["Secret"]["properties"]["password"]
    assert password["default"] == {"env": "FRESHET_TEST_PW"}


def test_json_schema_of_resource_instance_requires_nothing_and_shows_current_values():
    config = _json_schema()["properties"]["resources"]["properties"]["db"]["properties"]["config"]
    assert "required" not in config
    assert config["properties"]["host"]["default"] == "h"
    assert config["properties"]["port"]["default"] == {"env": "PORT"}


def test_json_schema_accepts_a_valid_run_config():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(
        {
            "ops": {"top": {"config": {"limit": {"env": "L"}}}, "v": {"config": 3}},
            "resources": {"db": {"config": {"port": 1}}},
        },
        _json_schema(),
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"ops": {"top": {"config": {"limit": 1, "x": 2}}}}, _json_schema())
