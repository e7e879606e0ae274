"""Data-version digests shared by the run that records provenance and the status code that
checks it: one definition, so the two can never disagree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def fold_partition_versions(partitions: Iterable[str], versions: Mapping[str, str | None]) -> str:
    """One SHA-256 digest standing for the data versions of many upstream partitions."""
    import hashlib  # start-up time: OpenSSL loads when a first digest is taken

    digest = hashlib.sha256(b"freshet-partitions-v1")
    for partition in sorted(partitions):
        digest.update(b"\0" + partition.encode() + b"\0")
        digest.update((versions.get(partition) or "<none>").encode())
    return digest.hexdigest()
