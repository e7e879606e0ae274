"""Run config as a run is given it: `RunConfig`, `EnvVar` references, validation of a whole
run config with every problem reported by path, and redaction of secrets for storage.

Nothing here imports pydantic: a run whose nodes and resources take no config validates its
run config without it. Config instances are recognised with `is_model`, and each node's own
config is validated by its `ConfigSchema` (which exists only once pydantic is loaded).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from freshet.core.config_limits import check_config_shape, is_model
from freshet.errors import ConfigError, InvalidDefinitionError

if TYPE_CHECKING:
    from freshet.core.config_schema import ConfigSchema

__all__ = [
    "EnvVar",
    "ResolvedRunConfig",
    "RunConfig",
    "env_ref_name",
    "is_model",
    "redact_run_config",
    "redact_value",
    "configured_resources",
    "schema_for",
    "short_repr",
    "to_plain",
    "validate_run_config",
]

_MAX_REPR = 80


def short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


# ---------------------------------------------------------------------------------------------
# EnvVar
# ---------------------------------------------------------------------------------------------


class EnvVar(str):
    """A reference to an environment variable, read when a run starts and never stored.

    It is a str whose text is the variable's *name*, so it fits any str field; `Config` also
    accepts it in fields of other types and validates the variable's value at resolution.
    """

    __slots__ = ()

    def __new__(cls, name: str) -> EnvVar:
        if not isinstance(name, str) or not name or "=" in name or "\x00" in name:
            raise InvalidDefinitionError(
                f"EnvVar needs the name of an environment variable, got {name!r}"
            )
        return super().__new__(cls, name)

    @property
    def env_var_name(self) -> str:
        return str.__str__(self)

    def get_value(self, default: str | None = None) -> str:
        """The variable's value; ``default`` if unset; else a `ConfigError` naming it."""
        value = os.environ.get(self.env_var_name)
        if value is not None:
            return value
        if default is not None:
            return default
        raise ConfigError(
            [
                f"environment variable {self.env_var_name!r} is not set; set it in the environment "
                "of the process that runs this, or give a default"
            ],
            header="missing environment variable",
        )

    def __repr__(self) -> str:
        return f"EnvVar({self.env_var_name!r})"


def env_ref_name(value: Any) -> str | None:
    """The variable named by ``EnvVar("X")`` or by the dict form ``{"env": "X"}``."""
    if isinstance(value, EnvVar):
        return value.env_var_name
    if type(value) is dict and len(value) == 1:
        name = value.get("env")
        if isinstance(name, str):
            return name
    return None


def to_plain(value: Any) -> Any:
    """Plain dicts and lists: config instances become dicts keyed by alias; `EnvVar`s are kept."""
    if is_model(value):
        # pydantic is loaded already: `value` is one of its models
        from freshet.core.config_types import config_to_dict

        return config_to_dict(value)
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


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
    return {"config": value} if is_model(value) else value


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
    #: node -> input name -> value, from `ops.<node>.inputs` (values of inputs whose
    #: upstream op the run does not execute)
    op_inputs: dict[str, dict[str, Any]] = field(default_factory=dict)


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


def _entry_config(
    entry: Any, where: str, problems: list[str], inputs: dict[str, Any] | None = None
) -> Any:
    """The ``config`` part of one node entry (None when absent); an op entry's ``inputs``
    part goes to `inputs` (None: the section takes no inputs)."""
    if entry is None or is_model(entry):
        return entry
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: expected {{'config': {{...}}}}, got {short_repr(entry)}")
        return None
    valid = ("config",) if inputs is None else ("config", "inputs")
    for key in entry:
        if key not in valid:
            problems.append(f"{where}.{key}: unknown key (valid: {', '.join(valid)})")
    given = entry.get("inputs")
    if inputs is not None and given is not None:
        if not isinstance(given, Mapping):
            problems.append(
                f"{where}.inputs: expected a mapping of input names to values, got "
                f"{short_repr(given)}"
            )
        else:
            inputs.update({name: _input_value(value) for name, value in given.items()})
    return entry.get("config")


