"""The `validate` command: parse options, call the validation pipeline, print the report."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from ..errors import FindingsError, InputError, UsageError
from ..system.settings import CHART_CACHE_ENV, CHART_MIRROR_ENV, HUB_PYTHON_ENV
from ..validate.findings import LAYERS
from ..validate.locations import ENVIRONMENT
from ..validate.output import FORMATS, Format, format_report, input_annotations, input_report
from ..validate.pipeline import Backend, Request, default_jobs, validate_project
from ..validate.shards import shard_clusters, shards_json
from .context import Context, pass_context


@click.command()
@click.argument("clusters", nargs=-1)
@click.option(
    "--schema-location",
    "locations",
    multiple=True,
    envvar=ENVIRONMENT,
    metavar="LOCATION",
    help=(
        "Where object schemas are, as kubeconform's -schema-location (repeatable), instead of the schemas "
        "hubfleet installs (kubernetes-validate's for built-in kinds, Flux's and eksctl's shipped with it). "
        "A folder holding k8s-schemas/, crd-schemas/ and eksctl/ gives all three. "
        f"Default: ${ENVIRONMENT}, else the installed schemas."
    ),
)
@click.option(
    "--ignore-missing-schemas", is_flag=True, help="Warn about objects with no schema instead of failing."
)
@click.option("--format", "style", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--backend",
    type=click.Choice(["auto", "kubeconform", "jsonschema"]),
    default="auto",
    show_default=True,
    help="Object schema checks: kubeconform when on PATH (auto), or jsonschema in process.",
)
@click.option("--jobs", type=click.IntRange(min=1), default=default_jobs, help="helm/kubectl runs at once.")
@click.option(
    "--skip",
    multiple=True,
    type=click.Choice(LAYERS[1:]),
    help="Leave out a layer (repeatable); the summary says so. Never in CI.",
)
@click.option(
    "--chart-mirror",
    envvar=CHART_MIRROR_ENV,
    metavar="URL",
    help=f"One Helm repository to fetch every upstream chart from, instead of each chart's own (${CHART_MIRROR_ENV}).",
)
@click.option(
    "--chart-cache",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=CHART_CACHE_ENV,
    help=f"Where fetched chart packages are kept (${CHART_CACHE_ENV}; default: the XDG cache folder).",
)
@click.option("--offline", is_flag=True, help="Fetch nothing: charts come from the cache only.")
@click.option(
    "--base",
    metavar="REF",
    help="Also fail a change that would lose data against this revision (hubfleet plan's blocking flags).",
)
@click.option(
    "--hub-python",
    envvar=HUB_PYTHON_ENV,
    metavar="PYTHON",
    help=(
        "A Python with the hub image's JupyterHub, KubeSpawner and authenticators (`make hub-venv`: "
        f".venv-hub/bin/python): build every pod of every hub with them and check it (${HUB_PYTHON_ENV})."
    ),
)
@click.option(
    "--fleet",
    is_flag=True,
    help="Only what no `validate CLUSTER` job checks (the shipped charts, a removed cluster's output, "
    "leaks in files of no cluster, --base over every cluster): the fleet-wide job of the sharded workflow.",
)
@click.option(
    "--explain-network",
    metavar="CLUSTER",
    help="Validate CLUSTER and first print who reaches what there: every hub's user pods (built by "
    "KubeSpawner; needs --hub-python) against every drive, hub and proxy API, Prometheus, Alertmanager "
    "and the metadata address, open or closed and why.",
)
@click.option(
    "--shards",
    is_flag=True,
    help='Check nothing: print the clusters to validate as a job matrix, {"cluster": [...]}: with --base, '
    "those the change touches (all when it touches more than inputs, gitops/ and prose).",
)
@pass_context
def validate(
    ctx: Context,
    clusters: tuple[str, ...],
    locations: tuple[str, ...],
    ignore_missing_schemas: bool,
    style: str,
    backend: str,
    jobs: int,
    skip: tuple[str, ...],
    chart_mirror: str | None,
    chart_cache: Path | None,
    offline: bool,
    base: str | None,
    hub_python: str | None,
    fleet: bool,
    explain_network: str | None,
    shards: bool,
) -> None:
    """Check CLUSTERS (default: every cluster and all of gitops/) before Flux sees them.

    Layers: inputs, freshness (render --check), object schemas, the eksctl file, charts (helm lint,
    helm template; with --hub-python, every user's pod built by z2jh's JupyterHub and KubeSpawner), Flux wiring (references, kubectl kustomize), lint (drives, ingress, TLS, leaks).
    Exit 0 when clean, 1 on findings, 2 on usage errors or unreadable input.
    """
    if shards:
        if clusters or fleet:
            raise UsageError("--shards", "lists clusters itself; name no CLUSTER and no --fleet with it")
        click.echo(shards_json(shard_clusters(ctx.project, base)))
        return
    if explain_network is not None:
        if clusters or fleet:
            raise UsageError(
                "--explain-network", "names its one cluster; name no CLUSTER and no --fleet with it"
            )
        if not hub_python:
            raise UsageError(
                "--explain-network",
                "needs --hub-python (or $HUBFLEET_HUB_PYTHON): the user pods are the ones KubeSpawner builds",
            )
        clusters = (explain_network,)
    request = Request(
        clusters=clusters,
        locations=locations,
        ignore_missing_schemas=ignore_missing_schemas,
        backend=cast(Backend, backend),
        jobs=jobs,
        skip=frozenset(skip),
        offline=offline,
        chart_mirror=chart_mirror,
        chart_cache=chart_cache,
        base=base,
        hub_python=hub_python,
        fleet=fleet,
    )
    try:
        report = validate_project(ctx.project, request)
    except InputError as error:
        # Machines reading the output get it in their format too; the exit code stays 2.
        if style == "github":
            click.echo(input_annotations(error.problems), nl=False)
        elif style == "json":
            click.echo(input_report(error.problems), nl=False)
        raise
    if explain_network is not None:
        for _, lines in report.networks:
            click.echo("\n".join(lines))
    click.echo(format_report(report, cast(Format, style)), nl=False)
    if report.failed:
        raise FindingsError(
            f"validation failed: {report.failed} check{'s' if report.failed != 1 else ''} failed"
        )
