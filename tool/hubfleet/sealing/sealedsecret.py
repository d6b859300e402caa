"""The SealedSecret object: built as data, serialised once, and read back for the no-churn check.

Annotations record public facts only (certificate subject, names, expiry,
fingerprints), so `hubfleet validate` can audit a sealed certificate without the
private key, and sealing again can tell that nothing changed and leave the file
byte for byte as it was. The body is written by `hubfleet.write.emit.dump`, the one
serialiser of the project, as `render` writes the copy under gitops/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from ..core.names import MANAGED_BY, SEALED_SUFFIX
from ..core.tls import NOT_AFTER_ANNOTATION, NOT_AFTER_FORMAT, parse_not_after
from ..system.project import Project
from ..write.emit import dump
from .certs import CertFacts, valid_names

API_VERSION = "bitnami.com/v1alpha1"
KIND = "SealedSecret"
TLS_TYPE = "kubernetes.io/tls"

ANNOTATION_PREFIX = "hubfleet/"
SUBJECT = ANNOTATION_PREFIX + "tls-subject"
SANS = ANNOTATION_PREFIX + "tls-sans"
CERT_SHA256 = ANNOTATION_PREFIX + "tls-sha256"
CHAIN_SHA256 = ANNOTATION_PREFIX + "tls-chain-sha256"
SEALING_SHA256 = ANNOTATION_PREFIX + "sealing-cert-sha256"


def sealed_file(project: Project, cluster: str, name: str) -> Path:
    return project.secrets_dir(cluster) / f"{name}{SEALED_SUFFIX}"


@dataclass(frozen=True)
class SealedTls:
    """Everything that decides the bytes of a sealed TLS file except the (random) ciphertexts."""

    name: str
    namespace: str
    facts: CertFacts
    chain_sha256: str
    sealing_sha256: str

    def annotations(self) -> dict[str, str]:
        return dict(
            sorted(
                {
                    SUBJECT: self.facts.subject,
                    SANS: ",".join(self.facts.sans),
                    NOT_AFTER_ANNOTATION: self.facts.not_after.strftime(NOT_AFTER_FORMAT),
                    CERT_SHA256: self.facts.fingerprint,
                    CHAIN_SHA256: self.chain_sha256,
                    SEALING_SHA256: self.sealing_sha256,
                }.items()
            )
        )

    def recorded_in(self, manifest: dict[str, Any]) -> bool:
        """True when `manifest` already seals this chain, with this sealing certificate, under this name."""
        identity = (self.namespace, self.name), self.annotations()
        return (manifest_identity(manifest), manifest_annotations(manifest)) == identity


def build_sealed_tls(sealed: SealedTls, encrypted: dict[str, str]) -> dict[str, Any]:
    """A strict-scope SealedSecret whose template is a kubernetes.io/tls Secret, keys in a fixed order."""
    labels = dict(MANAGED_BY)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": sealed.name,
            "namespace": sealed.namespace,
            "labels": labels,
            "annotations": sealed.annotations(),
        },
        "spec": {
            "encryptedData": dict(sorted(encrypted.items())),
            "template": {
                "metadata": {"name": sealed.name, "namespace": sealed.namespace, "labels": dict(labels)},
                "type": TLS_TYPE,
            },
        },
    }


def build_sealed_opaque(
    name: str, namespace: str, encrypted: dict[str, str], sealing_sha256: str
) -> dict[str, Any]:
    """A strict-scope SealedSecret of an Opaque Secret, keys sorted, with the sealing certificate's
    fingerprint recorded (the audit checks it)."""
    labels = dict(MANAGED_BY)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {SEALING_SHA256: sealing_sha256},
        },
        "spec": {
            "encryptedData": dict(sorted(encrypted.items())),
            "template": {
                "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
                "type": "Opaque",
            },
        },
    }


def kept_values(
    existing: dict[str, Any],
    identity: tuple[str, str],
    sealing_sha256: str,
    wanted: tuple[str, ...],
    resealed: str,
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The values of a file sealed before that a reseal of one key (`resealed`) keeps, and the keys it
    drops. A value is kept when it is still wanted and was sealed for the same namespace and name
    with the same sealing certificate: any other would not decrypt, or is no longer read."""
    previous = mapping(mapping(existing.get("spec")).get("encryptedData"))
    reusable = (
        manifest_identity(existing) == identity
        and manifest_annotations(existing).get(SEALING_SHA256) == sealing_sha256
    )
    kept = {str(k): str(v) for k, v in previous.items() if reusable and k in wanted and k != resealed}
    dropped = tuple(sorted(str(k) for k in previous if str(k) != resealed and str(k) not in kept))
    return kept, dropped


def serialise_sealed(manifest: dict[str, Any], cluster: str) -> str:
    """The file `seal tls` writes: a header saying what it is, then the manifest as `emit.dump` writes it."""
    name, namespace = manifest["metadata"]["name"], manifest["metadata"]["namespace"]
    return (
        f"# SealedSecret {namespace}/{name}: the TLS certificate of cluster {cluster}, sealed with "
        f"clusters/{cluster}/sealed-secrets.pem.\n# Written by `hubfleet seal tls`; seal again with it "
        "rather than editing: the values only decrypt under this name and namespace.\n"
    ) + dump(manifest)


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else empty: hand-written manifests may have any shape."""
    return value if isinstance(value, dict) else {}


def manifest_identity(manifest: dict[str, Any]) -> tuple[str, str]:
    """(namespace, name) of a SealedSecret manifest: what its strict-scope label binds it to."""
    metadata = mapping(manifest.get("metadata"))
    return str(metadata.get("namespace", "")), str(metadata.get("name", ""))


def manifest_annotations(manifest: dict[str, Any]) -> dict[str, str]:
    annotations = mapping(mapping(manifest.get("metadata")).get("annotations"))
    return {str(k): str(v) for k, v in annotations.items()}


def facts_from_annotations(annotations: dict[str, str]) -> CertFacts | None:
    """The certificate facts recorded by `seal tls`, or None when they are missing or unreadable."""
    try:
        not_after = parse_not_after(annotations[NOT_AFTER_ANNOTATION])
        if not_after is None:
            return None
        sans = tuple(name for name in annotations[SANS].split(",") if name)
        names = valid_names(x509.Name.from_rfc4514_string(annotations[SUBJECT]), sans)
        return CertFacts(annotations[SUBJECT], sans, not_after, annotations[CERT_SHA256], names)
    except (KeyError, ValueError):
        return None
