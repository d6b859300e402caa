"""Layer 7, references between expanded objects: what a Service, a claim or a hub's Ingress names
must exist. Each object is valid alone; these faults only show with the whole release in view.

- A Service with a selector selects pods of its own release (a typo in a label leaves a hub's
  proxy with no endpoints: every request a 503).
- A PersistentVolumeClaim names a StorageClass that exists (in the tree, a release, or EKS's own
  `gp2`) or, bound statically, a PersistentVolume that exists (a drive's claim and volume).
- Every Ingress a hub's JupyterHub renders is a minion of its cluster's host, at the hub's path.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..core.names import MERGEABLE_TYPE
from .images import pod_template
from .lint import ClusterLint, is_jupyterhub, release_namespace
from .manifests import Manifest

#: StorageClasses EKS creates in every cluster.
EKS_STORAGE_CLASSES = frozenset({"gp2"})


def _pod_labels(manifest: Manifest) -> dict[str, Any] | None:
    template = pod_template(manifest)
    if template is None:
        return None
    labels = (template.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


def _claims(manifest: Manifest) -> list[dict[str, Any]]:
    if manifest.kind == "PersistentVolumeClaim":
        return [manifest.spec]
    if manifest.kind == "StatefulSet":
        templates = manifest.spec.get("volumeClaimTemplates") or []
        return [t.get("spec") or {} for t in templates if isinstance(t, dict)]
    return []


def check_references(lint: ClusterLint, rendered: list[tuple[Manifest, Manifest]]) -> None:
    """`rendered`: (HelmRelease, object it renders) of this cluster's expanded releases."""
    by_release: dict[str, list[Manifest]] = defaultdict(list)
    releases: dict[str, Manifest] = {}
    for release, output in rendered:
        by_release[release.key].append(output)
        releases[release.key] = release
    everything = [*lint.objects, *(output for _, output in rendered)]
    classes = EKS_STORAGE_CLASSES | {m.name for m in everything if m.is_a("storage.k8s.io", "StorageClass")}
    volumes = {m.name for m in everything if m.kind == "PersistentVolume"}
    for key, outputs in sorted(by_release.items()):
        release = releases[key]
        pods = [labels for m in outputs if (labels := _pod_labels(m)) is not None]
        for output in outputs:
            if output.kind == "Service":
                _service(lint, release, output, pods)
            for claim in _claims(output):
                _claim(lint, release, output, claim, classes, volumes)
        if is_jupyterhub(release):
            for output in outputs:
                if output.is_a("networking.k8s.io", "Ingress"):
                    _hub_ingress(lint, release, output)


def _service(lint: ClusterLint, release: Manifest, service: Manifest, pods: list[dict[str, Any]]) -> None:
    selector = service.spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        return  # no selector: endpoints are managed by hand, on purpose
    check = f"service:{release.key}>{service.subject}"
    lint.tally.checked(check)
    if not any(all(labels.get(k) == v for k, v in selector.items()) for labels in pods):
        wanted = ", ".join(f"{k}={v}" for k, v in sorted(selector.items()))
        lint.fail(
            check,
            release,
            (),
            f"renders {service.subject} whose selector {wanted} matches no pod of this release",
        )


def _claim(
    lint: ClusterLint,
    release: Manifest,
    owner: Manifest,
    claim: dict[str, Any],
    classes: set[str] | frozenset[str],
    volumes: set[str],
) -> None:
    check = f"claim:{release.key}>{owner.subject}"
    lint.tally.checked(check)
    volume = claim.get("volumeName")
    storage_class = claim.get("storageClassName")
    if volume:
        if volume not in volumes:
            lint.fail(
                check,
                release,
                (),
                f"renders {owner.subject} bound to PersistentVolume {volume}, which nothing creates",
            )
    elif storage_class and storage_class not in classes:
        known = ", ".join(sorted(classes))
        lint.fail(
            check,
            release,
            (),
            f"renders {owner.subject} asking for StorageClass {storage_class}, which does not exist (known: {known})",
        )


def _hub_ingress(lint: ClusterLint, release: Manifest, ingress: Manifest) -> None:
    check = f"hub-ingress:{release.key}>{ingress.subject}"
    lint.tally.checked(check)
    role = (ingress.metadata.get("annotations") or {}).get(MERGEABLE_TYPE)
    hub = release_namespace(release)
    site = lint.cluster.hub_site(hub)
    wanted_path = site.path
    rules = ingress.spec.get("rules") or []
    hosts = {str(r.get("host")) for r in rules if isinstance(r, dict)}
    paths = {
        str(p.get("path"))
        for r in rules
        if isinstance(r, dict)
        for p in ((r.get("http") or {}).get("paths") or [])
        if isinstance(p, dict)
    }
    # urls: path, a minion of the cluster's host under /<hub>/; urls: host, an Ingress of its own
    # (not a minion of any master) for <hub>.<domain>.
    wanted_role = "minion" if lint.cluster.urls == "path" else None
    if (
        role != wanted_role
        or hosts != {site.host}
        or not paths
        or not all(p.startswith(wanted_path) for p in paths)
    ):
        shown = ", ".join(sorted(hosts)) or "no host"
        wanted = (
            f"a minion of {site.host} under {wanted_path}"
            if wanted_role
            else f"an Ingress of its own (not mergeable) for {site.host}"
        )
        lint.fail(
            check,
            release,
            ("spec", "values", "ingress"),
            f"renders {ingress.subject} ({role or 'not mergeable'}, {shown}, paths {', '.join(sorted(paths)) or 'none'}); "
            f"a hub's Ingress must be {wanted}",
        )
