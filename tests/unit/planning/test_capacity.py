"""Server profiles, GPU groups, sized core pods, two ingress replicas, and `hubfleet plan capacity`.

The capacity figures of the example are checked against a hand calculation written out
here from the instance facts (EKS max-pods and reserved-resource formulas) and the pod
sizes in core/capacity.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conftest import REPO, load_docs
from hubfleet.core.capacity import HUB_POD, NFS_SERVER_POD, PROXY_POD, USER_SCHEDULER_POD
from support.builders import make_cluster, position_of

HUB = "clusters/clusterA/hubs/course.yaml"
CLUSTER = "clusters/clusterA/cluster.yaml"
XLARGE = {"name": "user-xlarge", "instanceType": "t3a.xlarge", "maxSize": 5}
GPU = {"name": "gpu-t4", "instanceType": "g4dn.xlarge", "maxSize": 2}
SMALL = {"name": "small", "default": True, "nodeGroup": "user"}


def input_errors(root: Path, run: Callable[..., Result]) -> list[str]:
    result = run(root, "render", "clusterA")
    assert result.exit_code == 2, result.output
    return result.output.splitlines()[:-1]


def at(root: Path, file: str, field: str, message: str) -> str:
    line, column = position_of(root / file, field)
    return f"{file}:{line}:{column}: {field}: {message}"


@pytest.mark.parametrize(
    ("profiles", "field", "message"),
    [
        (
            [SMALL, {"name": "big", "nodeGroup": "user-huge"}],
            "profiles[1].nodeGroup",
            "'user-huge' is not a user node group of clusterA (user groups: user, user-xlarge, gpu-t4)",
        ),
        (
            [
                SMALL,
                {"name": "big", "nodeGroup": "user-xlarge", "memory": {"guarantee": "16G", "limit": "16G"}},
            ],
            "profiles[1].memory.guarantee",
            "16G does not fit a node of group user-xlarge: t3a.xlarge has 15391 MiB allocatable",
        ),
        (
            [SMALL, {"name": "gpu", "nodeGroup": "user-xlarge", "gpus": 1}],
            "profiles[1].gpus",
            "node group user-xlarge is t3a.xlarge, which has no GPU; name a group of a GPU type (g4dn, g5, g6)",
        ),
        (
            [SMALL, {"name": "big", "nodeGroup": "gpu-t4"}],
            "profiles[1].nodeGroup",
            "node group gpu-t4 is a GPU group (g4dn.xlarge); its nodes take only servers that ask for a GPU: set "
            "gpus, or name another group",
        ),
        (
            [SMALL, {"name": "gpu", "nodeGroup": "gpu-t4", "gpus": 2}],
            "profiles[1].gpus",
            "2 GPUs do not fit node group gpu-t4: g4dn.xlarge has 1",
        ),
        (
            [SMALL, {**SMALL, "name": "other"}],
            "profiles[1].default",
            "profiles[0] is the default already; exactly one profile is the default",
        ),
        (
            [{"name": "small", "nodeGroup": "user"}],
            "profiles",
            "no profile is the default; mark exactly one with default: true",
        ),
        (
            [SMALL, {"name": "small", "nodeGroup": "user-xlarge"}],
            "profiles[1].name",
            "'small' is already the name of profiles[0]",
        ),
        (
            [SMALL, {"name": "big", "nodeGroup": "user-xlarge", "cpu": {"guarantee": 3, "limit": 2}}],
            "profiles[1].cpu.guarantee",
            "3 is more than the limit 2",
        ),
    ],
)
def test_profile_rules(
    tmp_path: Path, run: Callable[..., Result], profiles: list[dict[str, Any]], field: str, message: str
) -> None:
    root = make_cluster(
        tmp_path, hubs={"course": {"profiles": profiles}}, **{"nodeGroups.extraUser": [XLARGE, GPU]}
    )
    assert at(root, HUB, field, message) in input_errors(root, run)


def test_a_gpu_type_eksctl_does_not_know_as_nvidia_is_refused(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_cluster(tmp_path, **{"nodeGroups.extraUser": [{**GPU, "instanceType": "p3.2xlarge"}]})
    assert at(
        root,
        CLUSTER,
        "nodeGroups.extraUser[0].instanceType",
        "eksctl v0.230.0 does not know p3.2xlarge as an NVIDIA type and would start it without GPU drivers; use "
        "g4dn, g5 or g6",
    ) in input_errors(root, run)


def test_the_tools_group_must_hold_two_ingress_replicas(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, nodeGroups__tools__maxSize=1)
    assert at(
        root,
        CLUSTER,
        "nodeGroups.tools.maxSize",
        "1 tools node cannot hold the 2 ingress replicas, which run on separate nodes so that one node's loss "
        "leaves every hub reachable; set maxSize: 2 or more",
    ) in input_errors(root, run)


# What render makes of it ---------------------------------------------------------------------------


def release(name: str) -> dict[str, Any]:
    (document,) = load_docs(REPO / f"gitops/hubs/clusterA/{name}/jupyterhub.yaml")
    return document


def test_profiles_run_on_their_node_group_and_gpu_profiles_tolerate_gpu_nodes() -> None:
    large = release("physics101")["spec"]["values"]["singleuser"]["profileList"][1]
    assert large["kubespawner_override"] == {
        "cpu_guarantee": 3.0,
        "cpu_limit": 4.0,
        "mem_guarantee": "12G",
        "mem_limit": "14G",
        "node_selector": {"alpha.eksctl.io/nodegroup-name": "user-xlarge-v1-35"},
    }
    gpu = release("datalab")["spec"]["values"]["singleuser"]["profileList"][1]["kubespawner_override"]
    assert gpu["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in gpu["tolerations"]
    assert {
        "key": "hub.jupyter.org/dedicated",
        "operator": "Equal",
        "value": "user",
        "effect": "NoSchedule",
    } in gpu["tolerations"]
    # A hub without profiles, and every hub's placeholders, stay on the main user group.
    assert release("bio150")["spec"]["values"]["singleuser"]["nodeSelector"] == {
        "alpha.eksctl.io/nodegroup-name": "user-v1-35"
    }


def test_core_pods_have_requests_and_one_user_scheduler() -> None:
    values = release("physics101")["spec"]["values"]
    assert values["hub"]["resources"] == HUB_POD.resources()
    assert values["proxy"]["chp"]["resources"] == PROXY_POD.resources()
    scheduler = values["scheduling"]["userScheduler"]
    assert (scheduler["replicas"], scheduler["resources"]) == (1, USER_SCHEDULER_POD.resources())
    (drive,) = load_docs(REPO / "gitops/hubs/clusterA/physics101/drive.yaml")
    assert drive["spec"]["values"]["resources"] == NFS_SERVER_POD.resources()


def test_a_gpu_group_is_tainted_labelled_and_tagged_for_scale_from_zero() -> None:
    (config,) = load_docs(REPO / "gitops/eksctl/clusterA.yaml")
    group = next(g for g in config["nodeGroups"] if g["name"] == "gpu-t4-v1-35")
    assert group["taints"] == [
        {"key": "hub.jupyter.org/dedicated", "value": "user", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
    ]
    assert group["labels"]["k8s.amazonaws.com/accelerator"] == "nvidia-tesla-t4"
    template = "k8s.io/cluster-autoscaler/node-template"
    assert {key: value for key, value in group["tags"].items() if key.startswith(template)} == {
        f"{template}/label/alpha.eksctl.io/nodegroup-name": "gpu-t4-v1-35",
        f"{template}/label/hub.jupyter.org/node-purpose": "user",
        f"{template}/label/hubfleet.io/generation": "1.35",
        f"{template}/label/k8s.amazonaws.com/accelerator": "nvidia-tesla-t4",
        f"{template}/label/nodegroup-role": "jhusers",
        f"{template}/resources/nvidia.com/gpu": "1",
        f"{template}/taint/hub.jupyter.org/dedicated": "user:NoSchedule",
        f"{template}/taint/nvidia.com/gpu": "present:NoSchedule",
    }


def test_two_ingress_replicas_on_two_nodes_with_a_disruption_budget() -> None:
    (document,) = load_docs(REPO / "gitops/infrastructure/clusterA/ingress/nginx-ingress.yaml")
    controller = document["spec"]["values"]["controller"]
    assert controller["replicaCount"] == 2
    assert controller["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    (spread,) = controller["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["whenUnsatisfiable"], spread["maxSkew"]) == (
        "kubernetes.io/hostname",
        "DoNotSchedule",
        1,
    )


# The plan -------------------------------------------------------------------------------------------


def allocatable(
    vcpu: int, memory_mib: int, enis: int, ips: int, monitoring: bool = True
) -> tuple[int, int, int]:
    """(max pods, millicpu and MiB left for pods) by the EKS formulas, written out again, less what
    the DaemonSets request on every node (150m, 160Mi, and calico-node's 100m, 128Mi; with monitoring
    node-exporter's 10m, 32Mi)."""
    pods = enis * (ips - 1) + 2
    reserved_cpu = 60 + (10 if vcpu > 1 else 0) + 5 * min(max(vcpu - 2, 0), 2) + 2.5 * max(vcpu - 4, 0)
    cpu_ds, memory_ds = (260, 320) if monitoring else (250, 288)
    return pods, int(vcpu * 1000 - reserved_cpu) - cpu_ds, memory_mib - (255 + 11 * pods) - 100 - memory_ds


def plan_json(run: Callable[..., Result]) -> dict[str, Any]:
    result = run(REPO, "plan", "capacity", "clusterA", "--format", "json")
    assert result.exit_code == 0, result.output
    (cluster,) = json.loads(result.output)
    return dict(cluster)


def test_the_example_plan_matches_a_hand_calculation(run: Callable[..., Result]) -> None:
    plan = plan_json(run)
    groups = {group["name"]: group for group in plan["nodeGroups"]}
    # aws-node, kube-proxy, EBS and NFS CSI node plugins, calico-node, NVIDIA's (a GPU group exists),
    # node-exporter.
    daemonsets = 7

    # Core: three active hubs (hub, proxy, one user-scheduler, NFS server) and one retired (NFS server).
    pods, cpu, memory = allocatable(2, 4096, 3, 6)  # t3a.medium
    core = groups["core"]
    assert (core["pods"], core["cpuRequests"], core["memoryRequestsMiB"]) == (
        3 * 4 + 1,
        (3 * (100 + 50 + 20 + 100) + 100) / 1000,
        3 * (512 + 128 + 128 + 256) + 256,
    )
    assert core["podsPerNode"] == pods - daemonsets == 10
    assert core["neededBy"] == {
        "pods": math.ceil(13 / 10),
        "cpu": math.ceil(910 / cpu),
        "memory": math.ceil(3328 / memory),
        # Whole pods per node, the worst size: 6 hub pods (512Mi) fit, 3 are needed.
        "packing": max(
            math.ceil(3 / min(12, cpu // 100, memory // 512)),
            math.ceil(4 / min(12, cpu // 100, memory // 256)),
        ),
        "ebs": math.ceil(7 / 24),
    }
    assert core["nodesNeeded"] == 2 and core["headroom"] == 10 - 2

    # Tools: CoreDNS 2, EBS CSI controller 2, autoscaler, sealed-secrets, NFS CSI controller,
    # nginx-ingress 2, Calico's operator, Typha 2 and kube-controllers; then monitoring: Prometheus (no config reloader beside it), kube-state-metrics,
    # Grafana with its dashboard sidecar, Alertmanager (the example has receivers), and their three
    # volumes in the core zone.
    tools = groups["tools"]
    assert (tools["pods"], tools["cpuRequests"], tools["memoryRequestsMiB"]) == (
        9 + 4 + 4,
        (2 * 100 + 2 * 60 + 100 + 50 + 30 + 2 * 100 + 50 + 2 * 50 + 20 + 250 + 20 + (50 + 10) + 20) / 1000,
        2 * 70 + 2 * 240 + 300 + 64 + 60 + 2 * 128 + 128 + 2 * 128 + 64 + 1024 + 64 + (128 + 64) + 64,
    )
    assert tools["neededBy"]["ebs"] == 1 and tools["ebsVolumes"] == 3

    # User: expectedUsers of each hub's default server (physics101 60 x 2G, datalab and bio150 20 x 1G,
    # all 0.5 CPU), plus physics101's 5 placeholders of its one size (0.5 CPU, 2G).
    pods, cpu, memory = allocatable(2, 8192, 3, 12)  # t3a.large
    user = groups["user"]
    assert (user["pods"], user["cpuRequests"], user["memoryRequestsMiB"]) == (
        60 + 20 + 20 + 5,
        105 * 0.5,
        60 * 2048 + 40 * 1024 + 5 * 2048,
    )
    per_node_2g = min(pods - daemonsets, cpu // 500, memory // 2048)
    per_node_1g = min(pods - daemonsets, cpu // 500, memory // 1024)
    assert user["neededBy"] == {
        "pods": math.ceil(105 / (pods - daemonsets)),
        "cpu": math.ceil(52500 / cpu),
        "memory": math.ceil(174080 / memory),
        "packing": max(math.ceil(65 / per_node_2g), math.ceil(40 / per_node_1g)),
    }
    assert user["nodesNeeded"] == 32 and user["headroom"] == 35 - 32
    assert user["cost"] == round(32 * 0.0752 * 730, 2)
    assert groups["gpu-t4"]["nodesNeeded"] == 0 and groups["gpu-t4"]["cost"] == 0
    assert plan["controlPlaneCost"] == 73.0


def test_the_plan_says_the_date_and_source_of_its_prices(run: Callable[..., Result]) -> None:
    text = run(REPO, "plan", "capacity", "clusterA").output
    assert (
        "  prices: on-demand prices of us-east-1, 2026-07-20 (us-west-2 priced at us-east-1 rates); see "
        "data/prices.json for sources"
    ) in text.splitlines()


def test_core_nodes_that_cannot_hold_the_hubs_are_a_finding(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    hubs = {f"hub{i}": {} for i in range(4)}
    root = make_cluster(tmp_path, hubs=hubs, nodeGroups__core__maxSize=1)
    assert run(root, "render", "clusterA").exit_code == 0
    result = run(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    pods, cpu, memory = allocatable(2, 4096, 3, 6, monitoring=False)
    assert (
        f"{CLUSTER}: nodeGroups.core.maxSize: 4 active and 0 retired hubs put 16 pods, 1.08 CPUs and 4.0 GiB "
        f"of requests and 8 EBS volumes on core nodes; a t3a.medium holds {pods - 5} of those pods ({pods} max "
        f"pods less 5 DaemonSet pods), {cpu / 1000:g} CPUs, {memory} MiB and 24 volumes, so 2 nodes are needed "
        "(by pods 2, cpu 1, memory 2, packing 1, ebs 1) and maxSize is 1: raise maxSize or use a bigger core "
        "instance type"
    ) in result.output.splitlines()


def test_user_nodes_short_of_the_expected_users_are_a_warning(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_cluster(tmp_path, hubs={"course": {"expectedUsers": 200}}, nodeGroups__user__maxSize=10)
    assert run(root, "render", "clusterA").exit_code == 0
    result = run(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    # 200 x (0.5 CPU, 1G) on t3a.large: 1780m left for pods (1930m less 150m for DaemonSets) holds
    # three whole servers, so 67 nodes (by CPU summed, 57).
    assert (
        f"{CLUSTER}: warning: node group user: the hubs' expectedUsers need 67 x t3a.large and maxSize is 10; the "
        "last users would wait for a node that never comes (`hubfleet plan capacity` shows the figures)"
    ) in result.output.splitlines()
