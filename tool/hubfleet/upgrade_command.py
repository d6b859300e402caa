"""`hubfleet upgrade plan CLUSTER --to X.Y`: can the cluster move to the next Kubernetes minor, and
how (upgrade_plan.py). Exit 0 when every check passes, 1 when one fails, 2 for a target EKS
cannot reach from the cluster's version in one step."""

from __future__ import annotations

import json

import click

from .chartcache import ChartSource
from .context import Context, pass_context
from .core.kubernetes import today
from .errors import FindingsError
from .inputs import Scope, load_cluster
from .upgrade_plan import plan_json, plan_upgrade, text_lines


@click.group()
def upgrade() -> None:
    """Kubernetes upgrades: what moving a cluster to the next minor version takes."""


@upgrade.command("plan")
@click.argument("cluster")
@click.option("--to", "target", required=True, help="The Kubernetes minor version to move to, e.g. 1.35.")
@click.option(
    "--format", "output", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@pass_context
def plan(ctx: Context, cluster: str, target: str, output: str) -> None:
    """Check CLUSTER can move to Kubernetes TO (one minor up, supported by EKS and eksctl, every
    chart accepting it, the new core nodes holding every hub) and print the ordered runbook."""
    project = ctx.project
    [name] = Scope.select(project, (cluster,), False).names
    # A cluster whose version the policy now refuses is exactly one to plan an upgrade for.
    found = load_cluster(project, name, version_policy=False)
    result = plan_upgrade(project, found, target, ChartSource.from_environment(), today())
    if output == "json":
        click.echo(json.dumps(plan_json(result), indent=2))
    else:
        click.echo("\n".join(text_lines(result, markdown=output == "markdown")))
    if not result.ok:
        failed = sum(1 for check in result.checks if not check.ok)
        raise FindingsError(
            f"{failed} check{'s' if failed != 1 else ''} failed: fix {'them' if failed != 1 else 'it'} before upgrading"
        )
