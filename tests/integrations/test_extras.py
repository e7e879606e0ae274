"""A missing optional library is a FreshetError naming the extra that installs it."""

import pytest

import freshet as fr
from freshet.integrations._extras import require


def test_a_missing_library_names_the_extra_to_install():
    with pytest.raises(fr.FreshetError, match=r"pip install 'freshet\[duckdb\]'") as caught:
        require("freshet_not_a_module", "duckdb", "DuckDBResource")
    assert "DuckDBResource needs the 'freshet_not_a_module' package" in str(caught.value)


def test_an_installed_library_is_returned():
    assert require("json", "none", "tests").dumps([1]) == "[1]"
