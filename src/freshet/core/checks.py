"""Asset checks: `@asset_check`, `AssetCheckSpec`, `AssetCheckResult`, severities."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from freshet.core.keys import AssetCheckKey, AssetKey, check_name
from freshet.core.ops import OpDefinition, Out, build_ins, invoke_directly, resource_keys_of
from freshet.core.signature import read_function_shape
from freshet.errors import InvalidDefinitionError

if TYPE_CHECKING:
    from freshet.core.retries import RetryPolicy


class AssetCheckSeverity(StrEnum):
    WARN = "WARN"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetCheckResult:
    """The outcome of a check. `asset_key`/`check_name` are needed only when a function
    reports several checks."""

    passed: bool
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
    metadata: Mapping[str, Any] | None = None
    asset_key: AssetKey | str | None = None
    check_name: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        severity = self.severity
        if not isinstance(severity, AssetCheckSeverity):
            try:
                severity = AssetCheckSeverity(str(severity).upper())
            except ValueError:
                valid = ", ".join(s.value for s in AssetCheckSeverity)
                raise InvalidDefinitionError(
                    f"AssetCheckResult: unknown severity {self.severity!r} (valid: {valid})"
                ) from None
            object.__setattr__(self, "severity", severity)


def key_of(asset: Any) -> AssetKey:
    """The key of anything that names one asset: a key, a string, a spec or an asset def."""
    if isinstance(asset, AssetKey):
        return asset
    if isinstance(asset, str | list | tuple):
        return AssetKey.from_coercible(asset)
    keys = getattr(asset, "keys", None)
    if isinstance(keys, tuple) and len(keys) == 1 and isinstance(keys[0], AssetKey):
        return keys[0]
    key = getattr(asset, "key", None)
    if isinstance(key, AssetKey):
        return key
    raise InvalidDefinitionError(f"expected an asset key, a key string or one asset, got {asset!r}")


@dataclass(frozen=True, slots=True, init=False)
class AssetCheckSpec:
    """Declares a check on `asset`; the asset's own function reports its result."""

    name: str
    asset_key: AssetKey
    description: str | None
    blocking: bool
    additional_deps: tuple[AssetKey, ...]

    def __init__(
        self,
        name: str,
        *,
        asset: Any,
        description: str | None = None,
        blocking: bool = False,
        additional_deps: Sequence[Any] = (),
    ) -> None:
        object.__setattr__(self, "name", check_name(name, "check name"))
        object.__setattr__(self, "asset_key", key_of(asset))
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "blocking", bool(blocking))
        object.__setattr__(self, "additional_deps", tuple(key_of(d) for d in additional_deps))

    @property
    def key(self) -> AssetCheckKey:
        return AssetCheckKey(self.asset_key, self.name)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class AssetChecksDefinition:
    """One or more checks computed by their own function, run as one step after the
    assets they check. `@asset_check` makes one; `@multi_asset_check` several."""

    specs: tuple[AssetCheckSpec, ...]
    op: OpDefinition
    asset_input: str | None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    partitions_def: Any = None
    can_subset: bool = False
    #: other assets the function reads, by parameter name (`additional_ins=`)
    additional_ins: Mapping[str, AssetKey] = field(default_factory=dict)

    @property
    def spec(self) -> AssetCheckSpec:
        if len(self.specs) != 1:
            raise InvalidDefinitionError(
                f"{self.op.name!r} defines {len(self.specs)} checks; use .specs or .check_keys"
            )
        return self.specs[0]

    @property
    def key(self) -> AssetCheckKey:
        return self.spec.key

    @property
    def check_keys(self) -> tuple[AssetCheckKey, ...]:
        return tuple(spec.key for spec in self.specs)

    @property
    def check_specs(self) -> tuple[AssetCheckSpec, ...]:
        return self.specs

    @property
    def node_name(self) -> str:
        return self.op.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return invoke_directly(self.op, args, kwargs)


