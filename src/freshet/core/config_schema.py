"""What an op, asset or resource accepts as config (`ConfigSchema`, built from a `Config`
class, a dict schema or a type) and the validation of one node's config against it.
"""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pydantic
from pydantic import BaseModel, TypeAdapter, ValidationError

from freshet.core.config_errors import (
    Loc,
    field_keys,
    format_validation_error,
    join_path,
    short_repr,
)
from freshet.core.config_types import (
    REQUIRED,
    Config,
    EnvVar,
    Field,
    config_to_dict,
    env_ref_name,
    holds_env_or_model,
)
from freshet.errors import ConfigError, InvalidDefinitionError

# ---------------------------------------------------------------------------------------------
# Legacy dict schemas
# ---------------------------------------------------------------------------------------------


class _FieldsConfig(Config):
    """Base of the models generated for dict schemas; the node receives a plain dict."""


_IDENT = re.compile(r"\W+")


def _model_name(where: str) -> str:
    return _IDENT.sub("_", where).strip("_").title().replace("_", "") + "Config"


def _is_type_like(spec: Any) -> bool:
    return (
        isinstance(spec, type)
        or spec is Any
        or typing.get_origin(spec) is not None
        or isinstance(spec, typing.TypeVar | typing.NewType)
    )


def _legacy_entry(spec: Any, where: str) -> tuple[Any, Any]:
    """(annotation, pydantic default or REQUIRED) for one dict-schema entry."""
    if isinstance(spec, Field):
        annotation, _ = _legacy_entry(spec.type, where)
        if spec.is_required:
            return annotation, REQUIRED
        if spec.default is None:
            annotation = annotation | None
        return annotation, spec.default
    if isinstance(spec, Mapping):
        model = _fields_model(spec, where)
        required = any(info.is_required() for info in model.model_fields.values())
        return model, (REQUIRED if required else _Factory(model))
    if isinstance(spec, list) and len(spec) == 1:
        inner, _ = _legacy_entry(spec[0], where)
        return list[inner], REQUIRED  # type: ignore[valid-type]
    if _is_type_like(spec):
        return spec, REQUIRED
    raise InvalidDefinitionError(
        f"{where}: a config schema entry must be a type (int, str, list[str], ...), a dict of "
        f"entries, [type] or Field(type, default=..., description=...); got {short_repr(spec)}"
    )


@dataclass(frozen=True, slots=True)
class _Factory:
    model: type[BaseModel]


