"""dbt's node selection syntax (``--select`` / ``--exclude``), resolved on a manifest without
running dbt: space-separated unions of comma-separated intersections of atoms, each atom
``[@][n+]method:value[+n]``. Methods: name/fqn (the default), ``path``, ``tag``,
``resource_type``, ``source``, ``package``, ``group`` and ``config.<key>``; ``*`` and ``?``
wildcards as in shell patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

import freshet as fr
from freshet.integrations.dbt.manifest import DbtManifest, DbtNode

_ATOM = re.compile(r"^(?P<at>@)?(?:(?P<up>\d*)\+)?(?P<body>[^+@]+?)(?:\+(?P<down>\d*))?$")
_METHODS = frozenset({"fqn", "path", "file", "tag", "resource_type", "source", "package", "group"})


@dataclass(frozen=True, slots=True)
class _Atom:
    method: str
    value: str
    ancestors: int | None  # None: none; -1: all
    descendants: int | None
    at: bool


def _parse_atom(text: str, where: str) -> _Atom:
    match = _ATOM.match(text)
    if match is None:
        raise fr.SelectionError(f"{where}: cannot read dbt selector {text!r}")
    body = match.group("body")
    method, _, value = body.partition(":") if ":" in body else ("", "", body)
    if not value:
        raise fr.SelectionError(f"{where}: dbt selector {text!r} has no value")
    if method and method not in _METHODS and not method.startswith("config."):
        known = ", ".join(sorted(_METHODS | {"config.<key>"}))
        raise fr.SelectionError(
            f"{where}: unknown dbt selector method {method!r} in {text!r} (known: {known})"
        )
    up, down = match.group("up"), match.group("down")
    if match.group("at") and (up is not None or down is not None):
        raise fr.SelectionError(f"{where}: {text!r}: '@' cannot be combined with '+'")
    return _Atom(
        method=method,
        value=value,
        ancestors=None if up is None else (int(up) if up else -1),
        descendants=None if down is None else (int(down) if down else -1),
        at=bool(match.group("at")),
    )


def parse_selection(text: str | Iterable[str] | None, where: str) -> list[list[_Atom]]:
    """A union (list) of intersections (lists) of atoms."""
    if text is None:
        return []
    words = text.split() if isinstance(text, str) else [w for t in text for w in t.split()]
    return [[_parse_atom(part, where) for part in word.split(",") if part] for word in words]


class _Graph:
    def __init__(self, manifest: DbtManifest) -> None:
        self.nodes: dict[str, DbtNode] = {
            uid: n for uid, n in manifest.nodes.items() if n.resource_type != "test"
        }
        self.nodes.update(manifest.sources)
        self.parents: dict[str, tuple[str, ...]] = {
            uid: tuple(p for p in n.depends_on if p in self.nodes) for uid, n in self.nodes.items()
        }
        children: dict[str, list[str]] = {uid: [] for uid in self.nodes}
        for uid, parents in self.parents.items():
            for parent in parents:
                children[parent].append(uid)
        self.children = children

    def walk(
        self, start: Iterable[str], edges: Mapping[str, Iterable[str]], depth: int
    ) -> set[str]:
        seen: set[str] = set()
        frontier = list(start)
        level = 0
        while frontier and (depth < 0 or level < depth):
            level += 1
            nxt = []
            for uid in frontier:
                for other in edges.get(uid, ()):
                    if other not in seen:
                        seen.add(other)
                        nxt.append(other)
            frontier = nxt
        return seen


def _matches(node: DbtNode, atom: _Atom, project: str) -> bool:
    method, value = atom.method, atom.value
    if method in ("", "fqn"):
        if not method and ("/" in value or value.endswith((".sql", ".csv", ".py"))):
            return _path_matches(node, value)
        return _fqn_matches(node, value, project)
    if method in ("path", "file"):
        return _path_matches(node, value)
    if method == "tag":
        return any(fnmatchcase(tag, value) for tag in node.tags)
    if method == "resource_type":
        return node.resource_type == value
    if method == "source":
        if node.resource_type != "source":
            return False
        parts = value.split(".")
        names = (node.source_name or "", node.name)
        if len(parts) == 1:
            return fnmatchcase(names[0], parts[0])
        return fnmatchcase(names[0], parts[0]) and fnmatchcase(names[1], parts[1])
    if method == "package":
        return fnmatchcase(node.package_name, value)
    if method == "group":
        return node.group is not None and fnmatchcase(node.group, value)
    key = method.removeprefix("config.")
    actual = node.config.get(key)
    if isinstance(actual, list):
        return any(fnmatchcase(str(item), value) for item in actual)
    return actual is not None and fnmatchcase(str(actual).lower(), value.lower())


def _fqn_matches(node: DbtNode, value: str, project: str) -> bool:
    fqn = node.fqn
    parts = value.split(".")
    if len(parts) == 1 and fnmatchcase(node.name, parts[0]):
        return True
    for candidate in (fqn, fqn[1:] if fqn and fqn[0] == project else fqn):
        if len(parts) <= len(candidate) and all(
            fnmatchcase(c, p) for c, p in zip(candidate, parts, strict=False)
        ):
            return True
    return False


def _path_matches(node: DbtNode, value: str) -> bool:
    path = node.original_file_path
    value = value.rstrip("/")
    return path == value or path.startswith(value + "/") or fnmatchcase(path, value)


def resolve_selection(
    manifest: DbtManifest, select: str | Iterable[str] | None, exclude: str | Iterable[str] | None
) -> set[str]:
    """The unique ids of the models, seeds and snapshots that ``select`` minus ``exclude``
    picks (``select`` None or ``"fqn:*"`` means all)."""
    graph = _Graph(manifest)
    selected = (
        set(graph.nodes)
        if select is None or select == "fqn:*"
        else _evaluate(graph, parse_selection(select, "dbt select"), manifest.project_name)
    )
    excluded = _evaluate(graph, parse_selection(exclude, "dbt exclude"), manifest.project_name)
    return {
        uid
        for uid in selected - excluded
        if graph.nodes[uid].resource_type in ("model", "seed", "snapshot")
    }


def _evaluate(graph: _Graph, union: list[list[_Atom]], project: str) -> set[str]:
    result: set[str] = set()
    for intersection in union:
        current: set[str] | None = None
        for atom in intersection:
            found = _evaluate_atom(graph, atom, project)
            current = found if current is None else current & found
        result |= current or set()
    return result


def _evaluate_atom(graph: _Graph, atom: _Atom, project: str) -> set[str]:
    base = {uid for uid, node in graph.nodes.items() if _matches(node, atom, project)}
    result = set(base)
    if atom.at:
        below = base | graph.walk(base, graph.children, -1)
        return below | graph.walk(below, graph.parents, -1)
    if atom.ancestors is not None:
        result |= graph.walk(base, graph.parents, atom.ancestors)
    if atom.descendants is not None:
        result |= graph.walk(base, graph.children, atom.descendants)
    return result
