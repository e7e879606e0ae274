"""Executor definitions: used bare or configured by calling them, checked in Definitions and
in the run config's `execution` section."""

import pytest

import freshet as fr
from freshet.core.executors import ExecutorKind, executor_from_run_config


@fr.asset
def one() -> int:
    return 1


def test_bare_executor_has_defaults_and_calling_it_configures_a_copy():
    configured = fr.multiprocess_executor(max_concurrent=4)
    assert configured.setting("max_concurrent") == 4
    assert fr.multiprocess_executor.setting("max_concurrent") is None
    assert fr.dask_executor.setting("n_workers") == 2
    assert fr.dask_executor(address="tcp://h:8786").setting("address") == "tcp://h:8786"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fr.multiprocess_executor(max_concurent=4), "unknown setting 'max_concurent'"),
        (lambda: fr.multiprocess_executor(max_concurrent=0), "must be at least 1"),
        (lambda: fr.multiprocess_executor(max_concurrent="4"), "expected int"),
        (lambda: fr.multiprocess_executor(start_method="thread"), "must be one of fork"),
        (lambda: fr.dask_executor(n_workers=True), "expected int"),
    ],
    ids=["misspelled", "zero", "string", "start-method", "bool"],
)
def test_a_bad_setting_is_a_definitions_error_naming_it(call, message):
    with pytest.raises(fr.DefinitionsError, match=message):
        call()


def test_unknown_executor_value_in_definitions_is_an_error_naming_it():
    with pytest.raises(fr.DefinitionsError, match="unknown executor 'multiproces'"):
        fr.Definitions(assets=[one], executor="multiproces")
    with pytest.raises(fr.DefinitionsError, match=r"use fr\.multiprocess_executor"):
        fr.Definitions(assets=[one], executor="multiprocess")
    with pytest.raises(fr.DefinitionsError, match="42 is not an executor"):
        fr.Definitions(assets=[one], executor=42)


def test_a_jobs_executor_def_is_checked_and_defaults_to_the_definitions_executor():
    with pytest.raises(fr.DefinitionsError, match="job 'j' executor_def: unknown executor 'x'"):
        fr.Definitions(assets=[one], jobs=[fr.define_asset_job("j", "*", executor_def="x")])
    defs = fr.Definitions(
        assets=[one],
        jobs=[
            fr.define_asset_job("plain", "*"),
            fr.define_asset_job("own", "*", executor_def=fr.in_process_executor),
        ],
        executor=fr.multiprocess_executor(max_concurrent=2),
    )
    assert defs.get_job_def("plain").executor_def == fr.multiprocess_executor(max_concurrent=2)
    assert defs.get_job_def("own").executor_def is fr.in_process_executor


def test_run_config_execution_section_names_one_executor_with_its_settings():
    chosen = executor_from_run_config({"multiprocess": {"max_concurrent": 4}})
    assert chosen is not None and chosen.kind is ExecutorKind.MULTIPROCESS
    assert chosen.setting("max_concurrent") == 4
    assert executor_from_run_config({"dask": None}).kind is ExecutorKind.DASK
    assert executor_from_run_config({}) is None


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"multiproces": {}}, "execution.multiproces: unknown executor"),
        ({"multiprocess": {"max_concurrent": -1}}, "execution.multiprocess.max_concurrent"),
        ({"multiprocess": {}, "dask": {}}, "name exactly one executor"),
        ({"dask": {"adress": "x"}}, "unknown setting 'adress'"),
    ],
    ids=["unknown", "negative", "two", "misspelled-setting"],
)
def test_a_bad_execution_section_is_a_config_error_before_the_run_is_recorded(section, message):
    instance = fr.Instance.ephemeral()
    with pytest.raises(fr.ConfigError, match=message):
        fr.materialize([one], instance=instance, run_config={"execution": section})
    assert instance.get_runs() == []


def test_a_backfill_checks_the_execution_section_before_it_is_recorded(tmp_path):
    days = fr.StaticPartitionsDefinition(["a", "b"])

    @fr.asset(partitions_def=days)
    def daily() -> int:
        return 1

    instance = fr.Instance.from_home(tmp_path / "home")
    with pytest.raises(fr.ConfigError, match=r"execution\.multiproces: unknown executor"):
        fr.backfill(
            fr.Definitions(assets=[daily]),
            partition_keys=["a", "b"],
            instance=instance,
            run_config={"execution": {"multiproces": {}}},
        )
    assert instance.get_runs() == []
    instance.close()
