"""How a backfill groups partitions into runs: one run per partition, all in one, or chunks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from freshet.errors import InvalidDefinitionError


class BackfillPolicyType(StrEnum):
    SINGLE_RUN = "SINGLE_RUN"
    MULTI_RUN = "MULTI_RUN"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillPolicy:
    """Without a policy, a backfill launches one run per partition. `single_run()` runs a
    whole range in one run; `multi_run(n)` runs up to `n` partitions per run."""

    policy_type: BackfillPolicyType
    max_partitions_per_run: int | None = None

    def __post_init__(self) -> None:
        if self.policy_type is BackfillPolicyType.SINGLE_RUN:
            if self.max_partitions_per_run is not None:
                raise InvalidDefinitionError(
                    "a single-run BackfillPolicy has no max_partitions_per_run; use "
                    "BackfillPolicy.multi_run(max_partitions_per_run=...) to chunk"
                )
            return
        size = self.max_partitions_per_run
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidDefinitionError(
                "BackfillPolicy.multi_run: max_partitions_per_run must be an int >= 1, "
                f"got {size!r}"
            )

    @classmethod
    def single_run(cls) -> BackfillPolicy:
        return cls(policy_type=BackfillPolicyType.SINGLE_RUN)

    @classmethod
    def multi_run(cls, max_partitions_per_run: int = 1) -> BackfillPolicy:
        return cls(
            policy_type=BackfillPolicyType.MULTI_RUN, max_partitions_per_run=max_partitions_per_run
        )
