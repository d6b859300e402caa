"""The eksctl ClusterConfig: valid for eksctl, and shaped the way hubs need their nodes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from conftest import REPO, schema_errors
from hubfleet.inputs.pipeline import load_cluster
from hubfleet.render.eksctl import render_cluster_config
from hubfleet.system.project import Project


def config(**changes: Any) -> dict[str, Any]:
    cluster = load_cluster(Project(REPO), "clusterA")
    return render_cluster_config(replace(cluster, **changes))


def groups(cfg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Node groups by the name people use: the example's are all in its 1.35 generation."""
    return {group["name"].removesuffix("-v1-35"): group for group in cfg["nodeGroups"]}


def test_valid_against_eksctl_schema(upstream: Path) -> None:
    errors = schema_errors(config(), upstream / "eksctl" / "clusterconfig-v1alpha5.schema.json")
    assert errors == []


def test_a_typo_fails_the_eksctl_schema(upstream: Path) -> None:
    cfg = config()
    cfg["nodeGroups"][0]["instanceTyp"] = "t3a.medium"
    assert schema_errors(cfg, upstream / "eksctl" / "clusterconfig-v1alpha5.schema.json")


def test_tools_and_core_are_pinned_to_the_core_zone_and_users_span_zones() -> None:
    by_name = groups(config())
    assert by_name["tools"]["availabilityZones"] == ["us-west-2b"]
    assert by_name["core"]["availabilityZones"] == ["us-west-2b"]
    assert by_name["user"]["availabilityZones"] == ["us-west-2a", "us-west-2b", "us-west-2c"]


def test_labels_taints_and_hardening_by_role() -> None:
    by_name = groups(config())
    # Tools nodes carry no hub purpose, so hub pods and drives (which require one) never land there.
    assert by_name["tools"]["labels"] == {"nodegroup-role": "clustertools", "hubfleet.io/generation": "1.35"}
    assert by_name["core"]["labels"]["hub.jupyter.org/node-purpose"] == "core"
    assert by_name["core"]["labels"]["nodegroup-role"] == "jhcontrolplane"
    assert by_name["user"]["labels"] == {
        "hub.jupyter.org/node-purpose": "user",
        "nodegroup-role": "jhusers",
        "hubfleet.io/generation": "1.35",
    }
    assert by_name["user"]["taints"] == [
        {"key": "hub.jupyter.org/dedicated", "value": "user", "effect": "NoSchedule"}
    ]
    assert "taints" not in by_name["core"]
    for name in ("tools", "core"):
        assert by_name[name]["kubeletExtraConfig"] == {"readOnlyPort": 0, "protectKernelDefaults": True}
        assert any("kernel.panic_on_oops=1" in c for c in by_name[name]["preBootstrapCommands"])
    assert "protectKernelDefaults" not in by_name["user"]["kubeletExtraConfig"]
    for name in ("core", "user"):
        assert "modprobe nfsd" in by_name[name]["preBootstrapCommands"]
    assert "modprobe nfs" not in by_name["tools"]["preBootstrapCommands"]
    assert {g["volumeType"] for g in by_name.values()} == {"gp3"}
    assert {g["amiFamily"] for g in by_name.values()} == {"AmazonLinux2023"}


def test_sizes_come_from_the_input() -> None:
    tools = groups(config())["tools"]
    assert (
        tools["instanceType"],
        tools["minSize"],
        tools["maxSize"],
        tools["desiredCapacity"],
        tools["volumeSize"],
    ) == (
        "t3a.medium",
        1,
        4,
        1,
        20,
    )


def test_autoscaler_discovery_tags_and_scale_from_zero_templates() -> None:
    cluster = load_cluster(Project(REPO), "clusterA")
    user = cluster.node_group("user")
    extra = replace(user, name="user-xlarge", instance_type="t3a.xlarge", min_size=0, desired_capacity=0)
    by_name = groups(config(node_groups=(*cluster.node_groups, extra)))
    tags = by_name["user-xlarge"]["tags"]
    assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert tags["k8s.io/cluster-autoscaler/clusterA"] == "owned"
    assert tags["k8s.io/cluster-autoscaler/node-template/label/hub.jupyter.org/node-purpose"] == "user"
    assert (
        tags["k8s.io/cluster-autoscaler/node-template/label/alpha.eksctl.io/nodegroup-name"]
        == "user-xlarge-v1-35"
    )
    assert tags["hubfleet.io/generation"] == "1.35"
    assert (
        tags["k8s.io/cluster-autoscaler/node-template/taint/hub.jupyter.org/dedicated"] == "user:NoSchedule"
    )
    assert not any("node-template" in key for key in by_name["user"]["tags"])


def test_ebs_csi_addon_and_irsa_for_the_autoscaler() -> None:
    cfg = config()
    assert cfg["iam"]["withOIDC"] is True
    (account,) = cfg["iam"]["serviceAccounts"]
    assert account["metadata"] == {"name": "cluster-autoscaler", "namespace": "kube-system"}
    assert account["wellKnownPolicies"] == {"autoScaler": True}
    assert account["roleName"] == "clusterA-cluster-autoscaler"
    addons = {addon["name"]: addon for addon in cfg["addons"]}
    assert sorted(addons) == ["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]
    # "latest": the newest EKS offers for the cluster's minor, so `eksctl update addon -f` moves them
    # with the control plane (without a version it keeps the installed one).
    assert addons["kube-proxy"] == {
        "name": "kube-proxy",
        "version": "latest",
        "resolveConflicts": "overwrite",
    }
    assert addons["coredns"] == {"name": "coredns", "version": "latest", "resolveConflicts": "overwrite"}
    assert addons["aws-ebs-csi-driver"]["version"] == "latest"
    assert addons["aws-ebs-csi-driver"]["wellKnownPolicies"] == {"ebsCSIController": True}
    assert addons["vpc-cni"]["attachPolicyARNs"] == ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]


