"""Partition status: materialized / failed / in progress / missing per partition, and what a
failed attempt after a materialization means."""

import freshet as fr

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11")


class Shelf(fr.IOManager):
    """Keeps values in memory; loading fails while `readable` is False."""

    def __init__(self) -> None:
        self.values: dict = {}
        self.readable = True

    def handle_output(self, context, obj):
        self.values[(tuple(context.get_identifier()))] = obj

    def load_input(self, context):
        if not self.readable:
            raise OSError("shelf unreadable")
        return self.values[tuple(context.get_identifier())]


@fr.asset(partitions_def=DAILY)
def raw(context: fr.AssetExecutionContext):
    return context.partition_key


@fr.asset(partitions_def=DAILY)
def cleaned(raw):
    return raw.upper()


def test_a_failed_attempt_before_the_function_ran_keeps_the_partition_materialized():
    shelf = Shelf()
    defs = fr.Definitions(assets=[raw, cleaned], resources={"io_manager": shelf})
    instance = fr.Instance.ephemeral()
    fr.materialize(defs, partition_key="2024-01-02", instance=instance)
    shelf.readable = False  # loading `raw` fails: cleaned's function never runs
    failed = fr.materialize(
        defs,
        selection="cleaned",
        partition_key="2024-01-02",
        instance=instance,
        raise_on_error=False,
    )
    assert not failed.success

    status = fr.get_partition_status(defs, instance, "cleaned")
    assert list(status.materialized) == ["2024-01-02"]
    assert list(status.latest_attempt_failed) == ["2024-01-02"]
    assert len(status.failed) == 0
    assert status.counts()["latest_attempt_failed"] == 1


def test_a_partition_that_never_materialized_and_failed_is_failed():
    @fr.asset(partitions_def=DAILY)
    def broken(context):
        raise ValueError("bad day")

    defs = fr.Definitions(assets=[broken])
    instance = fr.Instance.ephemeral()
    fr.materialize(defs, partition_key="2024-01-03", instance=instance, raise_on_error=False)
    status = fr.get_partition_status(defs, instance, "broken")
    assert list(status.failed) == ["2024-01-03"]
    assert len(status.materialized) == 0 and len(status.latest_attempt_failed) == 0
    assert "2024-01-03" not in status.missing


def test_a_later_success_clears_the_failed_attempt():
    shelf = Shelf()
    defs = fr.Definitions(assets=[raw, cleaned], resources={"io_manager": shelf})
    instance = fr.Instance.ephemeral()
    fr.materialize(defs, partition_key="2024-01-02", instance=instance)
    shelf.readable = False
    fr.materialize(
        defs,
        selection="cleaned",
        partition_key="2024-01-02",
        instance=instance,
        raise_on_error=False,
    )
    shelf.readable = True
    fr.materialize(defs, selection="cleaned", partition_key="2024-01-02", instance=instance)
    status = fr.get_partition_status(defs, instance, "cleaned")
    assert list(status.materialized) == ["2024-01-02"]
    assert len(status.latest_attempt_failed) == 0
