"""`hubfleet seal monitoring`: Grafana's admin password, sealed for the monitoring namespace.

The password comes from a file or standard input, or is generated (and printed once, to be
kept in the team's password manager). It is never an argument and never written in clear.
The Grafana release reads it as `admin.existingSecret`; render puts the sealed file in the
monitoring layer, where its namespace is made.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ..core.names import (
    ALERT_RECEIVERS_SECRET,
    GRAFANA_ADMIN_SECRET,
    GRAFANA_ADMIN_USER,
    MONITORING_NAMESPACE,
    SEALED_SUFFIX,
    SLACK_WEBHOOK_KEY,
)
from ..errors import UsageError
from ..inputs.pipeline import load_cluster
from ..system.lock import write_input
from ..system.project import Project
from ..write.emit import dump
from .certs import load_sealing_certificate
from .crypto import fingerprint, seal_value, strict_label
from .sealedsecret import build_sealed_opaque, kept_values

MINIMUM_LENGTH = 16


@dataclass(frozen=True)
class SealedGrafana:
    path: Path
    generated: str | None


def grafana_admin_file(project: Project, cluster: str) -> Path:
    return project.secrets_dir(cluster) / f"{MONITORING_NAMESPACE}.{GRAFANA_ADMIN_SECRET}{SEALED_SUFFIX}"


def seal_grafana_admin(
    project: Project, cluster_name: str, value: bytes | None, now: datetime
) -> SealedGrafana:
    """Seal `value` (None: a generated password) as Grafana's admin password."""
    cluster = load_cluster(project, cluster_name)
    if cluster.monitoring is None:
        raise UsageError("CLUSTER", f"{cluster.source_file} has no monitoring block; add one first")
    generated = None
    if value is None:
        generated = secrets.token_urlsafe(24)
        value = generated.encode()
    value = value.removesuffix(b"\n").removesuffix(b"\r")
    if len(value) < MINIMUM_LENGTH:
        raise UsageError("", f"the password has {len(value)} characters; it needs at least {MINIMUM_LENGTH}")
    pem = project.sealing_cert(cluster.name)
    sealing = load_sealing_certificate(pem, project.relative(pem), cluster.name, now)
    public = sealing.public_key()
    assert isinstance(public, RSAPublicKey)  # load_sealing_certificate refuses anything else
    label = strict_label(MONITORING_NAMESPACE, GRAFANA_ADMIN_SECRET)
    encrypted = {
        "admin-user": seal_value(public, GRAFANA_ADMIN_USER.encode(), label),
        "admin-password": seal_value(public, value, label),
    }
    manifest = build_sealed_opaque(
        GRAFANA_ADMIN_SECRET, MONITORING_NAMESPACE, encrypted, fingerprint(sealing)
    )
    header = (
        f"# SealedSecret {MONITORING_NAMESPACE}/{GRAFANA_ADMIN_SECRET}: Grafana's admin login on cluster "
        f"{cluster.name}. Written by `hubfleet seal monitoring`; seal again rather than edit.\n"
    )
    path = grafana_admin_file(project, cluster.name)
    write_input(project, path, header + dump(manifest))
    return SealedGrafana(path, generated)


def receivers_file(project: Project, cluster: str) -> Path:
    return project.secrets_dir(cluster) / f"{MONITORING_NAMESPACE}.{ALERT_RECEIVERS_SECRET}{SEALED_SUFFIX}"


def seal_receiver(project: Project, cluster_name: str, key: str, value: bytes, now: datetime) -> Path:
    """Seal one receiver secret (the Slack webhook URL or the SMTP password); the other key, sealed
    before with the same certificate, is kept."""
    cluster = load_cluster(project, cluster_name)
    needed = cluster.monitoring.receiver_keys if cluster.monitoring else ()
    if key not in needed:
        what = "monitoring.alerts.slack" if key == SLACK_WEBHOOK_KEY else "monitoring.alerts.email.username"
        raise UsageError("", f"{cluster.source_file} has no {what}, which would use {key}")
    value = value.removesuffix(b"\n").removesuffix(b"\r")
    if not value:
        raise UsageError("", f"the value for {key} is empty; give it in the file or on standard input")
    pem = project.sealing_cert(cluster.name)
    sealing = load_sealing_certificate(pem, project.relative(pem), cluster.name, now)
    public = sealing.public_key()
    assert isinstance(public, RSAPublicKey)  # load_sealing_certificate refuses anything else
    path = receivers_file(project, cluster.name)
    existing = next((s.manifest for s in cluster.sealed_secrets if s.file_name == path.name), {})
    identity = (MONITORING_NAMESPACE, ALERT_RECEIVERS_SECRET)
    encrypted, _ = kept_values(existing, identity, fingerprint(sealing), needed, key)
    encrypted[key] = seal_value(public, value, strict_label(MONITORING_NAMESPACE, ALERT_RECEIVERS_SECRET))
    manifest = build_sealed_opaque(
        ALERT_RECEIVERS_SECRET, MONITORING_NAMESPACE, encrypted, fingerprint(sealing)
    )
    header = (
        f"# SealedSecret {MONITORING_NAMESPACE}/{ALERT_RECEIVERS_SECRET}: Alertmanager's receiver secrets on "
        f"cluster {cluster.name}. Written by `hubfleet seal monitoring`, a key at a time.\n"
    )
    write_input(project, path, header + dump(manifest))
    return path
