"""Asset check evaluations: the AssetCheckResults an asset step returned, and the result of
an @asset_check step; a failed blocking check blocks the step's downstream."""

from __future__ import annotations

from typing import Any

from freshet.core.checks import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec
from freshet.core.keys import AssetKey
from freshet.core.results import normalize_metadata
from freshet.execution.plan import Step
from freshet.execution.state import RunState
from freshet.execution.step_types import Attempt, StepError
from freshet.storage.records import EventType, LogLevel


def _resolve_check_spec(
    step: Step, result: AssetCheckResult, key: str, specs: list[AssetCheckSpec]
) -> AssetCheckSpec:
    candidates = specs
    if result.asset_key is not None:
        target = AssetKey.from_coercible(result.asset_key)
        candidates = [s for s in candidates if s.asset_key == target]
    if result.check_name is not None:
        candidates = [s for s in candidates if s.name == result.check_name]
    if len(candidates) != 1:
        declared = ", ".join(s.key.to_user_string() for s in specs) or "none"
        raise StepError(
            f"{key}: cannot tell which check an AssetCheckResult belongs to (declared checks: "
            f"{declared}); set asset_key= and check_name= on the result"
        )
    return candidates[0]


def record_check_results(
    step: Step, state: RunState, key: str, results: list[AssetCheckResult], *, complete: bool = True
) -> str | None:
    """Record an asset step's check results; the reason it blocks downstream, if any."""
    specs = list(step.assets_def.check_specs) if step.assets_def is not None else []
    specs = [s for s in specs if s.asset_key in step.asset_keys]
    reported = set()
    blocked = None
    for result in results:
        spec = _resolve_check_spec(step, result, key, specs)
        reported.add(spec.key)
        if _emit_check_evaluation(state, key, spec, result):
            blocked = f"blocking check {spec.key.to_user_string()!r} failed"
    missing = [s for s in specs if s.key not in reported]
    if missing and complete:
        raise StepError(
            f"{key}: declared check(s) {', '.join(s.key.to_user_string() for s in missing)} "
            "but returned no AssetCheckResult for them"
        )
    return blocked


def _emit_check_evaluation(
    state: RunState, key: str, spec: AssetCheckSpec, result: AssetCheckResult
) -> bool:
    """Record the evaluation; True when it is a failed blocking check."""
    where = f"metadata of check {spec.key.to_user_string()!r}"
    try:
        metadata = normalize_metadata(result.metadata or {}, where=where)
    except Exception as exc:
        raise StepError(str(exc)) from exc
    severity = AssetCheckSeverity(result.severity)
    blocks = spec.blocking and not result.passed and severity is AssetCheckSeverity.ERROR
    state.sink.emit(
        EventType.ASSET_CHECK_EVALUATION,
        step_key=key,
        asset_key=spec.asset_key,
        partition=state.partition_key if spec.asset_key in state.partitioned_keys else None,
        level=LogLevel.INFO if result.passed else LogLevel.WARNING,
        message=f"check {spec.key.to_user_string()} {'passed' if result.passed else 'failed'}",
        data={
            "check_name": spec.name,
            "passed": bool(result.passed),
            "severity": severity.value,
            "blocking": spec.blocking,
            "description": result.description,
            "metadata": {name: value.to_json() for name, value in metadata.items()},
        },
    )
    return blocks


def handle_check_step(
    step: Step, state: RunState, key: str, raw: Any, *, complete: bool = True
) -> Attempt:
    """Record what an @asset_check step returned: exactly one AssetCheckResult."""
    assert step.check_def is not None
    results = raw if isinstance(raw, list) else [raw]
    if not complete and not results:
        return Attempt()
    if len(results) != 1 or not isinstance(results[0], AssetCheckResult):
        raise StepError(
            f"{key}: an @asset_check must return one AssetCheckResult, got {type(raw).__name__}"
        )
    blocked = _emit_check_evaluation(state, key, step.check_def.spec, results[0])
    return Attempt(blocked_by=f"blocking check {step.check_def.key} failed" if blocked else None)
