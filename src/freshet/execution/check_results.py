"""Asset check evaluations: the AssetCheckResults an asset step returned, and the result of
an @asset_check step; a failed blocking check blocks the step's downstream."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from freshet.core.checks import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec
from freshet.core.keys import AssetKey
from freshet.execution.plan import Step
from freshet.execution.state import RunState
from freshet.execution.step_types import Attempt, StepError, json_metadata
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
    metadata = json_metadata(result.metadata, f"metadata of check {spec.key.to_user_string()!r}")
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
            "metadata": metadata,
        },
    )
    return blocks


def handle_check_step(
    step: Step, state: RunState, key: str, raw: Any, *, complete: bool = True
) -> Attempt:
    """Record what a check step returned or yielded: one AssetCheckResult per check it was
    planned to evaluate (an @asset_check returns exactly one)."""
    check_def = step.check_def
    assert check_def is not None
    results = list(raw) if isinstance(raw, list | tuple) else [raw]
    if not complete and not results:
        return Attempt()
    wrong = [r for r in results if not isinstance(r, AssetCheckResult)]
    if wrong or not results:
        got = type(wrong[0]).__name__ if wrong else "nothing"
        raise StepError(
            f"{key}: a check function returns or yields AssetCheckResult(...) values, got {got}"
        )
    planned = [s for s in check_def.specs if s.key in step.check_keys]
    if len(check_def.specs) == 1:
        if len(results) != 1:
            raise StepError(
                f"{key}: an @asset_check must return one AssetCheckResult, got {len(results)}"
            )
        results = [_for_single(results[0], check_def.specs[0], key)]
    blocked = None
    reported = set()
    for result in results:
        spec = _resolve_check_spec(step, result, key, planned)
        if spec.key in reported:
            raise StepError(f"{key}: two results for check {spec.key.to_user_string()!r}")
        reported.add(spec.key)
        if _emit_check_evaluation(state, key, spec, result):
            blocked = f"blocking check {spec.key.to_user_string()!r} failed"
    missing = [s for s in planned if s.key not in reported]
    if missing and complete and not check_def.can_subset:
        raise StepError(
            f"{key}: returned no AssetCheckResult for "
            f"{', '.join(s.key.to_user_string() for s in missing)}"
        )
    return Attempt(blocked_by=blocked)


def _for_single(result: AssetCheckResult, spec: AssetCheckSpec, key: str) -> AssetCheckResult:
    """The one result of an @asset_check belongs to its check whatever names it carries,
    unless they name another check."""
    named = result.asset_key is not None and AssetKey.from_coercible(result.asset_key)
    if (named and named != spec.asset_key) or (
        result.check_name is not None and result.check_name != spec.name
    ):
        raise StepError(
            f"{key}: returned a result for another check; this function checks "
            f"{spec.key.to_user_string()!r}"
        )
    return replace(result, asset_key=spec.asset_key, check_name=spec.name)
