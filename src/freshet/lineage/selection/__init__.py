"""Asset selection: one grammar (`parser`), one syntax tree (`ast`), one resolver (`resolve`).

`AssetSelection` is the public object; the string syntax is documented in `parser`.
"""

from typing import Any

from freshet.lineage.selection.ast import SelectionStatus
from freshet.lineage.selection.resolve import SelectableGraph, StatusResolver
from freshet.lineage.selection.selection import AssetSelection


def coerce_selection(value: Any) -> AssetSelection:
    """Any accepted form of a selection (an `AssetSelection`, selection text, one asset
    definition, or a list of keys / asset definitions) as an `AssetSelection`."""
    if isinstance(getattr(value, "keys", None), tuple):
        return AssetSelection.assets(value)
    return AssetSelection.from_coercible(value)


__all__ = [
    "AssetSelection",
    "SelectableGraph",
    "SelectionStatus",
    "StatusResolver",
    "coerce_selection",
]
