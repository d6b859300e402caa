"""The `aws` command group: parse options, open the session, create clients, call the library, print.

Sessions and clients are made here and nowhere else. Every command on a cluster
runs in the cluster's region and refuses to run (exit 2) when the credentials
belong to another account than the cluster's `accountId`. Any botocore exception
that escapes a library call still becomes a one-line error here, never a traceback.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import click

from ..aws.backups import apply_policies, apply_tags, backup_status, plan_policies, plan_tags
from ..aws.dns import any_ingress_load_balancer, apply_dns, find_ingress_load_balancer, plan_dns
from ..aws.drift import dns_drift, find_drift
from ..aws.groups import find_group
from ..aws.preflight import run_preflight
from ..aws.restore import apply_restore, finish_restores, plan_restore
from ..aws.scale import SizeChange, apply_scale, edit_sizes, plan_scale
from ..aws.session import (
    NO_CREDENTIALS,
    Identity,
    aws_errors,
    caller_identity,
    make_client,
    open_session,
    require_account,
)
from ..aws.whoami import Whoami, cluster_accounts, pick_region
from ..aws.zone import check_hosted_zone
from ..core.urls import dns_records
from ..errors import FindingsError, UsageError
from ..inputs.model.cluster import Cluster
from ..inputs.pipeline import hub_of, load_cluster
from ..system.project import Project
from .context import Context


class AwsContext:
    """The project plus the --profile and --region every aws command shares."""

    def __init__(self, base: Context, profile: str | None, region: str | None) -> None:
        self.base = base
        self.profile = profile
        self.region = region

    @property
    def project(self) -> Project:
        return self.base.project

    @property
    def profile_label(self) -> str:
        """How a person would name the credentials in use."""
        if self.profile:
            return f"profile {self.profile} (--profile)"
        for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            if os.environ.get(variable):
                return f"profile {os.environ[variable]} ({variable})"
        return "the default credential chain"

    def load(self, name: str) -> Cluster:
        """The validated cluster; a --region other than its own is refused."""
        cluster = load_cluster(self.project, name)
        self.require_region(name, cluster.region, cluster.source_file)
        return cluster

    def require_region(self, name: str, region: str, source_file: str) -> None:
        """Commands on a cluster run in its region; a different --region is a mistake, not a choice."""
        if self.region and self.region != region:
            raise UsageError("", f"{name} is in {region} ({source_file}), not {self.region} (--region)")

    def checked_session(self, cluster: Cluster) -> tuple[boto3.session.Session, Identity]:
        """A session in the cluster's region and its identity; credentials of another account are refused."""
        session = open_session(self.profile, cluster.region)
        identity = caller_identity(make_client(session, "sts"))
        require_account(identity, cluster, self.profile_label)
        return session, identity


class AwsGroup(click.Group):
    """Runs every subcommand inside `aws_errors`, the last net for botocore exceptions."""

    def invoke(self, ctx: click.Context) -> Any:
        with aws_errors("talking to AWS"):
            return super().invoke(ctx)


@click.group(cls=AwsGroup)
@click.option(
    "--profile", help="AWS profile to use (default: AWS_PROFILE, else the default credential chain)."
)
@click.option("--region", help="AWS region; for a cluster it must be the cluster's own region.")
@click.pass_context
def aws(ctx: click.Context, profile: str | None, region: str | None) -> None:
    """Operate on AWS with boto3, keeping cluster.yaml and AWS in agreement."""
    ctx.obj = AwsContext(ctx.obj, profile, region)


@aws.command()
@click.argument("cluster", required=False)
@click.pass_obj
def whoami(actx: AwsContext, cluster: str | None) -> None:
    """Show the profile, account and region AWS commands will use, and which clusters they fit.

    With CLUSTER, the region shown is the cluster's own: every command on it runs there.
    """
    project = actx.project
    names = project.cluster_names()
    if cluster is not None and cluster not in names:
        raise UsageError("CLUSTER", f"no such cluster '{cluster}' (clusters: {', '.join(names) or 'none'})")
    accounts = cluster_accounts(project, names)
    named = next((c for c in accounts if c.name == cluster), None)
    if named is not None and named.region is not None:
        actx.require_region(named.name, named.region, named.source_file)
    session = open_session(actx.profile, (named.region if named else None) or actx.region)
    region, source = pick_region(actx.region, session.region_name, named)
    with aws_errors("reading the credentials"):
        credentials = session.get_credentials()
    if credentials is None:
        raise UsageError("", NO_CREDENTIALS)
    identity = caller_identity(make_client(session, "sts", region_name=region or "us-east-1"))
    report = Whoami(actx.profile_label, credentials.method, identity, region or None, source, accounts)
    for line in report.describe():
        click.echo(line)


