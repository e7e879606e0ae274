"""A workspace host loads each code location in its own process, reads its snapshot, and keeps
working when one location is broken; it never imports the user's code itself."""

from __future__ import annotations

import os
import sys
import time

import pytest

import freshet as fr
from freshet.workspace.host import LocationStatus
from freshet.workspace.protocol import CodeServerError

TWO_ASSETS = """
import freshet as fr

@fr.asset(group_name="{group}")
def {prefix}_raw():
    return 1

@fr.asset
def {prefix}_clean({prefix}_raw):
    return {prefix}_raw + 1

defs = fr.Definitions(assets=[{prefix}_raw, {prefix}_clean])
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_locations_load_side_by_side_and_the_host_never_imports_user_code(
    write, origin_of, start_host
):
    a = write("team_a/ws_host_team_a.py", TWO_ASSETS.format(group="a", prefix="a"))
    b = write("team_b/ws_host_team_b.py", TWO_ASSETS.format(group="b", prefix="b"))
    host = start_host([origin_of(a, "team_a"), origin_of(b, "team_b")])
    entries = host.locations
    assert [e.status for e in entries.values()] == [LocationStatus.LOADED] * 2
    assert entries["team_a"].counts["assets"] == 2
    keys = {node.key.to_user_string() for node in entries["team_b"].snapshot.assets}
    assert keys == {"b_raw", "b_clean"}
    assert entries["team_a"].pid != entries["team_b"].pid != os.getpid()
    assert "ws_host_team_a" not in sys.modules
    assert "ws_host_team_b" not in sys.modules
    assert host.problems() == []


def test_a_broken_location_reports_the_users_traceback_and_the_others_serve(
    write, origin_of, start_host
):
    good = write("good.py", TWO_ASSETS.format(group="g", prefix="g"))
    bad = write(
        "bad.py",
        """
        import freshet as fr

        def helper():
            return {}["missing_setting"]

        VALUE = helper()
        """,
    )
    host = start_host([origin_of(good), origin_of(bad)])
    assert host.location("good").status is LocationStatus.LOADED
    broken = host.location("bad")
    assert broken.status is LocationStatus.FAILED
    assert "KeyError: 'missing_setting'" in broken.error
    assert 'return {}["missing_setting"]' in broken.error
    assert "freshet/workspace" not in broken.error  # only the user's frames
    assert broken.snapshot is None


def test_a_location_that_hangs_at_load_is_stopped_after_the_timeout(write, origin_of, start_host):
    slow = write("slow.py", "import time\ntime.sleep(60)\n")
    started = time.monotonic()
    host = start_host([origin_of(slow)], load_timeout=1.0)
    assert time.monotonic() - started < 30
    entry = host.location("slow")
    assert entry.status is LocationStatus.FAILED
    assert "did not load within 1 s" in entry.error
    assert "FRESHET_LOCATION_LOAD_TIMEOUT" in entry.error


def test_a_location_whose_process_dies_at_load_says_how_it_died(write, origin_of, start_host):
    dying = write(
        "dying.py",
        "import os, signal, sys\nprint('about to go', file=sys.stderr, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    host = start_host([origin_of(dying)])
    entry = host.location("dying")
    assert entry.status is LocationStatus.FAILED
    assert "killed by signal SIGKILL" in entry.error
    assert "about to go" in entry.error


def test_reload_picks_up_code_changes_without_touching_other_locations(
    write, origin_of, start_host
):
    path = write("changing.py", TWO_ASSETS.format(group="c", prefix="c"))
    other = write("other.py", TWO_ASSETS.format(group="o", prefix="o"))
    host = start_host([origin_of(path), origin_of(other)])
    first_pid = host.location("changing").pid
    other_pid = host.location("other").pid
    path.write_text(
        path.read_text() + "\n@fr.asset\ndef c_extra():\n    return 3\n"
        "defs = fr.Definitions(assets=[c_raw, c_clean, c_extra])\n"
    )
    reloaded = host.reload("changing")
    assert reloaded.status is LocationStatus.LOADED
    assert reloaded.counts["assets"] == 3
    assert reloaded.pid != first_pid
    deadline = time.monotonic() + 10
    while _alive(first_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(first_pid)
    assert host.location("other").pid == other_pid


def test_an_asset_defined_in_two_locations_names_both(write, origin_of, start_host):
    one = write("one/defs_one.py", TWO_ASSETS.format(group="x", prefix="shared"))
    two = write("two/defs_two.py", TWO_ASSETS.format(group="y", prefix="shared"))
    host = start_host([origin_of(one, "one"), origin_of(two, "two")])
    problems = host.problems()
    assert len(problems) == 2
    assert "asset 'shared_clean' is defined in 2 code locations: one, two" in problems[0]


def test_a_code_server_of_another_protocol_version_is_refused(
    write, origin_of, start_host, tmp_path
):
    defs = write("defs.py", TWO_ASSETS.format(group="p", prefix="p"))
    fake_python = write(
        "fake_python.py",
        f"""
        #!{sys.executable}
        import json, os, sys
        fd = int(sys.argv[sys.argv.index("--announce-fd") + 1])
        os.write(fd, json.dumps({{"freshet_code_server": {{"protocol": 99}}}}).encode() + b"\\n")
        """,
    )
    fake_python.chmod(0o755)
    host = start_host([origin_of(defs, executable_path=str(fake_python))])
    entry = host.location("defs")
    assert entry.status is LocationStatus.FAILED
    assert "speaks protocol version 99" in entry.error
    assert "install the same freshet version" in entry.error


def test_closing_the_host_stops_its_code_servers(write, origin_of, start_host):
    path = write("stopping.py", TWO_ASSETS.format(group="s", prefix="s"))
    host = start_host([origin_of(path)])
    pid = host.location("stopping").pid
    assert _alive(pid)
    host.close()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_unknown_location_names_the_known_ones(write, origin_of, start_host):
    path = write("known.py", TWO_ASSETS.format(group="k", prefix="k"))
    host = start_host([origin_of(path)])
    with pytest.raises(
        CodeServerError, match=r"no code location named 'nope' \(locations: known\)"
    ):
        host.location("nope")


def test_user_defined_partition_mappings_are_answered_by_their_code_location(
    write, origin_of, start_host
):
    path = write(
        "mapped.py",
        """
        import freshet as fr
        from freshet.core.partitions.mappings import PartitionMapping

        class PreviousDay(PartitionMapping):
            def problem_with(self, upstream_def, downstream_def):
                return None

            def _upstream(self, subset, up, down, ctx):
                return up.subset_for_keys(
                    up.partition_key_at(up.key_order(k) - 1) for k in subset
                )

            def _downstream(self, subset, up, down, ctx):
                return down.subset_for_keys(
                    down.partition_key_at(down.key_order(k) + 1) for k in subset
                )

        daily = fr.DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01")

        @fr.asset(partitions_def=daily)
        def up():
            return 1

        @fr.asset(partitions_def=daily, deps=[fr.AssetDep("up", partition_mapping=PreviousDay())])
        def down():
            return 2

        defs = fr.Definitions(assets=[up, down])
        """,
    )
    host = start_host([origin_of(path)])
    graph = host.asset_graph("mapped")
    down_node = graph.node(fr.AssetKey("down"))
    daily = down_node.partitions_def
    mapping = down_node.partition_mapping_for(fr.AssetKey("up"))
    asked = daily.subset_for_keys(["2024-01-05", "2024-01-10"])
    upstream = mapping.upstream_partitions_for(asked, daily, daily)
    assert sorted(upstream) == ["2024-01-04", "2024-01-09"]
    downstream = mapping.downstream_partitions_for(asked, daily, daily)
    assert sorted(downstream) == ["2024-01-06", "2024-01-11"]
    assert "mapped" not in sys.modules


def test_ticks_are_evaluated_in_the_code_location_with_the_users_errors(
    write, origin_of, start_host, tmp_path
):
    path = write(
        "ticking.py",
        """
        import freshet as fr

        @fr.asset
        def table():
            return 1

        job = fr.define_asset_job("load", selection="table")

        @fr.schedule("0 6 * * *", job=job)
        def morning(context):
            return fr.RunRequest(run_key=context.scheduled_execution_time.strftime("%Y-%m-%d"))

        @fr.sensor(job=job)
        def counting(context):
            context.update_cursor(str(int(context.cursor or 0) + 1))
            return fr.RunRequest(run_key=context.cursor)

        def load_config():
            raise RuntimeError("config service is down")

        @fr.sensor(job=job)
        def broken(context):
            load_config()

        defs = fr.Definitions(assets=[table], jobs=[job], schedules=[morning], sensors=[counting, broken])
        """,
    )
    host = start_host([origin_of(path)], instance_home=tmp_path / "home")
    client = host.client("ticking")
    scheduled = client.tick_schedule("morning", 1714543200.0)  # 2024-05-01 06:00 UTC
    assert [r.run_key for r in scheduled.run_requests] == ["2024-05-01"]
    counted = client.tick_sensor("counting", cursor="4")
    assert counted.cursor == "5" and [r.run_key for r in counted.run_requests] == ["5"]
    with pytest.raises(CodeServerError) as caught:
        client.tick_sensor("broken", cursor=None)
    assert "RuntimeError: config service is down" in str(caught.value)
    assert 'raise RuntimeError("config service is down")' in str(caught.value)
    assert "ticking" not in sys.modules
