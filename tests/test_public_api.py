"""The public API: every name the issue promises is importable from `freshet`."""

import subprocess
import sys

import pytest

import freshet as fr

PROMISED = {
    "AssetKey",
    "asset",
    "AssetIn",
    "AssetDep",
    "multi_asset",
    "AssetSpec",
    "SourceAsset",
    "observable_source_asset",
    "graph_asset",
    "asset_check",
    "AssetCheckResult",
    "AssetCheckSeverity",
    "AssetCheckSpec",
    "op",
    "In",
    "Out",
    "Nothing",
    "DynamicOut",
    "graph",
    "job",
    "define_asset_job",
    "Config",
    "RunConfig",
    "EnvVar",
    "ConfigurableResource",
    "resource",
    "IOManager",
    "ConfigurableIOManager",
    "FilesystemIOManager",
    "InMemoryIOManager",
    "Output",
    "MaterializeResult",
    "DataVersion",
    "MetadataValue",
    "TableSchema",
    "TableColumn",
    "DataType",
    "RetryPolicy",
    "Failure",
    "Definitions",
    "AssetSelection",
    "AssetExecutionContext",
    "OpExecutionContext",
    "build_asset_context",
    "materialize",
    "materialize_to_memory",
    "FreshetError",
    "Instance",
}


def test_all_lists_every_promised_name():
    assert set(fr.__all__) >= PROMISED


def test_every_name_in_all_resolves():
    for name in fr.__all__:
        assert getattr(fr, name) is not None, name


def test_unknown_attribute_raises_attribute_error():
    try:
        fr.not_a_thing  # noqa: B018
    except AttributeError as exc:
        assert "not_a_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_does_not_load_sqlalchemy_or_pydantic():
    code = "import sys, freshet; print('sqlalchemy' in sys.modules, 'pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


PROJECTS = {
    "plain-asset": """
@fr.asset
def one():
    return 1

fr.Definitions(assets=[one])
""",
    "deps-checks-and-plain-resources": """
@fr.resource
def warehouse(context):
    return {}

@fr.asset(deps=["raw"])
def one(warehouse: fr.ResourceParam[dict]):
    return 1

@fr.asset
def two(one):
    return one

@fr.asset_check(asset=two)
def positive(two):
    return fr.AssetCheckResult(passed=two > 0)

fr.Definitions(
    assets=[fr.AssetSpec("raw"), one, two],
    asset_checks=[positive],
    resources={"warehouse": warehouse, "client": object()},
)
fr.RunConfig(ops={"one": {"config": {}}}).to_config_dict()
""",
}


@pytest.mark.parametrize("project", list(PROJECTS.values()), ids=list(PROJECTS))
def test_defining_without_config_classes_does_not_load_pydantic(project):
    loaded = "sorted(m for m in ('pydantic', 'sqlalchemy') if m in sys.modules)"
    code = f"import sys, freshet as fr\n{project}\nprint({loaded})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]"]


def test_defining_a_config_class_loads_pydantic():
    code = (
        "import sys, freshet as fr\n"
        "class Limits(fr.Config):\n    limit: int = 5\n"
        "print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"]


def test_freshet_error_is_root_of_user_errors():
    for name in [
        "DefinitionsError",
        "ConfigError",
        "SelectionError",
        "ExecutionError",
        "PartitionError",
        "StepFailedError",
    ]:
        assert issubclass(getattr(fr, name), fr.FreshetError)
