"""The inputs of a run given on the command line: tags, a run config file, a partition range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from freshet.errors import ConfigError, PartitionError

if TYPE_CHECKING:
    from freshet.core.partitions import PartitionKeyRange


def parse_partition_range(text: str | None) -> PartitionKeyRange | None:
    """`FIRST...LAST` as a key range (keys may contain '-' and ':', so '...' separates)."""
    if text is None:
        return None
    from freshet.core.partitions import PartitionKeyRange  # start-up time: only ranges need it

    try:
        return PartitionKeyRange.parse(text)
    except PartitionError as exc:
        raise click.BadParameter(str(exc), param_hint="--partition-range") from None


def parse_tags(items: Iterable[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{item!r} is not KEY=VALUE (e.g. --tag team=data)", param_hint="'--tag'"
            )
        tags[key.strip()] = value
    return tags


def load_run_config(path: Path) -> Mapping[str, Any]:
    """The run config in a YAML file; syntax errors name the file, line and column."""
    header = f"cannot use run config file {path}"
    # Imported here for start-up time: PyYAML loads only when a config file is given.
    from freshet.cli.yaml_documents import load_yaml_file

    document = load_yaml_file(path, header)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(
            [
                f"{path}: the top level must be a mapping (ops: ..., resources: ...), "
                f"got a {type(document).__name__}"
            ],
            header=header,
        )
    return document
