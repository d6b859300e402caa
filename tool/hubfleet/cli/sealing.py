"""The `keys`, `seal` and `unseal` commands: parse options, call the sealing library, print.

Nothing printed here is ever key material: paths, fingerprints, certificate facts
and commands only. `unseal --show` is the one deliberate exception.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import click

from ..core.auth import AUTH_SECRET
from ..core.names import SLACK_WEBHOOK_KEY, SMTP_PASSWORD_KEY
from ..errors import UsageError
from ..sealing.keys import new_sealing_key
from ..sealing.seal import seal_tls
from ..sealing.seal_auth import seal_auth
from ..sealing.seal_monitoring import seal_grafana_admin, seal_receiver
from ..sealing.unseal import describe, load_unsealing_keys, unseal_file
from ..write.emit import dump
from .context import Context, pass_context


def _now() -> datetime:
    return datetime.now(UTC)


passphrase_option = click.option(
    "--passphrase-file",
    type=click.File("rb"),
    help="File holding the passphrase of an encrypted key ('-' reads standard input).",
)


def _passphrase(stream: IO[bytes] | None) -> bytes | None:
    return stream.read().rstrip(b"\r\n") if stream else None


@click.group()
def keys() -> None:
    """Sealing keys: one per cluster, its certificate committed, its private key kept outside."""


@keys.command("new")
@click.argument("cluster")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key: a new file outside the repository (mode 0600).",
)
@pass_context
def keys_new(ctx: Context, cluster: str, out: Path) -> None:
    """Make CLUSTER's sealing key pair and print how to load it into the cluster."""
    project = ctx.project
    made = new_sealing_key(project, cluster, out, _now())
    click.echo(
        f"wrote {project.relative(made.certificate_path)}: the sealing certificate "
        f"(SHA-256 {made.fingerprint}, valid until {made.not_after:%Y-%m-%d}); commit it"
    )
    click.echo(
        f"wrote {made.private_key_path}: the private key (mode 0600). It decrypts every secret sealed for "
        f"{cluster}: keep it safe and outside the repository, e.g. in your team's password manager."
    )
    click.echo("Load it into the cluster as the active sealing key (again after every rebuild):")
    for command in made.commands:
        click.echo(f"  {command}")


@click.group()
def seal() -> None:
    """Seal secrets for a cluster with its committed sealing certificate."""


@seal.command("tls")
@click.argument("cluster")
@click.option("--cert", required=True, type=click.Path(path_type=Path), help="PEM certificate, leaf first.")
@click.option("--key", required=True, type=click.Path(path_type=Path), help="PEM private key of the leaf.")
@click.option("--name", help="Secret name (default: the cluster's ingress.tlsSecretName).")
@click.option("--namespace", help="Secret namespace (default: nginx-ingress, where the ingress reads it).")
@passphrase_option
@pass_context
def seal_tls_command(
    ctx: Context,
    cluster: str,
    cert: Path,
    key: Path,
    name: str | None,
    namespace: str | None,
    passphrase_file: IO[bytes] | None,
) -> None:
    """Seal a TLS certificate and key for CLUSTER into clusters/CLUSTER/secrets/."""
    project = ctx.project
    result = seal_tls(project, cluster, cert, key, _now(), name, namespace, _passphrase(passphrase_file))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    where = project.relative(result.path)
    facts = result.facts
    if result.changed:
        click.echo(
            f"sealed {result.namespace}/{result.name} into {where} ({facts.subject}, "
            f"valid until {facts.not_after:%Y-%m-%d}); run `hubfleet render {cluster}` and commit"
        )
    else:
        click.echo(f"{where} already holds this certificate, sealed with this sealing certificate; unchanged")