def _input_value(value: Any) -> Any:
    """An input's value as run config gives it: plain, or as ``{"value": ...}``."""
    if isinstance(value, Mapping) and set(value) == {"value"}:
        return value["value"]
    return value


def _given_entries(
    given: Any,
    section: _Section,
    schemas: Mapping[str, Any],
    problems: list[str],
    inputs: dict[str, dict[str, Any]] | None = None,
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
        node_inputs: dict[str, Any] | None = None if inputs is None else {}
        configs[name] = _entry_config(entry, where, problems, node_inputs)
        if inputs is not None and node_inputs:
            inputs[name] = node_inputs
    return configs


def _validate_section(
    given: Any,
    section: _Section,
    schemas: Mapping[str, ConfigSchema | None],
    resolve: bool,
    problems: list[str],
    inputs: dict[str, dict[str, Any]] | None = None,
    optional: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Each entry of `schemas` checked against its given config (entries named in `optional`
    only where given)."""
    configs = _given_entries(given, section, schemas, problems, inputs)
    out: dict[str, Any] = {}
    for name, schema in schemas.items():
        if name in optional and name not in configs:
            continue
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
    optional_ops: Mapping[str, ConfigSchema | None] | None = None,
) -> ResolvedRunConfig:
    """Validate a run config against the nodes and resources of a run; raise one `ConfigError`
    listing every problem by path.

    `optional_ops` are nodes of the job the run does not execute (an op selection left them
    out): their config may be given, is checked when it is, and is then left out of the
    result (a re-execution keeps the whole job's run config); their `inputs` stay in it, for
    the caller to check against their ops.

    With ``resolve_env_vars=False`` (e.g. checking config in a process that lacks the run's
    environment) env references stay `EnvVar`s and are not checked.
    """
    raw = _raw_run_config(run_config)
    problems: list[str] = []
    for key in raw:
        if key not in _TOP_KEYS:
            problems.append(f"{key}: unknown key (valid: {', '.join(_TOP_KEYS)})")
    op_inputs: dict[str, dict[str, Any]] = {}
    schemas = {**(optional_ops or {}), **ops}
    optional = frozenset(schemas.keys() - ops.keys())
    op_values = _validate_section(
        _flatten_graph_entries(raw.get("ops"), schemas),
        _Section.OPS,
        schemas,
        resolve_env_vars,
        problems,
        op_inputs,
        optional,
    )
    for name in optional:
        op_values.pop(name, None)
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
        op_inputs=op_inputs,
    )


def schema_for(config_schema: Any, where: str) -> ConfigSchema | None:
    """`config_schema_from`, importing it (and pydantic) only when there is a schema to build:
    a node or resource without config never loads pydantic."""
    if config_schema is None:
        return None
    from freshet.core.config_schema import config_schema_from

    return config_schema_from(config_schema, where)


def configured_resources(run_config: Mapping[str, Any] | RunConfig | None) -> frozenset[str]:
    """The resource keys a run config gives config for (its ``resources`` section), in either
    form; nothing is validated here."""
    if isinstance(run_config, RunConfig):
        given: Any = run_config.resources
    elif isinstance(run_config, Mapping):
        given = run_config.get("resources")
    else:
        return frozenset()
    return frozenset(given) if isinstance(given, Mapping) else frozenset()


def redact_run_config(run_config: Mapping[str, Any] | RunConfig | None) -> dict[str, Any]:
    """A storable copy: `EnvVar`s become ``{"env": "NAME"}``, Config instances plain dicts."""
    return redact_value(_raw_run_config(run_config))


def redact_value(value: Any) -> Any:
    """A storable copy of one value of a run config (see `redact_run_config`)."""
    if isinstance(value, EnvVar):
        return {"env": value.env_var_name}
    if is_model(value):
        return redact_value(to_plain(value))
    if isinstance(value, Mapping):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
