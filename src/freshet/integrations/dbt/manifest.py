"""Reading a dbt manifest (``target/manifest.json``) into plain node values: the models, seeds
and snapshots that become assets, the sources they read, and the tests that become checks.
Only the fields freshet uses are read, so loading stays fast on large projects.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import freshet as fr

# dbt-core 1.8 to 1.11 write manifest v12; older versions are refused with a clear message.
SUPPORTED_MANIFEST_VERSIONS = frozenset({12})
ASSET_RESOURCE_TYPES = frozenset({"model", "seed", "snapshot"})
_VERSION = re.compile(r"/manifest/v(\d+)\.json$")


@dataclass(frozen=True, slots=True, kw_only=True)
class DbtNode:
    """A model, seed, snapshot, source or test, as the manifest describes it."""

    unique_id: str
    resource_type: str
    name: str
    package_name: str
    fqn: tuple[str, ...]
    original_file_path: str
    description: str
    tags: tuple[str, ...]
    meta: Mapping[str, Any]
    config: Mapping[str, Any]
    group: str | None
    raw_code: str
    depends_on: tuple[str, ...]
    # sources only
    source_name: str | None = None
    # tests only
    attached_node: str | None = None
    test_name: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def severity(self) -> str:
        return str(self.config.get("severity") or "error").upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class DbtManifest:
    """The parts of a manifest that freshet reads, indexed by unique id."""

    path: str | None
    project_name: str
    adapter_type: str | None
    nodes: Mapping[str, DbtNode]
    sources: Mapping[str, DbtNode]
    groups: Mapping[str, Mapping[str, Any]]
    child_map: Mapping[str, tuple[str, ...]]

    @property
    def asset_nodes(self) -> list[DbtNode]:
        return [n for n in self.nodes.values() if n.resource_type in ASSET_RESOURCE_TYPES]

    @property
    def tests(self) -> list[DbtNode]:
        return [n for n in self.nodes.values() if n.resource_type == "test"]

    def node(self, unique_id: str) -> DbtNode | None:
        return self.nodes.get(unique_id) or self.sources.get(unique_id)


def load_manifest(manifest: Any) -> DbtManifest:
    """A manifest from a path (str or PathLike) or an already-parsed dict."""
    if isinstance(manifest, DbtManifest):
        return manifest
    path: str | None = None
    if isinstance(manifest, str | os.PathLike):
        path = os.fspath(manifest)
        try:
            with open(path, "rb") as file:
                data = json.load(file)
        except FileNotFoundError:
            raise fr.DefinitionsError(
                f"dbt manifest {path} does not exist: run `dbt parse` in the project, or use "
                "DbtProject(...).prepare_if_dev() / DbtProject(...).manifest_path"
            ) from None
        except (OSError, ValueError) as exc:
            raise fr.DefinitionsError(f"cannot read dbt manifest {path}: {exc}") from exc
    elif isinstance(manifest, Mapping):
        data = manifest
    else:
        raise fr.DefinitionsError(
            f"dbt manifest must be a path or a dict, got {type(manifest).__name__}"
        )
    return parse_manifest(data, path)


def parse_manifest(data: Mapping[str, Any], path: str | None = None) -> DbtManifest:
    where = f"dbt manifest {path}" if path else "dbt manifest"
    metadata = data.get("metadata")
    if not isinstance(metadata, Mapping) or "nodes" not in data:
        raise fr.DefinitionsError(f"{where} is not a dbt manifest (no metadata or nodes)")
    schema_version = str(metadata.get("dbt_schema_version", ""))
    match = _VERSION.search(schema_version)
    version = int(match.group(1)) if match else None
    if version not in SUPPORTED_MANIFEST_VERSIONS:
        supported = ", ".join(f"v{v}" for v in sorted(SUPPORTED_MANIFEST_VERSIONS))
        raise fr.DefinitionsError(
            f"{where} has schema {schema_version or 'unknown'!r} (written by dbt "
            f"{metadata.get('dbt_version', '?')}); freshet reads manifest {supported} "
            "(dbt-core 1.8 to 1.11): re-parse the project with a supported dbt-core"
        )
    nodes = {uid: _node(uid, raw) for uid, raw in data["nodes"].items()}
    sources = {uid: _node(uid, raw) for uid, raw in (data.get("sources") or {}).items()}
    child_map = {k: tuple(v) for k, v in (data.get("child_map") or {}).items()}
    return DbtManifest(
        path=path,
        project_name=str(metadata.get("project_name") or ""),
        adapter_type=metadata.get("adapter_type"),
        nodes=nodes,
        sources=sources,
        groups=dict(data.get("groups") or {}),
        child_map=child_map,
    )


def _node(unique_id: str, raw: Mapping[str, Any]) -> DbtNode:
    config = raw.get("config") or {}
    test_metadata = raw.get("test_metadata") or {}
    return DbtNode(
        unique_id=unique_id,
        resource_type=raw.get("resource_type", ""),
        name=raw.get("name", ""),
        package_name=raw.get("package_name", ""),
        fqn=tuple(raw.get("fqn") or ()),
        original_file_path=raw.get("original_file_path", ""),
        description=raw.get("description") or "",
        tags=tuple(raw.get("tags") or ()),
        meta={**(raw.get("meta") or {}), **(config.get("meta") or {})},
        config=config,
        group=raw.get("group") or config.get("group"),
        raw_code=raw.get("raw_code") or raw.get("raw_sql") or "",
        depends_on=tuple((raw.get("depends_on") or {}).get("nodes") or ()),
        source_name=raw.get("source_name"),
        attached_node=raw.get("attached_node"),
        test_name=test_metadata.get("name"),
        raw=raw,
    )
