"""Snapshot codecs for automation values defined in core: freshness policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from freshet.core.automation.freshness_policy import FreshnessPolicy
from freshet.snapshot.values import ValueCodec, register_codec


def _policy_to_json(policy: FreshnessPolicy) -> Mapping[str, Any]:
    return {
        "maximum_lag_minutes": policy.maximum_lag_minutes,
        "cron_schedule": policy.cron_schedule,
        "cron_schedule_timezone": policy.cron_schedule_timezone,
    }


def _policy_from_json(doc: Mapping[str, Any]) -> FreshnessPolicy:
    return FreshnessPolicy(
        maximum_lag_minutes=doc["maximum_lag_minutes"],
        cron_schedule=doc.get("cron_schedule"),
        cron_schedule_timezone=doc.get("cron_schedule_timezone", "UTC"),
    )


register_codec(
    ValueCodec(
        type_name="FreshnessPolicy",
        python_class=FreshnessPolicy,
        to_json=_policy_to_json,
        from_json=_policy_from_json,
    )
)
