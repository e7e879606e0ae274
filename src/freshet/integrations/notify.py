"""Alerts on failed runs and late data: a small webhook notifier (JSON, or Slack-compatible
`{"text": ...}`) with retries and a timeout, and ready-made sensors that use it.

    alerts = WebhookNotifier(os.environ["ALERT_WEBHOOK"], slack=True)
    defs = fr.Definitions(
        assets=[...],
        sensors=[
            webhook_freshness_sensor(alerts),     # an asset became late, or recovered
            webhook_run_failure_sensor(alerts),   # a run failed
        ],
    )

A delivery that still fails after its retries raises `NotificationError`: the tick is recorded
as FAILURE with the reason, the sensor's cursor does not move (the next tick tries again), and
the daemon goes on. Only the standard library is used.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any

import freshet as fr


class NotificationError(fr.FreshetError):
    """A webhook could not be reached or refused every attempt."""


@dataclass(frozen=True, slots=True)
class WebhookNotifier:
    """POSTs JSON to `url`; `slack=True` sends `{"text": ...}` as Slack's incoming webhooks
    expect. Each attempt waits at most `timeout` seconds; failures are retried `retries`
    times with a doubling pause starting at `backoff` seconds."""

    url: str
    _: KW_ONLY
    slack: bool = False
    timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.5
    headers: Mapping[str, str] = field(default_factory=dict)
    #: how a pause is taken (tests pass a no-op)
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.startswith(("http://", "https://")):
            raise fr.DefinitionsError(
                f"WebhookNotifier: url must start with http:// or https://, got {self.url!r}"
            )
        if not 0 < self.timeout <= 300 or not 0 <= self.retries <= 10:
            raise fr.DefinitionsError(
                "WebhookNotifier: timeout must be in (0, 300] seconds and retries in 0..10"
            )

    def send(self, payload: Mapping[str, Any], *, text: str | None = None) -> None:
        """Deliver `payload` (or, for Slack, `text`); raise NotificationError if every
        attempt failed."""
        body = {"text": text or json.dumps(payload)} if self.slack else dict(payload)
        data = json.dumps(body, default=str).encode()
        problems = []
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(
                self.url,
                data=data,
                method="POST",
                headers={"Content-Type": "application/json", **self.headers},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    if 200 <= response.status < 300:
                        return
                    problems.append(f"HTTP {response.status}")
            except urllib.error.HTTPError as exc:
                problems.append(f"HTTP {exc.code}")
                if 400 <= exc.code < 500 and exc.code not in (408, 429):
                    break  # the request itself is wrong: retrying will not help
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                problems.append(f"{type(reason).__name__}: {reason}")
        raise NotificationError(
            f"webhook {self.url} failed after {len(problems)} attempt(s): {'; '.join(problems)}"
        )

    # -- messages ---------------------------------------------------------------------------
    def notify_run_failure(self, context: Any) -> None:
        run = context.run
        payload = {
            "event": "run_failure",
            "run_id": run.run_id,
            "job_name": run.job_name,
            "status": run.status.value,
            "tags": dict(run.tags),
            "ended_at": _iso(run.ended_at),
        }
        self.send(payload, text=f":red_circle: run {run.run_id[:8]} of {run.job_name} failed")

    def notify_freshness(self, context: Any) -> None:
        state = context.freshness
        key = context.asset_key.to_user_string()
        payload = {
            "event": "freshness",
            "asset": key,
            "status": state.status.value,
            "previous_status": None
            if context.previous_status is None
            else context.previous_status.value,
            "lag_minutes": state.lag_minutes,
            "late_by_minutes": state.late_by_minutes,
            "data_time": _iso(state.data_time),
            "causes": list(state.causes),
        }
        if state.is_late:
            text = f":warning: {key} is late by {state.late_by_minutes:.0f} min" + (
                f" ({state.causes[-1]})" if state.causes else ""
            )
        else:
            text = f":white_check_mark: {key} is on time again"
        self.send(payload, text=text)


def webhook_run_failure_sensor(
    notifier: WebhookNotifier,
    *,
    name: str = "run_failure_webhook",
    minimum_interval_seconds: int = 30,
    default_status: str = "RUNNING",
) -> Any:
    """A run failure sensor that posts each failed run to `notifier`."""

    def alert(context: Any) -> None:
        notifier.notify_run_failure(context)

    alert.__name__ = name
    return fr.run_failure_sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
    )(alert)


def webhook_freshness_sensor(
    notifier: WebhookNotifier,
    *,
    name: str = "freshness_webhook",
    monitored_assets: Any = None,
    minimum_interval_seconds: int = 60,
    default_status: str = "RUNNING",
) -> Any:
    """A freshness sensor that posts when an asset becomes late and when it recovers."""

    def alert(context: Any) -> None:
        notifier.notify_freshness(context)

    alert.__name__ = name
    return fr.freshness_sensor(
        name=name,
        monitored_assets=monitored_assets,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
    )(alert)


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC).isoformat()
