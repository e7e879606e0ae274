"""dbt selection syntax resolved on a manifest, one rule per test."""

from __future__ import annotations

import pytest
from dbt_test_manifests import manifest

import freshet as fr
from freshet.integrations.dbt import load_manifest, resolve_selection

ALL = {"countries", "stg_orders", "stg_customers", "revenue"}


def _names(select, exclude=None):
    loaded = load_manifest(manifest())
    return {uid.rsplit(".", 1)[1] for uid in resolve_selection(loaded, select, exclude)}


@pytest.mark.parametrize(
    ("select", "exclude", "expected"),
    [
        ("fqn:*", None, ALL),
        ("stg_orders", None, {"stg_orders"}),
        ("staging", None, {"stg_orders", "stg_customers"}),
        ("shop.marts.revenue", None, {"revenue"}),
        ("stg_*", None, {"stg_orders", "stg_customers"}),
        ("tag:staging", None, {"stg_orders", "stg_customers"}),
        ("tag:staging,tag:daily", None, {"stg_orders"}),
        ("stg_orders countries", None, {"stg_orders", "countries"}),
        ("path:models/marts", None, {"revenue"}),
        ("models/staging/stg_orders.sql", None, {"stg_orders"}),
        ("resource_type:seed", None, {"countries"}),
        ("group:finance", None, {"revenue"}),
        ("config.materialized:table", None, {"revenue"}),
        ("+revenue", None, ALL),
        ("1+revenue", None, {"revenue", "stg_orders", "stg_customers"}),
        ("countries+", None, {"countries", "stg_customers", "revenue"}),
        ("source:app.orders+", None, {"stg_orders", "revenue"}),
        ("@stg_orders", None, {"stg_orders", "revenue", "stg_customers", "countries"}),
        ("fqn:*", "tag:staging", {"countries", "revenue"}),
        ("fqn:*", "stg_customers+", {"countries", "stg_orders"}),
    ],
    ids=[
        "all",
        "name",
        "folder",
        "dotted-fqn",
        "wildcard",
        "tag",
        "intersection",
        "union",
        "path",
        "file-path",
        "resource-type",
        "group",
        "config",
        "all-ancestors",
        "ancestors-depth-1",
        "descendants",
        "source-descendants",
        "at-operator",
        "exclude-tag",
        "exclude-descendants",
    ],
)
def test_selection_rule(select, exclude, expected):
    assert _names(select, exclude) == expected


@pytest.mark.parametrize(
    ("select", "message"),
    [
        ("colour:red", "unknown dbt selector method 'colour'"),
        ("tag:", "has no value"),
        ("@1+revenue", r"'@' cannot be combined with '\+'"),
    ],
    ids=["unknown-method", "empty-value", "at-with-plus"],
)
def test_bad_selector_is_a_selection_error_naming_it(select, message):
    with pytest.raises(fr.SelectionError, match=message):
        _names(select)
