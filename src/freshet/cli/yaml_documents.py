"""Reading a YAML document a user hands the CLI (`--config FILE`) with bounds on its cost.

YAML aliases let a few hundred bytes stand for billions of values ('billion laughs'), an alias
inside its own anchor makes a value that contains itself, and deep nesting exhausts Python's
recursion limit. All three are refused, naming the file, line and column, before any value is
built, so nothing downstream (validation, storage) ever sees them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from freshet.core.config_limits import MAX_CONFIG_DEPTH
from freshet.errors import ConfigError

MAX_YAML_DEPTH = MAX_CONFIG_DEPTH
#: values that aliases may add to a document beyond those written out in it
MAX_ALIAS_EXPANSION = 100_000


class _DocumentTooLarge(yaml.MarkedYAMLError):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader that refuses collections nested more than `MAX_YAML_DEPTH` deep."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        collection = self.check_event(MappingStartEvent, SequenceStartEvent)
        if collection:
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                raise _DocumentTooLarge(
                    problem=f"collections nested more than {MAX_YAML_DEPTH} levels deep; flatten "
                    "the document",
                    problem_mark=self.peek_event().start_mark,
                )
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            if collection:
                self._depth -= 1


def load_yaml_file(path: Path, header: str) -> Any:
    """The document in `path`, or a `ConfigError` under `header` naming file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
        loader = _BoundedLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            _check_aliases(root)
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        kind = "too large" if isinstance(exc, _DocumentTooLarge) else "invalid YAML"
        raise ConfigError([f"{where}: {kind}: {exc.problem}"], header=header) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError([f"{path}: {exc}"], header=header) from None


def _check_aliases(root: Node) -> None:
    """Refuse a node graph whose aliases contain themselves or add more than
    `MAX_ALIAS_EXPANSION` values. Sizes are summed per distinct node, bottom-up, so the check
    costs the size of the text, however large the expansion would be."""
    expanded: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in expanded:
            continue
        children = _children(node)
        if children_done:
            in_progress.discard(id(node))
            expanded[id(node)] = 1 + sum(expanded[id(child)] for child in children)
            continue
        if id(node) in in_progress:
            continue
        in_progress.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in in_progress:
                raise _DocumentTooLarge(
                    problem="an alias refers to a value that contains it (the value would be "
                    "infinite)",
                    problem_mark=child.start_mark,
                )
            if id(child) not in expanded:
                stack.append((child, False))
    written = len(expanded)
    for node_id, size in expanded.items():
        if size > written + MAX_ALIAS_EXPANSION:
            node = _find(root, node_id)
            raise _DocumentTooLarge(
                problem=f"aliases expand this value to more than {MAX_ALIAS_EXPANSION:,} values "
                "beyond those written out; write the values out or use fewer aliases",
                problem_mark=node.start_mark,
            )


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _find(root: Node, node_id: int) -> Node:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) == node_id:
            return node
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(_children(node))
    return root
