from __future__ import annotations

from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
from pydantic import PrivateAttr

from freshet.core.config import ConfigSchemaKind, EnvVar, validate_run_config
from freshet.core.configurable_resources import ConfigurableIOManager, ConfigurableResource
from freshet.core.io_managers import IOManager
from freshet.core.resources import (
    InitResourceContext,
    ResourceDefinition,
    Resources,
    build_init_resource_context,
    build_resources,
    coerce_resource,
    required_resource_keys,
    resource,
    resource_config_schema,
)
from freshet.errors import (
    ConfigError,
    CycleError,
    ExecutionError,
    InvalidDefinitionError,
    MissingResourceError,
)


class Storage(ConfigurableResource):
    bucket: str
    events: ClassVar[list[str]] = []

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self.events.append(f"setup storage {self.bucket}")

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.events.append("teardown storage")


class Warehouse(ConfigurableResource):
    password: str
    port: int = 5432
    _client: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._client = f"client({self.password}, {self.port})"

    def create_resource(self, context: InitResourceContext) -> Any:
        return self._client


class Lake(ConfigurableResource):
    storage: Storage

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self.storage.events.append(f"setup lake on {self.storage.bucket}")

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.storage.events.append("teardown lake")


class NoopIO(IOManager):
    def handle_output(self, context, obj):
        return None

    def load_input(self, context):
        return None


# ---- values and coercion -------------------------------------------------------------------


def test_resources_give_attribute_and_item_access():
    resources = Resources({"db": 1})
    assert resources.db == 1
    assert resources["db"] == 1
    assert "db" in resources
    assert list(resources) == ["db"]


def test_unknown_resource_access_names_the_available_keys():
    resources = Resources({"db": 1})
    with pytest.raises(MissingResourceError, match=r"'cache'.*available: db"):
        resources["cache"]
    with pytest.raises(AttributeError, match="'cache'"):
        resources.cache  # noqa: B018


def test_classes_carry_markers():
    assert Warehouse.__freshet_resource__ is True
    assert Warehouse.__freshet_config__ is True
    assert ConfigurableIOManager.__freshet_io_manager__ is True


@pytest.mark.parametrize(
    "value",
    [5, NoopIO(), {"a": 1}],
    ids=["int", "io-manager-instance", "dict"],
)
def test_plain_objects_become_hardcoded_resources(value):
    coerced = coerce_resource(value)
    assert isinstance(coerced, ResourceDefinition)
    with build_resources({"r": value}) as resources:
        assert resources.r is value


def test_resource_instances_and_definitions_are_kept():
    wh = Warehouse(password="p")
    assert coerce_resource(wh) is wh


def test_resource_class_instead_of_instance_is_rejected():
    with pytest.raises(InvalidDefinitionError, match=r"pass Warehouse\(\.\.\.\)"):
        coerce_resource(Warehouse)


# ---- @resource -----------------------------------------------------------------------------


def test_resource_decorator_with_and_without_arguments():
    @resource
    def plain():
        """A docstring."""
        return 1

    @resource(config_schema={"url": str}, required_resource_keys={"creds"})
    def db(context):
        return context.resource_config["url"]

    assert plain.description == "A docstring."
    assert not plain.takes_context
    assert db.required_resource_keys == frozenset({"creds"})
    assert required_resource_keys(db) == frozenset({"creds"})
    assert resource_config_schema(db).kind is ConfigSchemaKind.FIELDS


def test_resource_function_with_two_parameters_is_rejected():
    with pytest.raises(InvalidDefinitionError, match="at most one argument"):

        @resource
        def bad(a, b):
            return 1


def test_required_resource_keys_as_a_string_is_rejected():
    with pytest.raises(InvalidDefinitionError, match="collection of keys"):
        resource(required_resource_keys="db")(lambda: 1)


def test_resource_definition_can_be_invoked_directly():
    @resource(config_schema={"n": int})
    def doubled(context):
        return context.resource_config["n"] * 2

    assert doubled(build_init_resource_context(config={"n": 2})) == 4


def test_hardcoded_resource_is_its_value():
    value = object()
    with build_resources({"v": ResourceDefinition.hardcoded_resource(value)}) as resources:
        assert resources.v is value


# ---- build_resources: order, config, teardown ---------------------------------------------


def test_only_requested_keys_and_their_requirements_are_initialised():
    events: list[str] = []

    @resource
    def creds():
        events.append("creds")
        return "c"

    @resource(required_resource_keys={"creds"})
    def db(context):
        events.append(f"db with {context.resources.creds}")
        return "db"

    @resource
    def unused():
        events.append("unused")

    with build_resources({"unused": unused, "db": db, "creds": creds}, keys=["db"]) as res:
        assert sorted(res) == ["creds", "db"]
    assert events == ["creds", "db with c"]


def test_generator_resources_tear_down_in_reverse_order_even_on_error():
    events: list[str] = []

    def tracked(name):
        @resource
        def fn():
            events.append(f"open {name}")
            try:
                yield name
            finally:
                events.append(f"close {name}")

        return fn

    with (
        pytest.raises(RuntimeError, match="step failed"),
        build_resources({"a": tracked("a"), "b": tracked("b")}),
    ):
        raise RuntimeError("step failed")
    assert events == ["open a", "open b", "close b", "close a"]


def test_on_init_reports_each_key_with_its_duration():
    timings: list[tuple[str, float]] = []
    with build_resources({"a": 1, "b": 2}, on_init=lambda k, s: timings.append((k, s))):
        pass
    assert [k for k, _ in timings] == ["a", "b"]
    assert all(seconds >= 0 for _, seconds in timings)


