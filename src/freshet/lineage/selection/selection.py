"""`AssetSelection`: the immutable, composable API object; a thin wrapper around a syntax tree.

The API and the string syntax build the same trees, so `AssetSelection.groups("g").upstream()`
and `AssetSelection.from_string("*group:g")` are equal, and `str()` gives the string back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from typing import Protocol

from freshet.core.keys import AssetKey
from freshet.errors import InvalidDefinitionError, SelectionError
from freshet.lineage.selection.ast import (
    MAX_DEPTH,
    AllNode,
    FunctionName,
    FunctionNode,
    GroupNode,
    KeyNode,
    KeyPrefixNode,
    KindNode,
    Node,
    NotNode,
    OwnerNode,
    TagNode,
    TraversalNode,
    intersection,
    union,
)
from freshet.lineage.selection.parser import parse
from freshet.lineage.selection.render import render
from freshet.lineage.selection.resolve import SelectableGraph, StatusResolver, resolve


class HasAssetKeys(Protocol):
    """An asset definition (or anything else) that declares the keys it produces."""

    @property
    def keys(self) -> Set[AssetKey]: ...


CoercibleToSelectedKey = AssetKey | str | Sequence[str] | HasAssetKeys


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetSelection:
    """A set of assets described by what they are, not listed: resolve it against a graph.

    Combine with `|` (union), `&` (intersection), `-` (difference) and `~` (every other asset
    of the graph, sources included).
    """

    node: Node

    # -- leaves ----------------------------------------------------------------------------
    @classmethod
    def all(cls, include_sources: bool = False) -> AssetSelection:
        """Every materializable asset; with `include_sources`, source and external ones too."""
        if not isinstance(include_sources, bool):
            raise SelectionError(
                f"AssetSelection.all(include_sources={include_sources!r}): pass True or False"
            )
        return cls(node=AllNode(include_sources=include_sources))

    @classmethod
    def assets(cls, *keys: CoercibleToSelectedKey) -> AssetSelection:
        """Exactly these assets (keys, "a/b" strings, or asset definitions), sources included.

        Resolving fails with `UnknownAssetError` if the graph lacks one of them.
        """
        selected = dict.fromkeys(_coerce_keys(keys, "AssetSelection.assets()"))
        return cls(node=union(KeyNode(key=key) for key in selected))

    keys = assets

    @classmethod
    def groups(cls, *names: str) -> AssetSelection:
        names = _strings(names, "AssetSelection.groups()", "group name")
        return cls(node=union(GroupNode(name=name) for name in names))

    @classmethod
    def key_prefixes(cls, *prefixes: AssetKey | str | Sequence[str]) -> AssetSelection:
        """Assets whose key starts with one of `prefixes` ("a/b" strings or component lists)."""
        paths = (key.path for key in _coerce_keys(prefixes, "AssetSelection.key_prefixes()"))
        return cls(node=union(KeyPrefixNode(prefix=path) for path in dict.fromkeys(paths)))

    @classmethod
    def tag(cls, key: str, value: str | None = None) -> AssetSelection:
        """Assets tagged `key=value`; with no value, every asset that has the tag `key`."""
        (key,) = _strings((key,), "AssetSelection.tag()", "tag key")
        if value is not None and not isinstance(value, str):
            raise SelectionError(
                f"AssetSelection.tag({key!r}, {value!r}): the tag value must be a string or None"
            )
        return cls(node=TagNode(key=key, value=value))

    @classmethod
    def kind(cls, *kinds: str) -> AssetSelection:
        kinds = _strings(kinds, "AssetSelection.kind()", "kind")
        return cls(node=union(KindNode(kind=kind) for kind in kinds))

    @classmethod
    def owner(cls, *owners: str) -> AssetSelection:
        """Assets owned by any of `owners` (`"team:x"` or an email address)."""
        owners = _strings(owners, "AssetSelection.owner()", "owner")
        return cls(node=union(OwnerNode(owner=owner) for owner in owners))

    @classmethod
    def from_string(cls, text: str) -> AssetSelection:
        """Parse the selection syntax (see `freshet.lineage.selection.parser`)."""
        if not isinstance(text, str):
            raise SelectionError(
                f"AssetSelection.from_string() takes selection text, got {type(text).__name__}"
            )
        return cls(node=parse(text))

    @classmethod
    def from_coercible(
        cls, value: AssetSelection | str | Iterable[CoercibleToSelectedKey]
    ) -> AssetSelection:
        """A selection as given to `define_asset_job` and friends: an `AssetSelection`,
        selection text, or a list of keys / asset definitions."""
        if isinstance(value, AssetSelection):
            return value
        if isinstance(value, str):
            return cls.from_string(value)
        if isinstance(value, Iterable):
            return cls.assets(*value)
        raise SelectionError(
            f"expected an AssetSelection, selection text or a list of asset keys, got "
            f"{type(value).__name__}"
        )

    # -- derived selections --------------------------------------------------------------
    def upstream(self, depth: int | None = None, include_self: bool = True) -> AssetSelection:
        """Add ancestors, `depth` levels up (None: all); `include_self=False` drops self."""
        _check_depth(depth, "upstream")
        return self._traverse(TraversalNode(operand=self.node, up=depth, include_self=include_self))

    def downstream(self, depth: int | None = None, include_self: bool = True) -> AssetSelection:
        """Add descendants, `depth` levels down (None: all); `include_self=False` drops self."""
        _check_depth(depth, "downstream")
        return self._traverse(
            TraversalNode(operand=self.node, down=depth, include_self=include_self)
        )

    def _traverse(self, node: TraversalNode) -> AssetSelection:
        if node.up == 0 and node.down == 0 and node.include_self:
            return self
        return AssetSelection(node=node)

    def roots(self) -> AssetSelection:
        """The selected assets none of whose parents is selected."""
        return AssetSelection(node=FunctionNode(function=FunctionName.ROOTS, operand=self.node))

    def sinks(self) -> AssetSelection:
        """The selected assets none of whose children is selected."""
        return AssetSelection(node=FunctionNode(function=FunctionName.SINKS, operand=self.node))

    def required_multi_asset_neighbors(self) -> AssetSelection:
        """Add the other assets of every selected multi-asset that cannot run a subset."""
        function = FunctionName.REQUIRED_MULTI_ASSET_NEIGHBORS
        return AssetSelection(node=FunctionNode(function=function, operand=self.node))

    # -- algebra -------------------------------------------------------------------------
    def __or__(self, other: object) -> AssetSelection:
        if not isinstance(other, AssetSelection):
            return NotImplemented
        return AssetSelection(node=union((self.node, other.node)))

    def __and__(self, other: object) -> AssetSelection:
        if not isinstance(other, AssetSelection):
            return NotImplemented
        return AssetSelection(node=intersection((self.node, other.node)))

    def __sub__(self, other: object) -> AssetSelection:
        if not isinstance(other, AssetSelection):
            return NotImplemented
        return AssetSelection(node=intersection((self.node, NotNode(operand=other.node))))

    def __invert__(self) -> AssetSelection:
        return AssetSelection(node=NotNode(operand=self.node))

    # -- use -----------------------------------------------------------------------------
    def resolve(
        self, graph: SelectableGraph, *, status_resolver: StatusResolver | None = None
    ) -> set[AssetKey]:
        """The keys selected in `graph`. `status:` terms call `status_resolver(status)`."""
        return resolve(self.node, graph, status_resolver)

    def __str__(self) -> str:
        return render(self.node)

    def __repr__(self) -> str:
        return f"AssetSelection.from_string({render(self.node)!r})"


def _check_depth(depth: object, method: str) -> None:
    if depth is None or (type(depth) is int and 0 <= depth <= MAX_DEPTH):
        return
    shown = depth if type(depth) is not int or depth.bit_length() < 64 else "a huge int"
    raise SelectionError(
        f"AssetSelection.{method}(depth={shown!r}): depth must be None (all levels) or an int "
        f"from 0 to {MAX_DEPTH}"
    )


def _strings(values: tuple[object, ...], where: str, what: str) -> tuple[str, ...]:
    checked: list[str] = []
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str) or not value:
            raise SelectionError(
                f"{where}: argument {position} is {value!r}, expected a non-empty {what} string"
            )
        checked.append(value)
    return tuple(checked)


def _coerce_keys(values: Iterable[object], where: str) -> Iterator[AssetKey]:
    for position, value in enumerate(values, start=1):
        try:
            yield from _keys_of(value)
        except (InvalidDefinitionError, TypeError) as error:
            raise SelectionError(
                f"{where}: argument {position} ({value!r}) is not an asset key: {error}. Pass "
                'an AssetKey, an "a/b" string, a list of key components or an asset definition'
            ) from error


def _keys_of(value: object) -> Iterable[AssetKey]:
    if isinstance(value, AssetKey):
        return (value,)
    if isinstance(value, str):
        return (AssetKey.from_user_string(value),)
    declared = getattr(value, "keys", None)
    if declared is not None and not callable(declared):
        keys = list(declared)
        if not all(isinstance(key, AssetKey) for key in keys):
            raise TypeError("its .keys are not all AssetKeys")
        return sorted(keys)  # .keys is often a set; sorting keeps selections deterministic
    if isinstance(value, Sequence):
        return (AssetKey(value),)
    raise TypeError(f"{type(value).__name__} is not a key type")
