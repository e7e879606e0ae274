"""dbt projects as freshet assets (install ``freshet[dbt]``: dbt-core 1.8 to 1.11 and an
adapter). `DbtProject` locates a project and prepares its manifest; `@dbt_assets` makes one
multi-asset of its models, seeds and snapshots, with its tests as asset checks and its
sources as external assets; `DbtCliResource` runs dbt for the assets a run selects.
Reading a manifest needs no dbt; running dbt needs its command line, which the extra installs.
"""

from freshet.integrations.dbt.assets import (
    dbt_assets,
    get_asset_key_for_model,
    get_asset_key_for_source,
)
from freshet.integrations.dbt.cli import (
    DbtCliInvocation,
    DbtCliResource,
    DbtNodeResult,
)
from freshet.integrations.dbt.manifest import DbtManifest, DbtNode, load_manifest
from freshet.integrations.dbt.project import DbtProject
from freshet.integrations.dbt.selection import resolve_selection
from freshet.integrations.dbt.translator import DbtTranslator

__all__ = [
    "DbtCliInvocation",
    "DbtCliResource",
    "DbtManifest",
    "DbtNode",
    "DbtNodeResult",
    "DbtProject",
    "DbtTranslator",
    "dbt_assets",
    "get_asset_key_for_model",
    "get_asset_key_for_source",
    "load_manifest",
    "resolve_selection",
]
