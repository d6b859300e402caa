"""Checks of a cluster's committed sealed secrets, for `hubfleet validate`: public facts only.

A sealed secret cannot be decrypted without the cluster's private key, so the
audit reads what `seal tls` recorded beside the ciphertext: which sealing
certificate sealed it, and the subject, names and expiry of the certificate
inside. That is enough to catch a secret sealed for another cluster, a
certificate that no longer covers the domain, and one that expired or soon will.
Whether the ingress's TLS secret exists at all is a question about the rendered
tree, so `hubfleet validate` asks it there (validate/ingress.py), not here.
"""

from __future__ import annotations

from datetime import datetime

from ..core.names import NGINX_NAMESPACE
from ..core.tls import NOT_AFTER_ANNOTATION
from ..core.urls import hosts_needed
from ..errors import Diagnostic, InputError, Severity
from ..inputs.model.cluster import Cluster, SealedSecretFile
from ..system.project import Project
from .certs import EXPIRY_WARNING, covers, load_sealing_certificate
from .crypto import fingerprint
from .sealedsecret import (
    SEALING_SHA256,
    facts_from_annotations,
    manifest_annotations,
)


def audit_order(found: Diagnostic) -> tuple[str, str, str]:
    """The audit's order: by file, errors before warnings, then by message."""
    return found.file, found.severity, found.message


def seal_finding(file: str, severity: Severity, message: str) -> Diagnostic:
    """One thing wrong with one sealed-secret input; `file` is relative to the project root."""
    return Diagnostic(file, message=message, severity=severity)


def _sealing_fingerprint(project: Project, cluster: Cluster) -> tuple[str | None, list[Diagnostic]]:
    path = project.sealing_cert(cluster.name)
    display = project.relative(path)
    try:
        return fingerprint(load_sealing_certificate(path, display, cluster.name)), []
    except InputError as error:
        message = error.problems[0].message if error.problems else error.message
        return None, [seal_finding(display, "error", message)]


def _check_one(
    sealed: SealedSecretFile, cluster: Cluster, sealing: str | None, now: datetime
) -> list[Diagnostic]:
    findings: list[Diagnostic] = []

    def add(severity: Severity, message: str) -> None:
        findings.append(seal_finding(sealed.source_file, severity, message))

    annotations = manifest_annotations(sealed.manifest)
    recorded = annotations.get(SEALING_SHA256)
    if recorded is None:
        add("warning", f"no {SEALING_SHA256} annotation, so which key sealed it cannot be checked")
    elif sealing is not None and recorded != sealing:
        add(
            "error",
            f"sealed with another sealing certificate ({recorded}), not the cluster's ({sealing}); "
            f"the controller of {cluster.name} cannot decrypt it: seal it again with hubfleet seal",
        )
    facts = facts_from_annotations(annotations)
    ingress = (sealed.namespace, sealed.name) == (NGINX_NAMESPACE, cluster.tls_secret_name)
    if facts is None:
        if ingress or NOT_AFTER_ANNOTATION in annotations:
            add(
                "warning",
                "no readable certificate facts (hubfleet/tls-* annotations), so it cannot be checked",
            )
        return findings
    missing = [
        name for name in hosts_needed(cluster.urls, cluster.domain) if not covers(facts.dns_names, name)
    ]
    if ingress and missing:
        why = "" if missing == [cluster.domain] else ", which urls: host needs (a host per hub)"
        add(
            "error",
            f"the certificate does not cover {' and '.join(missing)} (it names: "
            f"{', '.join(facts.dns_names) or 'nothing'}){why}",
        )
    expiry = f"{facts.not_after:%Y-%m-%d %H:%M UTC}"
    if facts.not_after <= now:
        add("error", f"the certificate expired on {expiry}")
    elif facts.not_after - now <= EXPIRY_WARNING:
        days = (facts.not_after - now).days
        add(
            "warning",
            f"the certificate expires on {expiry}, in {days} day{'s' if days != 1 else ''}; renew it"
            + (
                f" and seal the new one with `hubfleet seal tls {cluster.name} --cert FILE --key FILE`"
                if ingress
                else ""
            ),
        )
    return findings


def audit_sealed_secrets(project: Project, cluster: Cluster, now: datetime) -> list[Diagnostic]:
    """Every finding about `cluster`'s sealed secrets at time `now` (timezone-aware), sorted."""
    sealing, findings = _sealing_fingerprint(project, cluster)
    for sealed in cluster.sealed_secrets:
        findings += _check_one(sealed, cluster, sealing, now)
    return sorted(findings, key=audit_order)