def asset_check(
    fn: Callable[..., Any] | None = None,
    *,
    asset: Any,
    name: str | None = None,
    description: str | None = None,
    blocking: bool = False,
    additional_deps: Sequence[Any] = (),
    required_resource_keys: Sequence[str] | None = None,
    config_schema: Any = None,
    retry_policy: RetryPolicy | None = None,
    metadata: Mapping[str, Any] | None = None,
    partitions_def: Any = None,
    op_tags: Mapping[str, str] | None = None,
    pool: str | None = None,
    compute_kind: str | None = None,
    additional_ins: Mapping[str, Any] | None = None,
) -> Any:
    """A function that checks `asset` and returns an `AssetCheckResult`. Its one data
    parameter (if any) receives the asset's value, loaded by the asset's IO manager. With
    `partitions_def` (the asset's), it runs per partition and reports per partition."""

    def decorate(func: Callable[..., Any]) -> AssetChecksDefinition:
        check = check_name(name or func.__name__, "check name")
        extra_keys = _additional_in_keys(additional_ins, f"asset check {check!r}")
        spec = AssetCheckSpec(
            check,
            asset=asset,
            description=description or (func.__doc__ or "").strip() or None,
            blocking=blocking,
            additional_deps=[*additional_deps, *extra_keys.values()],
        )
        what = f"asset check {spec.key.to_user_string()!r}"
        shape = read_function_shape(func, what=what)
        unknown = sorted(set(extra_keys) - set(shape.data_param_names))
        if unknown:
            raise InvalidDefinitionError(
                f"{what} ({shape.location}): additional_ins names {', '.join(unknown)} but the "
                "function has no such parameter"
            )
        own = [p for p in shape.data_params if p.name not in extra_keys]
        if len(own) > 1:
            raise InvalidDefinitionError(
                f"{what} ({shape.location}): takes at most one data parameter for the checked "
                f"asset's value, got {', '.join(p.name for p in own)}; map the others with "
                "additional_ins={name: AssetIn(...)}"
            )
        op_def = OpDefinition(
            name=f"{spec.asset_key.to_python_identifier()}__check__{check}",
            compute_fn=func,
            shape=shape,
            ins=build_ins(shape, None, what=what),
            outs={"result": Out()},
            config_schema=config_schema if config_schema is not None else shape.config_class,
            required_resource_keys=resource_keys_of(shape, required_resource_keys),
            retry_policy=retry_policy,
            description=spec.description,
            tags={**(op_tags or {}), **({"kind": compute_kind} if compute_kind else {})},
            pool=pool,
        )
        return AssetChecksDefinition(
            specs=(spec,),
            op=op_def,
            asset_input=own[0].name if own else None,
            metadata=dict(metadata or {}),
            partitions_def=_check_partitions_def(partitions_def, what),
            additional_ins=extra_keys,
        )

    return decorate(fn) if fn is not None else decorate


def _additional_in_keys(additional_ins: Mapping[str, Any] | None, what: str) -> dict[str, AssetKey]:
    """Parameter name -> asset key for `additional_ins` ({name: AssetIn(...)})."""
    keys: dict[str, AssetKey] = {}
    for param, spec in (additional_ins or {}).items():
        given = getattr(spec, "key", spec)
        prefix = getattr(spec, "key_prefix", None)
        if prefix is not None or given is None:
            keys[param] = AssetKey((param,)).with_prefix(prefix or ())
            continue
        try:
            keys[param] = AssetKey.from_coercible(given)
        except InvalidDefinitionError as exc:
            raise InvalidDefinitionError(f"{what}: additional_ins[{param!r}]: {exc}") from None
    return keys


def _check_partitions_def(partitions_def: Any, what: str) -> Any:
    if partitions_def is not None and not hasattr(partitions_def, "get_partition_keys"):
        raise InvalidDefinitionError(
            f"{what}: partitions_def must be a partitions definition such as "
            f"DailyPartitionsDefinition(...), got {type(partitions_def).__name__}"
        )
    return partitions_def


def multi_asset_check(
    fn: Callable[..., Any] | None = None,
    *,
    specs: Sequence[AssetCheckSpec],
    name: str | None = None,
    description: str | None = None,
    can_subset: bool = False,
    required_resource_keys: Sequence[str] | None = None,
    config_schema: Any = None,
    retry_policy: RetryPolicy | None = None,
    op_tags: Mapping[str, str] | None = None,
    pool: str | None = None,
    compute_kind: str | None = None,
) -> Any:
    """One function evaluating several checks (possibly on several assets): it yields or
    returns one `AssetCheckResult(asset_key=..., check_name=...)` per spec."""

    def decorate(func: Callable[..., Any]) -> AssetChecksDefinition:
        node = check_name(name or func.__name__, "multi_asset_check name")
        what = f"multi_asset_check {node!r}"
        if not specs or not all(isinstance(s, AssetCheckSpec) for s in specs):
            raise InvalidDefinitionError(
                f"{what}: specs must be a non-empty list of AssetCheckSpec(...)"
            )
        keys = [s.key for s in specs]
        if len(set(keys)) != len(keys):
            raise InvalidDefinitionError(f"{what}: the same check appears twice in specs")
        shape = read_function_shape(func, what=what)
        if shape.data_params:
            raise InvalidDefinitionError(
                f"{what} ({shape.location}): takes no data parameters (got "
                f"{', '.join(shape.data_param_names)}); load what it checks through a resource"
            )
        op_def = OpDefinition(
            name=node,
            compute_fn=func,
            shape=shape,
            ins={},
            outs={"result": Out()},
            config_schema=config_schema if config_schema is not None else shape.config_class,
            required_resource_keys=resource_keys_of(shape, required_resource_keys),
            retry_policy=retry_policy,
            description=description or (func.__doc__ or "").strip() or None,
            tags={**(op_tags or {}), **({"kind": compute_kind} if compute_kind else {})},
            pool=pool,
        )
        return AssetChecksDefinition(
            specs=tuple(specs), op=op_def, asset_input=None, can_subset=can_subset
        )

    return decorate(fn) if fn is not None else decorate
