"""Asset selection: one grammar (`parser`), one syntax tree (`ast`), one resolver (`resolve`).

`AssetSelection` is the public object; the string syntax is documented in `parser`.
"""

from typing import Any

from freshet.core.keys import AssetKey
from freshet.lineage.selection.ast import SelectionStatus
from freshet.lineage.selection.resolve import SelectableGraph, StatusResolver
from freshet.lineage.selection.selection import AssetSelection


def coerce_selection(value: Any) -> AssetSelection:
    """Any accepted form of a selection (an `AssetSelection`, selection text, one asset
    definition, or a list of keys / asset definitions) as an `AssetSelection`."""
    if isinstance(getattr(value, "keys", None), tuple):
        return AssetSelection.assets(value)
    return AssetSelection.from_coercible(value)


def select_assets(
    graph: SelectableGraph, selection: Any, *, statuses: StatusResolver | None = None
) -> set[AssetKey]:
    """The one way a selection becomes asset keys, for every caller (the CLI's `--select`,
    `materialize`, jobs, status queries, backfills).

    `selection` is any accepted form (text, an `AssetSelection`, asset definitions, keys).
    `status:` terms are answered by `statuses` (see `freshet.status.api.selection_statuses`,
    which reads an instance); without it they are an error naming what to pass. Unknown keys,
    and attribute terms that leave the selection empty, are errors with the closest names."""
    return coerce_selection(selection).resolve(graph, status_resolver=statuses)


__all__ = [
    "AssetSelection",
    "SelectableGraph",
    "SelectionStatus",
    "StatusResolver",
    "coerce_selection",
    "select_assets",
]
