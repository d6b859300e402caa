"""Layer 7, images: what every expanded pod runs is pinned, and follows the cluster where it must.

Only expansion shows these: the images come from chart defaults as much as from values.
- Every container and init container image carries a tag or a digest, never `latest`: a
  moving tag makes two nodes run two different programs under one name.
- The cluster-autoscaler and kube-scheduler (z2jh's user-scheduler) images must be of the
  cluster's Kubernetes minor (the version-skew policy); render pins them (core/charts.py), so a
  mismatch means a hand edit or a chart whose default moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..core.charts import MINOR_PINNED_IMAGES
from .lint import ClusterLint
from .manifests import Manifest

#: Where each kind keeps its pod template (metadata and spec); a Pod is its own.
POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def pod_template(manifest: Manifest) -> dict[str, Any] | None:
    """The pod template of a workload (the Pod itself for a Pod), or None for other kinds."""
    path = POD_TEMPLATES.get(manifest.kind)
    if path is None:
        return None
    node: Any = manifest.data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def split_image(image: str) -> tuple[str, str, str]:
    """(repository, tag, digest) of an image reference; tag and digest may be empty."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest
    return rest, "", digest


def containers(manifest: Manifest) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = (pod_template(manifest) or {}).get("spec")
    if not isinstance(spec, dict):
        return
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            if isinstance(container, dict):
                yield field, container


def check_images(lint: ClusterLint, rendered: list[tuple[Manifest, Manifest]]) -> None:
    """`rendered`: (HelmRelease, object it renders) of this cluster's expanded releases."""
    minor = lint.cluster.kubernetes_version
    for release, output in rendered:
        for field, container in containers(output):
            image = str(container.get("image", ""))
            name = container.get("name", "?")
            check = f"image:{release.key}>{output.subject}>{name}"
            lint.tally.checked(check)
            repository, tag, digest = split_image(image)
            where = f"renders {output.subject} whose {field[:-1]} {name} runs {image or 'no image'}"
            if not digest and (not tag or tag == "latest"):
                lint.fail(
                    check,
                    release,
                    (),
                    f"{where}: not pinned; give it a version tag or a digest, never latest",
                )
                continue
            pinned = MINOR_PINNED_IMAGES.get(repository)
            if pinned is not None and not tag.startswith(f"v{minor}."):
                lint.fail(
                    check,
                    release,
                    (),
                    f"{where}, but the cluster runs Kubernetes {minor}; it must be of the same minor: "
                    f"{repository}:{pinned.get(minor, f'v{minor}.x')}",
                )
