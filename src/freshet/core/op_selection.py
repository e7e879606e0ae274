"""Op selection: which nodes of an op graph a run executes, from entries such as `"b"`,
`"*b"` (b and everything upstream), `"b+"` (b and its direct downstream) or `"++b"` (two
levels up). A name matches a node (`sub.op` for an op of a nested graph) or a nested graph,
which stands for every node inside it. `"b[k]"` names one mapping key of an op mapped over a
dynamic output: a re-execution runs that key alone when it loads the fan-out from an earlier
run (otherwise the op runs for every key)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from freshet.core.composition import CollectHandle, NodeInvocation, OutputHandle
from freshet.errors import SelectionError, UsageError

_ENTRY = re.compile(
    r"^(?P<up>\*|\++)?(?P<name>[^*+\s\[\]]+)(?:\[(?P<key>[^\[\]\s]+)\])?(?P<down>\*|\++)?$"
)

#: "all levels" in an upstream/downstream reach
_ALL = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class OpSelectionEntry:
    """One parsed entry: a node (or nested graph) name, one mapping key of it if given, and
    how far up and down it reaches (0: the node alone; -1: every level)."""

    name: str
    mapping_key: str | None = None
    up: int = 0
    down: int = 0

    @classmethod
    def parse(cls, text: str) -> OpSelectionEntry:
        match = _ENTRY.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise SelectionError(
                f"op_selection entry {text!r} is not an op name with optional '*' or '+' "
                "before or after it (e.g. 'load', '*load', 'load+', '++load'; one mapping key "
                "of a mapped op: 'square[k2]')"
            )
        return cls(
            name=match["name"],
            mapping_key=match["key"],
            up=_reach(match["up"]),
            down=_reach(match["down"]),
        )


def _reach(marks: str | None) -> int:
    if not marks:
        return 0
    return _ALL if marks == "*" else len(marks)


def node_parents(node: NodeInvocation) -> set[str]:
    """The nodes whose outputs `node` reads (or whose dynamic output it is mapped over)."""
    parents: set[str] = set()
    for source in node.inputs.values():
        if isinstance(source, OutputHandle | CollectHandle):
            parents.add(source.node_name)
        elif isinstance(source, tuple):
            parents.update(h.node_name for h in source)
    if node.mapped_over is not None:
        parents.add(node.mapped_over[0])
    return parents


def as_entries(op_selection: Any, where: str) -> tuple[str, ...]:
    """`op_selection` checked to be a list of strings (a bare string is refused: it is
    ambiguous whether it is one entry or several)."""
    if isinstance(op_selection, str) or not isinstance(op_selection, Iterable):
        raise UsageError(
            f"{where}: op_selection takes a list of op names, e.g. op_selection=['load', "
            f"'clean*'], got {op_selection!r}"
        )
    entries = tuple(op_selection)
    bad = [e for e in entries if not isinstance(e, str)]
    if bad or not entries:
        raise UsageError(
            f"{where}: op_selection must be a non-empty list of op names, got {op_selection!r}"
        )
    return entries


def select_nodes(nodes: Mapping[str, NodeInvocation], entries: Sequence[str]) -> frozenset[str]:
    """The node names `entries` select in a graph of `nodes`; one `SelectionError` naming
    every entry that matches nothing, with the nearest node names."""
    parsed = check_entries(nodes, entries, where="op_selection")
    parents = {name: node_parents(node) & set(nodes) for name, node in nodes.items()}
    children: dict[str, set[str]] = {name: set() for name in nodes}
    for name, ups in parents.items():
        for up in ups:
            children[up].add(name)
    chosen: set[str] = set()
    for entry in parsed:
        matched = _matching(nodes, entry.name)
        chosen |= matched
        chosen |= _walk(matched, parents, entry.up)
        chosen |= _walk(matched, children, entry.down)
    return frozenset(chosen)


def selected_mapping_keys(entries: Sequence[str]) -> dict[str, frozenset[str]]:
    """The mapping keys entries name, by node; a node also named without a key (and every
    node named without one) runs all its keys and is left out."""
    keys: dict[str, set[str]] = {}
    whole: set[str] = set()
    for text in entries:
        entry = OpSelectionEntry.parse(text)
        if entry.mapping_key is None:
            whole.add(entry.name)
        else:
            keys.setdefault(entry.name, set()).add(entry.mapping_key)
    return {name: frozenset(k) for name, k in keys.items() if name not in whole}


def check_entries(
    node_names: Collection[str], entries: Sequence[str], *, where: str
) -> list[OpSelectionEntry]:
    """`entries` parsed, each checked to name a node (or a nested graph) of `node_names`;
    one `SelectionError` starting with `where` names every entry that matches nothing, with
    the nearest names."""
    parsed = [OpSelectionEntry.parse(text) for text in entries]
    unknown = [
        _unknown(text, entry.name, node_names)
        for text, entry in zip(entries, parsed, strict=True)
        if not _matching(node_names, entry.name)
    ]
    if unknown:
        raise SelectionError(f"{where}: " + "; ".join(unknown))
    return parsed


def _matching(node_names: Collection[str], name: str) -> set[str]:
    if name in node_names:
        return {name}
    return {n for n in node_names if n.startswith(f"{name}.")}


def _unknown(text: str, name: str, node_names: Collection[str]) -> str:
    known = sorted({*node_names, *(n.rsplit(".", 1)[0] for n in node_names if "." in n)})
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(near)}?" if near else f"ops: {', '.join(known[:20])}"
    return f"{text!r} matches no op in the job ({hint})"


def _walk(start: set[str], edges: Mapping[str, set[str]], levels: int) -> set[str]:
    seen: set[str] = set()
    frontier = set(start)
    depth = 0
    while frontier and (levels == _ALL or depth < levels):
        frontier = {n for f in frontier for n in edges[f]} - seen - start
        seen |= frontier
        depth += 1
    return seen
