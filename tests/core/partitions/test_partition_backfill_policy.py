"""Backfill policies: how many partitions a backfill run covers."""

from __future__ import annotations

import pytest

from freshet.core.partitions import BackfillPolicy, BackfillPolicyType
from freshet.errors import InvalidDefinitionError


def test_single_run_covers_the_whole_range():
    policy = BackfillPolicy.single_run()
    assert policy.policy_type is BackfillPolicyType.SINGLE_RUN
    assert policy.max_partitions_per_run is None


def test_multi_run_chunks_by_max_partitions_per_run():
    assert BackfillPolicy.multi_run().max_partitions_per_run == 1
    policy = BackfillPolicy.multi_run(max_partitions_per_run=10)
    assert policy.policy_type is BackfillPolicyType.MULTI_RUN
    assert policy.max_partitions_per_run == 10
    assert policy == BackfillPolicy.multi_run(10)


@pytest.mark.parametrize("size", [0, -1, 2.5, True], ids=["zero", "negative", "float", "bool"])
def test_multi_run_needs_a_positive_int(size):
    with pytest.raises(InvalidDefinitionError, match="max_partitions_per_run must be an int >= 1"):
        BackfillPolicy.multi_run(max_partitions_per_run=size)
