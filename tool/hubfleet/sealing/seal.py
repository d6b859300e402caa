"""`hubfleet seal tls`: check a certificate and key pair, then seal it for the cluster's controller.

Sealing uses fresh random session keys, so sealing the same input twice gives
different bytes. To keep diffs quiet, the file is left alone when it already holds
the same certificate chain, sealed with the same sealing certificate, under the
same name and namespace; anything else reseals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ..core.names import NGINX_NAMESPACE
from ..core.urls import hosts_needed
from ..errors import Diagnostic, InputError, UsageError
from ..inputs.pipeline import load_cluster
from ..system.lock import write_input
from ..system.project import Project
from .certs import (
    CertFacts,
    certificate_facts,
    check_tls_pair,
    load_certificates,
    load_private_key,
    load_sealing_certificate,
    pem_chain,
    pem_private_key,
    read_pem_file,
)
from .crypto import chain_fingerprint, fingerprint, seal_value, strict_label
from .sealedsecret import (
    SealedTls,
    build_sealed_tls,
    sealed_file,
    serialise_sealed,
)

DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
SECRET_NAME = re.compile(rf"{DNS_LABEL}(\.{DNS_LABEL})*")
NAMESPACE = re.compile(DNS_LABEL)
T = TypeVar("T")


@dataclass(frozen=True)
class SealResult:
    """What `seal tls` did: the file, whether it changed, and the public facts of the certificate."""

    path: Path
    changed: bool
    name: str
    namespace: str
    facts: CertFacts
    warnings: tuple[str, ...]


def _check_names(name: str, namespace: str) -> None:
    problems = []
    if len(name) > 253 or not SECRET_NAME.fullmatch(name):
        problems.append(
            f"--name '{name}' is not a valid Secret name (lowercase letters, digits, '-' and '.')"
        )
    if len(namespace) > 63 or not NAMESPACE.fullmatch(namespace):
        problems.append(
            f"--namespace '{namespace}' is not a valid namespace (lowercase letters, digits, '-')"
        )
    if problems:
        # Each line names its option, so both are reported at once.
        raise UsageError("", "\n".join(problems))


def _collect(problems: list[Diagnostic], load: Callable[[], T]) -> T | None:
    """Run one loader, keeping its problems so every bad input is reported at once."""
    try:
        return load()
    except InputError as error:
        problems.extend(error.problems or [Diagnostic("", 0, 0, "", error.message)])
        return None


def seal_tls(
    project: Project,
    cluster_name: str,
    cert: Path,
    key: Path,
    now: datetime,
    name: str | None = None,
    namespace: str | None = None,
    passphrase: bytes | None = None,
) -> SealResult:
    """Seal `cert` (leaf first, then its issuers) and `key` as a kubernetes.io/tls Secret, in strict scope."""
    cluster = load_cluster(project, cluster_name)
    name = name or cluster.tls_secret_name
    namespace = namespace or NGINX_NAMESPACE
    _check_names(name, namespace)
    if cluster.tls.mode == "acme" and (namespace, name) == (NGINX_NAMESPACE, cluster.tls_secret_name):
        raise UsageError(
            "CLUSTER",
            f"{cluster.source_file} says tls.mode: acme, so cert-manager writes {namespace}/{name} and renews "
            "it; a sealed certificate would fight it. Seal one only with tls.mode: sealed",
        )
    pem = project.sealing_cert(cluster.name)
    cert_display, key_display = str(cert), str(key)
    problems: list[Diagnostic] = []
    sealing = _collect(
        problems, lambda: load_sealing_certificate(pem, project.relative(pem), cluster.name, now)
    )
    chain = _collect(problems, lambda: load_certificates(read_pem_file(cert, cert_display), cert_display))
    private = _collect(
        problems, lambda: load_private_key(read_pem_file(key, key_display), key_display, passphrase)
    )
    if problems or sealing is None or chain is None or private is None:
        raise InputError(problems)
    hosts = hosts_needed(cluster.urls, cluster.domain)
    warnings = check_tls_pair(chain, private, cluster.domain, now, cert_display, key_display, hosts)
    crt = pem_chain(chain)
    sealed = SealedTls(
        name, namespace, certificate_facts(chain[0]), chain_fingerprint(crt), fingerprint(sealing)
    )
    path = sealed_file(project, cluster.name, name)
    existing = next((s.manifest for s in cluster.sealed_secrets if s.file_name == path.name), {})
    changed = not sealed.recorded_in(existing)
    if changed:
        public = sealing.public_key()
        assert isinstance(public, RSAPublicKey)  # load_sealing_certificate refuses anything else
        label = strict_label(namespace, name)
        encrypted = {
            "tls.crt": seal_value(public, crt, label),
            "tls.key": seal_value(public, pem_private_key(private), label),
        }
        write_input(project, path, serialise_sealed(build_sealed_tls(sealed, encrypted), cluster.name))
    return SealResult(path, changed, name, namespace, sealed.facts, tuple(warnings))
