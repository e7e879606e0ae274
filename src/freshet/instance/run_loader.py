"""Rebuilding a run in a worker process from its code location: the `RunLoader` that the
multiprocess and Dask executors send to their workers (it pickles as the origin's JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from freshet.core.builtin_io_managers import FilesystemIOManager
from freshet.core.ops import DEFAULT_IO_MANAGER_KEY
from freshet.definitions import Definitions
from freshet.errors import DefinitionsError, ExecutionError
from freshet.execution.executors.base import LoadedRun
from freshet.execution.plan import (
    PlanKind,
    PlanRef,
    plan_assets,
    plan_from_ref,
    plan_observations,
)
from freshet.workspace.loader import load_definitions
from freshet.workspace.origin import CodeLocationOrigin


@dataclass(frozen=True, slots=True)
class OriginRunLoader:
    """Loads the code location at `origin` (a stored origin, as JSON) and rebuilds the plan
    and resources of the run named by the plan reference and job name."""

    origin: dict[str, Any]

    @classmethod
    def of(cls, origin: CodeLocationOrigin) -> OriginRunLoader:
        return cls(origin.to_json_dict())

    def load(self, plan_ref: PlanRef, job_name: str) -> LoadedRun:
        defs = load_definitions(CodeLocationOrigin.from_json_dict(self.origin))
        return loaded_run(defs, plan_ref, job_name)


def _with_default_io_manager(resources: dict[str, Any]) -> dict[str, Any]:
    resources.setdefault(DEFAULT_IO_MANAGER_KEY, FilesystemIOManager())
    return resources


def loaded_run(defs: Definitions, plan_ref: PlanRef, job_name: str) -> LoadedRun:
    """The run's plan and resources, rebuilt from `defs`: a job's own resources when the run
    is of a job of `defs`, else the definitions' (with the filesystem IO manager as default)."""
    job = None
    try:
        job = defs.get_job_def(job_name)
    except DefinitionsError:
        if plan_ref.kind is PlanKind.GRAPH:
            raise ExecutionError(
                f"the code location has no job {job_name!r} any more; was it changed during "
                "the run?"
            ) from None
    resources = _with_default_io_manager(
        dict(job.resource_defs) if job is not None else defs.resources
    )
    graph = defs.get_asset_graph()
    if plan_ref.kind is PlanKind.GRAPH:
        assert job is not None and job.graph is not None
        return LoadedRun(plan=plan_from_ref(job.graph, plan_ref), resources=resources)
    missing = [k.to_user_string() for k in plan_ref.asset_keys if k not in graph.nodes]
    if missing:
        raise ExecutionError(
            f"the code location has no asset {', '.join(missing)} any more; was it changed "
            "during the run?"
        )
    if plan_ref.kind is PlanKind.OBSERVATIONS:
        plan = plan_observations(graph, plan_ref.asset_keys)
    else:
        plan = plan_assets(graph, plan_ref.asset_keys, include_checks=plan_ref.include_checks)
    return LoadedRun(plan=plan, resources=resources, asset_graph=graph)
