"""Run config: `RunConfig`, validation of a whole run config with every problem reported by
path, redaction of secrets for storage, and the JSON schema for the launchpad editor.

The config building blocks are re-exported here: this is the module to import from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from freshet.core.config_errors import short_repr
from freshet.core.config_limits import check_config_shape
from freshet.core.config_schema import (
    NO_DEFAULT,
    ConfigSchema,
    ConfigSchemaKind,
    config_schema_from,
    resolve_config_instance,
)
from freshet.core.config_types import REQUIRED, Config, EnvVar, Field, config_to_dict, to_plain
from freshet.errors import ConfigError

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
    "validate_run_config",
]

# ---------------------------------------------------------------------------------------------
# RunConfig and validation of a whole run config
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Run config as Python objects: ``RunConfig(ops={"top": TopConfig(limit=5)})``.

    A value may be a `Config` instance (the node's config) or a dict entry such as
    ``{"config": {...}}``.
    """

    ops: Mapping[str, Any] | None = None
    resources: Mapping[str, Any] | None = None
    execution: Mapping[str, Any] | None = None
    loggers: Mapping[str, Any] | None = None

    def _raw(self) -> dict[str, Any]:
        """The dict shape, with Config instances left in place for validation."""
        out: dict[str, Any] = {}
        if self.ops:
            out["ops"] = {k: _as_entry(v) for k, v in self.ops.items()}
        if self.resources:
            out["resources"] = {k: _as_entry(v) for k, v in self.resources.items()}
        if self.execution:
            out["execution"] = dict(self.execution)
        if self.loggers:
            out["loggers"] = dict(self.loggers)
        return out

    def to_config_dict(self) -> dict[str, Any]:
        """Plain dicts and lists; `EnvVar` values are kept (see `redact_run_config`)."""
        return to_plain(self._raw())


def _as_entry(value: Any) -> Any:
    return {"config": value} if isinstance(value, BaseModel) else value


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedRunConfig:
    """A validated run config, env vars resolved.

    ``ops``: every node given to `validate_run_config` -> its Config instance, dict, value, or
    None when it takes no config. ``resources``: resource key -> validated config (only the
    overridden fields for `ConfigurableResource` instances).
    """

    ops: dict[str, Any]
    resources: dict[str, Any]
    execution: dict[str, Any] = field(default_factory=dict)
    loggers: dict[str, Any] = field(default_factory=dict)


class _Section(Enum):
    OPS = "ops"
    RESOURCES = "resources"


_TOP_KEYS = ("ops", "resources", "execution", "loggers")
_MAX_KNOWN = 20
_NOUNS = {_Section.OPS: "op or asset", _Section.RESOURCES: "resource"}


def _known(names: Mapping[str, Any]) -> str:
    ordered = sorted(names)
    if not ordered:
        return "none"
    if len(ordered) <= _MAX_KNOWN:
        return ", ".join(ordered)
    return ", ".join(ordered[:_MAX_KNOWN]) + f", ... ({len(ordered) - _MAX_KNOWN} more)"


def _entry_config(entry: Any, where: str, problems: list[str]) -> Any:
    """The ``config`` part of one node entry (None when absent)."""
    if entry is None or isinstance(entry, BaseModel):
        return entry
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: expected {{'config': {{...}}}}, got {short_repr(entry)}")
        return None
    for key in entry:
        if key != "config":
            problems.append(f"{where}.{key}: unknown key (valid: config)")
    return entry.get("config")


def _given_entries(
    given: Any, section: _Section, schemas: Mapping[str, Any], problems: list[str]
) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        problems.append(
            f"{section.value}: expected a mapping of {_NOUNS[section]} names to "
            f"{{'config': {{...}}}}, got {short_repr(given)}"
        )
        return {}
    configs: dict[str, Any] = {}
    for name, entry in given.items():
        where = f"{section.value}.{name}"
        if name not in schemas:
            problems.append(
                f"{where}: no {_NOUNS[section]} named {name!r} in this run "
                f"(known: {_known(schemas)})"
            )
            continue
        configs[name] = _entry_config(entry, where, problems)
    return configs


