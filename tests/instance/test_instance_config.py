"""freshet.yaml: backend choice, PostgreSQL by url or by parts, `{env: NAME}` values, and
every problem reported with its path and what was expected, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from freshet.errors import InstanceConfigError
from freshet.instance.backends import postgres_url
from freshet.instance.config import (
    InstanceConfig,
    PostgresStorageConfig,
    SqliteStorageConfig,
    parse_instance_config,
)
from freshet.instance.queue_config import RunMonitoringConfig, RunQueueConfig, TagConcurrencyLimit

HOME = Path("/home/me/.freshet")
FILE = HOME / "freshet.yaml"
SECRET = "pa:ss@w/rd"
ENV = {"FRESHET_PG_URL": f"postgresql://me:{SECRET}@db:5432/prod", "PGPASSWORD": SECRET}


def parse(text: str, environ: dict[str, str] | None = None) -> InstanceConfig:
    return parse_instance_config(
        yaml.safe_load(text), FILE, HOME, ENV if environ is None else environ
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SqliteStorageConfig()),
        ("storage: {sqlite: {path: db/x.db}}", SqliteStorageConfig(path=HOME / "db" / "x.db")),
        (
            "storage: {sqlite: {path: {env: FRESHET_PG_URL}}}",
            SqliteStorageConfig(path=HOME / ENV["FRESHET_PG_URL"]),
        ),
        (
            "storage: {postgres: {url: {env: FRESHET_PG_URL}}}",
            PostgresStorageConfig(url=ENV["FRESHET_PG_URL"]),
        ),
        (
            "storage: {postgres: {url: 'postgresql://u@h/d'}}",
            PostgresStorageConfig(url="postgresql://u@h/d"),
        ),
        (
            "storage:\n  postgres:\n    host: db\n    port: 6432\n    user: me\n"
            "    password: {env: PGPASSWORD}\n    db: prod\n",
            PostgresStorageConfig(
                host="db", port=6432, user="me", password=SECRET, database="prod"
            ),
        ),
        ("storage: {postgres: {db: prod}}", PostgresStorageConfig(database="prod")),
    ],
    ids=[
        "empty",
        "sqlite-path",
        "sqlite-path-from-env",
        "postgres-url-from-env",
        "postgres-url",
        "postgres-parts",
        "postgres-db-only",
    ],
)
def test_valid_storage_config(text: str, expected: object) -> None:
    assert parse(text).storage == expected


def test_port_may_come_from_the_environment_as_text() -> None:
    config = parse("storage: {postgres: {db: d, port: {env: P}}}", {"P": "6543"})
    assert config.storage == PostgresStorageConfig(database="d", port=6543)


def test_parts_become_a_url_with_the_password_quoted() -> None:
    config = parse(
        "storage: {postgres: {host: db, user: me, password: {env: PGPASSWORD}, db: prod}}"
    )
    url = postgres_url(config.storage)  # type: ignore[arg-type]
    assert (url.host, url.port, url.username, url.password, url.database) == (
        "db",
        5432,
        "me",
        SECRET,
        "prod",
    )
    assert SECRET not in str(url)


def test_secrets_stay_out_of_the_repr() -> None:
    for text in (
        "storage: {postgres: {url: {env: FRESHET_PG_URL}}}",
        "storage: {postgres: {db: prod, password: {env: PGPASSWORD}}}",
    ):
        assert SECRET not in repr(parse(text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("storage: {postgres: {url: x, host: h}}", "storage.postgres: give either url or"),
        ("storage: {postgres: {host: h}}", "storage.postgres.db: missing"),
        ("storage: {postgres: {}}", "storage.postgres: expected url, or host"),
        ("storage: {postgres: {port: 99999, db: d}}", r"storage.postgres.port: expected a port"),
        ("storage: {postgres: {port: five, db: d}}", r"storage.postgres.port: expected a port"),
        ("storage: {postgres: {db: 3}}", "storage.postgres.db: expected a database name, got 3"),
        ("storage: {postgres: {url: {env: NOPE}}}", "environment variable NOPE is not set"),
        ("storage: {postgres: {url: {envv: X}}}", r"expected a value or \{env: VARIABLE_NAME\}"),
        ("storage: {postgres: {uri: x}}", "storage.postgres.uri: unknown key; expected one of"),
        (
            "storage: {postgres: {url: x}, sqlite: {}}",
            "choose one backend, got sqlite and postgres",
        ),
        ("storage: {postgres: [url]}", "storage.postgres: expected a mapping"),
    ],
    ids=[
        "url-and-parts",
        "parts-without-db",
        "empty-postgres",
        "port-out-of-range",
        "port-not-a-number",
        "db-not-text",
        "env-not-set",
        "env-misspelled",
        "unknown-postgres-key",
        "two-backends",
        "postgres-not-a-mapping",
    ],
)
def test_bad_config_names_the_path_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(InstanceConfigError, match=message) as raised:
        parse(text)
    assert str(FILE) in str(raised.value)


def test_a_bad_password_value_is_not_shown() -> None:
    with pytest.raises(InstanceConfigError, match="password: expected a password") as raised:
        parse("storage: {postgres: {db: d, password: '   '}}")
    assert "hidden" in str(raised.value)


def test_run_queue_and_monitoring_config() -> None:
    config = parse(
        "run_queue:\n"
        "  max_concurrent_runs: 4\n"
        "  tag_concurrency_limits:\n"
        "    - {key: team, value: data, limit: 1}\n"
        "    - {key: database, limit: 2}\n"
        "run_monitoring: {worker_heartbeat_timeout_seconds: 2.5, worker_start_timeout_seconds: 9}\n"
    )
    assert config.run_queue == RunQueueConfig(
        max_concurrent_runs=4,
        tag_concurrency_limits=(
            TagConcurrencyLimit(key="team", value="data", limit=1),
            TagConcurrencyLimit(key="database", value=None, limit=2),
        ),
    )
    assert config.run_monitoring == RunMonitoringConfig(
        worker_heartbeat_timeout_seconds=2.5, worker_start_timeout_seconds=9
    )


def test_run_queue_defaults() -> None:
    config = parse("storage: {sqlite: {}}")
    assert config.run_queue == RunQueueConfig(max_concurrent_runs=10)
    assert config.run_monitoring.worker_heartbeat_timeout_seconds == 60


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "run_queue: {max_concurrent_runs: many}",
            "run_queue.max_concurrent_runs: expected a whole",
        ),
        (
            "run_queue: {tag_concurrency_limits: [{key: team, limit: lots}]}",
            r"tag_concurrency_limits\[0\].limit: expected a whole number",
        ),
        ("run_queue: {tag_concurrency_limits: [{key: team}]}", r"\[0\].limit: missing"),
        ("run_queue: {tag_concurrency_limits: team}", "expected a list"),
        ("run_monitoring: {worker_heartbeat_timeout_seconds: -1}", "expected a number >= 0.1"),
        ("run_queue: {max_concurent_runs: 3}", "max_concurent_runs: unknown key"),
    ],
    ids=[
        "max-not-a-number",
        "tag-limit-not-a-number",
        "tag-limit-missing",
        "limits-not-a-list",
        "negative-timeout",
        "misspelled-key",
    ],
)
def test_bad_run_queue_config_names_the_path(text: str, message: str) -> None:
    with pytest.raises(InstanceConfigError, match=message):
        parse(text)


def test_automation_section_sets_the_duty_interval_and_rate_limit(tmp_path: Path) -> None:
    from freshet.instance.config import AutomationConfig, parse_instance_config

    file = tmp_path / "freshet.yaml"
    config = parse_instance_config(
        {"automation": {"interval_seconds": 10, "max_materializations_per_minute": 50}},
        file,
        tmp_path,
        {},
    )
    assert config.automation == AutomationConfig(
        interval_seconds=10.0, max_materializations_per_minute=50
    )
    assert parse_instance_config(None, file, tmp_path, {}).automation.interval_seconds == 30.0
    with pytest.raises(InstanceConfigError, match=r"automation\.every: unknown key"):
        parse_instance_config({"automation": {"every": 5}}, file, tmp_path, {})


def test_schedules_and_sensors_section_sets_tick_concurrency_and_timeout(tmp_path: Path) -> None:
    from freshet.instance.config import SchedulesAndSensorsConfig

    config = parse(
        "schedules_and_sensors: {max_concurrent_ticks: 8, tick_timeout_seconds: 2.5, "
        "max_catchup_ticks: 24}"
    )
    assert config.schedules_and_sensors == SchedulesAndSensorsConfig(
        max_concurrent_ticks=8, tick_timeout_seconds=2.5, max_catchup_ticks=24
    )
    assert parse("storage: {sqlite: {}}").schedules_and_sensors == SchedulesAndSensorsConfig(
        max_concurrent_ticks=4, tick_timeout_seconds=60.0, max_catchup_ticks=1
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schedules_and_sensors: {max_concurrent_ticks: 0}", "expected a whole number >= 1"),
        ("schedules_and_sensors: {max_concurrent_ticks: 2.5}", "expected a whole number"),
        ("schedules_and_sensors: {tick_timeout_seconds: .nan}", "expected a number >= 0.1"),
        ("schedules_and_sensors: {tick_timeout_seconds: '.inf'}", "expected a number >= 0.1"),
        ("schedules_and_sensors: {workers: 3}", r"schedules_and_sensors\.workers: unknown key"),
        ("schedules_and_sensors: {max_catchup_ticks: 5000}", "at most 1000, got 5000"),
    ],
    ids=["zero", "fraction", "nan", "infinite-text", "misspelled-key", "catch-up-too-many"],
)
def test_bad_schedules_and_sensors_config_names_the_path(text: str, message: str) -> None:
    with pytest.raises(InstanceConfigError, match=message):
        parse(text)


def test_the_daemon_ticks_schedules_and_sensors_as_freshet_yaml_says(tmp_path: Path) -> None:
    from freshet.instance.instance import Instance
    from freshet.instance.instigation import InstigationDuty

    (tmp_path / "freshet.yaml").write_text(
        "schedules_and_sensors: {max_concurrent_ticks: 2, tick_timeout_seconds: 5}\n"
    )
    with Instance.from_home(tmp_path) as instance:
        duty = InstigationDuty.for_instance(instance, host=None)  # type: ignore[arg-type]
        assert (duty.max_workers, duty.tick_timeout, duty.max_catchup_ticks) == (2, 5.0, 1)
    with Instance.ephemeral() as instance:
        duty = InstigationDuty.for_instance(instance, host=None)  # type: ignore[arg-type]
        assert (duty.max_workers, duty.tick_timeout) == (4, 60.0)
