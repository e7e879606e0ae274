"""Multi-assets: `@multi_asset` (one function, several assets, declared by `specs=` or
`outs={name: AssetOut(...)}`) and `@graph_multi_asset` (one graph of ops, several assets).
An out's name is its dict key; its asset key defaults to that name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from freshet.core.assets import (
    DEFAULT_GROUP,
    AssetDep,
    AssetIn,
    AssetsDefinition,
    AssetSpec,
    _check_check_specs,
    _input_keys,
    _merge_deps,
    _prefix_tuple,
)
from freshet.core.checks import AssetCheckSpec
from freshet.core.graphs import build_graph
from freshet.core.keys import AssetKey, check_name
from freshet.core.ops import DEFAULT_IO_MANAGER_KEY, OpDefinition, Out, resource_keys_of
from freshet.core.retries import RetryPolicy
from freshet.core.signature import read_function_shape
from freshet.errors import InvalidDefinitionError


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetOut:
    """Declares one output of a multi-asset: where its value is stored and which asset it
    is (`key=`, or `key_prefix=` + the output name)."""

    key: Any = None
    key_prefix: str | Sequence[str] | None = None
    dagster_type: Any = None
    description: str | None = None
    is_required: bool = True
    io_manager_key: str | None = None
    metadata: Mapping[str, Any] | None = None
    group_name: str | None = None
    code_version: str | None = None
    automation_condition: Any = None
    freshness_policy: Any = None
    owners: Iterable[str] = ()
    tags: Mapping[str, str] | None = None
    kinds: Iterable[str] = ()
    deps: Iterable[Any] = ()
    partitions_def: Any = None

    def asset_key_for(self, output_name: str) -> AssetKey:
        if self.key is not None:
            if self.key_prefix is not None:
                raise InvalidDefinitionError(
                    f"AssetOut {output_name!r}: give either key= or key_prefix=, not both"
                )
            return AssetKey.from_coercible(self.key)
        return AssetKey((*_prefix_tuple(self.key_prefix), output_name))


def check_outs(outs: Any, what: str) -> dict[str, AssetOut]:
    """`outs` as a dict of output names to AssetOuts, or a clear error."""
    if not isinstance(outs, Mapping) or not outs:
        raise InvalidDefinitionError(
            f"{what}: outs must be a non-empty dict of output names to AssetOut(...)"
        )
    result = {}
    for name, out in outs.items():
        check_name(name, f"{what} output name")
        if not isinstance(out, AssetOut):
            raise InvalidDefinitionError(
                f"{what}: outs[{name!r}] is a {type(out).__name__}; use AssetOut(...)"
            )
        for field_name in ("io_manager_key", "description", "group_name", "code_version"):
            value = getattr(out, field_name)
            if value is not None and not isinstance(value, str):
                raise InvalidDefinitionError(
                    f"{what}: outs[{name!r}]: {field_name} must be a string, got {value!r}"
                )
        if not isinstance(out.is_required, bool):
            raise InvalidDefinitionError(
                f"{what}: outs[{name!r}]: is_required must be True or False, "
                f"got {out.is_required!r}"
            )
        result[name] = out
    return result


def multi_asset(
    fn: Callable[..., Any] | None = None,
    *,
    specs: Sequence[AssetSpec] | None = None,
    outs: Mapping[str, AssetOut] | None = None,
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] = (),
    can_subset: bool = False,
    description: str | None = None,
    group_name: str | None = None,
    required_resource_keys: Sequence[str] | None = None,
    retry_policy: RetryPolicy | None = None,
    pool: str | None = None,
    check_specs: Sequence[AssetCheckSpec] = (),
    partitions_def: Any = None,
    backfill_policy: Any = None,
    config_schema: Any = None,
    io_manager_key: str | None = None,
    op_tags: Mapping[str, str] | None = None,
    code_version: str | None = None,
    compute_kind: str | None = None,
) -> Any:
    """One function producing several assets, declared by `specs=[AssetSpec(...)]` or
    `outs={"name": AssetOut(...)}`. It returns a tuple (one value per out, in order) or
    yields `Output(value, output_name=...)` / `MaterializeResult(asset_key=...)` per asset.
    With `can_subset=True` it may be asked for a subset (`context.selected_asset_keys`)."""

    def decorate(func: Callable[..., Any]) -> AssetsDefinition:
        node = check_name(name or func.__name__, "multi_asset name")
        what = f"multi_asset {node!r}"
        declared = _declared_outputs(specs, outs, what, io_manager_key, can_subset, code_version)
        shape = read_function_shape(func, what=what)
        keys_by_input, op_ins, input_deps = _input_keys(shape, ins, (), what)
        extra = _merge_deps(input_deps, deps, what)
        final_specs = _final_specs(
            declared, extra, group_name, partitions_def, what, compute_kind=compute_kind
        )
        _check_check_specs(check_specs, {s.key for s in final_specs}, what)
        op_def = OpDefinition(
            name=node,
            compute_fn=func,
            shape=shape,
            ins=op_ins,
            outs={out_name: out for out_name, _, out in declared},
            config_schema=config_schema if config_schema is not None else shape.config_class,
            required_resource_keys=resource_keys_of(shape, required_resource_keys),
            retry_policy=retry_policy,
            tags=dict(op_tags or {}),
            description=description or (func.__doc__ or "").strip() or None,
            code_version=code_version,
            pool=pool,
        )
        return AssetsDefinition(
            specs=tuple(final_specs),
            op=op_def,
            keys_by_output={out_name: spec.key for out_name, spec, _ in declared},
            keys_by_input=keys_by_input,
            check_specs=tuple(check_specs),
            can_subset=can_subset,
            io_manager_keys={spec.key: out.io_manager_key for _, spec, out in declared},
            backfill_policy=backfill_policy,
            retry_policy=retry_policy,
            pool=pool,
            location=shape.location,
        )

    return decorate(fn) if fn is not None else decorate


def _declared_outputs(
    specs: Sequence[AssetSpec] | None,
    outs: Mapping[str, AssetOut] | None,
    what: str,
    io_manager_key: str | None,
    can_subset: bool,
    code_version: str | None = None,
) -> list[tuple[str, AssetSpec, Out]]:
    """(output name, asset spec, op output) for each asset a multi-asset produces."""
    if specs is not None and outs is not None:
        raise InvalidDefinitionError(f"{what}: give either specs= or outs=, not both")
    if outs is not None:
        return [
            (
                out_name,
                _spec_of_out(out_name, out, what, code_version),
                _op_out(out, io_manager_key, can_subset),
            )
            for out_name, out in check_outs(outs, what).items()
        ]
    if not specs:
        raise InvalidDefinitionError(f"{what}: give specs=[AssetSpec(...), ...] or outs={{...}}")
    declared: list[tuple[str, AssetSpec, Out]] = []
    keys_by_name: dict[str, AssetKey] = {}
    for spec in specs:
        if not isinstance(spec, AssetSpec):
            raise InvalidDefinitionError(
                f"{what}: specs holds a {type(spec).__name__}; use AssetSpec(...)"
            )
        out_name = spec.key.to_python_identifier()
        clash = keys_by_name.setdefault(out_name, spec.key)
        if clash != spec.key:
            raise InvalidDefinitionError(
                f"{what}: asset keys {clash.to_user_string()!r} and "
                f"{spec.key.to_user_string()!r} both become the output name {out_name!r}; "
                "rename one"
            )
        io_key = spec.io_manager_key or io_manager_key or DEFAULT_IO_MANAGER_KEY
        declared.append((out_name, spec, Out(io_manager_key=io_key, is_required=not can_subset)))
    return declared


def _final_specs(
    declared: list[tuple[str, AssetSpec, Out]],
    deps: Iterable[AssetDep],
    group_name: str | None,
    partitions_def: Any,
    what: str,
    *,
    compute_kind: str | None = None,
) -> list[AssetSpec]:
    """Each declared spec with the multi-asset's own deps, and its group, partitions and
    compute kind where the spec names none of its own; no asset key twice."""
    keys = [spec.key for _, spec, _ in declared]
    if len(set(keys)) != len(keys):
        raise InvalidDefinitionError(f"{what}: the same asset key appears twice in specs")
    final_specs = []
    for _, spec, _ in declared:
        changes: dict[str, Any] = {"deps": _merge_deps(deps, spec.deps, what)}
        if compute_kind is not None:
            changes["kinds"] = spec.kinds | {compute_kind}
        if group_name and spec.group_name == DEFAULT_GROUP:
            changes["group_name"] = group_name
        if partitions_def is not None and spec.partitions_def is None:
            changes["partitions_def"] = partitions_def
        final_specs.append(spec.replace_attributes(**changes))
    return final_specs


def _spec_of_out(out_name: str, out: AssetOut, what: str, code_version: str | None) -> AssetSpec:
    try:
        return AssetSpec(
            out.asset_key_for(out_name),
            deps=out.deps,
            description=out.description,
            metadata=out.metadata,
            group_name=out.group_name,
            owners=out.owners,
            tags=out.tags,
            kinds=out.kinds,
            code_version=out.code_version or code_version,
            automation_condition=out.automation_condition,
            partitions_def=out.partitions_def,
            freshness_policy=out.freshness_policy,
        )
    except InvalidDefinitionError as exc:
        raise InvalidDefinitionError(f"{what}: outs[{out_name!r}]: {exc}") from None


def _op_out(out: AssetOut, io_manager_key: str | None, can_subset: bool) -> Out:
    return Out(
        dagster_type=out.dagster_type,
        description=out.description,
        is_required=out.is_required and not can_subset,
        io_manager_key=out.io_manager_key or io_manager_key or DEFAULT_IO_MANAGER_KEY,
        metadata=dict(out.metadata or {}),
        code_version=out.code_version,
    )


def graph_multi_asset(
    fn: Callable[..., Any] | None = None,
    *,
    outs: Mapping[str, AssetOut],
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    description: str | None = None,
    group_name: str | None = None,
    partitions_def: Any = None,
    check_specs: Sequence[AssetCheckSpec] = (),
    can_subset: bool = False,
) -> Any:
    """Several assets computed by one graph of ops: the graph returns a dict mapping each
    out's name to the op output that holds its value."""

    def decorate(func: Callable[..., Any]) -> AssetsDefinition:
        node = check_name(name or func.__name__, "graph_multi_asset name")
        what = f"graph_multi_asset {node!r}"
        declared = _declared_outputs(None, outs, what, None, can_subset)
        built = build_graph(func, name=node, description=description)
        returned = set(built.output_map)
        wanted = [out_name for out_name, _, _ in declared]
        if returned != set(wanted):
            raise InvalidDefinitionError(
                f"{what}: the graph must return a dict with one op output per out "
                f"({', '.join(wanted)}); it returned {', '.join(sorted(returned)) or 'nothing'}"
            )
        shape = read_function_shape(func, what=what)
        keys_by_input, _, input_deps = _input_keys(shape, ins, (), what)
        final_specs = _final_specs(declared, input_deps, group_name, partitions_def, what)
        _check_check_specs(check_specs, {s.key for s in final_specs}, what)
        return AssetsDefinition(
            specs=tuple(final_specs),
            graph=built,
            keys_by_output={out_name: spec.key for out_name, spec, _ in declared},
            keys_by_input=keys_by_input,
            check_specs=tuple(check_specs),
            can_subset=can_subset,
            io_manager_keys={spec.key: out.io_manager_key for _, spec, out in declared},
            location=shape.location,
        )

    return decorate(fn) if fn is not None else decorate
