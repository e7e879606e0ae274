"""A literal eight-asset graph implementing the interface selection reads from `AssetGraph`.

ingest:     raw/events (source) -> clean/events --+--> sessions ------+--> report -> dashboard
            raw/users ---------> clean/users  ---'                    |       (external)
                                 clean/events ----> sessions_daily ---'
analytics:  sessions, sessions_daily (one multi-asset, not subsettable), report, dashboard
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from freshet.core.keys import AssetKey


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeAsset:
    key: AssetKey
    group_name: str = "default"
    tags: Mapping[str, str] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()
    owners: tuple[str, ...] = ()
    is_materializable: bool = True


class FakeGraph:
    def __init__(
        self,
        assets: list[FakeAsset],
        parents: Mapping[str, tuple[str, ...]],
        multi_assets: tuple[tuple[str, ...], ...] = (),
    ) -> None:
        self._assets = {asset.key: asset for asset in assets}
        self.all_keys = frozenset(self._assets)
        self._parents = {key: frozenset() for key in self._assets}
        self._children: dict[AssetKey, set[AssetKey]] = {key: set() for key in self._assets}
        for child, names in parents.items():
            child_key = AssetKey.from_user_string(child)
            self._parents[child_key] = frozenset(AssetKey.from_user_string(n) for n in names)
            for parent in self._parents[child_key]:
                self._children[parent].add(child_key)
        self._neighbors = {}
        for names in multi_assets:
            keys = frozenset(AssetKey.from_user_string(n) for n in names)
            self._neighbors.update(dict.fromkeys(keys, keys))

    def node(self, key: AssetKey) -> FakeAsset:
        return self._assets[key]

    def parents(self, key: AssetKey) -> frozenset[AssetKey]:
        return self._parents[key]

    def children(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset(self._children[key])

    def required_multi_asset_neighbors(self, key: AssetKey) -> frozenset[AssetKey]:
        return self._neighbors.get(key, frozenset({key}))


def _asset(key: str, **attributes: object) -> FakeAsset:
    return FakeAsset(key=AssetKey.from_user_string(key), **attributes)  # type: ignore[arg-type]


@pytest.fixture
def graph() -> FakeGraph:
    ingest, analytics = "ingest", "analytics"
    assets = [
        _asset(
            "raw/events",
            group_name=ingest,
            kinds=frozenset({"s3"}),
            owners=("team:data",),
            is_materializable=False,
        ),
        _asset(
            "raw/users",
            group_name=ingest,
            kinds=frozenset({"python"}),
            tags={"tier": "bronze"},
            owners=("team:data",),
        ),
        _asset(
            "clean/events",
            group_name=ingest,
            kinds=frozenset({"duckdb", "python"}),
            tags={"tier": "silver"},
            owners=("alice@x.com",),
        ),
        _asset(
            "clean/users",
            group_name=ingest,
            kinds=frozenset({"duckdb"}),
            tags={"tier": "silver", "pii": "true"},
            owners=("alice@x.com", "team:data"),
        ),
        _asset("sessions", group_name=analytics, kinds=frozenset({"python"}), owners=("team:bi",)),
        _asset("sessions_daily", group_name=analytics, owners=("team:bi",)),
        _asset(
            "report",
            group_name=analytics,
            kinds=frozenset({"python"}),
            tags={"tier": "gold"},
            owners=("team:bi",),
        ),
        _asset("dashboard", group_name=analytics, owners=("team:bi",), is_materializable=False),
    ]
    parents = {
        "clean/events": ("raw/events",),
        "clean/users": ("raw/users",),
        "sessions": ("clean/events", "clean/users"),
        "sessions_daily": ("clean/events",),
        "report": ("sessions", "sessions_daily"),
        "dashboard": ("report",),
    }
    return FakeGraph(assets, parents, multi_assets=(("sessions", "sessions_daily"),))


@pytest.fixture
def chain_graph() -> FakeGraph:
    """a0 -> a1 -> ... -> a9999: deep enough to break anything recursive."""
    size = 10_000
    assets = [_asset(f"a{i}") for i in range(size)]
    parents = {f"a{i}": (f"a{i - 1}",) for i in range(1, size)}
    return FakeGraph(assets, parents)
