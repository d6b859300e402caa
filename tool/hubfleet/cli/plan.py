"""The `hubfleet plan` group: `plan [CLUSTER...]` (what a change does), `plan comment FILE` (post it
on the pull request) and `plan capacity` (per cluster and node group, what the hubs need, the
headroom, the cost).

The capacity figures come from `planning.capacity` and the change's from `planning`; this module only
reads options and lays the results out as text, JSON (one object per cluster, for scripts) or
Markdown (for a pull request or a budget request).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..errors import FindingsError, LocalError, os_error
from ..inputs.pipeline import Scope, load_project
from ..planning.capacity import ClusterPlan, GroupPlan, plan_cluster
from ..planning.changes import plan_changes
from ..planning.github import from_environment, post_plan
from ..planning.report import COMMENT_LIMIT, markdown_report, plan_json, text_report
from ..planning.revisions import WORKTREE
from ..system.files import Refused, read_regular, write_atomic
from .context import Context, pass_context

#: A plan file `plan --format github` writes is cut to COMMENT_LIMIT; anything far larger is not one.
MAX_PLAN = 16 * 1024 * 1024

FORMATS = ("text", "json", "markdown", "github")


@click.command("changes")
@click.argument("clusters", nargs=-1)
@click.option(
    "--base",
    default="main",
    show_default=True,
    help="The revision the change goes into; the plan starts where the head left it (their merge base).",
)
@click.option(
    "--head",
    default=WORKTREE,
    show_default=True,
    help=f"A revision, or `{WORKTREE}`: the files as they are now, committed or not.",
)
@click.option("--format", "output", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--no-expand",
    is_flag=True,
    help="Do not expand changed HelmReleases through their charts (no helm, no chart packages).",
)
@click.option(
    "--artifact",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the whole plan here: JSON for a .json name, Markdown otherwise.",
)
@pass_context
def changes(
    ctx: Context,
    clusters: tuple[str, ...],
    base: str,
    head: str,
    output: str,
    no_expand: bool,
    artifact: Path | None,
) -> None:
    """What the change does to each cluster: objects added, changed and removed (secret values
    never shown), HelmReleases Flux will upgrade, hubs affected, and risk flags. Exit 1 when a
    flag is blocking (a change that would lose data), 2 on bad input or an unknown revision."""
    plan = plan_changes(ctx.project, base, head, clusters, expand=not no_expand)
    if artifact is not None:
        full = (
            json.dumps(plan_json(plan), indent=2) + "\n"
            if artifact.suffix == ".json"
            else markdown_report(plan)
        )
        try:
            write_atomic(artifact, full)
        except OSError as error:
            raise os_error(error, str, "write the plan") from None
    if output == "json":
        click.echo(json.dumps(plan_json(plan), indent=2))
    elif output == "text":
        click.echo("\n".join(text_report(plan)))
    else:
        limit = COMMENT_LIMIT if output == "github" else None
        click.echo(markdown_report(plan, limit, marker=output == "github"), nl=False)
    if plan.blocking:
        count = len(plan.blocking)
        raise FindingsError(f"{count} blocking risk flag{'s' if count != 1 else ''}: see above")


@click.command("comment")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def comment(file: Path) -> None:
    """Post FILE (from `plan --format github`) as the pull request's plan comment, or update the
    one posted before. Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH and GITHUB_API_URL."""
    try:
        body = read_regular(file, MAX_PLAN).decode("utf-8")
    except Refused as refused:
        raise LocalError(str(file), refused.reason) from None
    except UnicodeDecodeError:
        raise LocalError(str(file), "is not UTF-8 text") from None
    click.echo(post_plan(from_environment(), body))


COLUMNS = (
    "group",
    "instance",
    "pods",
    "cpu",
    "memory",
    "pods/node",
    "needed",
    "maxSize",
    "headroom",
    "$/month",
)


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f}"


def _number(value: int | None) -> str:
    return "?" if value is None else str(value)


def group_json(plan: GroupPlan) -> dict[str, Any]:
    group, load = plan.group, plan.load
    return {
        "name": group.name,
        "role": group.role,
        "instanceType": group.instance_type,
        "pods": load.pods,
        "cpuRequests": round(load.cpu_m / 1000, 3),
        "memoryRequestsMiB": load.memory_mib,
        "gpus": load.gpus,
        "ebsVolumes": plan.volumes,
        "podsPerNode": plan.pods_per_node,
        "nodesNeeded": plan.nodes_needed,
        "neededBy": dict(plan.needs),
        "minSize": group.min_size,
        "maxSize": group.max_size,
        "headroom": plan.headroom,
        "cost": plan.monthly_cost,
    }


def cluster_json(plan: ClusterPlan) -> dict[str, Any]:
    return {
        "cluster": plan.cluster.name,
        "region": plan.cluster.region,
        "nodeGroups": [group_json(group) for group in plan.groups],
        "storageGiB": plan.storage_gib,
        "storageCost": plan.storage_cost,
        "controlPlaneCost": plan.control_plane_cost,
        "cost": plan.monthly_cost,
        "prices": plan.price_note,
    }


def _row(plan: GroupPlan) -> list[str]:
    load = plan.load
    return [
        plan.group.name,
        plan.group.instance_type,
        str(load.pods),
        f"{load.cpu_m / 1000:g}",
        f"{load.memory_mib / 1024:.1f}Gi",
        _number(plan.pods_per_node),
        _number(plan.nodes_needed),
        str(plan.group.max_size),
        _number(plan.headroom),
        _money(plan.monthly_cost),
    ]


def _footer(plan: ClusterPlan) -> list[str]:
    unsized = sorted(hub.name for hub in plan.cluster.hubs if hub.active and hub.expected_users == 0)
    note = (
        [
            f"no expectedUsers for {', '.join(unsized)}: their users count as 0 servers here; set expectedUsers "
            "in each hub file (or in hubDefaults) to size the user nodes"
        ]
        if unsized
        else []
    )
    return [
        *note,
        f"storage: {plan.storage_gib} GiB gp3 (drives, hub databases, "
        f"{'monitoring, ' if plan.cluster.monitoring is not None else ''}node disks), "
        f"$ {_money(plan.storage_cost)}/month",
        f"control plane: $ {_money(plan.control_plane_cost)}/month",
        f"total: $ {_money(plan.monthly_cost)}/month at minSize or the nodes needed, whichever is more",
        f"prices: {plan.price_note}",
    ]


def text_lines(plan: ClusterPlan) -> list[str]:
    rows = [list(COLUMNS), *(_row(group) for group in plan.groups)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        f"{plan.cluster.name} ({plan.cluster.region}): requests of every active hub, expectedUsers servers each"
    ]
    lines += [
        "  "
        + "  ".join(
            cell.rjust(width) if i > 1 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return lines + [f"  {line}" for line in _footer(plan)]


def markdown_lines(plan: ClusterPlan) -> list[str]:
    lines = [f"### {plan.cluster.name} ({plan.cluster.region})", "", "| " + " | ".join(COLUMNS) + " |"]
    lines.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(COLUMNS))) + "|")
    lines += ["| " + " | ".join(_row(group)) + " |" for group in plan.groups]
    return [*lines, "", *(f"- {line}" for line in _footer(plan)), ""]


class PlanGroup(click.Group):
    """`hubfleet plan [CLUSTER...]` runs `plan changes`; `plan capacity` and `plan comment` are
    named. (A cluster called like a subcommand is planned with `hubfleet plan changes NAME`.)"""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["changes", *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The group's own options, then those of the default, `plan changes`, which
        `hubfleet plan [CLUSTER...]` takes (--base, --format, ...)."""
        super().format_options(ctx, formatter)
        default = self.commands["changes"]
        rows = [
            record
            for param in default.get_params(ctx)
            if isinstance(param, click.Option)
            and param.name != "help"
            and (record := param.get_help_record(ctx))
        ]
        with formatter.section("Options of `hubfleet plan [CLUSTER...]` (plan changes)"):
            formatter.write_dl(rows)


@click.group(cls=PlanGroup)
def plan() -> None:
    """What a change does to each cluster (the default), what the hubs need (capacity), and the
    pull-request comment."""


plan.add_command(changes)
plan.add_command(comment)


@plan.command("capacity")
@click.argument("clusters", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every cluster (the default when none is named).")
@click.option(
    "--format", "output", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@pass_context
def capacity(ctx: Context, clusters: tuple[str, ...], everything: bool, output: str) -> None:
    """Nodes each node group needs for its hubs, the headroom at maxSize, and the monthly cost."""
    project = ctx.project
    scope = Scope.select(project, clusters, everything, default_all=True)
    plans = [plan_cluster(cluster) for cluster in load_project(project, scope)]
    if output == "json":
        click.echo(json.dumps([cluster_json(p) for p in plans], indent=2))
        return
    for index, cluster_plan in enumerate(plans):
        lines = text_lines(cluster_plan) if output == "text" else markdown_lines(cluster_plan)
        if index and output == "text":
            click.echo("")
        for line in lines:
            click.echo(line)