def _validate_section(
    given: Any,
    section: _Section,
    schemas: Mapping[str, ConfigSchema | None],
    resolve: bool,
    problems: list[str],
) -> dict[str, Any]:
    configs = _given_entries(given, section, schemas, problems)
    out: dict[str, Any] = {}
    for name, schema in schemas.items():
        value = configs.get(name)
        path = f"{section.value}.{name}.config"
        if schema is None:
            if value is not None and value != {}:
                problems.append(
                    f"{path}: unexpected config: this {_NOUNS[section]} declares no config "
                    "schema; remove it"
                )
            if section is _Section.OPS:
                out[name] = None
            continue
        result, errors = schema.validate(value, path=path, resolve_env_vars=resolve)
        if errors:
            problems.extend(errors)
        elif result is not None or section is _Section.OPS:
            out[name] = result
    return out


def _raw_run_config(run_config: Mapping[str, Any] | RunConfig | None) -> Mapping[str, Any]:
    if run_config is None:
        return {}
    if isinstance(run_config, RunConfig):
        raw = run_config._raw()
    elif isinstance(run_config, Mapping):
        raw = run_config
    else:
        raise ConfigError(
            [
                f"run config must be a mapping with keys {', '.join(_TOP_KEYS)} or a RunConfig, "
                f"got {type(run_config).__name__}"
            ]
        )
    check_config_shape(raw)
    return raw


def _flatten_graph_entries(given: Any, known: Mapping[str, Any]) -> Any:
    """Config for the ops of a graph nested in a graph may be given nested, as
    `{graph: {"ops": {op: {...}}}}`; its nodes are named `graph.op`."""
    if not isinstance(given, Mapping):
        return given
    flat: dict[str, Any] = {}
    for name, entry in given.items():
        inner = entry.get("ops") if isinstance(entry, Mapping) else None
        if name not in known and isinstance(inner, Mapping) and set(entry) == {"ops"}:
            prefixed = {f"{name}.{k}" for k in known if k.startswith(f"{name}.")}
            nested = _flatten_graph_entries(
                inner, {k.removeprefix(f"{name}."): None for k in prefixed}
            )
            flat.update({f"{name}.{k}": v for k, v in nested.items()})
        else:
            flat[name] = entry
    return flat


def validate_run_config(
    run_config: Mapping[str, Any] | RunConfig | None,
    *,
    ops: Mapping[str, ConfigSchema | None],
    resources: Mapping[str, ConfigSchema | None],
    resolve_env_vars: bool = True,
) -> ResolvedRunConfig:
    """Validate a run config against the nodes and resources of a run; raise one `ConfigError`
    listing every problem by path.

    With ``resolve_env_vars=False`` (e.g. checking config in a process that lacks the run's
    environment) env references stay `EnvVar`s and are not checked.
    """
    raw = _raw_run_config(run_config)
    problems: list[str] = []
    for key in raw:
        if key not in _TOP_KEYS:
            problems.append(f"{key}: unknown key (valid: {', '.join(_TOP_KEYS)})")
    op_values = _validate_section(
        _flatten_graph_entries(raw.get("ops"), ops), _Section.OPS, ops, resolve_env_vars, problems
    )
    resource_values = _validate_section(
        raw.get("resources"), _Section.RESOURCES, resources, resolve_env_vars, problems
    )
    for key in ("execution", "loggers"):
        if raw.get(key) is not None and not isinstance(raw[key], Mapping):
            problems.append(f"{key}: expected a mapping, got {short_repr(raw[key])}")
    if problems:
        raise ConfigError(problems)
    return ResolvedRunConfig(
        ops=op_values,
        resources=resource_values,
        execution=dict(raw.get("execution") or {}),
        loggers=dict(raw.get("loggers") or {}),
    )


def redact_run_config(run_config: Mapping[str, Any] | RunConfig | None) -> dict[str, Any]:
    """A storable copy: `EnvVar`s become ``{"env": "NAME"}``, Config instances plain dicts."""
    return _redact(_raw_run_config(run_config))


def _redact(value: Any) -> Any:
    if isinstance(value, EnvVar):
        return {"env": value.env_var_name}
    if isinstance(value, BaseModel):
        return _redact(config_to_dict(value))
    if isinstance(value, Mapping):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


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
        redacted = _redact(value)
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
