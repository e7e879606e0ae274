"""Programs in the style of the multi-asset subsetting, config and testing guides: selected
output names, permissive config, loading an asset's stored value outside a run."""


def test_subsettable_multi_asset_reads_selected_output_names(dg):
    @dg.multi_asset(
        outs={"a": dg.AssetOut(is_required=False), "b": dg.AssetOut(is_required=False)},
        can_subset=True,
    )
    def split(context: dg.AssetExecutionContext):
        for name in sorted(context.op_execution_context.selected_output_names):
            yield dg.Output(name.upper(), output_name=name)

    result = dg.materialize_to_memory([split], selection=["b"])
    assert result.success
    assert result.asset_value("b") == "B"


def test_permissive_config_keeps_undeclared_keys(dg):
    class Loose(dg.PermissiveConfig):
        known: int = 1

    @dg.asset
    def loose(config: Loose):
        return (config.known, dict(config.model_extra or {}))

    result = dg.materialize_to_memory(
        [loose], run_config={"ops": {"loose": {"config": {"known": 2, "extra": "x"}}}}
    )
    assert result.asset_value("loose") == (2, {"extra": "x"})


def test_load_asset_value_after_a_run(dg, tmp_path):
    @dg.asset
    def stored():
        return {"rows": 3}

    defs = dg.Definitions(
        assets=[stored], resources={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path))}
    )
    assert dg.materialize([stored], resources={"io_manager": defs.resources["io_manager"]}).success
    assert defs.load_asset_value(dg.AssetKey("stored")) == {"rows": 3}
