"""Every user-facing error freshet raises. Messages say what was wrong, where, and what to do.

`FreshetError` is the root; catching it catches every mistake a user can make. Framework
bugs are never raised as `FreshetError`, so the two stay distinguishable.
"""

from __future__ import annotations

from collections.abc import Iterable


class FreshetError(Exception):
    """Root of all user-facing freshet errors."""


class DefinitionsError(FreshetError):
    """Definitions are invalid: duplicate keys, cycles, unknown deps, missing resources..."""


class DuplicateKeyError(DefinitionsError):
    pass


class CycleError(DefinitionsError):
    pass


class UnknownDependencyError(DefinitionsError):
    pass


class MissingResourceError(DefinitionsError):
    pass


class InvalidDefinitionError(DefinitionsError):
    """A single definition (decorator arguments, function signature) is malformed."""


class SelectionError(FreshetError):
    """A selection could not be parsed or resolved."""


class SelectionSyntaxError(SelectionError):
    def __init__(self, text: str, position: int, expected: str, found: str) -> None:
        self.text = text
        self.position = position
        self.expected = expected
        self.found = found
        pointer = " " * position + "^"
        super().__init__(
            f"invalid selection at position {position}: expected {expected}, found {found}\n"
            f"  {text}\n  {pointer}"
        )


class UnknownAssetError(SelectionError):
    pass


class ConfigError(FreshetError):
    """Run or resource config is invalid. `problems` lists every `path: message`."""

    def __init__(self, problems: Iterable[str], header: str = "invalid run config") -> None:
        self.problems = list(problems)
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{header} ({len(self.problems)} problem(s)):\n{body}")


class PartitionError(FreshetError):
    """A partition key or range is invalid for a definition."""


class ExecutionError(FreshetError):
    """A run failed; raised by `materialize` when `raise_on_error=True`."""


class StepFailedError(ExecutionError):
    def __init__(self, message: str, step_key: str | None = None) -> None:
        self.step_key = step_key
        super().__init__(message)


class TypeCheckError(FreshetError):
    pass


class DefinitionsLoadError(FreshetError):
    """A definitions file or module could not be found, imported, or holds no Definitions."""


class StorageError(FreshetError):
    """The instance's database is unreachable, corrupt, or of an unsupported version."""


class SchemaVersionError(StorageError):
    pass


class InstanceConfigError(FreshetError):
    """freshet.yaml is invalid."""


class RunNotFoundError(FreshetError):
    pass


class UsageError(FreshetError):
    """An API used outside its context (e.g. `context.partition_key` in an unpartitioned run)."""


class SnapshotError(FreshetError):
    """A definitions snapshot cannot be built or read."""


class SnapshotVersionError(SnapshotError):
    """A snapshot was written by a newer freshet than this one."""


class UserCodeRequiredError(FreshetError):
    """A question about definitions needs the user's code (e.g. a user-defined partition
    mapping), which only the code location's process has."""


class RunCanceled(KeyboardInterrupt):
    """Raised in a run worker's main thread when a user cancels its run: it interrupts the
    step in progress (user code that catches `Exception` cannot swallow it) and the run ends
    CANCELED instead of FAILURE. Its message says who asked."""
