"""Building blocks shared by the renderers: object metadata and Flux HelmReleases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.charts import UpstreamChart
from ..core.names import FLUX_NAMESPACE, MANAGED_BY

Manifest = dict[str, Any]

HELM_RELEASE_API = "helm.toolkit.fluxcd.io/v2"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
CERT_MANAGER_API = "cert-manager.io/v1"


@dataclass(frozen=True)
class OutputFile:
    """One rendered file: where it goes, which input it came from, and its documents in order."""

    path: str
    source: str
    documents: list[Manifest] = field(default_factory=list)
    #: Comment lines written under the header: why the file holds something unusual.
    notes: tuple[str, ...] = ()
    #: A file written as these bytes instead of documents (a shipped chart's templates).
    raw: bytes | None = None


def metadata(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    labels = {**MANAGED_BY, **extra.pop("labels", {})}
    meta["labels"] = dict(sorted(labels.items()))
    if "annotations" in extra:
        meta["annotations"] = dict(sorted(extra.pop("annotations").items()))
    meta.update(extra)
    return meta


def namespace(name: str, annotations: dict[str, str] | None = None) -> Manifest:
    meta = metadata(name, annotations=annotations) if annotations else metadata(name)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def helm_release(
    name: str,
    namespace: str,
    chart: str,
    version: str | None,
    source_kind: str,
    source_name: str,
    values: dict[str, Any],
    *,
    depends_on: list[dict[str, str]] | None = None,
    annotations: dict[str, str] | None = None,
    crds: bool = False,
    release_name: str | None = None,
    values_from: list[dict[str, str]] | None = None,
) -> Manifest:
    """A Flux HelmRelease with remediation and drift detection chosen once for every release."""
    chart_spec: dict[str, Any] = {
        "chart": chart,
        "sourceRef": {"kind": source_kind, "name": source_name, "namespace": FLUX_NAMESPACE},
        "interval": "12h",
    }
    if version is not None:
        chart_spec["version"] = version
    install: dict[str, Any] = {"remediation": {"retries": 3}}
    upgrade: dict[str, Any] = {"remediation": {"retries": 3, "remediateLastFailure": True}}
    if crds:
        install["crds"] = "CreateReplace"
        upgrade["crds"] = "CreateReplace"
    spec: dict[str, Any] = {
        "interval": "30m",
        "timeout": "10m",
        "releaseName": release_name or name,
        "chart": {"spec": chart_spec},
        "install": install,
        "upgrade": upgrade,
        "driftDetection": {"mode": "enabled"},
    }
    if depends_on:
        spec["dependsOn"] = depends_on
    if values_from:
        # Merged before spec.values; secret values reach the chart without being in git.
        spec["valuesFrom"] = values_from
    spec["values"] = values
    meta = metadata(name, namespace, annotations=annotations) if annotations else metadata(name, namespace)
    return {"apiVersion": HELM_RELEASE_API, "kind": "HelmRelease", "metadata": meta, "spec": spec}


def upstream_release(
    chart: UpstreamChart,
    version: str,
    values: dict[str, Any],
    *,
    namespace: str | None = None,
    **options: Any,
) -> Manifest:
    """A HelmRelease of an upstream chart from its HelmRepository, named as the chart table says."""
    where = namespace or chart.namespace
    assert where is not None, f"{chart.chart} is released per hub; give its namespace"
    return helm_release(
        chart.release, where, chart.chart, version, "HelmRepository", chart.repository.name, values, **options
    )


def kustomization_file(resources: list[str]) -> Manifest:
    """A kustomize `kustomization.yaml` that lists its resources explicitly, sorted."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(resources),
    }


#: A container that cannot gain privileges or keep any capability (validate's hardening lint).
NO_ESCALATION: dict[str, Any] = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
#: A pod whose containers run as nobody (65534), with the runtime's default seccomp profile.
NON_ROOT_POD: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "runAsGroup": 65534,
    "seccompProfile": {"type": "RuntimeDefault"},
}
