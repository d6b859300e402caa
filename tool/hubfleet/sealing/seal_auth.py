"""`hubfleet seal auth`: seal one secret value of a hub's login into its sealed Secret.

Each hub has one Secret for its login (`core.auth.AUTH_SECRET`, in the hub's namespace);
each of its keys is sealed on its own, so sealing the client secret keeps the admin
password sealed before, as long as both were sealed with the cluster's current sealing
certificate (a value sealed with another would not decrypt, so it is dropped and named).
The value comes from a file or standard input, never from the command line, and is
never printed. Sealing the same value twice gives different bytes (fresh session keys):
this command is run on purpose, so the file changes each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ..core.auth import (
    ADMIN_PASSWORD,
    AUTH_KINDS,
    AUTH_SECRET,
    CHECK_TOKEN,
    CLIENT_SECRET,
    CONSUMER_SECRET,
    USER_PASSWORD,
    auth_sealed_file_name,
    initial_password_key,
    minimum_length,
    secret_keys,
)
from ..errors import UsageError
from ..inputs.model.cluster import Hub
from ..inputs.pipeline import hub_of, load_cluster
from ..system.lock import write_input
from ..system.project import Project
from ..write.emit import dump
from .certs import load_sealing_certificate
from .crypto import fingerprint, seal_value, strict_label
from .sealedsecret import build_sealed_opaque, kept_values


@dataclass(frozen=True)
class SealedAuth:
    """What `seal auth` did: the file, the key it sealed, what it kept, dropped and still needs."""

    path: Path
    key: str
    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    missing: tuple[str, ...]


def key_to_seal(hub: Hub, admin: str | None, admin_password: bool, check_token: bool = False) -> str:
    """The Secret key this invocation seals, or UsageError saying what the hub's type takes."""
    needed = secret_keys(hub.auth_type, hub.admins)
    kind = AUTH_KINDS[hub.auth_type]
    if check_token:
        if admin is not None or admin_password:
            raise UsageError(
                "--check-token", "seals the check token alone; leave out --admin and --admin-password"
            )
        return CHECK_TOKEN
    if not needed and hub.auth_type != "native":
        raise UsageError("HUB", f"hub {hub.name} logs in with {hub.auth_type}, which needs no sealed secret")
    if hub.auth_type == "native":
        if admin is None:
            admins = ", ".join(hub.admins)
            raise UsageError(
                "--admin", f"type native seals one initial password per admin; name one ({admins})"
            )
        if admin not in hub.admins:
            admins = ", ".join(hub.admins)
            raise UsageError("--admin", f"'{admin}' is not an admin of hub {hub.name} (admins: {admins})")
        return initial_password_key(admin)
    if admin is not None:
        raise UsageError("--admin", f"only type native takes --admin; hub {hub.name} is {kind.type}")
    if admin_password:
        if ADMIN_PASSWORD not in needed:
            raise UsageError(
                "--admin-password",
                f"only a shared-password hub with admins has an admin password; hub {hub.name} is "
                f"{kind.type}" + (" without admins" if kind.type == "shared-password" else ""),
            )
        return ADMIN_PASSWORD
    return needed[0]


def check_value(key: str, value: bytes) -> bytes:
    """The value without one trailing newline; UsageError when it is empty or too short."""
    value = value.removesuffix(b"\n").removesuffix(b"\r")
    shortest = minimum_length(key)
    if not value:
        raise UsageError("", f"the value for {key} is empty; give it in the file or on standard input")
    if len(value) < shortest:
        raise UsageError("", f"the value for {key} has {len(value)} characters; it needs at least {shortest}")
    if key in VALUES_FROM_KEYS:
        _check_set_syntax(key, value)
    return value


#: Keys a HelmRelease takes through `valuesFrom` with a `targetPath` (the native initial
#: passwords are mounted as files instead, where any bytes are fine).
VALUES_FROM_KEYS = frozenset({CLIENT_SECRET, CONSUMER_SECRET, USER_PASSWORD, ADMIN_PASSWORD, CHECK_TOKEN})


def _check_set_syntax(key: str, value: bytes) -> None:
    """helm-controller writes a `targetPath` value with Helm's --set parser, which splits at a comma,
    reads a backslash as an escape and `{...}` as a list, and turns `true`, `null` or digits into
    another type (the hub then refuses its setting): such a value would not arrive as sealed."""
    text = value.decode("utf-8", "replace")
    reason = None
    if "," in text or "\\" in text:
        reason = "contains a comma or a backslash"
    elif text.startswith("{"):
        reason = "starts with '{'"
    elif text.lower() in ("true", "false", "null") or text.isdigit():
        reason = "reads as a boolean, null or a number"
    if reason:
        raise UsageError(
            "",
            f"the value for {key} {reason}, which Helm's --set syntax (how the HelmRelease passes it) would "
            "change; choose another",
        )


def build_sealed_auth(hub: str, encrypted: dict[str, str], sealing_sha256: str) -> dict[str, Any]:
    """A strict-scope SealedSecret of the hub's login values, keys sorted."""
    return build_sealed_opaque(AUTH_SECRET, hub, encrypted, sealing_sha256)


def _serialise(manifest: dict[str, Any], cluster: str, hub: str) -> str:
    return (
        f"# SealedSecret {hub}/{AUTH_SECRET}: the login secrets of hub {hub} of cluster {cluster}, sealed "
        f"with clusters/{cluster}/sealed-secrets.pem.\n# Written by `hubfleet seal auth`, one key at a "
        "time; seal again with it rather than editing: values only decrypt under this name and namespace.\n"
    ) + dump(manifest)


def seal_auth(
    project: Project,
    cluster_name: str,
    hub_name: str,
    value: bytes,
    now: datetime,
    admin: str | None = None,
    admin_password: bool = False,
    check_token: bool = False,
) -> SealedAuth:
    """Seal `value` as the hub's login key chosen by its type (and --admin/--admin-password), or
    as its check token (--check-token)."""
    cluster = load_cluster(project, cluster_name)
    hub = hub_of(cluster, hub_name, "HUB")
    key = key_to_seal(hub, admin, admin_password, check_token)
    value = check_value(key, value)
    pem = project.sealing_cert(cluster.name)
    sealing = load_sealing_certificate(pem, project.relative(pem), cluster.name, now)
    public = sealing.public_key()
    assert isinstance(public, RSAPublicKey)  # load_sealing_certificate refuses anything else
    sealing_sha256 = fingerprint(sealing)
    file_name = auth_sealed_file_name(hub.name)
    existing = next((s.manifest for s in cluster.sealed_secrets if s.file_name == file_name), {})
    needed = secret_keys(hub.auth_type, hub.admins)
    # The check token is optional and outlives a reseal of any login key (and the other way round).
    kept, dropped = kept_values(
        existing, (hub.name, AUTH_SECRET), sealing_sha256, (*needed, CHECK_TOKEN), key
    )
    encrypted = {**kept, key: seal_value(public, value, strict_label(hub.name, AUTH_SECRET))}
    path = project.secrets_dir(cluster.name) / file_name
    write_input(
        project,
        path,
        _serialise(build_sealed_auth(hub.name, encrypted, sealing_sha256), cluster.name, hub.name),
    )
    missing = tuple(k for k in needed if k not in encrypted)
    return SealedAuth(path, key, tuple(sorted(kept)), dropped, missing)
