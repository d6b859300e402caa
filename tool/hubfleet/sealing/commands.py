"""The `keys`, `seal` and `unseal` commands: parse options, call the sealing library, print.

Nothing printed here is ever key material: paths, fingerprints, certificate facts
and commands only. `unseal --show` is the one deliberate exception.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import click

from ..context import Context, pass_context
from ..emit import dump
from .keys import new_sealing_key
from .seal import seal_tls
from .unseal import describe, load_unsealing_keys, unseal_file


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
            f"valid until {facts.not_after:%Y-%m-%d}); run `make render CLUSTER={cluster}` and commit"
        )
    else:
        click.echo(f"{where} already holds this certificate, sealed with this sealing certificate; unchanged")


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
