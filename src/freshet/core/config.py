"""The JSON schema of a run config for the launchpad editor. Imports pydantic.

The config building blocks are re-exported here (`RunConfig`, its validation and redaction
from `run_config`, which needs no pydantic): this is the module to import from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from freshet.core.config_schema import (
    NO_DEFAULT,
    ConfigSchema,
    ConfigSchemaKind,
    config_schema_from,
    resolve_config_instance,
)
from freshet.core.config_types import REQUIRED, Config, Field, config_to_dict
from freshet.core.run_config import (
    EnvVar,
    ResolvedRunConfig,
    RunConfig,
    redact_run_config,
    redact_value,
    to_plain,
    validate_run_config,
)

__all__ = [
    "NO_DEFAULT",
    "REQUIRED",
    "Config",
    "ConfigSchema",
    "ConfigSchemaKind",
    "EnvVar",
    "Field",
    "ResolvedRunConfig",
    "RunConfig",
    "config_schema_from",
    "config_to_dict",
    "redact_run_config",
    "resolve_config_instance",
    "run_config_json_schema",
    "to_plain",
    "validate_run_config",
]

# ---------------------------------------------------------------------------------------------
# JSON schema of a run config (for the launchpad editor)
# ---------------------------------------------------------------------------------------------

_ENV_DEF = "FreshetEnvVar"


class _JsonSchemaGenerator(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        # An EnvVar default shows as the reference, never as a value.
        if isinstance(dft, EnvVar):
            return {"env": dft.env_var_name}
        return super().encode_default(dft)


_SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})


def _allow_env(prop: dict[str, Any]) -> dict[str, Any]:
    """Let a scalar property also take ``{"env": "NAME"}``."""
    options = prop.get("anyOf", [prop])
    if not all(o.get("type") in _SCALAR_TYPES | {"null"} for o in options):
        return prop
    outer = {k: prop[k] for k in ("title", "description", "default") if k in prop}
    inner = {k: v for k, v in prop.items() if k not in outer}
    inner_options = inner.get("anyOf", [inner])
    return {**outer, "anyOf": [*inner_options, {"$ref": f"#/$defs/{_ENV_DEF}"}]}


def _allow_env_everywhere(schema: dict[str, Any]) -> None:
    props = schema.get("properties")
    if isinstance(props, dict):
        for key, prop in props.items():
            props[key] = _allow_env(prop)


def _node_schema(config: dict[str, Any] | None, required: bool) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
    if config is not None:
        node["properties"]["config"] = config
        if required:
            node["required"] = ["config"]
    return node


def _partial(config: dict[str, Any], defs: dict[str, Any], base: Mapping[str, Any]) -> dict:
    # A resource instance already holds every field: run config only overrides, so the
    # schema drops "required" and shows the current values (secrets as env references).
    ref = config.get("$ref", "")
    resolved = dict(defs.get(ref.rsplit("/", 1)[-1], config)) if ref else dict(config)
    resolved.pop("required", None)
    props = {k: dict(v) for k, v in resolved.get("properties", {}).items()}
    for key, value in base.items():
        redacted = redact_value(value)
        if key in props and isinstance(redacted, str | int | float | bool | dict | list):
            props[key]["default"] = redacted
    resolved["properties"] = props
    return resolved


def _section_schema(
    schemas: Mapping[str, ConfigSchema | None],
    generated: Mapping[Any, dict[str, Any]],
    section: str,
    defs: dict[str, Any],
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for name, schema in schemas.items():
        if schema is None:
            props[name] = _node_schema(None, False)
            continue
        config = dict(generated[((section, name), "validation")])
        if schema.base_values is not None:
            config = _partial(config, defs, schema.base_values)
        if schema.kind is ConfigSchemaKind.VALUE:
            config = _allow_env(config)
        _allow_env_everywhere(config)
        props[name] = _node_schema(config, schema.is_required)
        if schema.is_required:
            required.append(name)
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = required
    return out


def run_config_json_schema(
    *,
    ops: Mapping[str, ConfigSchema | None],
    resources: Mapping[str, ConfigSchema | None],
) -> dict[str, Any]:
    """The JSON schema (2020-12) of a run config for these nodes and resources."""
    inputs = [
        ((section, name), "validation", schema.adapter)
        for section, schemas in (("ops", ops), ("resources", resources))
        for name, schema in schemas.items()
        if schema is not None
    ]
    generated, top = TypeAdapter.json_schemas(
        inputs, ref_template="#/$defs/{model}", schema_generator=_JsonSchemaGenerator
    )
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    for definition in defs.values():
        _allow_env_everywhere(definition)
    ops_schema = _section_schema(ops, generated, "ops", defs)
    resources_schema = _section_schema(resources, generated, "resources", defs)
    defs[_ENV_DEF] = {
        "type": "object",
        "description": "read from an environment variable when the run starts",
        "properties": {"env": {"type": "string"}},
        "required": ["env"],
        "additionalProperties": False,
    }
    result: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "ops": ops_schema,
            "resources": resources_schema,
            "execution": {"type": "object"},
            "loggers": {"type": "object"},
        },
        "$defs": defs,
    }
    if ops_schema.get("required"):
        result["required"] = ["ops"]
    return result