def _fields_model(schema: Mapping[str, Any], where: str) -> type[_FieldsConfig]:
    fields: dict[str, Any] = {}
    for position, (key, spec) in enumerate(schema.items()):
        if not isinstance(key, str) or not key:
            raise InvalidDefinitionError(
                f"{where}: config schema keys must be non-empty strings, got {key!r}"
            )
        annotation, default = _legacy_entry(spec, f"{where}.{key}")
        description = spec.description if isinstance(spec, Field) else None
        # Internal names with aliases: any key works, even "schema" or "_private".
        if default is REQUIRED:
            info = pydantic.Field(alias=key, description=description)
        elif isinstance(default, _Factory):
            info = pydantic.Field(default_factory=default.model, alias=key)
        else:
            info = pydantic.Field(default=default, alias=key, description=description)
        fields[f"f{position}"] = (annotation, info)
    try:
        return pydantic.create_model(_model_name(where), __base__=_FieldsConfig, **fields)
    except (TypeError, pydantic.PydanticUserError) as exc:
        raise InvalidDefinitionError(f"{where}: invalid config schema: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# ConfigSchema: what the engine holds per op or resource
# ---------------------------------------------------------------------------------------------


class ConfigSchemaKind(Enum):
    MODEL = "model"  # a Config subclass: the node receives an instance
    FIELDS = "fields"  # a dict schema: the node receives a dict
    VALUE = "value"  # a bare type: the node receives a value of that type


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigSchema:
    """The config one op, asset or resource takes, ready to validate input against.

    ``base_values`` (a resource instance's current fields) makes input partial: given keys
    override them, so nothing is required. ``default`` is the pre-validated value used when
    no config is given, or `NO_DEFAULT` when something is required.
    """

    kind: ConfigSchemaKind
    annotation: Any
    adapter: TypeAdapter[Any]
    required_fields: tuple[str, ...] = ()
    base_values: Mapping[str, Any] | None = None
    default: Any = NO_DEFAULT

    @property
    def is_required(self) -> bool:
        return self.default is NO_DEFAULT

    @property
    def model(self) -> type[BaseModel] | None:
        return None if self.kind is ConfigSchemaKind.VALUE else self.annotation

    def default_value(self) -> Any:
        if self.default is NO_DEFAULT:
            return None
        if self.kind is ConfigSchemaKind.FIELDS:
            return config_to_dict(self.default)  # a fresh dict: callers may mutate it
        if self.base_values is not None:
            return {}
        return self.default

    def with_base_values(self, values: Mapping[str, Any]) -> ConfigSchema:
        return ConfigSchema(
            kind=self.kind,
            annotation=self.annotation,
            adapter=self.adapter,
            base_values=dict(values),
            default={},
        )

    def validate(
        self, value: Any, *, path: str, resolve_env_vars: bool = True
    ) -> tuple[Any, list[str]]:
        """(validated value, problems). ``value`` None means "not given"."""
        if self.kind is ConfigSchemaKind.VALUE:
            return _validate_value(self, value, path, resolve_env_vars)
        return _validate_model(self, value, path, resolve_env_vars)


_MODEL_SCHEMAS: dict[type[BaseModel], ConfigSchema] = {}
_VALUE_SCHEMAS: dict[Any, ConfigSchema] = {}


def _schema_for_model(
    model: type[BaseModel], kind: ConfigSchemaKind, *, cache: bool = True
) -> ConfigSchema:
    cached = _MODEL_SCHEMAS.get(model)
    if cached is not None:
        return cached
    required = tuple(
        info.alias or name for name, info in model.model_fields.items() if info.is_required()
    )
    default = NO_DEFAULT if required else model()
    schema = ConfigSchema(
        kind=kind,
        annotation=model,
        adapter=TypeAdapter(model),
        required_fields=required,
        default=default,
    )
    if cache:
        _MODEL_SCHEMAS[model] = schema
    return schema


def _schema_for_value(annotation: Any, default: Any, where: str) -> ConfigSchema:
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    except (TypeError, pydantic.PydanticUserError) as exc:
        raise InvalidDefinitionError(
            f"{where}: cannot use {annotation!r} as config: {exc}"
        ) from exc
    if default is REQUIRED:
        try:
            default = adapter.validate_python(None)  # Optional[...] and Any need no value
        except ValidationError:
            default = NO_DEFAULT
    return ConfigSchema(
        kind=ConfigSchemaKind.VALUE, annotation=annotation, adapter=adapter, default=default
    )


_FIELDS_SCHEMAS: dict[Any, ConfigSchema] = {}


def _freeze(spec: Any) -> Any:
    if isinstance(spec, Mapping):
        return ("dict", tuple((k, _freeze(v)) for k, v in spec.items()))
    if isinstance(spec, list):
        return ("list", tuple(_freeze(v) for v in spec))
    return spec


def _schema_for_fields(spec: Mapping[str, Any], where: str) -> ConfigSchema:
    # Cached by content: a dict schema seen again (say, once per run) reuses its model.
    try:
        key = _freeze(spec)
        cached = _FIELDS_SCHEMAS.get(key)
    except TypeError:  # an unhashable default somewhere: build every time
        return _schema_for_model(_fields_model(spec, where), ConfigSchemaKind.FIELDS, cache=False)
    if cached is None:
        model = _fields_model(spec, where)
        cached = _schema_for_model(model, ConfigSchemaKind.FIELDS, cache=False)
        _FIELDS_SCHEMAS[key] = cached
    return cached


def config_schema_from(obj: Any, where: str) -> ConfigSchema | None:
    """Build the schema for a ``config_schema=`` argument or a Config-typed parameter.

    ``obj`` is None, a `Config` (or any pydantic model) subclass, a dict schema, a `Field`, a
    bare type, or a `ConfigSchema`. ``where`` names the owner in errors, e.g. ``"asset 'top'"``.
    """
    if obj is None:
        return None
    if isinstance(obj, ConfigSchema):
        return obj
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        return _schema_for_model(obj, ConfigSchemaKind.MODEL)
    if isinstance(obj, Mapping):
        return _schema_for_fields(obj, where)
    if isinstance(obj, Field):
        annotation, default = _legacy_entry(obj, where)
        return _schema_for_value(annotation, default, where)
    if isinstance(obj, list) and len(obj) == 1:
        annotation, _ = _legacy_entry(obj, where)
        return _schema_for_value(annotation, REQUIRED, where)
    if _is_type_like(obj):
        try:
            cached = _VALUE_SCHEMAS.get(obj)
        except TypeError:  # unhashable annotation
            return _schema_for_value(obj, REQUIRED, where)
        if cached is None:
            cached = _VALUE_SCHEMAS[obj] = _schema_for_value(obj, REQUIRED, where)
        return cached
    raise InvalidDefinitionError(
        f"{where}: config_schema must be a Config subclass, a dict like "
        f"{{'limit': int}}, or a type; got {short_repr(obj)}"
    )


# ---------------------------------------------------------------------------------------------
# Validation of one node's config
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    """Config input with env references resolved, and what that resolution found."""

    env_locs: dict[Loc, str] = field(default_factory=dict)
    unset_locs: set[Loc] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _resolve(value: Any, loc: Loc, path: str, resolve: bool, prep: _Prepared) -> Any:
    """Replace env references in plain config input (recursively); Config instances become dicts."""
    name = env_ref_name(value)
    if name is not None:
        if not name or "=" in name or "\x00" in name:
            prep.problems.append(
                f"{join_path(path, loc)}: {short_repr(value)} names no environment variable; "
                "write {env: NAME} with the variable's name"
            )
            return value
        if not resolve:
            return EnvVar(name)
        raw = os.environ.get(name)
        if raw is None:
            prep.unset_locs.add(loc)
            prep.problems.append(
                f"{join_path(path, loc)}: environment variable {name!r} is not set; set it in "
                "the environment where the run executes"
            )
            return EnvVar(name)
        prep.env_locs[loc] = name
        return raw
    if isinstance(value, BaseModel):
        value = config_to_dict(value)
    if isinstance(value, Mapping):
        return {k: _resolve(v, (*loc, k), path, resolve, prep) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(v, (*loc, i), path, resolve, prep) for i, v in enumerate(value)]
    return value


def _is_resource(value: Any) -> bool:
    return getattr(type(value), "__freshet_resource__", False) is True


def _resolve_fields(instance: BaseModel, path: str, resolve: bool, prep: _Prepared) -> dict:
    """An instance's fields by key, env references resolved. Nested resources are kept as
    instances, so they keep their class and are resolved when they are initialised."""
    out: dict[str, Any] = {}
    for name, info in type(instance).model_fields.items():
        key = info.alias or name
        value = getattr(instance, name)
        out[key] = value if _is_resource(value) else _resolve(value, (key,), path, resolve, prep)
    return out


def resolve_config_instance(
    instance: BaseModel, *, path: str, overrides: Mapping[str, Any] | None = None
) -> BaseModel:
    """A new, validated instance with env references resolved and ``overrides`` applied.

    Raises one `ConfigError` listing every problem (unset variables, bad values) by path.
    """
    prep = _Prepared()
    data = _resolve_fields(instance, path, True, prep)
    if overrides:
        data.update(_resolve(dict(overrides), (), path, True, prep))
    resolved = _model_validate(type(instance), data, path, prep)
    if resolved is None or prep.problems:
        raise ConfigError(prep.problems, header=f"invalid config at {path}")
    return resolved


def _model_validate(
    model: type[BaseModel], data: Any, path: str, prep: _Prepared
) -> BaseModel | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        prep.problems.extend(
            format_validation_error(
                exc,
                root=model,
                path=path,
                env_locs=prep.env_locs,
                skip_locs=frozenset(prep.unset_locs),
            )
        )
        return None


def _validate_model(
    schema: ConfigSchema, value: Any, path: str, resolve: bool
) -> tuple[Any, list[str]]:
    model: type[BaseModel] = schema.annotation
    if value is None:
        if schema.is_required:
            fields = ", ".join(schema.required_fields)
            return None, [f"{path}: missing required config (required fields: {fields})"]
        needs_work = schema.base_values is not None or holds_env_or_model(schema.default)
        if not (resolve and needs_work):
            return schema.default_value(), []
        value = {}
    if isinstance(value, BaseModel) and schema.base_values is None:
        if schema.kind is ConfigSchemaKind.MODEL and not isinstance(value, model):
            return None, [
                f"{path}: expected {model.__name__} config, got {type(value).__name__}; pass "
                f"{model.__name__}(...) or a dict"
            ]
        if isinstance(value, model) and not holds_env_or_model(value):
            return (value if schema.kind is ConfigSchemaKind.MODEL else config_to_dict(value)), []
    if not isinstance(value, Mapping | BaseModel):
        keys = ", ".join(field_keys(model)) or "none"
        return None, [
            f"{path}: expected a mapping of config keys ({keys}), got {short_repr(value)}"
        ]
    prep = _Prepared()
    data = _resolve(value, (), path, resolve, prep)
    if schema.base_values is not None:
        base = {
            key: value if _is_resource(value) else _resolve(value, (key,), path, resolve, prep)
            for key, value in schema.base_values.items()
        }
        merged = {**base, **data}
        instance = _model_validate(model, merged, path, prep)
        if instance is None or prep.problems:
            return None, prep.problems
        attrs = {info.alias or name: name for name, info in model.model_fields.items()}
        return {key: getattr(instance, attrs[key]) for key in data}, []
    instance = _model_validate(model, data, path, prep)
    if instance is not None and resolve and not prep.problems and holds_env_or_model(instance):
        # Defaults are not in the input: an EnvVar default (maybe in a nested Config) is only
        # reachable in the instance, so resolve once more from its plain form.
        instance = _model_validate(
            model, _resolve(config_to_dict(instance), (), path, resolve, prep), path, prep
        )
    if instance is None or prep.problems:
        return None, prep.problems
    if schema.kind is ConfigSchemaKind.FIELDS:
        return config_to_dict(instance), []
    return instance, []


def _validate_value(
    schema: ConfigSchema, value: Any, path: str, resolve: bool
) -> tuple[Any, list[str]]:
    if value is None:
        if schema.is_required:
            expected = getattr(schema.annotation, "__name__", repr(schema.annotation))
            return None, [f"{path}: missing required config (expected {expected})"]
        return schema.default, []
    prep = _Prepared()
    data = _resolve(value, (), path, resolve, prep)
    if isinstance(data, EnvVar):  # unresolved by request, or unset (already reported)
        return (data if not prep.problems else None), prep.problems
    try:
        result = schema.adapter.validate_python(data)
    except ValidationError as exc:
        prep.problems.extend(
            format_validation_error(exc, root=schema.annotation, path=path, env_locs=prep.env_locs)
        )
        return None, prep.problems
    return (None if prep.problems else result), prep.problems
