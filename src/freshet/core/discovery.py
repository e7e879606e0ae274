"""Collecting definitions from modules: every asset, spec and check a module defines at its
top level, for `Definitions(assets=load_assets_from_modules([...]))`."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from freshet.core.assets import AssetsDefinition, AssetSpec
from freshet.core.checks import AssetChecksDefinition
from freshet.errors import InvalidDefinitionError


def _module_values(modules: Iterable[ModuleType], what: str) -> list[Any]:
    if isinstance(modules, ModuleType):
        modules = [modules]
    seen: set[int] = set()
    values = []
    for module in modules:
        if not isinstance(module, ModuleType):
            raise InvalidDefinitionError(
                f"{what}: expected a list of modules, got a {type(module).__name__}"
            )
        for value in vars(module).values():
            if id(value) not in seen:
                seen.add(id(value))
                values.append(value)
    return values


def load_assets_from_modules(
    modules: Iterable[ModuleType],
    group_name: str | None = None,
    key_prefix: Any = None,
) -> list[AssetsDefinition | AssetSpec]:
    """The assets (and asset specs) defined at the top level of `modules`, each once;
    `group_name` puts those in the default group into that group."""
    what = "load_assets_from_modules"
    if key_prefix is not None:
        raise InvalidDefinitionError(
            f"{what}: key_prefix is not supported; set key_prefix= on each @asset instead"
        )
    found: list[AssetsDefinition | AssetSpec] = []
    for value in _module_values(modules, what):
        if isinstance(value, AssetsDefinition | AssetSpec):
            found.append(value)
    if group_name is None:
        return found
    return [_in_group(value, group_name) for value in found]


def _in_group(value: AssetsDefinition | AssetSpec, group_name: str) -> Any:
    if isinstance(value, AssetSpec):
        return value.replace_attributes(group_name=group_name)
    return value.with_specs([s.replace_attributes(group_name=group_name) for s in value.specs])


def load_asset_checks_from_modules(
    modules: Iterable[ModuleType],
) -> list[AssetChecksDefinition]:
    """The asset checks defined at the top level of `modules`, each once."""
    values = _module_values(modules, "load_asset_checks_from_modules")
    return [value for value in values if isinstance(value, AssetChecksDefinition)]