@aws.command()
@click.argument("cluster")
@click.argument("nodegroup")
@click.option("--min", "min_size", type=click.IntRange(min=0), help="New minSize.")
@click.option("--max", "max_size", type=click.IntRange(min=0), help="New maxSize.")
@click.option("--desired", type=click.IntRange(min=0), help="New desiredCapacity (also set in AWS).")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.pass_obj
def scale(
    actx: AwsContext,
    cluster: str,
    nodegroup: str,
    min_size: int | None,
    max_size: int | None,
    desired: int | None,
    dry_run: bool,
) -> None:
    """Resize NODEGROUP of CLUSTER in cluster.yaml and in its Auto Scaling group, then re-render."""
    model = actx.load(cluster)
    edit = edit_sizes(actx.project, model, nodegroup, SizeChange(min_size, max_size, desired))
    session, _ = actx.checked_session(model)
    autoscaling = make_client(session, "autoscaling")
    plan = plan_scale(edit, find_group(autoscaling, cluster, model.eksctl_name(nodegroup)))
    for line in plan.describe():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    rendered = apply_scale(actx.project, plan, autoscaling)
    click.echo("AWS already agreed" if plan.aws_agrees else f"updated Auto Scaling group {plan.group_name}")
    if rendered is None:
        click.echo(f"{edit.file} already said so; nothing to render")
        return
    for line in rendered.describe():
        click.echo(line)
    click.echo(f"wrote {edit.file} and re-rendered {cluster}: commit both")


@aws.command()
@click.argument("cluster")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.pass_obj
def drift(actx: AwsContext, cluster: str, output: str) -> None:
    """Compare CLUSTER's node groups and drives with AWS; exit 1 if they differ."""
    model = actx.load(cluster)
    session, identity = actx.checked_session(model)
    report = find_drift(
        model,
        identity.account,
        make_client(session, "autoscaling"),
        make_client(session, "ec2"),
        make_client(session, "dlm") if model.backups is not None else None,
    )
    if model.hosted_zone is not None:
        ingress = any_ingress_load_balancer(
            make_client(session, "elbv2"), make_client(session, "elb"), model.name
        )
        records = dns_drift(model, make_client(session, "route53"), ingress)
        report = replace(report, differences=report.differences + tuple(records))
    if output == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.describe():
            click.echo(line)
    if report.drift:
        raise FindingsError(report.summary)


