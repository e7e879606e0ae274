"""The config values users write: `Config` classes and dict-schema `Field`s (`EnvVar` lives
in `run_config`, which needs no pydantic). Imports pydantic: never import at startup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pydantic
from pydantic import BaseModel, ConfigDict

from freshet.core.run_config import EnvVar, env_ref_name, to_plain
from freshet.errors import InvalidDefinitionError

__all__ = [
    "REQUIRED",
    "BoolSource",
    "Config",
    "EnvVar",
    "Field",
    "IntSource",
    "PermissiveConfig",
    "StringSource",
    "config_to_dict",
    "env_ref_name",
    "holds_env_or_model",
    "to_plain",
]

# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------


class Config(BaseModel):
    """Base of typed config: fields with types, defaults and descriptions.

    Unknown keys are errors and instances are frozen. Any field may hold an `EnvVar`; it is
    kept as is until the run resolves it (see `validate_run_config`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    __freshet_config__: ClassVar[bool] = True

    @pydantic.field_validator("*", mode="wrap")
    @classmethod
    def _keep_env_vars(cls, value: Any, handler: pydantic.ValidatorFunctionWrapHandler) -> Any:
        # Validated later against the variable's value, when the run resolves it.
        if isinstance(value, EnvVar):
            return value
        return handler(value)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name, info in cls.model_fields.items():
            if isinstance(info.default, Field):
                raise InvalidDefinitionError(
                    f"{cls.__qualname__}.{name}: freshet.Field is for dict config schemas; in a "
                    "Config class write `name: type = pydantic.Field(default=..., "
                    "description=...)`"
                )


class PermissiveConfig(Config):
    """A `Config` that also keeps keys it does not declare (read them with
    `config.model_extra` or `getattr`)."""

    model_config = ConfigDict(extra="allow", frozen=True)


def config_to_dict(model: BaseModel) -> dict[str, Any]:
    """A config instance as plain dicts and lists, keyed by alias; `EnvVar`s are kept."""
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        out[info.alias or name] = to_plain(getattr(model, name))
    return out


def holds_env_or_model(model: BaseModel) -> bool:
    return any(
        isinstance(getattr(model, name), EnvVar | BaseModel) for name in type(model).model_fields
    )


# ---------------------------------------------------------------------------------------------
# Dict config schemas (the older style)
# ---------------------------------------------------------------------------------------------


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True, slots=True, init=False)
class Field:
    """One entry of a dict config schema: ``{"name": Field(str, default="x", description=...)}``.

    ``default_value`` is accepted as another spelling of ``default`` for ported code. An entry
    with ``is_required=False`` and no default defaults to None. (In `Config` classes use
    ``pydantic.Field`` instead.)
    """

    type: Any
    default: Any
    description: str | None
    is_required: bool

    def __init__(
        self,
        type: Any = Any,
        *,
        default: Any = REQUIRED,
        description: str | None = None,
        is_required: bool | None = None,
        default_value: Any = REQUIRED,
        config: Any = None,
        is_secret: bool = False,
    ) -> None:
        if config is not None:  # the name ported code gives the entry's type
            type = config
        if default is REQUIRED:
            default = default_value
        if is_required is None:
            is_required = default is REQUIRED
        if not is_required and default is REQUIRED:
            default = None
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "is_required", is_required)


# Types of dict-schema entries that may also be given as an environment reference
# ({"env": "NAME"}). Every entry accepts that form, so these are the plain types.
StringSource: Any = str
IntSource: Any = int
BoolSource: Any = bool
