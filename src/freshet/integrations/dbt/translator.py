"""How dbt nodes become freshet assets: keys, groups, owners, tags, descriptions, code
versions and metadata. Subclass `DbtTranslator` and override a method to change one of them
(for example, to map a dbt source onto an asset that freshet materializes).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import freshet as fr
from freshet.integrations.dbt.manifest import DbtNode

_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")
_TAG_VALUE = ""


def _name(text: str) -> str:
    cleaned = _NOT_A_NAME.sub("_", text)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"_{cleaned}"


class DbtTranslator:
    """The default mapping: a model, seed or snapshot is the asset ``[name]``, a source is
    ``[source_name, table_name]``; the group is the dbt group (else freshet's default); owners
    from the dbt group's owner or ``meta.owner``; the code version hashes the node's raw SQL."""

    def get_asset_key(self, node: DbtNode) -> fr.AssetKey:
        """``meta: {freshet: {asset_key: [...]}}`` on the node wins over the default."""
        options = node.meta.get("freshet")
        given = options.get("asset_key") if isinstance(options, Mapping) else None
        if given:
            return fr.AssetKey([given] if isinstance(given, str) else list(given))
        if node.resource_type == "source":
            return fr.AssetKey([node.source_name or "source", node.name])
        return fr.AssetKey([node.name])

    def get_group_name(self, node: DbtNode) -> str | None:
        return _name(node.group) if node.group else None

    def get_description(self, node: DbtNode) -> str | None:
        return node.description or None

    def get_owners(self, node: DbtNode, group_owner: Mapping[str, Any] | None = None) -> list[str]:
        owners: list[str] = []
        owner = node.meta.get("owner")
        if isinstance(owner, str) and owner:
            owners.append(owner)
        if group_owner:
            email = group_owner.get("email")
            if isinstance(email, str) and email and email not in owners:
                owners.append(email)
        return owners

    def get_tags(self, node: DbtNode) -> dict[str, str]:
        return {_name(tag): _TAG_VALUE for tag in node.tags}

    def get_code_version(self, node: DbtNode) -> str | None:
        if not node.raw_code:
            return None
        return hashlib.sha256(node.raw_code.encode()).hexdigest()[:16]

    def get_metadata(self, node: DbtNode) -> dict[str, Any]:
        metadata: dict[str, Any] = {"dbt/unique_id": node.unique_id}
        if node.original_file_path:
            metadata["dbt/path"] = node.original_file_path
        materialized = node.config.get("materialized")
        if isinstance(materialized, str):
            metadata["dbt/materialized"] = materialized
        return metadata

    def get_automation_condition(self, node: DbtNode) -> Any:
        return None

    def get_freshness_policy(self, node: DbtNode) -> Any:
        return None

    def get_check_name(self, test: DbtNode) -> str:
        return _name(test.name)
