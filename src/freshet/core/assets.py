"""Assets: `@asset`, `@multi_asset`, `@graph_asset`, `AssetSpec`, external and source assets.

Every flavour becomes one `AssetsDefinition`: the specs of the assets it produces, the
op (or graph) that computes them, and how function inputs map to upstream asset keys."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from freshet.core.checks import AssetCheckSpec, key_of
from freshet.core.keys import AssetKey, check_name
from freshet.core.ops import (
    DEFAULT_IO_MANAGER_KEY,
    In,
    OpDefinition,
    Out,
    build_ins,
    invoke_directly,
    resource_keys_of,
)
from freshet.core.signature import FunctionShape, output_annotation, read_function_shape
from freshet.errors import InvalidDefinitionError

if TYPE_CHECKING:
    from freshet.core.graphs import GraphDefinition
    from freshet.core.retries import RetryPolicy

DEFAULT_GROUP = "default"
IO_MANAGER_METADATA_KEY = "freshet/io_manager_key"
"""Metadata entry of an `AssetSpec` naming the IO manager of its asset."""
_OWNER = re.compile(r"^(team:[A-Za-z0-9_\-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")


class ExecutionType(StrEnum):
    MATERIALIZATION = "MATERIALIZATION"
    OBSERVATION = "OBSERVATION"
    UNEXECUTABLE = "UNEXECUTABLE"


@dataclass(frozen=True, slots=True, init=False)
class AssetDep:
    """A dependency on another asset, optionally with a partition mapping."""

    asset_key: AssetKey
    partition_mapping: Any

    def __init__(self, asset: Any, *, partition_mapping: Any = None) -> None:
        object.__setattr__(self, "asset_key", key_of(asset))
        object.__setattr__(self, "partition_mapping", partition_mapping)

    @classmethod
    def coerce(cls, value: Any) -> AssetDep:
        return value if isinstance(value, AssetDep) else cls(value)


@dataclass(frozen=True, slots=True)
class AssetIn:
    """How a function parameter maps to an upstream asset: `AssetIn("raw/orders")`."""

    key: AssetKey | str | Sequence[str] | None = None
    _: KW_ONLY
    key_prefix: str | Sequence[str] | None = None
    metadata: Mapping[str, Any] | None = None
    partition_mapping: Any = None
    dagster_type: Any = None
    input_manager_key: str | None = None


def _check_owners(owners: Iterable[str], what: str) -> tuple[str, ...]:
    result = tuple(owners)
    for owner in result:
        if not isinstance(owner, str) or not _OWNER.match(owner):
            raise InvalidDefinitionError(
                f"{what}: invalid owner {owner!r}; use an email address or 'team:<name>'"
            )
    return result


def _check_tags(tags: Mapping[str, Any] | None, what: str) -> dict[str, str]:
    result = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidDefinitionError(
                f"{what}: tag {key!r}={value!r} must be a string to string pair"
            )
        result[key] = value
    return result


def _is_freshness_policy(value: Any) -> bool:
    # Imported here for start-up time: most projects define no freshness policy.
    from freshet.core.automation.freshness_policy import FreshnessPolicy

    return isinstance(value, FreshnessPolicy)


@dataclass(frozen=True, slots=True, init=False)
class AssetSpec:
    """Declares one asset. Alone (in `Definitions(assets=[...])`) it is an external asset
    made by another system; in `@multi_asset(specs=...)` it describes an output."""

    key: AssetKey
    deps: tuple[AssetDep, ...]
    description: str | None
    metadata: Mapping[str, Any]
    group_name: str
    owners: tuple[str, ...]
    tags: Mapping[str, str]
    kinds: frozenset[str]
    code_version: str | None
    automation_condition: Any
    partitions_def: Any
    freshness_policy: Any
    skippable: bool

    def __init__(
        self,
        key: Any,
        *,
        deps: Iterable[Any] = (),
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        group_name: str | None = None,
        owners: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] = (),
        code_version: str | None = None,
        automation_condition: Any = None,
        partitions_def: Any = None,
        freshness_policy: Any = None,
        skippable: bool = False,
    ) -> None:
        asset_key = AssetKey.from_coercible(key)
        what = f"asset {asset_key.to_user_string()!r}"
        if code_version is not None and not isinstance(code_version, str):
            raise InvalidDefinitionError(f"{what}: code_version must be a string")
        if freshness_policy is not None and not _is_freshness_policy(freshness_policy):
            raise InvalidDefinitionError(
                f"{what}: freshness_policy must be a FreshnessPolicy(maximum_lag_minutes=...), "
                f"got {type(freshness_policy).__name__}"
            )
        values = {
            "key": asset_key,
            "deps": tuple(AssetDep.coerce(d) for d in deps),
            "description": description,
            "metadata": dict(metadata or {}),
            "group_name": check_name(group_name or DEFAULT_GROUP, "group name"),
            "owners": _check_owners(owners, what),
            "tags": _check_tags(tags, what),
            "kinds": frozenset(kinds),
            "code_version": code_version,
            "automation_condition": automation_condition,
            "partitions_def": partitions_def,
            "freshness_policy": freshness_policy,
            "skippable": skippable,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def replace_attributes(self, **changes: Any) -> AssetSpec:
        """A copy with some attributes changed."""
        current = {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]
        current.update(changes)
        key = current.pop("key")
        return AssetSpec(key, **current)

    def merge_attributes(
        self,
        *,
        deps: Iterable[Any] = (),
        metadata: Mapping[str, Any] | None = None,
        owners: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] = (),
    ) -> AssetSpec:
        """A copy with more deps, metadata, owners, tags or kinds added to its own."""
        return self.replace_attributes(
            deps=[*self.deps, *(AssetDep.coerce(d) for d in deps)],
            metadata={**self.metadata, **(metadata or {})},
            owners=[*self.owners, *(o for o in owners if o not in self.owners)],
            tags={**self.tags, **(tags or {})},
            kinds=self.kinds | frozenset(kinds),
        )

    def with_io_manager_key(self, io_manager_key: str) -> AssetSpec:
        """A copy whose value is stored and loaded by the IO manager `io_manager_key`."""
        if not isinstance(io_manager_key, str) or not io_manager_key:
            raise InvalidDefinitionError(
                f"asset {self.key.to_user_string()!r}: with_io_manager_key needs a resource "
                f"key (a non-empty string), got {io_manager_key!r}"
            )
        return self.replace_attributes(
            metadata={**self.metadata, IO_MANAGER_METADATA_KEY: io_manager_key}
        )

    @property
    def io_manager_key(self) -> str | None:
        """The IO manager set by `with_io_manager_key`, if any."""
        return self.metadata.get(IO_MANAGER_METADATA_KEY)

    @property
    def dep_keys(self) -> tuple[AssetKey, ...]:
        return tuple(d.asset_key for d in self.deps)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class AssetsDefinition:
    """What computes (or observes) one or more assets. Compared by identity."""

    specs: tuple[AssetSpec, ...]
    op: OpDefinition | None = None
    graph: GraphDefinition | None = None
    keys_by_output: Mapping[str, AssetKey] = field(default_factory=dict)
    keys_by_input: Mapping[str, AssetKey] = field(default_factory=dict)
    check_specs: tuple[AssetCheckSpec, ...] = ()
    can_subset: bool = False
    execution_type: ExecutionType = ExecutionType.MATERIALIZATION
    io_manager_keys: Mapping[AssetKey, str] = field(default_factory=dict)
    backfill_policy: Any = None
    auto_observe_interval_minutes: float | None = None
    retry_policy: RetryPolicy | None = None
    pool: str | None = None
    location: str = ""
    # External assets this definition reads and brings along (a dbt project's sources):
    # Definitions adds each one unless another definition provides its key.
    supplied_specs: tuple[AssetSpec, ...] = ()

    @property
    def keys(self) -> tuple[AssetKey, ...]:
        return tuple(s.key for s in self.specs)

    @property
    def key(self) -> AssetKey:
        if len(self.specs) != 1:
            raise InvalidDefinitionError(
                f"{self.node_name!r} produces {len(self.specs)} assets; use .keys"
            )
        return self.specs[0].key

    @property
    def node_name(self) -> str:
        if self.op is not None:
            return self.op.name
        if self.graph is not None:
            return self.graph.name
        return self.specs[0].key.to_python_identifier()

    @property
    def is_executable(self) -> bool:
        return self.execution_type is not ExecutionType.UNEXECUTABLE

    @property
    def is_materializable(self) -> bool:
        return self.execution_type is ExecutionType.MATERIALIZATION

    @property
    def is_observable(self) -> bool:
        return self.execution_type is ExecutionType.OBSERVATION

    @property
    def output_names_by_key(self) -> dict[AssetKey, str]:
        return {key: name for name, key in self.keys_by_output.items()}

    @property
    def required_resource_keys(self) -> frozenset[str]:
        keys: set[str] = set(self.io_manager_keys.values())
        if self.op is not None:
            keys |= self.op.required_resource_keys
        if self.graph is not None:
            for node in self.graph.nodes.values():
                keys |= node.definition.required_resource_keys
        return frozenset(keys)

    @property
    def partitions_def(self) -> Any:
        """The partitions definition shared by the assets produced here (None if none)."""
        found: list[Any] = []
        for spec in self.specs:
            if spec.partitions_def not in found:
                found.append(spec.partitions_def)
        if len(found) > 1:
            raise InvalidDefinitionError(
                f"{self.node_name!r} produces assets with different partitions definitions; "
                "read each spec's partitions_def"
            )
        return found[0] if found else None

    @property
    def check_keys(self) -> tuple[Any, ...]:
        return tuple(spec.key for spec in self.check_specs)

    @property
    def keys_by_output_name(self) -> Mapping[str, AssetKey]:
        return self.keys_by_output

    @property
    def keys_by_input_name(self) -> Mapping[str, AssetKey]:
        return self.keys_by_input

    @property
    def node_def(self) -> OpDefinition | GraphDefinition | None:
        """What computes the assets: the op, or the graph of a graph asset."""
        return self.op if self.op is not None else self.graph

    @property
    def group_names_by_key(self) -> dict[AssetKey, str]:
        return {spec.key: spec.group_name for spec in self.specs}

    @property
    def dependency_keys(self) -> set[AssetKey]:
        """Every asset the produced assets depend on."""
        return {key for spec in self.specs for key in spec.dep_keys}

    @property
    def specs_by_key(self) -> dict[AssetKey, AssetSpec]:
        return {spec.key: spec for spec in self.specs}

    def get_asset_spec(self, key: Any = None) -> AssetSpec:
        """The spec of `key`, or of the only asset produced here when no key is given."""
        if key is None:
            return self.spec_for(self.key)
        asset_key = AssetKey.from_coercible(key)
        try:
            return self.spec_for(asset_key)
        except KeyError:
            raise InvalidDefinitionError(
                f"{self.node_name!r} does not produce {asset_key.to_user_string()!r} "
                f"(it produces {', '.join(k.to_user_string() for k in self.keys)})"
            ) from None

    def spec_for(self, key: AssetKey) -> AssetSpec:
        for spec in self.specs:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def with_specs(self, specs: Sequence[AssetSpec]) -> AssetsDefinition:
        return replace(self, specs=tuple(specs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.op is None:
            raise InvalidDefinitionError(
                f"{self.node_name!r} has no function of its own and cannot be invoked directly"
            )
        return invoke_directly(self.op, args, kwargs)


# ---- @asset ---------------------------------------------------------------------------


def _prefix_tuple(prefix: str | Sequence[str] | None) -> tuple[str, ...]:
    if prefix is None:
        return ()
    return (prefix,) if isinstance(prefix, str) else tuple(prefix)


def _input_keys(
    shape: FunctionShape,
    ins: Mapping[str, AssetIn] | None,
    prefix: tuple[str, ...],
    what: str,
) -> tuple[dict[str, AssetKey], dict[str, In], list[AssetDep]]:
    """Map every data parameter to an upstream asset key (name + prefix unless `ins` says)."""
    explicit = dict(ins or {})
    unknown = set(explicit) - set(shape.data_param_names)
    if unknown:
        raise InvalidDefinitionError(
            f"{what} ({shape.location}): ins names {', '.join(sorted(unknown))} but the "
            f"function has no such parameter (parameters: {', '.join(shape.data_param_names)})"
        )
    keys: dict[str, AssetKey] = {}
    typed_ins: dict[str, In] = {}
    deps: list[AssetDep] = []
    for param in shape.data_params:
        spec = explicit.get(param.name)
        if spec is not None and spec.key is not None:
            key = AssetKey.from_coercible(spec.key)
        else:
            pre = _prefix_tuple(spec.key_prefix) if spec is not None and spec.key_prefix else prefix
            key = AssetKey((*pre, param.name))
        keys[param.name] = key
        if spec is not None and (spec.dagster_type is not None or spec.input_manager_key):
            typed_ins[param.name] = In(
                dagster_type=spec.dagster_type, input_manager_key=spec.input_manager_key
            )
        deps.append(AssetDep(key, partition_mapping=spec.partition_mapping if spec else None))
    built = build_ins(shape, typed_ins, what=what)
    return keys, built, deps


def _coerce_deps(deps: Iterable[Any], what: str) -> list[AssetDep]:
    """Deps as given (keys, strings, specs, asset definitions); a definition producing
    several assets stands for a dependency on each of them."""
    result: list[AssetDep] = []
    for dep in deps:
        if isinstance(dep, AssetsDefinition):
            result.extend(AssetDep(k) for k in dep.keys)
            continue
        try:
            result.append(AssetDep.coerce(dep))
        except InvalidDefinitionError as exc:
            raise InvalidDefinitionError(f"{what}: deps: {exc}") from None
    return result


def _merge_deps(
    first: Iterable[AssetDep], second: Iterable[Any], what: str
) -> tuple[AssetDep, ...]:
    seen: dict[AssetKey, AssetDep] = {}
    for dep in [*first, *_coerce_deps(second, what)]:
        if dep.asset_key in seen and seen[dep.asset_key].partition_mapping != dep.partition_mapping:
            raise InvalidDefinitionError(
                f"{what}: {dep.asset_key.to_user_string()!r} is both an input and a dep with "
                "different partition mappings"
            )
        seen.setdefault(dep.asset_key, dep)
    return tuple(seen.values())


def _automation(automation_condition: Any, auto_materialize_policy: Any) -> Any:
    if automation_condition is not None:
        return automation_condition
    if auto_materialize_policy is not None:
        to_condition = getattr(auto_materialize_policy, "to_automation_condition", None)
        return to_condition() if to_condition else auto_materialize_policy
    return None


def asset(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    key: Any = None,
    key_prefix: str | Sequence[str] | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] = (),
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    owners: Iterable[str] = (),
    tags: Mapping[str, str] | None = None,
    kinds: Iterable[str] = (),
    code_version: str | None = None,
    partitions_def: Any = None,
    automation_condition: Any = None,
    auto_materialize_policy: Any = None,
    freshness_policy: Any = None,
    io_manager_key: str | None = None,
    retry_policy: RetryPolicy | None = None,
    pool: str | None = None,
    check_specs: Sequence[AssetCheckSpec] = (),
    backfill_policy: Any = None,
    config_schema: Any = None,
    required_resource_keys: Sequence[str] | None = None,
    op_tags: Mapping[str, str] | None = None,
    dagster_type: Any = None,
    compute_kind: str | None = None,
    non_argument_deps: Iterable[Any] = (),
) -> Any:
    """Declare an asset computed by the decorated function from its upstream assets (the
    function's parameters). Usable bare (`@asset`) or with options (`@asset(...)`).
    `compute_kind` is one more of its `kinds`; `non_argument_deps` more `deps`."""
    if compute_kind is not None:
        kinds = [*kinds, compute_kind]
    deps = [*deps, *non_argument_deps]

    def decorate(func: Callable[..., Any]) -> AssetsDefinition:
        if key is not None and (name is not None or key_prefix is not None):
            raise InvalidDefinitionError(
                f"@asset on {func.__name__}: give either key= or name=/key_prefix=, not both"
            )
        prefix = _prefix_tuple(key_prefix)
        asset_key = (
            AssetKey.from_coercible(key)
            if key is not None
            else AssetKey((*prefix, name or func.__name__))
        )
        what = f"asset {asset_key.to_user_string()!r}"
        shape = read_function_shape(func, what=what)
        input_prefix = asset_key.path[:-1]
        keys_by_input, op_ins, input_deps = _input_keys(shape, ins, input_prefix, what)
        spec = AssetSpec(
            asset_key,
            deps=_merge_deps(input_deps, deps, what),
            description=description or (func.__doc__ or "").strip() or None,
            metadata=metadata,
            group_name=group_name,
            owners=owners,
            tags=tags,
            kinds=kinds,
            code_version=code_version,
            automation_condition=_automation(automation_condition, auto_materialize_policy),
            partitions_def=partitions_def,
            freshness_policy=freshness_policy,
        )
        _check_check_specs(check_specs, {asset_key}, what)
        io_key = io_manager_key or DEFAULT_IO_MANAGER_KEY
        annotation = (
            dagster_type if dagster_type is not None else output_annotation(shape.return_annotation)
        )
        op_def = OpDefinition(
            name=asset_key.to_python_identifier(),
            compute_fn=func,
            shape=shape,
            ins=op_ins,
            outs={"result": Out(dagster_type=_none_if_empty(annotation), io_manager_key=io_key)},
            config_schema=config_schema if config_schema is not None else shape.config_class,
            required_resource_keys=resource_keys_of(shape, required_resource_keys),
            retry_policy=retry_policy,
            tags=dict(op_tags or {}),
            description=spec.description,
            code_version=code_version,
            pool=pool,
        )
        return AssetsDefinition(
            specs=(spec,),
            op=op_def,
            keys_by_output={"result": asset_key},
            keys_by_input=keys_by_input,
            check_specs=tuple(check_specs),
            io_manager_keys={asset_key: io_key},
            backfill_policy=backfill_policy,
            retry_policy=retry_policy,
            pool=pool,
            location=shape.location,
        )

    return decorate(fn) if fn is not None else decorate


def _none_if_empty(annotation: Any) -> Any:
    return None if annotation is inspect.Parameter.empty else annotation


def _check_check_specs(
    check_specs: Sequence[AssetCheckSpec], keys: set[AssetKey], what: str
) -> None:
    for spec in check_specs:
        if spec.asset_key not in keys:
            raise InvalidDefinitionError(
                f"{what}: check spec {spec.name!r} targets {spec.asset_key.to_user_string()!r}, "
                "which this function does not produce"
            )


# ---- @graph_asset ---------------------------------------------------------------------


def graph_asset(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    key: Any = None,
    key_prefix: str | Sequence[str] | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    owners: Iterable[str] = (),
    tags: Mapping[str, str] | None = None,
    kinds: Iterable[str] = (),
    code_version: str | None = None,
    partitions_def: Any = None,
    automation_condition: Any = None,
    freshness_policy: Any = None,
    check_specs: Sequence[AssetCheckSpec] = (),
    io_manager_key: str | None = None,
) -> Any:
    """An asset computed by a graph of ops; the ops' intermediate outputs stay in memory."""

    def decorate(func: Callable[..., Any]) -> AssetsDefinition:
        if key is not None and (name is not None or key_prefix is not None):
            raise InvalidDefinitionError(
                f"@graph_asset on {func.__name__}: give either key= or name=/key_prefix=, not both"
            )
        asset_key = (
            AssetKey.from_coercible(key)
            if key is not None
            else AssetKey((*_prefix_tuple(key_prefix), name or func.__name__))
        )
        what = f"graph_asset {asset_key.to_user_string()!r}"
        from freshet.core.graphs import build_graph  # start-up time: few projects have graphs

        built = build_graph(func, name=asset_key.to_python_identifier(), description=description)
        if list(built.output_map) != ["result"]:
            raise InvalidDefinitionError(
                f"{what}: the graph must return exactly one op output (the asset's value)"
            )
        shape = read_function_shape(func, what=what)
        keys_by_input, _, input_deps = _input_keys(shape, ins, asset_key.path[:-1], what)
        spec = AssetSpec(
            asset_key,
            deps=input_deps,
            description=built.description,
            metadata=metadata,
            group_name=group_name,
            owners=owners,
            tags=tags,
            kinds=kinds,
            code_version=code_version,
            automation_condition=automation_condition,
            partitions_def=partitions_def,
            freshness_policy=freshness_policy,
        )
        _check_check_specs(check_specs, {asset_key}, what)
        io_key = io_manager_key or DEFAULT_IO_MANAGER_KEY
        return AssetsDefinition(
            specs=(spec,),
            graph=built,
            keys_by_output={"result": asset_key},
            keys_by_input=keys_by_input,
            check_specs=tuple(check_specs),
            io_manager_keys={asset_key: io_key},
            location=shape.location,
        )

    return decorate(fn) if fn is not None else decorate


# ---- sources and external assets ------------------------------------------------------


def observable_source_asset(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    key: Any = None,
    key_prefix: str | Sequence[str] | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    owners: Iterable[str] = (),
    tags: Mapping[str, str] | None = None,
    kinds: Iterable[str] = (),
    partitions_def: Any = None,
    io_manager_key: str | None = None,
    auto_observe_interval_minutes: float | None = None,
    required_resource_keys: Sequence[str] | None = None,
) -> Any:
    """Source data freshet does not compute; the function returns its `DataVersion`."""

    def decorate(func: Callable[..., Any]) -> AssetsDefinition:
        asset_key = (
            AssetKey.from_coercible(key)
            if key is not None
            else AssetKey((*_prefix_tuple(key_prefix), name or func.__name__))
        )
        what = f"observable source asset {asset_key.to_user_string()!r}"
        shape = read_function_shape(func, what=what)
        if shape.data_params:
            raise InvalidDefinitionError(
                f"{what} ({shape.location}): an observation function takes no data "
                f"parameters (got {', '.join(shape.data_param_names)})"
            )
        spec = AssetSpec(
            asset_key,
            description=description or (func.__doc__ or "").strip() or None,
            metadata=metadata,
            group_name=group_name,
            owners=owners,
            tags=tags,
            kinds=kinds,
            partitions_def=partitions_def,
        )
        io_key = io_manager_key or DEFAULT_IO_MANAGER_KEY
        op_def = OpDefinition(
            name=asset_key.to_python_identifier(),
            compute_fn=func,
            shape=shape,
            ins={},
            outs={"result": Out(io_manager_key=io_key)},
            required_resource_keys=resource_keys_of(shape, required_resource_keys),
            description=spec.description,
        )
        return AssetsDefinition(
            specs=(spec,),
            op=op_def,
            keys_by_output={"result": asset_key},
            execution_type=ExecutionType.OBSERVATION,
            io_manager_keys={asset_key: io_key},
            auto_observe_interval_minutes=auto_observe_interval_minutes,
            location=shape.location,
        )

    return decorate(fn) if fn is not None else decorate


def SourceAsset(
    key: Any,
    *,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    io_manager_key: str | None = None,
    partitions_def: Any = None,
    observe_fn: Callable[..., Any] | None = None,
    auto_observe_interval_minutes: float | None = None,
    tags: Mapping[str, str] | None = None,
    owners: Iterable[str] = (),
    kinds: Iterable[str] = (),
) -> AssetsDefinition:
    """Source data freshet does not compute. Downstream assets load it through
    `io_manager_key`; with `observe_fn` it can be observed for data versions."""
    if observe_fn is not None:
        return observable_source_asset(
            observe_fn,
            key=key,
            description=description,
            metadata=metadata,
            group_name=group_name,
            io_manager_key=io_manager_key,
            partitions_def=partitions_def,
            auto_observe_interval_minutes=auto_observe_interval_minutes,
            tags=tags,
            owners=owners,
            kinds=kinds,
        )
    spec = AssetSpec(
        key,
        description=description,
        metadata=metadata,
        group_name=group_name,
        tags=tags,
        owners=owners,
        kinds=kinds,
        partitions_def=partitions_def,
    )
    return external_asset(spec, io_manager_key=io_manager_key)


def external_asset(spec: AssetSpec, *, io_manager_key: str | None = None) -> AssetsDefinition:
    """An asset declared by a spec alone: made by another system, never executed here."""
    io_key = io_manager_key or spec.io_manager_key or DEFAULT_IO_MANAGER_KEY
    return AssetsDefinition(
        specs=(spec,),
        execution_type=ExecutionType.UNEXECUTABLE,
        io_manager_keys={spec.key: io_key},
    )
