"""`freshet pools ...`: concurrency pools. A step of an asset or op with `pool=NAME` waits for
one of the pool's slots, across all runs and processes of the instance."""

from __future__ import annotations

import click

from freshet.cli.common import ExitCode, echo_json, echo_table, home_path
from freshet.instance.instance import Instance


@click.group("pools")
def command() -> None:
    """Set and list concurrency pool limits."""


@command.command("set")
@click.argument("name")
@click.argument("limit", type=click.IntRange(min=0, max=1_000_000))
@click.pass_context
def set_limit(ctx: click.Context, name: str, limit: int) -> ExitCode:
    """Let at most LIMIT steps of pool NAME run at once."""
    with Instance.from_home(home_path(ctx)) as instance:
        instance.storage.set_pool_limit(name, limit)
    click.echo(f"pool {name}: at most {limit} step(s) at once")
    return ExitCode.OK


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_pools(ctx: click.Context, as_json: bool) -> ExitCode:
    """Each pool with its limit and the steps holding its slots."""
    with Instance.from_home(home_path(ctx)) as instance:
        pools = instance.storage.get_pools()
    if as_json:
        echo_json(
            [
                {
                    "pool": p.pool,
                    "limit": p.limit,
                    "claimed": p.claimed,
                    "slots": [{"run_id": s.run_id, "step_key": s.step_key} for s in p.slots],
                }
                for p in pools
            ]
        )
        return ExitCode.OK
    if not pools:
        click.echo("no pools yet; limit one with `freshet pools set NAME LIMIT`")
        return ExitCode.OK
    echo_table(
        ("POOL", "LIMIT", "IN USE", "HELD BY"),
        [
            (
                p.pool,
                "-" if p.limit is None else str(p.limit),
                str(p.claimed),
                ", ".join(f"{s.run_id[:8]}:{s.step_key}" for s in p.slots),
            )
            for p in pools
        ],
    )
    return ExitCode.OK