@seal.command("auth")
@click.argument("cluster")
@click.argument("hub")
@click.option(
    "--from-file",
    "source",
    type=click.File("rb"),
    help="File holding the value ('-' or none: standard input; a terminal is asked, input hidden).",
)
@click.option("--admin", help="type native: the admin whose initial password this is.")
@click.option("--admin-password", is_flag=True, help="type shared-password: seal the admins' password.")
@click.option(
    "--check-token",
    is_flag=True,
    help="Seal the API token of the hub's hubfleet-check service instead (for `hubfleet hub check`).",
)
@pass_context
def seal_auth_command(
    ctx: Context,
    cluster: str,
    hub: str,
    source: IO[bytes] | None,
    admin: str | None,
    admin_password: bool,
    check_token: bool,
) -> None:
    """Seal a secret of HUB's login (client secret, password) into clusters/CLUSTER/secrets/.

    The value is read from --from-file or standard input, never from the command line. With
    --check-token, the value is the token `hubfleet hub check` will use (32 characters or more,
    e.g. from `openssl rand -hex 32`); keep it where the check runs, e.g. a CI secret.
    """
    project = ctx.project
    value = _read_secret(source)
    result = seal_auth(project, cluster, hub, value, _now(), admin, admin_password, check_token)
    where = project.relative(result.path)
    click.echo(f"sealed {result.key} for {hub}/{AUTH_SECRET} into {where}")
    if result.kept:
        click.echo(f"kept, sealed before: {', '.join(result.kept)}")
    if result.dropped:
        click.echo(
            f"warning: dropped {', '.join(result.dropped)}: not used by the hub's login, or sealed with "
            "another sealing certificate",
            err=True,
        )
    if result.missing:
        click.echo(f"still to seal: {', '.join(result.missing)}")
    click.echo(f"run `hubfleet render {cluster}` and commit")


def _read_secret(source: IO[bytes] | None) -> bytes:
    """From the file, else standard input; a terminal is asked twice with the input hidden."""
    if source is not None:
        return source.read()
    if sys.stdin.isatty():
        typed = click.prompt("Value (not shown)", hide_input=True, confirmation_prompt=True, err=True)
        return str(typed).encode()
    return sys.stdin.buffer.read()


@seal.command("monitoring")
@click.argument("cluster")
@click.option(
    "--from-file", "source", type=click.File("rb"), help="File holding the password ('-': standard input)."
)
@click.option("--generate", is_flag=True, help="Make a password, print it once, and seal it.")
@click.option("--slack-webhook", is_flag=True, help="Seal the Slack incoming-webhook URL instead.")
@click.option("--smtp-password", is_flag=True, help="Seal the SMTP relay's password instead.")
@pass_context
def seal_monitoring_command(
    ctx: Context,
    cluster: str,
    source: IO[bytes] | None,
    generate: bool,
    slack_webhook: bool,
    smtp_password: bool,
) -> None:
    """Seal Grafana's admin password (or an alert receiver's secret) for CLUSTER into clusters/CLUSTER/secrets/."""
    project = ctx.project
    if slack_webhook or smtp_password:
        if (slack_webhook and smtp_password) or generate:
            raise UsageError(
                "", "seal one value at a time: --slack-webhook or --smtp-password, without --generate"
            )
        key = SLACK_WEBHOOK_KEY if slack_webhook else SMTP_PASSWORD_KEY
        path = seal_receiver(project, cluster, key, _read_secret(source), _now())
        click.echo(f"sealed {key} into {project.relative(path)}; run `hubfleet render {cluster}` and commit")
        return
    value = None if generate else _read_secret(source)
    result = seal_grafana_admin(project, cluster, value, _now())
    if result.generated is not None:
        click.echo(
            f"Grafana admin password (shown once; keep it in your password manager): {result.generated}"
        )
    click.echo(f"sealed {project.relative(result.path)}; run `hubfleet render {cluster}` and commit")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--private-key",
    "private_keys",
    required=True,
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sealing private key (PEM); repeat to try several, as the controller does.",
)
@passphrase_option
@click.option("--show", is_flag=True, help="Print the decrypted Secret, values included.")
def unseal(file: Path, private_keys: tuple[Path, ...], passphrase_file: IO[bytes] | None, show: bool) -> None:
    """Decrypt the SealedSecret FILE offline, for recovery and audits.

    Without --show, only the names of the values and public certificate facts are printed.
    """
    loaded = load_unsealing_keys(list(private_keys), _passphrase(passphrase_file))
    unsealed = unseal_file(file, str(file), loaded)
    if show:
        click.echo(dump(unsealed.secret()), nl=False)
        return
    for line in describe(unsealed, str(file)):
        click.echo(line)
