"""The command line: parse options, call the library, print. No logic lives here."""

from __future__ import annotations

import importlib
import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from .. import __version__
from ..core.layout import Layout
from ..core.names import PLACEHOLDER_GIT_URL
from ..core.tls import TLS_MODES, TlsMode
from ..errors import FindingsError, HubfleetError, os_error
from ..inputs.bootstrap import describe_bootstrap
from ..inputs.fleet_init import check_first_cluster, check_requirement, init_fleet, requirement
from ..inputs.pipeline import Scope, load_cluster
from ..inputs.scaffold import AUTH_BLOCKS, CertificateAnswers, grow_drive, new_cluster, new_hub, retire_hub
from ..inputs.show import describe_hub, format_text
from ..system.project import Project
from ..write.pipeline import plan_project, render_project
from .context import Context, pass_context
from .hub_check import check_command

#: Commands whose modules pull in heavy libraries (boto3, cryptography, the validators) are
#: imported only when they run, so `render` starts fast.
LAZY_COMMANDS = {
    "aws": "hubfleet.cli.aws:aws",
    "charts": "hubfleet.cli.charts:charts",
    "images": "hubfleet.cli.images:images",
    "keys": "hubfleet.cli.sealing:keys",
    "plan": "hubfleet.cli.plan:plan",
    "seal": "hubfleet.cli.sealing:seal",
    "unseal": "hubfleet.cli.sealing:unseal",
    "upgrade": "hubfleet.cli.upgrade:upgrade",
    "validate": "hubfleet.cli.validate:validate",
}