ROTATION = Path(__file__).resolve().parents[2] / "fixtures" / "upgrade-rotation" / "expected"


def rotation_groups(stage: str) -> dict[str, dict[str, Any]]:
    """The node groups of one stage of the upgrade-rotation golden case, by eksctl name."""
    loaded = YAML(typ="safe").load((ROTATION / "eksctl" / f"{stage}.yaml").read_text())
    return {group["name"]: group for group in loaded["nodeGroups"]}


def same_but_names(group: dict[str, Any], stage: str) -> dict[str, Any]:
    """A group with the cluster's own name taken out of its autoscaler tags (stages are clusters)."""
    tags = {key.replace(f"/{stage}", "/CLUSTER"): value for key, value in group["tags"].items()}
    return {**group, "tags": tags}


def test_a_rotation_keeps_the_old_generation_as_it_was_beside_the_new_then_retires_it() -> None:
    before, during, after = (rotation_groups(stage) for stage in ("before", "during", "after"))
    names = ["tools", "core", "user", "user-xlarge"]
    assert list(before) == [f"{name}-v1-34" for name in names]
    assert list(during) == [f"{name}-v1-35" for name in names] + [f"{name}-v1-34" for name in names]
    assert list(after) == [f"{name}-v1-35" for name in names]
    # The old generation is listed exactly as it was created, so eksctl leaves it alone.
    for name in before:
        assert same_but_names(during[name], "during") == same_but_names(before[name], "before")
    # The new one has the same labels, taints, zones, sizes and tags, under its own generation.
    for name in names:
        old, new = before[f"{name}-v1-34"], after[f"{name}-v1-35"]
        assert {k: v for k, v in new.items() if k not in ("name", "labels", "tags")} == {
            k: v for k, v in old.items() if k not in ("name", "labels", "tags")
        }
        assert new["labels"] == {**old["labels"], "hubfleet.io/generation": "1.35"}
        assert same_but_names(during[f"{name}-v1-35"], "during") == same_but_names(new, "after")


def test_during_a_rotation_only_the_new_generation_grows_and_takes_new_servers() -> None:
    def discovery(stage: str) -> list[str]:
        path = ROTATION / "infrastructure" / stage / "controllers" / "cluster-autoscaler.yaml"
        return list(YAML(typ="safe").load(path.read_text())["spec"]["values"]["autoDiscovery"]["tags"])

    assert discovery("during") == [
        "k8s.io/cluster-autoscaler/enabled",
        "k8s.io/cluster-autoscaler/during",
        "hubfleet.io/generation=1.35",
    ]
    # Afterwards too: an old group left until `eksctl delete` never grows again.
    assert discovery("after") == [
        "k8s.io/cluster-autoscaler/enabled",
        "k8s.io/cluster-autoscaler/after",
        "hubfleet.io/generation=1.35",
    ]
    assert discovery("legacy")[-1] == "hubfleet.io/generation=1.35"
    # The old groups carry their own generation's tag (or none, made before generations): never 1.35.
    for name, group in rotation_groups("during").items():
        assert group["tags"]["hubfleet.io/generation"] == ("1.35" if name.endswith("-v1-35") else "1.34")
    assert all(
        "hubfleet.io/generation" not in g["tags"] for g in list(rotation_groups("legacy").values())[4:]
    )
    for stage in ("during", "legacy"):
        path = ROTATION / "hubs" / stage / "course" / "jupyterhub.yaml"
        single = YAML(typ="safe").load(path.read_text())["spec"]["values"]["singleuser"]
        assert single["nodeSelector"] == {"alpha.eksctl.io/nodegroup-name": "user-v1-35"}
        assert [p["kubespawner_override"]["node_selector"] for p in single["profileList"]] == [
            {"alpha.eksctl.io/nodegroup-name": "user-v1-35"},
            {"alpha.eksctl.io/nodegroup-name": "user-xlarge-v1-35"},
        ]


def test_the_rotation_stages_are_valid_for_eksctl(upstream: Path) -> None:
    schema = upstream / "eksctl" / "clusterconfig-v1alpha5.schema.json"
    for stage in ("before", "during", "after", "legacy"):
        loaded = YAML(typ="safe").load((ROTATION / "eksctl" / f"{stage}.yaml").read_text())
        assert schema_errors(loaded, schema) == [], stage


def test_user_nodes_kill_only_the_process_that_overran_its_memory() -> None:
    """kubelet's singleProcessOOMKill on user groups (1.32 and later), not on tools and core; a
    group may keep the whole-container kill; an older kubelet does not know the field."""
    by_name = groups(config())
    for name in ("user", "user-xlarge", "gpu-t4"):
        assert by_name[name]["kubeletExtraConfig"] == {"singleProcessOOMKill": True}, name
    for name in ("tools", "core"):
        assert "singleProcessOOMKill" not in by_name[name]["kubeletExtraConfig"], name
    cluster = load_cluster(Project(REPO), "clusterA")
    kept = tuple(
        replace(g, oom_kill="container") if g.name == "user-xlarge" else g for g in cluster.node_groups
    )
    assert "kubeletExtraConfig" not in groups(config(node_groups=kept))["user-xlarge"]
    older = render_cluster_config(replace(cluster, kubernetes_version="1.31"))
    assert not any("singleProcessOOMKill" in g.get("kubeletExtraConfig", {}) for g in older["nodeGroups"])
