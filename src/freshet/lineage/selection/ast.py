"""The syntax tree of an asset selection: frozen, hashable nodes shared by parser, API and resolver.

`union` and `intersection` build flattened n-ary nodes, so `a | b | c` and `a or b or c` give
the same tree and deep chains of operators never become deep trees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from freshet.core.keys import AssetKey


class AttributeName(StrEnum):
    """The `name:` prefixes of the string syntax."""

    KEY = "key"
    KEY_PREFIX = "key_prefix"
    GROUP = "group"
    TAG = "tag"
    KIND = "kind"
    OWNER = "owner"
    STATUS = "status"


class FunctionName(StrEnum):
    """The `name(...)` functions of the string syntax, one per `AssetSelection` method."""

    ROOTS = "roots"
    SINKS = "sinks"
    REQUIRED_MULTI_ASSET_NEIGHBORS = "required_multi_asset_neighbors"


class SelectionStatus(StrEnum):
    """Values of `status:`; resolved by the caller's status resolver (it needs an instance).
    `late`: assets whose `FreshnessPolicy` they do not meet now."""

    MISSING = "missing"
    STALE = "stale"
    UP_TO_DATE = "up_to_date"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    CHECKS_FAILING = "checks_failing"
    LATE = "late"


class Node:
    """Base of every syntax-tree node."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AllNode(Node):
    """`*`: every materializable asset, or every asset when `include_sources`."""

    include_sources: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyNode(Node):
    """One asset named explicitly; resolving it fails if the graph has no such asset."""

    key: AssetKey


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyGlobNode(Node):
    """`key:raw/*`: keys whose user string matches, `*` standing for any characters."""

    pattern: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPrefixNode(Node):
    """Keys whose path starts with `prefix` (the key equal to the prefix included)."""

    prefix: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupNode(Node):
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TagNode(Node):
    """`tag:k=v`, or `tag:k` (value None) for any asset that has the tag at all."""

    key: str
    value: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KindNode(Node):
    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnerNode(Node):
    owner: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusNode(Node):
    status: SelectionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class OrNode(Node):
    """Union; with no operands, the empty selection."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AndNode(Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NotNode(Node):
    """Complement within every asset of the graph, sources included, so `a and not b` == a - b."""

    operand: Node


# deeper than any real graph; also keeps a depth's digits far below Python's int-parsing limit
MAX_DEPTH = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class TraversalNode(Node):
    """The operand plus its ancestors to depth `up` and descendants to depth `down`.

    A depth of 0 means no step that way, None means no limit (at most `MAX_DEPTH` otherwise).
    Without `include_self` the
    operand's own assets are removed from the result.
    """

    operand: Node
    up: int | None = 0
    down: int | None = 0
    include_self: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionNode(Node):
    function: FunctionName
    operand: Node


EMPTY = OrNode(operands=())


def union(operands: Iterable[Node]) -> Node:
    """`a or b or ...`, flattening nested unions; a single operand is returned as is."""
    flat = _flatten(operands, OrNode)
    return flat[0] if len(flat) == 1 else OrNode(operands=flat)


def intersection(operands: Iterable[Node]) -> Node:
    """`a and b and ...`, flattening nested intersections; a single operand is returned as is."""
    flat = _flatten(operands, AndNode)
    return flat[0] if len(flat) == 1 else AndNode(operands=flat)


def _flatten(operands: Iterable[Node], kind: type[OrNode] | type[AndNode]) -> tuple[Node, ...]:
    flat: list[Node] = []
    for operand in operands:
        if isinstance(operand, kind):
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return tuple(flat)


def children_of(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of `node` (empty for leaves)."""
    if isinstance(node, OrNode | AndNode):
        return node.operands
    if isinstance(node, NotNode | TraversalNode | FunctionNode):
        return (node.operand,)
    return ()