class LazyGroup(click.Group):
    """A group that imports a command's module the first time the command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module, _, attribute = LAZY_COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        """The one place an error becomes output and an exit code: every HubfleetError is printed
        as it is, on standard error, and ends the process with its code (errors.py's table). The
        last net for what the machine can cause: an OSError that no stage turned into a message of
        its own (a folder made read-only or deleted mid-run, a name too long) is one line naming
        the path, exit 2, never a traceback. A closed pipe stays click's to handle."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise
        except HubfleetError as error:
            report(ctx, error)
        except OSError as error:
            report(ctx, os_error(error, _shown, "read or write a file"))


def report(ctx: click.Context, error: HubfleetError) -> NoReturn:
    """An error for a person: its message as is on standard error, and its exit code."""
    click.echo(error.format_message(), err=True)
    ctx.exit(error.exit_code)


def _shown(path: str) -> str:
    """A path from an OSError as a person in the working folder would type it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hubfleet")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project root (default: the nearest folder upward that holds clusters/).",
)
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """Describe JupyterHub clusters and hubs in YAML; render a Flux GitOps tree."""
    ctx.obj = Context(root)


@main.command()
@click.argument("clusters", nargs=-1)
@click.option(
    "--all",
    "all_clusters",
    is_flag=True,
    help="Render every cluster under clusters/ (the default when none is named).",
)
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if gitops/ differs from a fresh render.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the tree here instead of <root>/gitops.",
)
@pass_context
def render(
    ctx: Context, clusters: tuple[str, ...], all_clusters: bool, check: bool, out: Path | None
) -> None:
    """Render CLUSTERS (default: every cluster, as validate) into gitops/."""
    project = ctx.project
    scope = Scope.select(project, clusters, all_clusters, default_all=True)
    if check:
        plan = plan_project(project, scope, out)
        if not plan.clean:
            lines = "\n".join(plan.describe())
            raise FindingsError(
                f"{plan.display}/ is not what the inputs render to:\n{lines}\nrun `hubfleet render` and commit"
            )
        click.echo(f"{plan.display}/ is up to date ({plan.unchanged} files)")
        return
    plan = render_project(project, scope, out)
    for line in plan.describe():
        click.echo(line)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"rendered {', '.join(scope.names)}: {len(plan.added)} added, {len(plan.changed)} changed, "
        f"{len(plan.removed)} removed, {plan.unchanged} unchanged"
    )


@main.command()
@click.argument("cluster")
@pass_context
def bootstrap(ctx: Context, cluster: str) -> None:
    """Print the `flux bootstrap` command that connects CLUSTER to its tree (flux.url, flux.branch)."""
    loaded = load_cluster(ctx.project, cluster)
    click.echo(describe_bootstrap(loaded, Layout()), nl=False)


def cluster_options(required: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The questions `new cluster` asks, which `init --cluster` asks too."""
    options = [
        click.option("--region", required=required, help="AWS region, e.g. us-west-2."),
        click.option("--domain", required=required, help="Hostname every hub is served under."),
        click.option(
            "--account-id", required=required, help="The 12-digit AWS account that will own the cluster."
        ),
        click.option(
            "--zones",
            default="",
            help="Comma-separated availability zones (default: three zones every account has in the region).",
        ),
        click.option(
            "--core-zone",
            default=None,
            help="Zone of the tools and core nodes and every drive (default: the first).",
        ),
        click.option(
            "--git-url",
            default=PLACEHOLDER_GIT_URL,
            show_default=True,
            help="Repository Flux reconciles from (validate refuses the placeholder).",
        ),
        click.option(
            "--tls",
            "tls_mode",
            type=click.Choice(TLS_MODES),
            default="acme",
            show_default=True,
            help="Where the certificate comes from: Let's Encrypt through cert-manager, or yours, sealed.",
        ),
        click.option(
            "--acme-email", default=None, help="Optional contact for the ACME account (--tls acme)."
        ),
        click.option(
            "--zone-id",
            default=None,
            help="The Route 53 hosted zone that holds the domain, e.g. Z0123456789ABC.",
        ),
        click.option("--zone", default=None, help="That hosted zone's name (default: the domain)."),
    ]

    def apply(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


@main.command("init")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--cluster", "cluster", default=None, help="Scaffold a first cluster of this name too.")
@cluster_options(required=False)
@click.option(
    "--requirement",
    "wanted",
    default=None,
    metavar="SPEC",
    help="What the workflows `pip install` (default: hubfleet==<this version>); e.g. a wheel URL or "
    "`hubfleet @ git+https://...@TAG` where hubfleet is installed from elsewhere than PyPI.",
)
def init_command(
    folder: Path,
    cluster: str | None,
    region: str | None,
    domain: str | None,
    account_id: str | None,
    zones: str,
    core_zone: str | None,
    git_url: str,
    tls_mode: TlsMode,
    acme_email: str | None,
    zone_id: str | None,
    zone: str | None,
    wanted: str | None,
) -> None:
    """Make DIR a fleet repository of your own: clusters/, charts.lock, the validate and plan
    workflows, a README and .gitignore; with --cluster, a first cluster, rendered."""
    check_first_cluster(cluster, {"--region": region, "--domain": domain, "--account-id": account_id})
    done: list[str] = []

    def first_cluster(project: Project) -> None:
        if cluster is None:
            return
        assert region is not None and domain is not None and account_id is not None
        chosen = tuple(zone.strip() for zone in zones.split(",") if zone.strip())
        certificate = CertificateAnswers(tls_mode, acme_email, zone_id, zone)
        path = new_cluster(
            project, cluster, region, domain, account_id, git_url, chosen, core_zone, certificate
        )
        plan = render_project(project, Scope.select(project, (cluster,), False))
        done.append(f"wrote {project.relative(path)} and rendered gitops/ ({len(plan.added)} files)")

    shown = str(folder)
    init_fleet(folder, shown, check_requirement(wanted) if wanted else requirement(), first_cluster)
    click.echo(f"made a fleet in {shown}: clusters/, charts.lock, .github/workflows/, README.md, .gitignore")
    for line in done:
        click.echo(line)
    steps = [f"cd {shlex.quote(shown)}", "git init"]
    if cluster is not None:
        steps += [
            f"edit clusters/{cluster}/cluster.yaml (flux.url above all), then: hubfleet render",
            f"hubfleet new hub {shlex.quote(cluster)} NAME --admin YOU",
        ]
    else:
        steps.append("hubfleet new cluster NAME --region ... --domain ... --account-id ... --zone-id ...")
    click.echo('next (README "From nothing to a running cluster"):')
    for step in steps:
        click.echo(f"  {step}")


@main.group()
def new() -> None:
    """Write a commented cluster or hub file that passes validation as it is."""


@new.command("cluster")
@click.argument("name")
@cluster_options(required=True)
@pass_context
def new_cluster_command(
    ctx: Context,
    name: str,
    region: str,
    domain: str,
    account_id: str,
    zones: str,
    core_zone: str | None,
    git_url: str,
    tls_mode: TlsMode,
    acme_email: str | None,
    zone_id: str | None,
    zone: str | None,
) -> None:
    """Scaffold clusters/NAME/cluster.yaml."""
    wanted = tuple(part.strip() for part in zones.split(",") if part.strip())
    certificate = CertificateAnswers(tls_mode, acme_email, zone_id, zone)
    path = new_cluster(ctx.project, name, region, domain, account_id, git_url, wanted, core_zone, certificate)
    click.echo(f"wrote {ctx.project.relative(path)}; edit it, then: hubfleet render {name}")


@new.command("hub")
@click.argument("cluster")
@click.argument("name")
@click.option("--size", default="40Gi", show_default=True, help="Drive size.")
@click.option(
    "--auth",
    type=click.Choice(list(AUTH_BLOCKS)),
    default="native",
    show_default=True,
    help='Login type; its block has every required field, values to replace marked (README "Logging in").',
)
@click.option("--admin", "admins", multiple=True, help="An admin's user name (repeat for several).")
@click.option(
    "--expected-users",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Users at once at the busiest time (`hubfleet plan capacity` sizes user nodes for them).",
)
@pass_context
def new_hub_command(
    ctx: Context, cluster: str, name: str, size: str, auth: str, admins: tuple[str, ...], expected_users: int
) -> None:
    """Scaffold clusters/CLUSTER/hubs/NAME.yaml."""
    path = new_hub(ctx.project, cluster, name, size, admins, auth, expected_users)
    click.echo(f"wrote {ctx.project.relative(path)}; edit it, then: hubfleet render {cluster}")
    if auth == "native":
        for admin in admins:
            click.echo(
                f"seal {admin}'s initial password: hubfleet seal auth {cluster} {name} --admin {shlex.quote(admin)}"
            )


@main.group()
def hub() -> None:
    """Hub lifecycle."""


hub.add_command(check_command)


@hub.command("show")
@click.argument("cluster")
@click.argument("name")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_context
def hub_show_command(ctx: Context, cluster: str, name: str, output: str) -> None:
    """Show hub NAME: its address, login, what to register with the provider, what is sealed."""
    info = describe_hub(ctx.project, cluster, name)
    if output == "json":
        click.echo(json.dumps(info, indent=2))
        return
    for line in format_text(info):
        click.echo(line)


@main.group()
def drive() -> None:
    """Hub drives."""


@drive.command("grow")
@click.argument("cluster")
@click.argument("hub_name", metavar="HUB")
@click.argument("size")
@pass_context
def drive_grow_command(ctx: Context, cluster: str, hub_name: str, size: str) -> None:
    """Grow HUB's drive to SIZE, such as 200Gi: edit its file and render; Flux grows it online."""
    project = ctx.project
    old, new = grow_drive(project, cluster, hub_name, size)
    plan = render_project(project, Scope.select(project, [cluster], False))
    for line in plan.describe():
        click.echo(line)
    click.echo(
        f"{hub_name}: drive {old} -> {new} in {project.relative(project.hub_file(cluster, hub_name))}; "
        "commit and push: Flux grows the volume and its file system online, servers keep running"
    )


@hub.command("retire")
@click.argument("cluster")
@click.argument("name")
@pass_context
def hub_retire_command(ctx: Context, cluster: str, name: str) -> None:
    """Retire hub NAME: mark it retired and render, so Flux removes JupyterHub and keeps the drive
    and its data. Servers already running are not stopped by that; the command says how."""
    project = ctx.project
    changed = retire_hub(project, cluster, name)
    plan = render_project(project, Scope.select(project, [cluster], False))
    for line in plan.describe():
        click.echo(line)
    state = "retired" if changed else "was already retired"
    click.echo(f"{name} {state}; commit and push. The drive and its data stay.")
    click.echo(
        "Once Flux has removed the hub, stop servers that are still running (JupyterHub leaves them):\n"
        f"  kubectl --namespace {name} delete pods --selector component=singleuser-server"
    )
