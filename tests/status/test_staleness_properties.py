"""Property: for random DAGs, code-version bumps, source observations and identical or
changed outputs, materializing `status:stale or status:missing` leaves everything up to date,
and an asset is stale if and only if a cause explains it."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import freshet as fr
from freshet import StaleStatus as Status


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=1, max_value=7))
    parents = [
        draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        for i in range(n)
    ]
    uses_source = [draw(st.booleans()) for _ in range(n)]
    rounds = draw(
        st.lists(
            st.tuples(
                st.lists(st.integers(0, n - 1), max_size=3),  # code version bumps
                st.lists(st.integers(0, n - 1), max_size=3),  # changed outputs
                st.booleans(),  # new source observation
                st.lists(st.integers(0, n - 1), max_size=2),  # extra partial runs
            ),
            min_size=1,
            max_size=3,
        )
    )
    return n, parents, uses_source, rounds


def _build(n, parents, uses_source, code, outputs, source_version):
    @fr.observable_source_asset(name="src")
    def src():
        return fr.DataVersion(str(source_version))

    assets = [src]
    for i in range(n):
        deps = [f"a{p}" for p in parents[i]] + (["src"] if uses_source[i] else [])
        assets.append(
            fr.asset(name=f"a{i}", deps=deps, code_version=str(code[i]))(_returning(outputs[i]))
        )
    return fr.Definitions(assets=assets)


def _returning(value):
    def compute():
        return value

    return compute


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_materializing_stale_and_missing_brings_everything_up_to_date(scenario):
    n, parents, uses_source, rounds = scenario
    code, outputs, source_version = [0] * n, [0] * n, 0
    instance = fr.Instance.ephemeral()
    for bumps, changes, observe_new, partial in rounds:
        for i in bumps:
            code[i] += 1
        for i in changes:
            outputs[i] += 1
        if observe_new:
            source_version += 1
        defs = _build(n, parents, uses_source, code, outputs, source_version)
        fr.observe(defs, instance=instance)
        for i in partial:
            fr.materialize(defs, selection=f"a{i}", instance=instance)
        statuses = fr.get_asset_statuses(defs, instance)
        for status in statuses.values():
            assert (status.status is Status.STALE) == bool(status.causes)
        out_of_date = {k for k, s in statuses.items() if s.status is not Status.UP_TO_DATE}
        if out_of_date:
            result = fr.materialize(
                defs, selection="status:stale or status:missing", instance=instance
            )
            assert {m.asset_key for m in result.get_asset_materialization_events()} == out_of_date
        after = fr.get_asset_statuses(defs, instance)
        assert {s.status for s in after.values()} == {Status.UP_TO_DATE}
