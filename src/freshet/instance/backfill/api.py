"""The public backfill operations: start one, resume a paused one, cancel one, and look one
up by id."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import BackfillPolicy, PartitionKeyRange
from freshet.core.run_config import redact_run_config
from freshet.definitions import Definitions
from freshet.errors import PartitionError, UsageError
from freshet.execution.events import EventListener
from freshet.instance.backfill.driver import Driver, Hooks
from freshet.instance.backfill.plan import plan_runs
from freshet.instance.backfill.record import (
    DATA_VERSION,
    decode_policy,
    decode_subset,
    still_running,
)
from freshet.instance.backfill.request import asset_names, parse_request, selected_keys
from freshet.instance.backfill.results import BackfillOnly, BackfillResult, ProgressCallback
from freshet.instance.backfill.scope import build_scope
from freshet.instance.backfill.targets import apply_only, initial_targets, with_required_neighbors
from freshet.instance.inprocess import check_run_config
from freshet.instance.instance import Instance
from freshet.storage.state_records import BackfillRecord, BackfillStatus


def backfill(
    defs: Definitions,
    selection: Any = None,
    partition_range: PartitionKeyRange | tuple[str, str] | None = None,
    partition_keys: Sequence[str] | None = None,
    instance: Instance | None = None,
    only: BackfillOnly | str | None = None,
    policy: BackfillPolicy | None = None,
    listeners: Sequence[EventListener] = (),
    stop: Callable[[], bool] | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    on_progress: ProgressCallback | None = None,
    run_config: Any = None,
) -> BackfillResult:
    """Materialize `selection` (default: every partitioned asset) over a range of partitions
    (`partition_range=(first, last)`), a list (`partition_keys=[...]`) or, with neither, all
    partitions; `only="missing"` / `"failed"` keeps the partitions in that status.

    The partitions name those of the selection's root assets; downstream assets with another
    partitions definition get the partitions that depend on them. Runs hold one partition
    each, or chunks per the assets' `BackfillPolicy` (or `policy`, for all assets), and run
    in this process after the runs they read from. A failed partition skips only what is
    downstream of it. Progress is stored after every run; when `stop()` returns True between
    runs, or on Ctrl-C, the backfill is left paused for `resume_backfill`. Every problem with
    the request is raised before anything is written."""
    request = parse_request(selection, partition_range, partition_keys, only, policy)
    owned = instance is None
    run_instance = Instance.ephemeral() if instance is None else instance
    try:
        store = run_instance.storage
        chosen = selected_keys(defs, selection, run_instance)
        scope = build_scope(defs, chosen, store, request.policy)
        targets = initial_targets(scope, request.key_range, request.keys)
        targets = apply_only(scope, run_instance, targets, request.only)
        check_run_config(defs, scope.keys, run_config)
        record = BackfillRecord(
            backfill_id=uuid.uuid4().hex[:8],
            status=BackfillStatus.REQUESTED,
            asset_selection=scope.keys,
            partition_keys=request.keys or (),
            tags=dict(tags or {}),
            data={
                "version": DATA_VERSION,
                "request": request.to_json(),
                "failed_runs": [],
                # secrets stay references ({"env": NAME}), resolved again by each run
                "run_config": redact_run_config(run_config),
            },
        )
        hooks = Hooks(listeners=tuple(listeners), stop=stop, on_progress=on_progress)
        driver = Driver(
            scope,
            run_instance,
            record,
            with_required_neighbors(scope, targets),
            hooks,
            run_config=run_config,
        )
        runs = plan_runs(scope, driver.pending())
        store.add_backfill(record)
        return driver.execute(runs)
    finally:
        if owned:
            run_instance.close()


#: the shortest backfill id prefix looked up (ids have 8 characters)
MIN_ID_PREFIX = 4


def get_backfill(instance: Instance, backfill_id: str) -> BackfillRecord:
    """The stored backfill with this id or an unambiguous prefix of it (4+ characters), or an
    error saying how to find the right id; an ambiguous prefix lists what it matches."""
    record = instance.storage.get_backfill(backfill_id)
    if record is not None:
        return record
    matches = []
    if len(backfill_id) >= MIN_ID_PREFIX:
        matches = [
            b for b in instance.storage.get_backfills() if b.backfill_id.startswith(backfill_id)
        ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(b.backfill_id for b in matches)
        raise UsageError(
            f"backfill id prefix {backfill_id!r} is ambiguous: it matches {shown}; give more "
            "characters"
        )
    raise UsageError(
        f"no backfill {backfill_id!r} in the instance at {instance.home or 'memory'}; list "
        "backfills with `freshet backfill list` (and check --home / FRESHET_HOME)"
    )


def resume_backfill(
    defs: Definitions,
    backfill_id: str,
    instance: Instance,
    *,
    listeners: Sequence[EventListener] = (),
    stop: Callable[[], bool] | None = None,
    on_progress: ProgressCallback | None = None,
) -> BackfillResult:
    """Continue a paused backfill with the partitions it has not run yet. Partitions that
    failed stay failed: start a new backfill with `only="failed"` to retry them."""
    record = get_backfill(instance, backfill_id)
    backfill_id = record.backfill_id
    if record.status in (BackfillStatus.CANCELING, BackfillStatus.CANCELED):
        raise UsageError(
            f"backfill {backfill_id} was canceled and cannot be resumed; start a new one for "
            "what is left (e.g. `freshet backfill --select ... --missing`)"
        )
    if record.status in (BackfillStatus.COMPLETED, BackfillStatus.FAILED):
        retry = (
            " retry its failed partitions with `--failed`,"
            if record.status is (BackfillStatus.FAILED)
            else ""
        )
        raise UsageError(
            f"backfill {backfill_id} already finished ({record.status.value}); nothing is left "
            f"to resume:{retry} or start a new backfill"
        )
    pid = still_running(record)
    if pid is not None:
        raise UsageError(
            f"backfill {backfill_id} is still running in process {pid}; wait for it, or stop it "
            f"(Ctrl-C there, or `freshet backfill cancel {backfill_id}`) before resuming"
        )
    graph = defs.get_asset_graph()
    gone = [
        k
        for k in record.asset_selection
        if not graph.has(k) or graph.node(k).partitions_def is None
    ]
    if gone:
        raise UsageError(
            f"backfill {backfill_id} targets {asset_names(gone)}, which these definitions do not "
            "define as partitioned assets; load the definitions the backfill was started with"
        )
    request = record.data.get("request", {})
    policy = decode_policy(request.get("policy"))
    scope = build_scope(defs, record.asset_selection, instance.storage, policy)
    try:
        targets = {
            AssetKey.from_user_string(name): decode_subset(
                scope.definition(AssetKey.from_user_string(name)), encoded, instance.storage
            )
            for name, encoded in record.data.get("targets", {}).items()
        }
    except PartitionError as exc:
        raise PartitionError(
            f"backfill {backfill_id}: its partitions no longer match the definitions ({exc}); "
            "start a new backfill"
        ) from None
    hooks = Hooks(listeners=tuple(listeners), stop=stop, on_progress=on_progress)
    driver = Driver(
        scope, instance, record, targets, hooks, run_config=record.data.get("run_config") or None
    )
    driver.load(record)
    return driver.execute(plan_runs(scope, driver.pending()))


def cancel_backfill(instance: Instance, backfill_id: str) -> BackfillRecord:
    """Mark a backfill canceled. A backfill running in another process stops before its next
    run; one that is paused can no longer be resumed."""
    record = get_backfill(instance, backfill_id)
    backfill_id = record.backfill_id
    if record.status is BackfillStatus.CANCELED:
        return record
    if record.status.is_finished:
        raise UsageError(
            f"backfill {backfill_id} already finished ({record.status.value}); there is nothing "
            "to cancel"
        )
    canceled = replace(record, status=BackfillStatus.CANCELED, updated_at=time.time())
    instance.storage.update_backfill(canceled)
    return canceled
