"""Ops: the computational unit under assets and jobs. `@op`, `In`, `Out`, `DynamicOut`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from freshet.core.keys import check_name
from freshet.core.signature import FunctionShape, output_annotation, read_function_shape
from freshet.errors import InvalidDefinitionError

if TYPE_CHECKING:
    from freshet.core import composition
    from freshet.core.retries import RetryPolicy

DEFAULT_OUTPUT = "result"
DEFAULT_IO_MANAGER_KEY = "io_manager"


class Nothing:
    """Type of an input or output that carries no value, only ordering."""


_NO_DEFAULT = object()
_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True, slots=True)
class In:
    """An op input. `In(Nothing)` orders two ops without passing a value."""

    dagster_type: Any = None
    description: str | None = None
    default_value: Any = _NO_DEFAULT
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: a resource (an `InputManager`) that loads this input instead of the upstream IO
    #: manager; an op input with no upstream is loaded by it alone
    input_manager_key: str | None = None

    @property
    def is_nothing(self) -> bool:
        return self.dagster_type is Nothing

    @property
    def has_default(self) -> bool:
        return self.default_value is not _NO_DEFAULT


@dataclass(frozen=True, slots=True)
class Out:
    """An op output, stored by the IO manager named by `io_manager_key`."""

    dagster_type: Any = None
    description: str | None = None
    is_required: bool = True
    io_manager_key: str = DEFAULT_IO_MANAGER_KEY
    metadata: Mapping[str, Any] = field(default_factory=dict)
    code_version: str | None = None

    @property
    def is_dynamic(self) -> bool:
        return False

    @property
    def is_nothing(self) -> bool:
        return self.dagster_type is Nothing


@dataclass(frozen=True, slots=True)
class DynamicOut(Out):
    """An output yielded several times as `DynamicOutput(value, mapping_key)` (fan-out)."""

    @property
    def is_dynamic(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class DynamicOutput:
    value: Any
    mapping_key: str
    output_name: str = DEFAULT_OUTPUT
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_name(self.mapping_key, "DynamicOutput mapping_key")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OpDefinition:
    """A named compute function with typed inputs and outputs. Compared by identity."""

    name: str
    compute_fn: Callable[..., Any]
    shape: FunctionShape
    ins: Mapping[str, In]
    outs: Mapping[str, Out]
    config_schema: Any = None
    required_resource_keys: frozenset[str] = frozenset()
    retry_policy: RetryPolicy | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    code_version: str | None = None
    pool: str | None = None

    def __post_init__(self) -> None:
        for input_name, in_def in self.ins.items():
            key = in_def.input_manager_key
            if key is not None and (not isinstance(key, str) or not key):
                raise InvalidDefinitionError(
                    f"op {self.name!r}: input {input_name!r}: input_manager_key must be a "
                    f"resource key (a non-empty string), got {key!r}"
                )
        managers = {i.input_manager_key for i in self.ins.values() if i.input_manager_key}
        if managers:
            keys = self.required_resource_keys | managers
            object.__setattr__(self, "required_resource_keys", frozenset(keys))

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.ins)

    @property
    def config_param(self) -> str | None:
        return self.shape.config_param

    def with_retry_policy(self, retry_policy: RetryPolicy) -> OpDefinition:
        """A copy of this op that retries by `retry_policy`."""
        from freshet.core.retries import RetryPolicy  # start-up time: few ops retry

        if not isinstance(retry_policy, RetryPolicy):
            raise InvalidDefinitionError(
                f"op {self.name!r}: with_retry_policy takes a RetryPolicy, got {retry_policy!r}"
            )
        return replace(self, retry_policy=retry_policy)

    def alias(self, name: str) -> composition.PendingNode:
        from freshet.core import composition  # start-up time: only graphs compose ops

        return composition.PendingNode(self, check_name(name, "op alias"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from freshet.core import composition  # start-up time: only graphs compose ops

        if composition.is_composing():
            return composition.invoke(self, None, args, kwargs)
        return invoke_directly(self, args, kwargs)


def invoke_directly(op_def: OpDefinition, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """Call the user function as a plain function (unit tests), filling in default config."""
    cfg = op_def.shape.config_param
    if cfg and cfg not in kwargs and _given_positionally(op_def, cfg, args):
        cfg = None
    if cfg and cfg not in kwargs and op_def.shape.config_class is not None:
        try:
            kwargs[cfg] = op_def.shape.config_class()
        except Exception as exc:
            raise InvalidDefinitionError(
                f"{op_def.name}: pass {cfg}=<{op_def.shape.config_class.__name__}(...)> "
                f"when invoking directly (config has required fields: {exc})"
            ) from exc
    return op_def.compute_fn(*args, **kwargs)


def _given_positionally(op_def: OpDefinition, param: str, args: Sequence[Any]) -> bool:
    """Whether the positional `args` of a direct call reach parameter `param`
    (`my_asset(MyConfig(...))`, `my_op(context, MyConfig(...))`)."""
    try:
        names = list(inspect.signature(op_def.compute_fn).parameters)
    except (TypeError, ValueError):
        return False
    return param in names and names.index(param) < len(args)


def build_ins(shape: FunctionShape, ins: Mapping[str, In] | None, *, what: str) -> dict[str, In]:
    """Inputs of a function: its data parameters, refined by explicit `ins`."""
    explicit = dict(ins or {})
    result: dict[str, In] = {}
    for param in shape.data_params:
        spec = explicit.pop(param.name, None)
        if spec is None:
            annotation = None if param.annotation is _EMPTY else param.annotation
            spec = In(dagster_type=annotation)
        if param.has_default and not spec.has_default:
            spec = replace(spec, default_value=param.default)
        result[param.name] = spec
    for name, spec in explicit.items():
        if not spec.is_nothing:
            raise InvalidDefinitionError(
                f"{what} ({shape.location}): ins has {name!r} but the function has no "
                f"parameter {name!r}; add the parameter or make it In(Nothing)"
            )
        result[name] = spec
    return result


def build_outs(out: Out | Mapping[str, Out] | None, shape: FunctionShape) -> dict[str, Out]:
    if out is None:
        return {DEFAULT_OUTPUT: Out(dagster_type=output_annotation(shape.return_annotation))}
    if isinstance(out, Out):
        return {DEFAULT_OUTPUT: out}
    return dict(out)


def resource_keys_of(shape: FunctionShape, explicit: Sequence[str] | None) -> frozenset[str]:
    return frozenset(explicit or ()) | frozenset(shape.resource_params)


def op(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    ins: Mapping[str, In] | None = None,
    out: Out | Mapping[str, Out] | None = None,
    config_schema: Any = None,
    required_resource_keys: Sequence[str] | None = None,
    retry_policy: RetryPolicy | None = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    code_version: str | None = None,
    pool: str | None = None,
) -> Any:
    """Decorate a function as an op. Usable bare (`@op`) or with options (`@op(...)`)."""

    def decorate(func: Callable[..., Any]) -> OpDefinition:
        op_name = check_name(name or func.__name__, "op name")
        shape = read_function_shape(func, what=f"op {op_name!r}")
        return OpDefinition(
            name=op_name,
            compute_fn=func,
            shape=shape,
            ins=build_ins(shape, ins, what=f"op {op_name!r}"),
            outs=build_outs(out, shape),
            config_schema=config_schema if config_schema is not None else shape.config_class,
            required_resource_keys=resource_keys_of(shape, required_resource_keys),
            retry_policy=retry_policy,
            tags=dict(tags or {}),
            description=description or (func.__doc__ or "").strip() or None,
            code_version=code_version,
            pool=pool,
        )

    return decorate(fn) if fn is not None else decorate