def test_failing_init_is_wrapped_naming_the_resource_and_earlier_ones_are_torn_down():
    events: list[str] = []

    @resource
    def first():
        try:
            yield 1
        finally:
            events.append("first closed")

    @resource
    def warehouse():
        raise ConnectionError("connection refused")

    with (
        pytest.raises(ExecutionError) as info,
        build_resources({"first": first, "warehouse": warehouse}),
    ):
        pass
    assert str(info.value) == "resource 'warehouse' failed to initialise: connection refused"
    assert isinstance(info.value.__cause__, ConnectionError)
    assert events == ["first closed"]


def test_failing_teardown_is_wrapped_naming_the_resource():
    @resource
    def flaky():
        yield 1
        raise OSError("disk gone")

    with (
        pytest.raises(ExecutionError, match="resource 'flaky' failed to tear down: disk gone"),
        build_resources({"flaky": flaky}),
    ):
        pass


def test_missing_requirement_names_the_key_and_who_requires_it():
    @resource(required_resource_keys={"creds"})
    def db(context):
        return 1

    with (
        pytest.raises(MissingResourceError, match="'creds' is required by resource 'db'"),
        build_resources({"db": db}),
    ):
        pass
    with (
        pytest.raises(MissingResourceError, match="'nope' is required by this run"),
        build_resources({"db": db}, keys=["nope"]),
    ):
        pass


def test_resource_cycle_is_reported():
    a = resource(required_resource_keys={"b"})(lambda context: 1)
    b = resource(required_resource_keys={"a"})(lambda context: 2)
    with (
        pytest.raises(CycleError, match="a -> b -> a"),
        build_resources({"a": a, "b": b}),
    ):
        pass


def test_function_resource_receives_validated_config_and_defaults():
    @resource(config_schema={"url": str, "pool": int})
    def db(context):
        return context.resource_config

    with build_resources({"db": db}, config={"db": {"url": "u", "pool": "3"}}) as res:
        assert res.db == {"url": "u", "pool": 3}


def test_function_resource_with_missing_config_raises_config_error():
    db = resource(config_schema={"url": str})(lambda context: 1)
    with (
        pytest.raises(ConfigError, match=r"resources\.db\.config: missing required config"),
        build_resources({"db": db}),
    ):
        pass


# ---- ConfigurableResource ------------------------------------------------------------------


def test_configurable_resource_gives_create_resource_value(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_PW", "pw")
    monkeypatch.setenv("FRESHET_TEST_PORT", "99")
    wh = Warehouse(password=EnvVar("FRESHET_TEST_PW"), port=EnvVar("FRESHET_TEST_PORT"))
    with build_resources({"wh": wh}) as res:
        assert res.wh == "client(pw, 99)"
    assert isinstance(wh.password, EnvVar)  # the definition itself never holds the secret


def test_unset_env_var_in_resource_is_a_config_error_with_path(monkeypatch):
    monkeypatch.delenv("FRESHET_TEST_UNSET", raising=False)
    with (
        pytest.raises(ConfigError, match=r"resources\.wh\.config\.password: environment"),
        build_resources({"wh": Warehouse(password=EnvVar("FRESHET_TEST_UNSET"))}),
    ):
        pass


def test_run_config_overrides_resource_fields():
    wh = Warehouse(password="p")
    resolved = validate_run_config(
        {"resources": {"wh": {"config": {"port": 1}}}},
        ops={},
        resources={"wh": resource_config_schema(wh)},
    )
    with build_resources({"wh": wh}, config=resolved.resources) as res:
        assert res.wh == "client(p, 1)"


def test_untouched_resource_instance_is_used_as_is():
    class Counter(ConfigurableResource):
        _count: int = PrivateAttr(default=0)

        def setup_for_execution(self, context):
            self._count += 1

    counter = Counter()
    for _ in range(2):
        with build_resources({"c": counter}) as res:
            assert res.c is counter
    assert counter._count == 2


def test_nested_resources_are_set_up_first_and_torn_down_last(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_BUCKET", "b")
    events: list[str] = []
    monkeypatch.setattr(Storage, "events", events)
    lake = Lake(storage=Storage(bucket=EnvVar("FRESHET_TEST_BUCKET")))
    with build_resources({"lake": lake}) as res:
        assert res.lake.storage.bucket == "b"
    assert events == ["setup storage b", "setup lake on b", "teardown lake", "teardown storage"]


def test_failing_nested_resource_names_its_field():
    class Broken(ConfigurableResource):
        def setup_for_execution(self, context):
            raise ValueError("bad bucket")

    class Holder(ConfigurableResource):
        inner: Broken

    with (
        pytest.raises(ExecutionError, match=r"resource 'h' \(field 'inner'\) failed to init"),
        build_resources({"h": Holder(inner=Broken())}),
    ):
        pass


def test_resource_config_schema_of_instance_is_partial():
    schema = resource_config_schema(Warehouse(password="p"))
    assert not schema.is_required
    assert schema.base_values == {"password": "p", "port": 5432}


def test_custom_yield_for_execution_is_used():
    class Session(ConfigurableResource):
        @contextmanager
        def yield_for_execution(self, context):
            yield "session"

    with build_resources({"s": Session()}) as res:
        assert res.s == "session"


def test_configurable_io_manager_is_its_own_resource_value():
    class Memory(ConfigurableIOManager):
        def handle_output(self, context, obj):
            return None

        def load_input(self, context):
            return "loaded"

    io = Memory()
    with build_resources({"io_manager": io}) as res:
        assert res.io_manager is io
