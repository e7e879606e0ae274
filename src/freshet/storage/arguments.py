"""Checks of storage arguments that every backend shares, so that memory, SQLite and
PostgreSQL accept and refuse exactly the same input, with the same messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from freshet.errors import StorageError
from freshet.storage.records import MAX_KEY_LENGTH, MAX_PARTITION_LENGTH
from freshet.storage.serde import check_length


def checked_partition_keys(partitions_def_name: str, keys: Sequence[str]) -> list[str]:
    """The keys to add, duplicates removed (first occurrence kept); raise on a bad key."""
    check_name(partitions_def_name, MAX_PARTITION_LENGTH, "dynamic partitions definition name")
    if isinstance(keys, str):
        raise StorageError(
            f"add_dynamic_partitions({partitions_def_name!r}, ...) takes a list of partition "
            f"keys, got the string {keys!r}; wrap it in a list"
        )
    unique = list(dict.fromkeys(keys))
    for position, key in enumerate(unique):
        if not isinstance(key, str) or not key:
            raise StorageError(
                f"cannot add partition #{position} ({key!r}) to dynamic partitions "
                f"{partitions_def_name!r}: a partition key is a non-empty string"
            )
        if len(key) > MAX_PARTITION_LENGTH:
            check_length(key, MAX_PARTITION_LENGTH, f"a partition key of {partitions_def_name!r},")
    return unique


def check_name(value: str, limit: int, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise StorageError(f"the {what} must be a non-empty string, got {value!r}")
    check_length(value, limit, f"the {what}")


def check_slot(pool: str, run_id: str, step_key: str) -> None:
    check_name(pool, MAX_PARTITION_LENGTH, "concurrency pool name")
    check_name(run_id, MAX_PARTITION_LENGTH, "run id")
    check_name(step_key, MAX_KEY_LENGTH, "step key")


def check_limit(pool: str, limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise StorageError(
            f"the limit of concurrency pool {pool!r} must be a whole number >= 0, got {limit!r}"
        )