@aws.command()
@click.argument("cluster")
@click.option(
    "--zone-id",
    default=None,
    help="Route 53 hosted zone that holds the cluster's domain (default: hostedZone.id).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.pass_obj
def dns(actx: AwsContext, cluster: str, zone_id: str | None, dry_run: bool) -> None:
    """CNAME CLUSTER's domain (with urls: host, its wildcard instead) to the nginx-ingress load balancer."""
    model = actx.load(cluster)
    if zone_id is None:
        if model.hosted_zone is None:
            raise UsageError(
                "--zone-id",
                f"is needed: {model.source_file} has no hostedZone (add hostedZone: {{id, name}})",
            )
        zone_id = model.hosted_zone.id
    session, _ = actx.checked_session(model)
    target = find_ingress_load_balancer(
        make_client(session, "elbv2"), make_client(session, "elb"), model.name
    )
    route53 = make_client(session, "route53")
    plans = [
        plan_dns(route53, model, zone_id, target, name) for name in dns_records(model.urls, model.domain)
    ]
    for plan in plans:
        for line in plan.describe():
            click.echo(line)
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    for plan in plans:
        if not plan.up_to_date:
            click.echo(f"change {apply_dns(route53, plan, model.name)}")


@aws.command()
@click.argument("cluster")
@click.pass_obj
def preflight(actx: AwsContext, cluster: str) -> None:
    """Before `eksctl create cluster`: zones, instance type offerings, EBS attachment room; exit 1 on a blocker."""
    model = actx.load(cluster)
    session, identity = actx.checked_session(model)
    report = run_preflight(model, identity, make_client(session, "ec2"))
    if model.hosted_zone is not None:
        # Route 53 Domains answers only in us-east-1.
        domains = make_client(session, "route53domains", region_name="us-east-1")
        zone = check_hosted_zone(model, model.hosted_zone, make_client(session, "route53"), domains)
        report = replace(report, checks=report.checks + tuple(zone))
    for line in report.describe():
        click.echo(line)
    if report.blockers:
        raise FindingsError(report.summary)


@aws.group(cls=AwsGroup)
def backups() -> None:
    """Snapshots of every drive and hub database (Data Lifecycle Manager, by volume tags)."""


@backups.command("tag")
@click.argument("cluster")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.pass_obj
def backups_tag(actx: AwsContext, cluster: str, dry_run: bool) -> None:
    """Give CLUSTER's existing hub volumes their cluster, hub, kind and backup-policy tags."""
    model = actx.load(cluster)
    session, _ = actx.checked_session(model)
    ec2 = make_client(session, "ec2")
    changes = plan_tags(ec2, model)
    for change in changes:
        tags = ", ".join(f"{key}={value}" for key, value in sorted(change.tags.items()))
        click.echo(f"  tag {change.volume} ({change.hub} {change.kind}): {tags}")
    if not changes:
        click.echo(f"{cluster}: every hub volume is tagged as it should be")
    elif dry_run:
        click.echo("dry run: nothing changed")
    else:
        apply_tags(ec2, changes)
        click.echo(f"{cluster}: tagged {len(changes)} volume{'s' if len(changes) != 1 else ''}")


@backups.command("enable")
@click.argument("cluster")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.pass_obj
def backups_enable(actx: AwsContext, cluster: str, dry_run: bool) -> None:
    """Create or update CLUSTER's snapshot policies as cluster.yaml and its hubs say."""
    model = actx.load(cluster)
    if model.backups is None:
        raise UsageError(
            "CLUSTER",
            f"{model.source_file} has no backups block; add one, e.g. backups: {{schedule: daily, keep: 7}}",
        )
    session, identity = actx.checked_session(model)
    dlm = make_client(session, "dlm")
    changes = plan_policies(dlm, model)
    for change in changes:
        click.echo(change.describe())
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    apply_policies(dlm, [c for c in changes if c.action != "unchanged"], identity.account, model.region)
    click.echo(
        f"{cluster}: snapshot policies match {model.source_file}; tag existing volumes with `hubfleet aws backups tag {cluster}`"
    )


@backups.command("status")
@click.argument("cluster")
@click.argument("hub", required=False)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def backups_status(actx: AwsContext, cluster: str, hub: str | None, output: str) -> None:
    """Age, size and count of each hub volume's snapshots; exit 1 when one is stale."""
    model = actx.load(cluster)
    if hub is not None:
        hub_of(model, hub, "HUB")
    session, _ = actx.checked_session(model)
    found = backup_status(make_client(session, "ec2"), model, hub)
    now = datetime.now(UTC)
    stale = [status for status in found if status.stale(now)]
    if output == "json":
        click.echo(json.dumps([status.to_json(now) for status in found], indent=2))
    else:
        click.echo(f"backups of {cluster}:")
        for status in found:
            click.echo(status.describe(now))
    if stale:
        raise FindingsError(
            f"{cluster}: {len(stale)} volume{'s have' if len(stale) != 1 else ' has'} no snapshot younger than twice its schedule"
        )


@backups.command("restore")
@click.argument("cluster")
@click.argument("hub")
@click.option("--snapshot", help="The snapshot to restore (default: the latest).")
@click.option(
    "--before",
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]),
    help="The latest snapshot before this UTC time, e.g. 2026-11-30T18:00.",
)
@click.option("--user", help="Only this user's folder (its name on the drive).")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--done", is_flag=True, help="Finish: remove the hub's restore (render and commit after).")
@click.option("--delete-volume", is_flag=True, help="With --done: also delete the restored volume.")
@click.pass_obj
def backups_restore(
    actx: AwsContext,
    cluster: str,
    hub: str,
    snapshot: str | None,
    before: datetime | None,
    user: str | None,
    dry_run: bool,
    done: bool,
    delete_volume: bool,
) -> None:
    """Restore HUB's drive from a snapshot beside the live one, into restored-<time> folders."""
    model = actx.load(cluster)
    hub_of(model, hub, "HUB")
    if delete_volume and not done:
        raise UsageError("--delete-volume", "only with --done, once the copy is checked")
    session, _ = actx.checked_session(model)
    ec2 = make_client(session, "ec2")
    if done:
        for line in finish_restores(actx.project, ec2, model, hub, delete_volume):
            click.echo(line)
        click.echo(f"run `hubfleet render {cluster}` and commit: the restore's objects go")
        return
    moment = before.replace(tzinfo=UTC) if before else None
    plan = plan_restore(ec2, model, hub, datetime.now(UTC), snapshot, moment, user)
    for line in plan.describe():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    volume, path = apply_restore(actx.project, ec2, plan)
    click.echo(f"made volume {volume}; wrote {actx.project.relative(path)}")
    click.echo(f"run `hubfleet render {cluster}` and commit: Flux runs the copy Job in namespace {hub}")
