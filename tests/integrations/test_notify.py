"""Webhook alerts on failed runs and late data, delivered to a real local HTTP server: JSON or
Slack-style payloads, retries with a timeout, and a clear error when delivery fails."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import freshet as fr
from freshet.instance.sensor_ticks import tick_sensor
from freshet.integrations.notify import (
    NotificationError,
    WebhookNotifier,
    webhook_freshness_sensor,
    webhook_run_failure_sensor,
)


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[dict] = []
        self.failures_left = 0
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append(body)
        status = self.server.status
        if self.server.failures_left:
            self.server.failures_left -= 1
            status = 500
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _notifier(url: str, **options) -> WebhookNotifier:
    return WebhookNotifier(url, sleep=lambda _: None, timeout=2.0, **options)


def test_a_failed_attempt_is_retried(receiver):
    receiver.failures_left = 2
    _notifier(receiver.url, retries=2).send({"hello": "world"})
    assert receiver.bodies == [{"hello": "world"}] * 3


def test_delivery_that_keeps_failing_raises_with_every_reason(receiver):
    receiver.failures_left = 10
    with pytest.raises(NotificationError, match=r"failed after 3 attempt\(s\): HTTP 500; HTTP 500"):
        _notifier(receiver.url, retries=2).send({})


def test_a_client_error_is_not_retried(receiver):
    receiver.status = 404
    with pytest.raises(NotificationError, match=r"after 1 attempt\(s\): HTTP 404"):
        _notifier(receiver.url, retries=3).send({})
    assert len(receiver.bodies) == 1


def test_an_unreachable_webhook_fails_within_its_timeout():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(NotificationError, match="failed after 2 attempt"):
        _notifier(f"http://127.0.0.1:{port}/", retries=1).send({})
    assert time.monotonic() - started < 10


def test_freshness_alerts_post_when_late_and_when_recovered(receiver):
    @fr.asset(freshness_policy=fr.FreshnessPolicy(60))
    def report():
        return 1

    sensor = webhook_freshness_sensor(_notifier(receiver.url, slack=True))
    defs = fr.Definitions(assets=[report], sensors=[sensor])
    instance = fr.Instance.ephemeral()
    fr.materialize(defs, instance=instance)
    now = time.time()
    first = tick_sensor(defs, sensor.name, cursor=None, instance=instance, evaluation_time=now)
    assert receiver.bodies == []
    tick_sensor(
        defs, sensor.name, cursor=first.cursor, instance=instance, evaluation_time=now + 7200
    )
    [late] = receiver.bodies
    assert late["text"].startswith(":warning: report is late by 60 min")


def test_run_failure_alerts_carry_the_run(receiver):
    @fr.asset
    def broken():
        raise RuntimeError("no")

    sensor = webhook_run_failure_sensor(_notifier(receiver.url))
    defs = fr.Definitions(assets=[broken], sensors=[sensor])
    instance = fr.Instance.ephemeral()
    first = tick_sensor(defs, sensor.name, cursor=None, instance=instance)
    time.sleep(0.01)
    result = fr.materialize([broken], instance=instance, raise_on_error=False)
    tick_sensor(defs, sensor.name, cursor=first.cursor, instance=instance)
    [body] = receiver.bodies
    assert (body["event"], body["run_id"], body["status"]) == (
        "run_failure",
        result.run_id,
        "FAILURE",
    )


def test_bad_notifier_settings_are_refused():
    with pytest.raises(fr.DefinitionsError, match="must start with http"):
        WebhookNotifier("ftp://example.com")
