"""Jobs: a graph of ops, or an asset selection, with resources, default config and tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from freshet.core.keys import check_name
from freshet.core.runtime import job_runner

if TYPE_CHECKING:
    from freshet.core.graphs import GraphDefinition


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class JobDefinition:
    """A runnable job. Op jobs have a `graph`; asset jobs have an `asset_selection`
    (resolved against the asset graph when run)."""

    name: str
    graph: GraphDefinition | None = None
    asset_selection: Any = None
    resource_defs: Mapping[str, Any] = field(default_factory=dict)
    #: default run config (a dict), or a ConfigMapping / PartitionedConfig
    config: Any = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    executor_def: Any = None
    partitions_def: Any = None
    #: for asset jobs: the asset graph of the Definitions that resolved this job
    asset_graph: Any = None

    @property
    def is_asset_job(self) -> bool:
        return self.graph is None

    def execute_in_process(
        self,
        run_config: Any = None,
        instance: Any = None,
        resources: Mapping[str, Any] | None = None,
        *,
        raise_on_error: bool = True,
        partition_key: str | None = None,
        tags: Mapping[str, str] | None = None,
        op_selection: Any = None,
        input_values: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run this job in this process (with an ephemeral instance unless one is given);
        `input_values` gives the graph's own inputs."""
        return job_runner()(
            self,
            run_config=run_config,
            instance=instance,
            resources=resources,
            raise_on_error=raise_on_error,
            partition_key=partition_key,
            tags=tags,
            op_selection=op_selection,
            input_values=input_values,
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class UnresolvedAssetJob:
    """`define_asset_job(...)`: a job over an asset selection, resolved by `Definitions`."""

    name: str
    selection: Any
    partitions_def: Any = None
    config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    executor_def: Any = None

    def resolve(self, resource_defs: Mapping[str, Any], asset_graph: Any) -> JobDefinition:
        return JobDefinition(
            asset_graph=asset_graph,
            name=self.name,
            asset_selection=self.selection,
            resource_defs=dict(resource_defs),
            config=dict(self.config),
            tags=dict(self.tags),
            description=self.description,
            executor_def=self.executor_def,
            partitions_def=self.partitions_def,
        )


def define_asset_job(
    name: str,
    selection: Any = "*",
    partitions_def: Any = None,
    config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    executor_def: Any = None,
    run_tags: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    owners: Any = None,
) -> UnresolvedAssetJob:
    """A job that materializes an asset selection (an `AssetSelection`, a selection string,
    or a list of assets/keys). `run_tags` are added to its tags; `metadata` and `owners`
    describe it and do not change a run."""
    return UnresolvedAssetJob(
        name=check_name(name, "job name"),
        selection=selection,
        partitions_def=partitions_def,
        config=dict(config or {}),
        tags={**(tags or {}), **(run_tags or {})},
        description=description,
        executor_def=executor_def,
    )
