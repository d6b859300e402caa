"""`hubfleet hub check CLUSTER HUB`: start a server, use its home, stop it; report each step's time.

The token is the hub's `hubfleet-check` service token, sealed into the cluster with
`hubfleet seal auth CLUSTER HUB --check-token` and given here from a file, standard input or
HUBFLEET_CHECK_TOKEN (never on the command line, where `ps` and shell history would show it).
Exit 0 when every step passed, 1 naming the step that failed and why (an unreachable hub, a
refused token and a server that never becomes ready included).
"""

from __future__ import annotations

import json
import os
from typing import IO

import click

from ..checking.client import HubClient
from ..checking.steps import CheckReport, run_check
from ..core.auth import CHECK_TOKEN, minimum_length
from ..errors import FindingsError, UsageError
from ..inputs.pipeline import hub_of, load_cluster
from .context import Context, pass_context

TOKEN_ENV = "HUBFLEET_CHECK_TOKEN"
#: Seconds any one request may take (the progress stream has the spawn's own deadline).
REQUEST_TIMEOUT = 30.0


def _token(source: IO[str] | None) -> str:
    text = source.read() if source is not None else os.environ.get(TOKEN_ENV, "")
    token = text.strip()
    if not token:
        raise UsageError(
            "--token-file",
            f"give the hubfleet-check token in a file, on standard input (-) or in {TOKEN_ENV}",
        )
    if len(token) < minimum_length(CHECK_TOKEN) or any(c.isspace() for c in token):
        raise UsageError("--token-file", "that is not a check token (one word of 32 characters or more)")
    return token


def text_lines(label: str, report: CheckReport) -> list[str]:
    lines = [f"hub check {label} at {report.url}"]
    for step in report.steps:
        lines.append(
            f"  {step.name:<7} {'ok' if step.ok else 'FAILED':<6} {step.seconds:7.2f} s  {step.detail}"
        )
    lines += [f"  clean-up: {line}" for line in report.cleanup]
    failed = report.failed
    if failed is None:
        lines.append(f"passed: {len(report.steps)} steps in {report.seconds:.2f} s")
    return lines


@click.command("check")
@click.argument("cluster")
@click.argument("name", metavar="HUB")
@click.option(
    "--token-file",
    "source",
    type=click.File("r"),
    help=f"File holding the hubfleet-check token ('-': standard input; default: ${TOKEN_ENV}).",
)
@click.option("--url", help="The hub's address, when not its public one (e.g. a port-forward).")
@click.option(
    "--timeout",
    type=click.IntRange(10, 7200),
    help="Seconds the server may take to become ready. Default: the hub's spawn timeouts.",
)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_context
def check_command(
    ctx: Context,
    cluster: str,
    name: str,
    source: IO[str] | None,
    url: str | None,
    timeout: int | None,
    output: str,
) -> None:
    """Check that HUB works: start a test user's server, write, read and delete a file in
    its home, stop it, and time each step. Run it after Flux has reconciled a change."""
    project = ctx.project
    model = load_cluster(project, cluster)
    hub = hub_of(model, name, "HUB")
    if not hub.active:
        raise UsageError("HUB", f"hub {hub.name} is retired; there is no hub to check")
    if CHECK_TOKEN not in model.sealed_auth_keys(hub.name):
        raise UsageError(
            "HUB",
            f"hub {hub.name} has no check token sealed: run `hubfleet seal auth {model.name} {hub.name} "
            "--check-token`, render, commit, and let Flux reconcile",
        )
    token = _token(source)
    address = url or model.hub_site(hub.name).url
    if not address.startswith(("http://", "https://")):
        raise UsageError("--url", f"{address} is not an http:// or https:// address")
    ready = float(timeout or hub.spawn.start + hub.spawn.http)
    report = run_check(HubClient(address, token, REQUEST_TIMEOUT), ready)
    label = f"{model.name}/{hub.name}"
    if output == "json":
        click.echo(json.dumps({"hub": label, **report.as_json()}, indent=2))
    else:
        for line in text_lines(label, report):
            click.echo(line)
    failed = report.failed
    if failed is not None:
        raise FindingsError(f"hub check {label}: step {failed.name} failed: {failed.detail}")
