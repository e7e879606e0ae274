"""Finding and importing a project's Definitions: -f, -m, [tool.freshet], attributes, and
import failures reported with the user's own frames."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from freshet.errors import CycleError, DefinitionsLoadError
from freshet.workspace.loader import find_origin, load_definitions_at
from freshet.workspace.project import DefinitionsLocation, find_project

ONE_ASSET = """
import freshet as fr

@fr.asset
def numbers():
    return [1, 2, 3]

defs = fr.Definitions(assets=[numbers])
"""


def _keys(defs) -> set[str]:
    return {k.to_user_string() for k in defs.get_asset_graph().all_keys}


def test_python_file_is_loaded_with_its_folder_on_sys_path(write, project):
    write("helpers.py", "NAME = 'from_helper'\n")
    write(
        "defs.py",
        """
        import freshet as fr
        from helpers import NAME

        @fr.asset(name=NAME)
        def anything():
            return 1

        defs = fr.Definitions(assets=[anything])
        """,
    )
    defs = load_definitions_at(DefinitionsLocation(python_file="defs.py"), project)
    assert _keys(defs) == {"from_helper"}


def test_module_is_imported_from_the_working_directory(write, project):
    write("mypkg/__init__.py", "")
    write("mypkg/cli_loader_defs.py", ONE_ASSET)
    defs = load_definitions_at(DefinitionsLocation(module="mypkg.cli_loader_defs"), project)
    assert _keys(defs) == {"numbers"}


@pytest.mark.parametrize(
    ("table", "expected_file", "expected_module"),
    [
        ('python_file = "defs.py"', "defs.py", None),
        ('module = "pkg.defs"', None, "pkg.defs"),
    ],
    ids=["python_file", "module"],
)
def test_pyproject_is_found_from_a_subfolder(write, project, table, expected_file, expected_module):
    write("pyproject.toml", f"[tool.freshet]\n{table}\n")
    (project / "sub" / "deeper").mkdir(parents=True)
    target = find_origin(DefinitionsLocation(), project / "sub" / "deeper")
    assert target.module == expected_module
    if expected_file is not None:
        assert target.python_file == (project / expected_file).resolve()
    else:
        assert target.search_path == project


def test_pyproject_without_freshet_table_is_skipped_for_an_outer_one(write, project):
    write("pyproject.toml", '[tool.freshet]\npython_file = "defs.py"\n')
    write("inner/pyproject.toml", '[project]\nname = "inner"\n')
    found = find_project(project / "inner")
    assert found is not None and found.root == project


def test_command_line_attribute_overrides_pyproject_attribute(write, project):
    write("pyproject.toml", '[tool.freshet]\npython_file = "defs.py"\nattribute = "a"\n')
    target = find_origin(DefinitionsLocation(attribute="b"), project)
    assert target.attribute == "b"


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ('[tool.freshet]\npython_file = "a.py"\nmodule = "b"\n', "not both"),
        ('[tool.freshet]\nfile = "a.py"\n', "unknown key(s) file"),
        ("[tool.freshet]\npython_file = 3\n", "must be a non-empty string"),
        ("[tool.freshet\n", "not valid TOML"),
    ],
    ids=["file-and-module", "unknown-key", "wrong-type", "bad-toml"],
)
def test_invalid_freshet_table_is_reported(write, project, pyproject, message):
    write("pyproject.toml", pyproject)
    with pytest.raises(DefinitionsLoadError, match=r"pyproject\.toml") as info:
        find_origin(DefinitionsLocation(), project)
    assert message in str(info.value)


def test_nothing_to_load_says_how_to_point_at_definitions(project):
    with pytest.raises(DefinitionsLoadError, match=r"\[tool.freshet\]") as info:
        find_origin(DefinitionsLocation(), project)
    assert "-f" in str(info.value) and "-m" in str(info.value)


def test_single_definitions_object_is_picked_even_when_bound_twice(write, project):
    write("defs.py", ONE_ASSET + "\nalias = defs\n")
    defs = load_definitions_at(DefinitionsLocation(python_file="defs.py"), project)
    assert _keys(defs) == {"numbers"}


def test_several_definitions_objects_are_listed(write, project):
    write("defs.py", ONE_ASSET + "\nother = fr.Definitions(assets=[numbers])\n")
    with pytest.raises(DefinitionsLoadError, match=r"2 Definitions objects \(defs, other\)"):
        load_definitions_at(DefinitionsLocation(python_file="defs.py"), project)


def test_attribute_picks_among_several(write, project):
    write("defs.py", ONE_ASSET + "\nother = fr.Definitions(assets=[])\n")
    defs = load_definitions_at(
        DefinitionsLocation(python_file="defs.py", attribute="other"), project
    )
    assert _keys(defs) == set()


@pytest.mark.parametrize(
    ("attribute", "message"),
    [("missing", "has no attribute 'missing'"), ("numbers", "is not a Definitions")],
    ids=["missing", "not-definitions"],
)
def test_bad_attribute_is_reported(write, project, attribute, message):
    write("defs.py", ONE_ASSET)
    location = DefinitionsLocation(python_file="defs.py", attribute=attribute)
    with pytest.raises(DefinitionsLoadError, match=message):
        load_definitions_at(location, project)


def test_file_without_definitions_suggests_adding_one(write, project):
    write("defs.py", "import freshet as fr\n")
    with pytest.raises(
        DefinitionsLoadError, match=r"no Definitions found in .*defs\.py; add `defs ="
    ):
        load_definitions_at(DefinitionsLocation(python_file="defs.py"), project)


def test_missing_file_is_reported(project):
    with pytest.raises(DefinitionsLoadError, match=r"no such file: .*nope\.py"):
        load_definitions_at(DefinitionsLocation(python_file="nope.py"), project)


def test_missing_module_is_reported(project):
    with pytest.raises(DefinitionsLoadError, match="no module named 'cli_loader_absent'"):
        load_definitions_at(DefinitionsLocation(module="cli_loader_absent"), project)


def test_import_error_shows_the_users_frames_only(write, project):
    write("helper.py", "def explode():\n    return 1 / 0\n\nexplode()\n")
    path = write("defs.py", "import freshet as fr\nimport helper\n")
    with pytest.raises(DefinitionsLoadError) as info:
        load_definitions_at(DefinitionsLocation(python_file="defs.py"), project)
    message = str(info.value)
    assert f'File "{path}", line 2' in message
    assert 'helper.py", line 2, in explode' in message
    assert "ZeroDivisionError: division by zero" in message
    assert "importlib" not in message and "loader.py" not in message


def test_syntax_error_shows_file_and_line(write, project):
    path = write("defs.py", "import freshet as fr\n\ndef broken(:\n    pass\n")
    with pytest.raises(DefinitionsLoadError) as info:
        load_definitions_at(DefinitionsLocation(python_file="defs.py"), project)
    assert f'File "{path}", line 3' in str(info.value)
    assert "SyntaxError" in str(info.value)


def test_failed_import_leaves_no_half_imported_module(write, project):
    write("cli_loader_half.py", "x = 1\nraise RuntimeError('no')\n")
    with pytest.raises(DefinitionsLoadError):
        load_definitions_at(DefinitionsLocation(python_file="cli_loader_half.py"), project)
    assert "cli_loader_half" not in sys.modules


def test_freshet_error_while_building_definitions_propagates_as_is(write, project):
    write(
        "defs.py",
        """
        import freshet as fr

        @fr.asset
        def a(b):
            return b

        @fr.asset
        def b(a):
            return a

        defs = fr.Definitions(assets=[a, b])
        """,
    )
    with pytest.raises(CycleError, match="cycle"):
        load_definitions_at(DefinitionsLocation(python_file="defs.py"), project)


def test_relative_python_file_resolves_against_cwd(write, project: Path):
    write("sub/defs.py", ONE_ASSET)
    target = find_origin(DefinitionsLocation(python_file="sub/defs.py"), project)
    assert target.python_file == project / "sub" / "defs.py"
    assert target.search_path == project / "sub"


def test_a_resource_missing_a_required_field_shows_the_users_line_not_pydantics(invoke, write):
    write(
        "defs.py",
        """
        import freshet as fr

        class Warehouse(fr.ConfigurableResource):
            url: str

        @fr.asset
        def one(warehouse: Warehouse):
            return 1

        defs = fr.Definitions(assets=[one], resources={"warehouse": Warehouse()})
        """,
    )
    result = invoke("-f", "defs.py", "check")
    assert result.exit_code == 2
    assert 'resources={"warehouse": Warehouse()}' in result.stderr
    assert "Field required" in result.stderr and "url" in result.stderr
    assert "site-packages" not in result.stderr
    assert "errors.pydantic.dev" not in result.stderr
