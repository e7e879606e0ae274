"""A code location's origin is a value any process can store and load again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freshet.errors import DefinitionsLoadError
from freshet.workspace.origin import CodeLocationOrigin, default_location_name


def test_origin_round_trips_through_json(tmp_path: Path):
    origin = CodeLocationOrigin(
        location_name="team_a",
        python_file=tmp_path / "defs.py",
        attribute="defs",
        working_directory=tmp_path,
        executable_path="/usr/bin/python3",
    )
    stored = json.dumps(origin.to_json_dict())
    assert CodeLocationOrigin.from_json_dict(json.loads(stored)) == origin


def test_origin_needs_exactly_one_of_file_module_package(tmp_path: Path):
    with pytest.raises(DefinitionsLoadError, match="exactly one of"):
        CodeLocationOrigin(location_name="x", working_directory=tmp_path)
    with pytest.raises(DefinitionsLoadError, match="exactly one of"):
        CodeLocationOrigin(location_name="x", module="a", package="b", working_directory=tmp_path)


def test_origin_from_a_newer_freshet_is_refused(tmp_path: Path):
    data = CodeLocationOrigin(
        location_name="x", module="pkg", working_directory=tmp_path
    ).to_json_dict()
    data["version"] = 99
    with pytest.raises(DefinitionsLoadError, match="newer freshet"):
        CodeLocationOrigin.from_json_dict(data)


def test_location_names_are_checked(tmp_path: Path):
    with pytest.raises(DefinitionsLoadError, match="not valid"):
        CodeLocationOrigin(location_name="a b/c", module="m", working_directory=tmp_path)


@pytest.mark.parametrize(
    ("given", "expected"),
    [({"python_file": Path("/x/my defs.py")}, "my_defs"), ({"module": "pkg.defs"}, "pkg.defs")],
    ids=["file-stem", "module"],
)
def test_default_location_name(given, expected):
    assert default_location_name(**given) == expected
