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
from pathlib import PurePosixPath
from typing import Any

from ..core.charts import MINOR_PINNED_IMAGES, chart_spec
from ..core.layout import IMAGES_LOCK
from ..upstream.image_lock import LockedImage
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


#: What an image of the tree's own objects (not a chart's) is locked for.
TREE_RUNS = "gitops"


def runner(release: Manifest) -> str:
    """`<chart> <version>` of a HelmRelease (a chart of this repository: `<name> (gitops)`)."""
    spec = chart_spec(release.spec)
    chart, version = str(spec.get("chart", "")), spec.get("version")
    return f"{chart} {version}" if version else f"{PurePosixPath(chart).name} ({TREE_RUNS})"


def images_run(
    lint: ClusterLint, rendered: list[tuple[Manifest, Manifest]], user_pods: list[dict[str, Any]]
) -> dict[str, set[str]]:
    """Every image the cluster runs -> what runs it: its expanded releases' objects, its tree's, its
    hubs' user images (what KubeSpawner starts, from the input), and every container of the user
    pods KubeSpawner built when validate built them (z2jh's init containers come with those)."""
    found: dict[str, set[str]] = {}
    own = [(None, manifest) for manifest in lint.objects]
    for release, output in [*rendered, *own]:
        for _, container in containers(output):
            image = container.get("image")
            if isinstance(image, str) and image:
                found.setdefault(image, set()).add(runner(release) if release else TREE_RUNS)
    for hub in lint.cluster.hubs:
        chosen = {hub.image, *(image for profile in hub.profiles for image in profile.images)}
        for image in chosen:
            found.setdefault(f"{image.name}:{image.tag}", set()).add(TREE_RUNS)
    for pod in user_pods:
        spec = pod.get("spec")
        for field in ("initContainers", "containers"):
            for container in (spec.get(field) if isinstance(spec, dict) else None) or []:
                image = container.get("image") if isinstance(container, dict) else None
                if isinstance(image, str) and image:
                    found.setdefault(image, set()).add(TREE_RUNS)
    return found


def check_locked(lint: ClusterLint, used: dict[str, set[str]], lock: dict[str, LockedImage] | None) -> None:
    """Each image the cluster runs is in images.lock, locked for the chart versions that run it."""
    check = f"images-lock:{lint.cluster.name}"
    lint.tally.checked(check)
    source = lint.cluster.source_file
    if lock is None:
        lint.tally.warn(check, source, 0, "", f"no {IMAGES_LOCK}: every image is pinned by its tag only, and a "
                        "tag can move; run `hubfleet images lock` and commit it")  # fmt: skip
        return
    for image, runners in sorted(used.items()):
        entry = lock.get(image)
        if entry is None:
            lint.tally.fail(check, IMAGES_LOCK, 0, "", f"{image} ({', '.join(sorted(runners))}) is not in "
                            f"{IMAGES_LOCK}; run `hubfleet images lock` and commit it")  # fmt: skip
        elif not runners <= set(entry.charts):
            new = ", ".join(sorted(runners - set(entry.charts)))
            lint.tally.fail(check, IMAGES_LOCK, 0, "", f"{image} is locked for {', '.join(entry.charts) or 'nothing'}, "
                            f"not for {new}, which runs it now; run `hubfleet images lock` again")  # fmt: skip
    unresolved = sorted(image for image in used if image in lock and lock[image].digest is None)
    if unresolved:
        lint.tally.warn(check, IMAGES_LOCK, 0, "", f"{len(unresolved)} of the {len(used)} images {lint.cluster.name} "
                        "runs have no digest yet (digest: null); run `hubfleet images lock` where their registries "
                        "answer")  # fmt: skip


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
