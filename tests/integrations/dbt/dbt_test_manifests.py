"""Small literal dbt manifests (the fields freshet reads) for tests that need no dbt run."""

from __future__ import annotations

from typing import Any

PROJECT = "shop"


def node(
    resource_type: str,
    name: str,
    *,
    path: str,
    deps: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    folders = path.split("/")[1:-1]
    return {
        "resource_type": resource_type,
        "name": name,
        "package_name": PROJECT,
        "fqn": [PROJECT, *folders, name],
        "original_file_path": path,
        "description": extra.pop("description", ""),
        "tags": list(tags),
        "config": {"tags": list(tags), "meta": extra.pop("meta", {}), **extra.pop("config", {})},
        "raw_code": extra.pop("raw_code", f"select 1 as {name}"),
        "depends_on": {"nodes": list(deps)},
        **extra,
    }


def manifest(version: int = 12) -> dict[str, Any]:
    m, s = "model.shop.", "seed.shop."
    nodes = {
        s + "countries": node("seed", "countries", path="seeds/countries.csv"),
        m + "stg_orders": node(
            "model",
            "stg_orders",
            path="models/staging/stg_orders.sql",
            deps=("source.shop.app.orders",),
            tags=("staging", "daily"),
            description="Orders, cleaned.",
            meta={"owner": "ana@example.com"},
        ),
        m + "stg_customers": node(
            "model",
            "stg_customers",
            path="models/staging/stg_customers.sql",
            deps=("source.shop.app.customers", s + "countries"),
            tags=("staging",),
        ),
        m + "revenue": node(
            "model",
            "revenue",
            path="models/marts/revenue.sql",
            deps=(m + "stg_orders", m + "stg_customers"),
            group="finance",
            config={"materialized": "table", "group": "finance"},
        ),
        "test.shop.unique_revenue_day.1": node(
            "test",
            "unique_revenue_day",
            path="models/marts/schema.yml",
            deps=(m + "revenue",),
            attached_node=m + "revenue",
            config={"severity": "ERROR"},
        ),
        "test.shop.not_null_stg_orders_id.2": node(
            "test",
            "not_null_stg_orders_id",
            path="models/staging/schema.yml",
            deps=(m + "stg_orders",),
            attached_node=m + "stg_orders",
            config={"severity": "warn"},
        ),
    }
    sources = {
        f"source.shop.app.{table}": {
            "resource_type": "source",
            "name": table,
            "source_name": "app",
            "package_name": PROJECT,
            "fqn": [PROJECT, "staging", "app", table],
            "original_file_path": "models/staging/sources.yml",
            "description": f"The app's {table} table.",
            "tags": [],
            "config": {},
        }
        for table in ("orders", "customers")
    }
    return {
        "metadata": {
            "dbt_schema_version": f"https://schemas.getdbt.com/dbt/manifest/v{version}.json",
            "dbt_version": "1.9.0" if version == 12 else "1.4.0",
            "project_name": PROJECT,
            "adapter_type": "duckdb",
        },
        "nodes": nodes,
        "sources": sources,
        "groups": {
            "group.shop.finance": {"name": "finance", "owner": {"email": "fin@example.com"}}
        },
        "child_map": {},
    }
