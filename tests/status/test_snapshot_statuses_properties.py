"""Property: for random graphs of unpartitioned, daily, static, multi-dimensional and dynamic
assets joined by random (valid) partition mappings, with code-version bumps, changed outputs, source observations and
partial runs, statuses computed from a definitions snapshot (read back from its JSON, so with
no user code behind it) are exactly those computed from the live definitions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import freshet as fr
from freshet.snapshot import DefinitionsSnapshot

DAILY = fr.DailyPartitionsDefinition("2024-01-01", end_date="2024-01-04")
STATIC = fr.StaticPartitionsDefinition(["eu", "us"])
MULTI = fr.MultiPartitionsDefinition({"date": DAILY, "region": STATIC})
DYNAMIC = fr.DynamicPartitionsDefinition("shops")
PARTITIONS = {"none": None, "daily": DAILY, "static": STATIC, "multi": MULTI, "dynamic": DYNAMIC}
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
KEYS = {
    "none": [None],
    "daily": DAYS,
    "static": ["eu", "us"],
    "multi": [f"{day}|{region}" for day in DAYS for region in ("eu", "us")],
    "dynamic": ["s1", "s2"],
}

# mappings that can join an upstream kind to a downstream kind (None: the default)
MAPPINGS = {
    ("none", "none"): [None],
    ("none", "daily"): [None, fr.AllPartitionMapping()],
    ("none", "static"): [None, fr.AllPartitionMapping()],
    ("daily", "none"): [None, fr.AllPartitionMapping(), fr.LastPartitionMapping()],
    ("static", "none"): [
        None,
        fr.LastPartitionMapping(),
        fr.SpecificPartitionsPartitionMapping(["us"]),
    ],
    ("daily", "daily"): [
        None,
        fr.IdentityPartitionMapping(),
        fr.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        fr.TimeWindowPartitionMapping(start_offset=-1, end_offset=0),
        fr.LastPartitionMapping(),
    ],
    ("static", "static"): [
        None,
        fr.StaticPartitionMapping({"eu": "us", "us": ["eu", "us"]}),
        fr.AllPartitionMapping(),
    ],
    ("daily", "static"): [fr.AllPartitionMapping(), fr.LastPartitionMapping()],
    ("static", "daily"): [fr.AllPartitionMapping(), fr.SpecificPartitionsPartitionMapping(["eu"])],
    ("multi", "multi"): [None, fr.AllPartitionMapping()],
    ("multi", "static"): [
        None,
        fr.MultiToSingleDimensionPartitionMapping(partition_dimension_name="region"),
    ],
    ("multi", "daily"): [None, fr.MultiToSingleDimensionPartitionMapping()],
    ("static", "multi"): [None, fr.AllPartitionMapping()],
    ("daily", "multi"): [
        None,
        fr.MultiToSingleDimensionPartitionMapping(partition_dimension_name="date"),
    ],
    ("dynamic", "dynamic"): [None, fr.IdentityPartitionMapping(), fr.AllPartitionMapping()],
    ("none", "dynamic"): [None],
    ("dynamic", "none"): [None, fr.LastPartitionMapping()],
}


def _mappings(up: str, down: str) -> list:
    """Every pair can at least depend on all upstream partitions."""
    return MAPPINGS.get((up, down), [fr.AllPartitionMapping()])


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    # partitioned assets and their mappings are where a snapshot could go wrong: favour them
    kinds = [
        draw(st.sampled_from(["none", "daily", "daily", "static", "multi", "dynamic"]))
        for _ in range(n)
    ]
    deps = []
    for i in range(n):
        parents = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        deps.append(
            [(p, draw(st.sampled_from(range(len(_mappings(kinds[p], kinds[i])))))) for p in parents]
        )
    uses_source = [draw(st.booleans()) for _ in range(n)]
    cell = st.integers(0, n - 1).flatmap(
        lambda i: st.tuples(st.just(i), st.sampled_from(KEYS[kinds[i]]))
    )
    rounds = draw(
        st.lists(
            st.tuples(
                st.lists(st.integers(0, n - 1), max_size=2),  # code version bumps
                st.lists(cell, max_size=2),  # changed outputs
                st.booleans(),  # new source observation
                st.booleans(),  # run every asset partition first
                st.lists(cell, max_size=4),  # runs of one asset partition
            ),
            min_size=1,
            max_size=3,
        )
    )
    return n, kinds, deps, uses_source, rounds


def _build(n, kinds, deps, uses_source, code, outputs, source_version):
    @fr.observable_source_asset(name="src")
    def src():
        return fr.DataVersion(str(source_version))

    assets = [src]
    for i in range(n):
        asset_deps = [
            fr.AssetDep(f"a{p}", partition_mapping=_mappings(kinds[p], kinds[i])[m])
            for p, m in deps[i]
        ] + (["src"] if uses_source[i] else [])
        assets.append(
            fr.asset(
                name=f"a{i}",
                deps=asset_deps,
                code_version=str(code[i]),
                partitions_def=PARTITIONS[kinds[i]],
            )(_returning(outputs, i))
        )
    return fr.Definitions(assets=assets)


def _returning(outputs, i):
    def compute(context: fr.AssetExecutionContext):
        key = context.partition_key if context.has_partition_key else None
        return outputs.get((i, key), 0)

    return compute


def _partition_view(result):
    return (
        sorted(result.stale),
        sorted(result.missing),
        sorted(result.up_to_date),
        result.causes,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_statuses_from_a_snapshot_equal_statuses_from_the_definitions(scenario):
    n, kinds, deps, uses_source, rounds = scenario
    code, outputs, source_version = [0] * n, {}, 0
    instance = fr.Instance.ephemeral()
    instance.add_dynamic_partitions("shops", ["s1", "s2"])
    for bumps, changes, observe_new, everything, runs in rounds:
        for i in bumps:
            code[i] += 1
        for cell in changes:
            outputs[cell] = outputs.get(cell, 0) + 1
        source_version += observe_new
        defs = _build(n, kinds, deps, uses_source, code, outputs, source_version)
        fr.observe(defs, instance=instance)
        if everything:
            runs = [(i, key) for i in range(n) for key in KEYS[kinds[i]]] + runs
        for i, key in runs:
            fr.materialize(defs, selection=f"a{i}", partition_key=key, instance=instance)
        snapshot = DefinitionsSnapshot.from_json(
            DefinitionsSnapshot.from_definitions(defs).to_json()
        )

        assert fr.get_asset_statuses(snapshot, instance) == fr.get_asset_statuses(defs, instance)
        selection = "status:stale or status:missing"
        assert fr.get_asset_statuses(snapshot, instance, selection) == fr.get_asset_statuses(
            defs, instance, selection
        )
        for i in range(n):
            if kinds[i] == "none":
                continue
            live = fr.get_partition_statuses(defs, instance, f"a{i}")
            from_snapshot = fr.get_partition_statuses(snapshot, instance, f"a{i}")
            assert _partition_view(from_snapshot) == _partition_view(live)
            assert (
                fr.get_partition_status(snapshot, instance, f"a{i}").counts()
                == fr.get_partition_status(defs, instance, f"a{i}").counts()
            )
