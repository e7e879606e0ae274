"""Finding backfills by id or by an unambiguous prefix of it."""

import pytest

import freshet as fr
from freshet.errors import UsageError
from freshet.instance.backfill import get_backfill
from freshet.storage.state_records import BackfillRecord, BackfillStatus


@pytest.fixture(params=["memory", "sqlite"])
def instance(request, tmp_path):
    opened = (
        fr.Instance.ephemeral()
        if request.param == "memory"
        else fr.Instance.from_home(tmp_path / "home")
    )
    yield opened
    opened.close()


def test_a_unique_prefix_finds_the_backfill_and_an_ambiguous_one_lists_matches(instance):
    for backfill_id in ("a1b2c3d4", "a1b2ffff"):
        instance.storage.add_backfill(
            BackfillRecord(backfill_id=backfill_id, status=BackfillStatus.COMPLETED)
        )
    assert get_backfill(instance, "a1b2c").backfill_id == "a1b2c3d4"
    with pytest.raises(UsageError, match="ambiguous") as caught:
        get_backfill(instance, "a1b2")
    assert "a1b2c3d4" in str(caught.value) and "a1b2ffff" in str(caught.value)


def test_an_unknown_backfill_id_says_how_to_list_them(instance):
    with pytest.raises(UsageError, match="freshet backfill list"):
        get_backfill(instance, "nope")
