"""Risk flags that come from the objects Flux applies (no input can produce these changes, since
render always writes the safe form; a hand-edited base tree or a future render could)."""

from __future__ import annotations

import copy
from typing import Any

from hubfleet.core.layout import Layout
from hubfleet.planning.objects import object_changes
from hubfleet.planning.risks import object_risks
from hubfleet.render.common import OutputFile
from hubfleet.write.tree import serialise


def lines(
    base: dict[str, Any], head: dict[str, Any] | None, path: str = "hubs/clusterA/physics101/x.yaml"
) -> list[str]:
    before = {path: serialise(OutputFile(path, "clusters/clusterA/cluster.yaml", [base]))}
    after = {path: serialise(OutputFile(path, "clusters/clusterA/cluster.yaml", [head]))} if head else {}
    return [
        risk.text() for change in object_changes(Layout(), before, after) for risk in object_risks(change)
    ]


def drive() -> dict[str, Any]:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "drive", "namespace": "physics101",
                     "annotations": {"kustomize.toolkit.fluxcd.io/prune": "disabled"}},
        "spec": {"values": {"size": "100Gi"}},
    }  # fmt: skip


def test_losing_the_prune_guard_is_blocking() -> None:
    head = copy.deepcopy(drive())
    del head["metadata"]["annotations"]
    assert lines(drive(), head) == [
        "blocking: data: clusterA/HelmRelease physics101/drive: loses kustomize.toolkit.fluxcd.io/prune: disabled, "
        "so Flux would delete it, and the data it holds, once it leaves the tree"
    ]


def test_an_object_flux_does_not_prune_can_leave_the_tree() -> None:
    assert lines(drive(), None) == []


def storage_class(policy: str, kind: str = "gp3") -> dict[str, Any]:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "hubfleet-drive"},
            "reclaimPolicy": policy, "parameters": {"type": kind}}  # fmt: skip


def test_the_drive_class_deleting_volumes_is_blocking() -> None:
    path = "infrastructure/clusterA/controllers/storageclass.yaml"
    assert lines(storage_class("Retain"), storage_class("Delete"), path) == [
        "blocking: data: clusterA/StorageClass hubfleet-drive: reclaimPolicy becomes Delete: a volume is deleted "
        "with its claim"
    ]
    assert lines(storage_class("Retain"), storage_class("Retain", "io2"), path) == [
        "warning: data: clusterA/StorageClass hubfleet-drive: parameters.type: gp3 -> io2: a StorageClass cannot be "
        "changed in place, so the apply fails until it is deleted and made again (its volumes keep their settings)"
    ]
    without = storage_class("Retain")
    del without["reclaimPolicy"]  # the default is Delete
    assert lines(storage_class("Retain"), without, path)[0].startswith(
        "blocking: data: clusterA/StorageClass hubfleet-drive: reclaimPolicy becomes Delete"
    )


def test_immutable_fields_and_removed_volumes_are_warnings() -> None:
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "nfs", "namespace": "lab"},
        "spec": {"volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "1Gi"}}}}]},
    }
    grown = copy.deepcopy(statefulset)
    grown["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert lines(statefulset, grown) == [
        "warning: data: clusterA/StatefulSet lab/nfs: an immutable field changes (volumeClaimTemplates or "
        "selector): Kubernetes refuses the update until the StatefulSet is replaced"
    ]
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "lab"},
             "spec": {"storageClassName": "gp3"}}  # fmt: skip
    assert lines(claim, None) == [
        "warning: data: clusterA/PersistentVolumeClaim lab/data: removed: with Flux pruning, its volumes may be "
        "released or deleted"
    ]


def test_turning_prune_on_is_a_warning() -> None:
    kustomization = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                     "metadata": {"name": "hubs", "namespace": "flux-system"}, "spec": {"prune": False}}  # fmt: skip
    pruning = copy.deepcopy(kustomization)
    pruning["spec"]["prune"] = True
    assert lines(kustomization, pruning, "clusters/clusterA/hubs.yaml") == [
        "warning: data: clusterA/Kustomization flux-system/hubs: spec.prune is turned on: objects that leave its "
        "path are deleted from the cluster"
    ]


def test_secret_values_in_lists_are_hidden_too() -> None:
    path = "hubs/clusterA/physics101/secret.yaml"
    old = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "physics101"},
           "stringData": [{"k": "s3cret-old"}], "data": {"list": ["QUJD", "REVG"]}}  # fmt: skip
    new = copy.deepcopy(old)
    new["stringData"][0]["k"] = "s3cret-new"
    new["data"]["list"] = ["R0hJ"]
    before = {path: serialise(OutputFile(path, "x", [old]))}
    after = {path: serialise(OutputFile(path, "x", [new]))}
    (change,) = object_changes(Layout(), before, after)
    shown = "\n".join(f.line() for f in change.fields)
    assert shown == "data.list: (hidden) -> (hidden)\nstringData[0].k: (hidden) -> (hidden)"


def test_list_entries_with_names_are_matched_by_name_and_shown_whole_when_added_or_removed() -> None:
    path = "hubs/clusterA/physics101/deploy.yaml"

    def deployment(*containers: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "p"},
                "spec": {"template": {"spec": {"containers": list(containers)}}}}  # fmt: skip

    app = {"name": "app", "image": "app:1", "ports": [{"containerPort": 80}]}
    side = {"name": "side", "image": "side:1"}
    old = deployment(app, side)
    new = deployment({"name": "first", "image": "first:1"}, {**app, "image": "app:2"})
    before = {path: serialise(OutputFile(path, "x", [old]))}
    after = {path: serialise(OutputFile(path, "x", [new]))}
    (change,) = object_changes(Layout(), before, after)
    # One entry added in front, one removed, one changed: not every later entry shifted.
    assert [f.line() for f in change.fields] == [
        "spec.template.spec.containers[name=app].image: app:1 -> app:2",
        "spec.template.spec.containers[name=first]: added entry",
        "spec.template.spec.containers[name=side]: removed entry",
    ]
    # Entries without distinct names stay positional.
    unnamed = deployment({"image": "a:1"}, {"image": "b:1"})
    moved = deployment({"image": "a:2"}, {"image": "b:1"})
    (change,) = object_changes(
        Layout(),
        {path: serialise(OutputFile(path, "x", [unnamed]))},
        {path: serialise(OutputFile(path, "x", [moved]))},
    )
    assert [f.line() for f in change.fields] == ["spec.template.spec.containers[0].image: a:1 -> a:2"]
