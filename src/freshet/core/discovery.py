"""Collecting definitions from modules: every asset, spec and check a module defines at its
top level, for `Definitions(assets=load_assets_from_modules([...]))`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterable
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


def load_assets_from_current_module(group_name: str | None = None) -> list[Any]:
    """The assets defined at the top level of the module that calls this."""
    caller = sys._getframe(1).f_globals.get("__name__")
    module = sys.modules.get(caller) if caller else None
    if module is None:
        raise InvalidDefinitionError(
            "load_assets_from_current_module: call it at the top level of a module"
        )
    return load_assets_from_modules([module], group_name=group_name)


def _package_modules(package: ModuleType, what: str) -> list[ModuleType]:
    if not isinstance(package, ModuleType) or not hasattr(package, "__path__"):
        raise InvalidDefinitionError(f"{what}: expected a package (a module with submodules)")
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        modules.append(importlib.import_module(info.name))
    return modules


def load_assets_from_package_module(
    package_module: ModuleType, group_name: str | None = None
) -> list[Any]:
    """The assets defined in a package and all its submodules (imported here)."""
    modules = _package_modules(package_module, "load_assets_from_package_module")
    return load_assets_from_modules(modules, group_name=group_name)


def load_asset_checks_from_package_module(package_module: ModuleType) -> list[Any]:
    """The asset checks defined in a package and all its submodules."""
    modules = _package_modules(package_module, "load_asset_checks_from_package_module")
    return load_asset_checks_from_modules(modules)


def map_asset_specs(func: Callable[[AssetSpec], AssetSpec], iterable: Iterable[Any]) -> list[Any]:
    """Each asset spec (alone or in an asset definition) replaced by `func(spec)`; the keys
    must stay the same."""
    result: list[Any] = []
    for item in iterable:
        if isinstance(item, AssetSpec):
            result.append(_mapped(func, item))
        elif isinstance(item, AssetsDefinition):
            result.append(item.with_specs([_mapped(func, spec) for spec in item.specs]))
        else:
            result.append(item)
    return result


def _mapped(func: Callable[[AssetSpec], AssetSpec], spec: AssetSpec) -> AssetSpec:
    new = func(spec)
    if not isinstance(new, AssetSpec) or new.key != spec.key:
        raise InvalidDefinitionError(
            f"map_asset_specs: the function must return an AssetSpec with the same key for "
            f"{spec.key.to_user_string()!r}, got {new!r}"
        )
    return new
