"""Checks, for `hubfleet validate`, that every hub's login has its secrets sealed where it reads them.

The keys a sealed Secret holds are visible without the private key, and so is where it is
sealed for (the strict scope binds its values to that namespace and name). A hub whose
login needs a client secret or a password that is not sealed for its own namespace would
fail at start; one sealed for another namespace would never decrypt there. A dummy hub is
a warning on every run, so nobody forgets it is open.
"""

from __future__ import annotations

from ..core.auth import (
    ADMIN_PASSWORD,
    AUTH_SECRET,
    INITIAL_PASSWORD_PREFIX,
    auth_sealed_file_name,
    secret_keys,
)
from ..core.names import (
    ALERT_RECEIVERS_SECRET,
    GRAFANA_ADMIN_SECRET,
    MONITORING_NAMESPACE,
    SLACK_WEBHOOK_KEY,
    SMTP_PASSWORD_KEY,
)
from ..errors import Diagnostic
from ..inputs.model.cluster import Cluster, Hub, SealedSecretFile
from .audit import audit_order, seal_finding
from .sealedsecret import manifest_identity, mapping


def seal_command(cluster: str, hub: Hub, key: str) -> str:
    """The command that seals `key` for `hub`."""
    command = f"hubfleet seal auth {cluster} {hub.name}"
    if key == ADMIN_PASSWORD:
        return f"{command} --admin-password"
    if key.startswith(INITIAL_PASSWORD_PREFIX):
        admin = next(a for a in hub.admins if secret_keys("native", (a,)) == (key,))
        return f"{command} --admin {admin}"
    return command


def _sealed_keys(sealed: SealedSecretFile) -> set[str]:
    return {str(key) for key in mapping(mapping(sealed.manifest.get("spec")).get("encryptedData"))}


def audit_hub_logins(cluster: Cluster) -> list[Diagnostic]:
    """Every finding about the login secrets of `cluster`'s hubs, sorted."""
    findings: list[Diagnostic] = []
    by_file = {sealed.file_name: sealed for sealed in cluster.sealed_secrets}
    hubs = {auth_sealed_file_name(hub.name) for hub in cluster.hubs}
    for name, stray in by_file.items():
        if name.startswith("auth.") and name not in hubs:
            findings.append(
                seal_finding(
                    stray.source_file,
                    "warning",
                    f"cluster {cluster.name} has no hub named in this file's name; a login secret is only read "
                    "by its hub: remove the file, or rename it after its hub",
                )
            )
    for hub in cluster.hubs:
        sealed = by_file.get(auth_sealed_file_name(hub.name))
        if sealed is not None and manifest_identity(sealed.manifest) != (hub.name, AUTH_SECRET):
            namespace, name = manifest_identity(sealed.manifest)
            findings.append(
                seal_finding(
                    sealed.source_file,
                    "error",
                    f"sealed for {namespace}/{name}, not {hub.name}/{AUTH_SECRET}: hub {hub.name} cannot "
                    f"read it; seal its values again with `hubfleet seal auth {cluster.name} {hub.name}`",
                )
            )
            sealed = None
        if not hub.active:
            continue
        if hub.auth_type == "dummy":
            findings.append(
                seal_finding(
                    hub.source_file,
                    "warning",
                    f"hub {hub.name} uses the dummy login (insecure: true): anyone who knows an allowed "
                    "name logs in with any password",
                )
            )
        needed = secret_keys(hub.auth_type, hub.admins)
        have = _sealed_keys(sealed) if sealed is not None else set()
        missing = [key for key in needed if key not in have]
        if missing:
            where = f"{hub.name}/{AUTH_SECRET}"
            steps = "; ".join(f"{key}: `{seal_command(cluster.name, hub, key)}`" for key in missing)
            findings.append(
                seal_finding(
                    hub.source_file,
                    "error",
                    f"auth: the {hub.auth_type} login needs {', '.join(missing)} sealed in {where}, "
                    f"and {'it is' if len(missing) == 1 else 'they are'} not; seal {steps}",
                )
            )
    if cluster.monitoring is not None and not any(
        manifest_identity(s.manifest) == (MONITORING_NAMESPACE, GRAFANA_ADMIN_SECRET)
        for s in cluster.sealed_secrets
    ):
        findings.append(
            seal_finding(
                cluster.source_file,
                "error",
                f"monitoring: Grafana's admin login is not sealed ({MONITORING_NAMESPACE}/{GRAFANA_ADMIN_SECRET}); "
                f"Grafana cannot start without it: run `hubfleet seal monitoring {cluster.name} --generate`",
            )
        )
    findings += _receiver_findings(cluster) + _orphaned_monitoring(cluster)
    return sorted(findings, key=audit_order)


def _orphaned_monitoring(cluster: Cluster) -> list[Diagnostic]:
    """A monitoring secret of a cluster without monitoring would be applied with the infrastructure
    configs, before any `monitoring` namespace exists, and stop that whole layer."""
    if cluster.monitoring is not None:
        return []
    return [
        seal_finding(
            s.source_file,
            "error",
            f"sealed for the {MONITORING_NAMESPACE} namespace, and {cluster.source_file} has no monitoring: "
            "remove the file, or turn monitoring on",
        )
        for s in cluster.sealed_secrets
        if s.namespace == MONITORING_NAMESPACE
    ]


def _receiver_findings(cluster: Cluster) -> list[Diagnostic]:
    needed = cluster.monitoring.receiver_keys if cluster.monitoring else ()
    sealed = next(
        (
            s
            for s in cluster.sealed_secrets
            if manifest_identity(s.manifest) == (MONITORING_NAMESPACE, ALERT_RECEIVERS_SECRET)
        ),
        None,
    )
    have = _sealed_keys(sealed) if sealed is not None else set()
    missing = [key for key in needed if key not in have]
    if not missing:
        return []
    flags = {SLACK_WEBHOOK_KEY: "--slack-webhook", SMTP_PASSWORD_KEY: "--smtp-password"}
    steps = "; ".join(f"`hubfleet seal monitoring {cluster.name} {flags[key]}`" for key in missing)
    return [
        seal_finding(
            cluster.source_file,
            "error",
            f"monitoring.alerts: {', '.join(missing)} not sealed ({MONITORING_NAMESPACE}/{ALERT_RECEIVERS_SECRET}); "
            f"Alertmanager cannot send without it: {steps}",
        )
    ]
