"""`hubfleet upgrade plan CLUSTER --to X.Y`: can the cluster move to the next Kubernetes minor, and
how (planning/upgrade.py). Exit 0 when every check passes, 1 when one fails, 2 for a target EKS
cannot reach from the cluster's version in one step.

`upgrade start` and `upgrade finish` make the runbook's two input edits (the version with the
retiring generation; then the end of the retirement), in place, keeping the file's comments."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from ..core.kubernetes import minor_step
from ..core.layout import Layout
from ..core.names import UNVERSIONED
from ..errors import FindingsError, UsageError
from ..inputs.edit import EditPath, Scalar, edit_checked, edit_text, remove_text
from ..inputs.pipeline import Scope, load_cluster
from ..planning.upgrade import UpgradePlan, check_line, passed, plan_json, plan_upgrade, text_lines
from ..system.lock import writing_inputs
from ..system.project import Project
from ..system.settings import today
from ..upstream.cache import ChartSource
from .context import Context, pass_context


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
    _require_ok(result)


def _require_ok(result: UpgradePlan) -> None:
    if not result.ok:
        failed = sum(1 for check in result.checks if not passed(check))
        raise FindingsError(
            f"{failed} check{'s' if failed != 1 else ''} failed: fix {'them' if failed != 1 else 'it'} before upgrading"
        )


def _write_checked(project: Project, name: str, change: Callable[[str, str], str]) -> None:
    """Apply `change` to the cluster file's text, and write it only if the cluster loads from the
    new text (held under the inputs lock, so no render or other edit sees it half done)."""
    edit_checked(project, name, project.cluster_file(name), change, version_policy=False)


@upgrade.command("start")
@click.argument("cluster")
@click.option("--to", "target", required=True, help="The Kubernetes minor version to move to, e.g. 1.35.")
@pass_context
def start(ctx: Context, cluster: str, target: str) -> None:
    """Step 1 of `upgrade plan`'s runbook: set kubernetesVersion to TO and nodeGroups.retiring to the
    generation the node groups are in now, once every check passes."""
    project = ctx.project
    [name] = Scope.select(project, (cluster,), False).names
    with writing_inputs(project):
        found = load_cluster(project, name, version_policy=False)
        result = plan_upgrade(project, found, target, ChartSource.from_environment(), today())
        failed = [check_line(check) for check in result.checks if not passed(check)]
        if failed:
            click.echo("\n".join(failed), err=True)
        _require_ok(result)
        # The previous minor as the rules spell it (the input may have written it otherwise).
        retiring = UNVERSIONED if result.running == UNVERSIONED else minor_step(target, -1)
        updates: dict[EditPath, Scalar] = {
            ("kubernetesVersion",): target,
            ("nodeGroups", "retiring"): retiring,
        }
        _write_checked(project, name, lambda text, file: edit_text(text, file, updates))
    click.echo(
        f'{name}: kubernetesVersion "{target}", nodeGroups.retiring "{retiring}" in '
        f"{project.relative(project.cluster_file(name))}. Next: hubfleet render {name}, hubfleet plan, "
        f"commit; then, before merging: {'; '.join(result.steps[1].commands)}"
    )


@upgrade.command("finish")
@click.argument("cluster")
@pass_context
def finish(ctx: Context, cluster: str) -> None:
    """The last step of the runbook: once no hub pod or server runs on the retiring generation's
    nodes (this command does not look at them), remove nodeGroups.retiring, so the ClusterConfig
    lists the current generation only."""
    project = ctx.project
    [name] = Scope.select(project, (cluster,), False).names
    with writing_inputs(project):
        found = load_cluster(project, name, version_policy=False)
        if found.retiring is None:
            raise UsageError(
                "CLUSTER", f"{name} has no node-group generation retiring (nodeGroups.retiring is not set)"
            )
        _write_checked(project, name, lambda text, file: remove_text(text, file, ("nodeGroups", "retiring")))
    config = Layout().eksctl_config(name)
    click.echo(
        f"{name}: nodeGroups.retiring ({found.retiring}) removed from {project.relative(project.cluster_file(name))} "
        f"(hubfleet does not look at the nodes: this is for once no hub pod or server runs on them). Next: hubfleet "
        f"render {name}, hubfleet plan, commit and merge; then eksctl delete nodegroup -f {config} "
        "--only-missing --approve"
    )
