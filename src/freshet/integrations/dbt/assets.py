"""`@dbt_assets`: a dbt project's models, seeds and snapshots as one multi-asset, its tests
as asset checks and its sources as external assets that come along with it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import freshet as fr
from freshet.integrations.dbt.manifest import DbtManifest, DbtNode, load_manifest
from freshet.integrations.dbt.project import DbtProject
from freshet.integrations.dbt.selection import resolve_selection
from freshet.integrations.dbt.translator import DbtTranslator

DEFAULT_SELECT = "fqn:*"


@dataclass(frozen=True, slots=True, kw_only=True)
class DbtAssetsInfo:
    """What a run of a dbt multi-asset needs to talk to dbt: the manifest, the selection it
    was made from, and the mapping between dbt unique ids and freshet keys."""

    manifest: DbtManifest
    select: str
    exclude: str | None
    project: DbtProject | None
    key_by_unique_id: Mapping[str, fr.AssetKey]
    check_by_test_id: Mapping[str, tuple[fr.AssetKey, str, str]]  # key, check name, severity
    source_keys: tuple[tuple[str, fr.AssetKey], ...] = ()  # the sources the models read

    def unique_id_by_key(self) -> dict[fr.AssetKey, str]:
        return {key: uid for uid, key in self.key_by_unique_id.items()}


# The op of each dbt multi-asset -> its info (the op is kept so a reused id cannot match).
_INFO: dict[int, tuple[Any, DbtAssetsInfo]] = {}


def dbt_assets_info(assets_def: Any) -> DbtAssetsInfo | None:
    op = getattr(assets_def, "op", None)
    entry = _INFO.get(id(op))
    return entry[1] if entry is not None and entry[0] is op else None


def _manifest_of(manifest: Any) -> tuple[DbtManifest, DbtProject | None]:
    if isinstance(manifest, DbtProject):
        return load_manifest(manifest.prepare_if_missing()), manifest
    return load_manifest(manifest), None


def dbt_assets(
    fn: Callable[..., Any] | None = None,
    *,
    manifest: str | os.PathLike[str] | Mapping[str, Any] | DbtProject,
    select: str = DEFAULT_SELECT,
    exclude: str | None = None,
    name: str | None = None,
    translator: DbtTranslator | None = None,
    project: DbtProject | None = None,
    io_manager_key: str | None = None,
    required_resource_keys: Any = None,
    op_tags: Mapping[str, str] | None = None,
) -> Any:
    """One multi-asset for the dbt models, seeds and snapshots that ``select`` (minus
    ``exclude``) picks from ``manifest`` (a path to ``manifest.json``, its parsed dict, or a
    `DbtProject`, parsed when its manifest is missing). The function runs dbt, typically
    ``yield from dbt.cli(["build"], context=context).stream()``."""

    def decorate(func: Callable[..., Any]) -> Any:
        loaded, own_project = _manifest_of(manifest)
        where = f"@dbt_assets {name or func.__name__!r}"
        selected = resolve_selection(loaded, select, exclude)
        if not selected:
            raise fr.SelectionError(
                f"{where}: dbt selection select={select!r} exclude={exclude!r} matches no "
                f"model, seed or snapshot in {loaded.path or 'the manifest'}"
            )
        tr = translator or DbtTranslator()
        info, specs, check_specs, sources = _build(loaded, selected, tr, where)
        info = replace(info, select=select, exclude=exclude, project=project or own_project)
        assets_def = fr.multi_asset(
            specs=specs,
            name=name or func.__name__,
            check_specs=check_specs,
            can_subset=True,
            io_manager_key=io_manager_key,
            required_resource_keys=required_resource_keys,
            op_tags={"kind": "dbt", **(op_tags or {})},
        )(func)
        assets_def = replace(assets_def, supplied_specs=tuple(sources))
        _INFO[id(assets_def.op)] = (assets_def.op, info)
        return assets_def

    return decorate(fn) if fn is not None else decorate


def _build(
    manifest: DbtManifest, selected: set[str], tr: DbtTranslator, where: str
) -> tuple[DbtAssetsInfo, list[fr.AssetSpec], list[fr.AssetCheckSpec], list[fr.AssetSpec]]:
    keys: dict[str, fr.AssetKey] = {}
    for node in manifest.asset_nodes:
        keys[node.unique_id] = tr.get_asset_key(node)
    for source in manifest.sources.values():
        keys[source.unique_id] = tr.get_asset_key(source)
    kinds = {"dbt", *([manifest.adapter_type] if manifest.adapter_type else [])}
    specs = []
    owners_by_group = {str(g.get("name")): g.get("owner") or {} for g in manifest.groups.values()}
    read_sources: dict[str, DbtNode] = {}
    for uid in sorted(selected):
        node = manifest.nodes[uid]
        deps = []
        for parent in node.depends_on:
            if parent in keys and parent != uid:
                deps.append(keys[parent])
                if parent in manifest.sources:
                    read_sources[parent] = manifest.sources[parent]
        group_owner = owners_by_group.get(node.group or "")
        spec = fr.AssetSpec(
            keys[uid],
            deps=deps,
            description=tr.get_description(node),
            metadata=tr.get_metadata(node),
            group_name=tr.get_group_name(node),
            owners=tr.get_owners(node, group_owner),
            tags=tr.get_tags(node),
            kinds=kinds,
            code_version=tr.get_code_version(node),
            automation_condition=tr.get_automation_condition(node),
            freshness_policy=tr.get_freshness_policy(node),
            skippable=True,
        )
        specs.append(spec)
    check_specs = []
    checks: dict[str, tuple[fr.AssetKey, str, str]] = {}
    for test in manifest.tests:
        if test.attached_node not in selected:
            continue
        key = keys[test.attached_node]
        check_name = tr.get_check_name(test)
        checks[test.unique_id] = (key, check_name, test.severity)
        check_specs.append(
            fr.AssetCheckSpec(check_name, asset=key, description=test.description or None)
        )
    sources = [
        fr.AssetSpec(
            keys[uid],
            description=tr.get_description(node),
            metadata=tr.get_metadata(node),
            group_name=tr.get_group_name(node),
            kinds=kinds,
        )
        for uid, node in sorted(read_sources.items())
    ]
    info = DbtAssetsInfo(
        manifest=manifest,
        select=DEFAULT_SELECT,
        exclude=None,
        project=None,
        key_by_unique_id={uid: keys[uid] for uid in selected},
        check_by_test_id=checks,
        source_keys=tuple((uid, keys[uid]) for uid in sorted(read_sources)),
    )
    return info, specs, check_specs, sources


def _infos(dbt_assets_defs: Any) -> list[DbtAssetsInfo]:
    infos = [dbt_assets_info(a) for a in dbt_assets_defs]
    if not infos or any(info is None for info in infos):
        raise fr.DefinitionsError("expected a list of @dbt_assets definitions")
    return [info for info in infos if info is not None]


def get_asset_key_for_model(dbt_assets_defs: Any, model_name: str) -> fr.AssetKey:
    """The key of the dbt model ``model_name`` among these @dbt_assets definitions (to
    declare a dependency on it: ``@fr.asset(deps=[get_asset_key_for_model([my_dbt], "x")])``)."""
    for info in _infos(dbt_assets_defs):
        for uid, key in info.key_by_unique_id.items():
            node = info.manifest.nodes[uid]
            if node.resource_type == "model" and node.name == model_name:
                return key
    raise fr.DefinitionsError(
        f"no dbt model named {model_name!r} in the given @dbt_assets (check the name and "
        "their select/exclude)"
    )


def get_asset_key_for_source(
    dbt_assets_defs: Any, source_name: str, table_name: str | None = None
) -> fr.AssetKey:
    """The key of a dbt source table read by these @dbt_assets definitions; ``table_name`` may
    be left out when the source has one table."""
    found: dict[str, fr.AssetKey] = {}
    for info in _infos(dbt_assets_defs):
        for uid, key in info.source_keys:
            source = info.manifest.sources[uid]
            if source.source_name == source_name and table_name in (None, source.name):
                found[source.name] = key
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise fr.DefinitionsError(
            f"the given @dbt_assets read no dbt source {source_name!r}"
            + (f" table {table_name!r}" if table_name else "")
        )
    raise fr.DefinitionsError(
        f"dbt source {source_name!r} has several tables ({', '.join(sorted(found))}); "
        "pass table_name="
    )
