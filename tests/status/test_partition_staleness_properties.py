"""Property: for random DAGs of partitioned assets, code-version bumps, changed or identical
outputs and partial runs, materializing exactly the stale and missing partitions (one run per
partition key) leaves every partition up to date, and a partition is stale if and only if a
cause explains it."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import freshet as fr
from freshet import StaleStatus as Status
from freshet.status.staleness import StalenessResolver

KEYS = ("p", "q")
PARTITIONS = fr.StaticPartitionsDefinition(list(KEYS))


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=1, max_value=5))
    parents = [
        draw(st.lists(st.integers(0, i - 1), unique=True, max_size=2)) if i else []
        for i in range(n)
    ]
    cell = st.tuples(st.integers(0, n - 1), st.sampled_from(KEYS))
    rounds = draw(
        st.lists(
            st.tuples(
                st.lists(st.integers(0, n - 1), max_size=2),  # code version bumps
                st.lists(cell, max_size=3),  # changed outputs
                st.lists(cell, max_size=2),  # extra partial runs
            ),
            min_size=1,
            max_size=3,
        )
    )
    return n, parents, rounds


def _build(n, parents, code, outputs):
    assets = []
    for i in range(n):
        assets.append(
            fr.asset(
                name=f"a{i}",
                deps=[f"a{p}" for p in parents[i]],
                code_version=str(code[i]),
                partitions_def=PARTITIONS,
            )(_returning(outputs, i))
        )
    return fr.Definitions(assets=assets)


def _returning(outputs, i):
    def compute(context: fr.AssetExecutionContext):
        return outputs[(i, context.partition_key)]

    return compute


def _out_of_date(defs, instance):
    resolver = StalenessResolver(defs.get_asset_graph(), instance.storage)
    found = {}
    for key, result in resolver.partition_statuses().items():
        for partition in KEYS:
            status = result.status_of(partition)
            assert (status is Status.STALE) == bool(result.causes_for(partition))
            if status is not Status.UP_TO_DATE:
                found.setdefault(partition, set()).add(key)
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_materializing_stale_and_missing_partitions_brings_everything_up_to_date(scenario):
    n, parents, rounds = scenario
    code = [0] * n
    outputs = {(i, k): 0 for i in range(n) for k in KEYS}
    instance = fr.Instance.ephemeral()
    for bumps, changes, partial in rounds:
        for i in bumps:
            code[i] += 1
        for cell in changes:
            outputs[cell] += 1
        defs = _build(n, parents, code, outputs)
        for i, partition in partial:
            fr.materialize(defs, selection=f"a{i}", partition_key=partition, instance=instance)
        for partition, keys in _out_of_date(defs, instance).items():
            selection = fr.AssetSelection.assets(*keys)
            result = fr.materialize(
                defs, selection=selection, partition_key=partition, instance=instance
            )
            assert {m.asset_key for m in result.get_asset_materialization_events()} == keys
        assert _out_of_date(defs, instance) == {}
