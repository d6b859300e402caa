"""Shared layer: names that several stages must agree on (namespaces, objects, labels, tags).

Render writes these names and validate and aws look for them; each is defined here
once, so a rename reaches every stage. gitops/ paths are in `layout`.
"""

from __future__ import annotations

import re

from .kubernetes import minor

FLUX_NAMESPACE = "flux-system"
GIT_REPOSITORY = "flux-system"
KUBE_SYSTEM = "kube-system"
NGINX_NAMESPACE = "nginx-ingress"
MONITORING_NAMESPACE = "monitoring"
#: Where the Calico operator runs (the chart's and Calico's documented namespace).
TIGERA_NAMESPACE = "tigera-operator"
#: cert-manager, with `tls.mode: acme`.
CERT_MANAGER_NAMESPACE = "cert-manager"
#: Grafana's admin login, sealed by `hubfleet seal monitoring`, read by the Grafana release.
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_USER = "admin"
#: Alertmanager's receiver secrets (sealed), mounted as files, and their keys.
ALERT_RECEIVERS_SECRET = "alert-receivers"
SLACK_WEBHOOK_KEY = "slack-webhook"
SMTP_PASSWORD_KEY = "smtp-password"
RECEIVER_SECRETS_DIR = "/etc/alertmanager/secrets"
SEALED_SECRETS_NAMESPACE = "kube-system"
SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller"

#: Namespaces that belong to the cluster itself or its infrastructure; no hub may take one.
INFRA_NAMESPACES = frozenset(
    {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        FLUX_NAMESPACE,
        NGINX_NAMESPACE,
        MONITORING_NAMESPACE,
        TIGERA_NAMESPACE,
        CERT_MANAGER_NAMESPACE,
        # Made by the Calico operator for calico-node, Typha and kube-controllers.
        "calico-system",
    }
)

DRIVE_STORAGE_CLASS = "hubfleet-drive"
#: The cluster's VPC (eksctl's default, written out): drives answer only addresses in it.
VPC_CIDR = "192.168.0.0/16"
#: The VPC CNI add-on, pinned, with its network-policy enforcement on (drives' NetworkPolicies).
VPC_CNI_ADDON = "vpc-cni"
VPC_CNI_VERSION = "v1.22.3-eksbuild.1"
#: The per-hub drive: a release of the NFS drive chart hubfleet ships (gitops/charts/<DRIVE_CHART>).
DRIVE_RELEASE = "drive"
DRIVE_CHART = "nfs-drive"
#: A drive's claim: the nfs-drive chart names its StatefulSet "<release>-nfs" and its claim template
#: "data", and Kubernetes names the claim "<template>-<statefulset>-<ordinal>".
DRIVE_CLAIM = f"data-{DRIVE_RELEASE}-nfs-0"
HOME_CLAIM = "home"
#: z2jh's claim of the hub database (sqlite on its own small volume).
HUB_DB_CLAIM = "hub-db-dir"
#: Helm leaves a resource with this annotation in place when its release is uninstalled.
HELM_KEEP = {"helm.sh/resource-policy": "keep"}
#: NGINX Inc's annotation that makes Ingresses a master (one per host) and minions (one per path).
MERGEABLE_TYPE = "nginx.org/mergeable-ingress-type"
#: Flux's HelmRelease API group, and the suffix of sealed secrets committed under clusters/*/secrets/.
HELM_GROUP = "helm.toolkit.fluxcd.io"
SEALED_SUFFIX = ".sealedsecret.yaml"
INGRESS_CLASS = "nginx"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"

NODE_PURPOSE_LABEL = "hub.jupyter.org/node-purpose"
NODEGROUP_ROLE_LABEL = "nodegroup-role"
USER_TAINT_KEY = "hub.jupyter.org/dedicated"
#: eksctl labels every node of an unmanaged node group with the group's name, so a server can ask
#: for one group (nodes made before hubfleet used it carry it too); the autoscaler learns it for a
#: group scaled to zero from the matching template tag.
NODE_GROUP_LABEL = "alpha.eksctl.io/nodegroup-name"
#: A node group's generation: the Kubernetes minor its nodes were made for. Unmanaged groups cannot
#: change their AMI, so an upgrade adds a generation beside the old one and retires the old one once
#: drained. The generation is in the group's eksctl name, on its nodes as this label (for cordoning
#: a whole generation) and on its Auto Scaling group as this tag (the autoscaler, during a
#: rotation, grows only the current one).
GENERATION_LABEL = "hubfleet.io/generation"
#: The generation of groups made before hubfleet named generations: plain names, no label.
UNVERSIONED = "unversioned"
_GENERATION_SUFFIX = re.compile(r"-v1-([0-9]+)$")
#: The extended resource NVIDIA's device plugin advertises, and the taint that keeps every pod
#: that does not ask for a GPU off GPU nodes.
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT = {"key": GPU_RESOURCE, "value": "present", "effect": "NoSchedule"}
#: The label the cluster autoscaler reads on AWS to know a node's GPU (and wait for its driver).
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
MANAGED_BY = {"app.kubernetes.io/managed-by": "hubfleet"}
PRUNE_DISABLED = {"kustomize.toolkit.fluxcd.io/prune": "disabled"}

#: nodegroup-role label and JupyterHub node purpose of each role. Tools nodes have no purpose:
#: hub pods and drives, which require a purpose, must never land on them.
ROLE_LABELS: dict[str, tuple[str, str | None]] = {
    "tools": ("clustertools", None),
    "core": ("jhcontrolplane", "core"),
    "user": ("jhusers", "user"),
}

AUTOSCALER_TAG_PREFIX = "k8s.io/cluster-autoscaler"

# Flux Kustomization names in flux-system.
INFRA_CONTROLLERS = "infra-controllers"
INFRA_CONFIGS = "infra-configs"
INFRA_INGRESS = "infra-ingress"
INFRA_MONITORING = "infra-monitoring"
#: Paths under the cluster's host that hubs cannot take: Grafana is served at /grafana/.
RESERVED_HUB_NAMES = frozenset({"grafana", "prometheus"})
HUBS = "hubs"


def autoscaler_role_name(cluster: str) -> str:
    return f"{cluster}-cluster-autoscaler"


def aws_partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def node_labels(role: str, accelerator: str = "", generation: str = UNVERSIONED) -> dict[str, str]:
    """The labels hubfleet gives a node group of `role` (the node purpose first, when it has one);
    eksctl adds NODE_GROUP_LABEL itself."""
    role_label, purpose = ROLE_LABELS[role]
    labels = {NODEGROUP_ROLE_LABEL: role_label}
    if accelerator:
        labels[ACCELERATOR_LABEL] = accelerator
    if generation != UNVERSIONED:
        labels[GENERATION_LABEL] = generation
    return {NODE_PURPOSE_LABEL: purpose, **labels} if purpose else labels


def node_taints(role: str, gpus: int = 0) -> list[dict[str, str]]:
    """Taints of a node group: user nodes take only user servers, GPU nodes only pods asking for one."""
    taints = [{"key": USER_TAINT_KEY, "value": "user", "effect": "NoSchedule"}] if role == "user" else []
    return [*taints, dict(GPU_TAINT)] if gpus else taints


def autoscaler_tags(
    cluster: str,
    role: str,
    group: str,
    scales_from_zero: bool,
    gpus: int = 0,
    accelerator: str = "",
    generation: str = UNVERSIONED,
) -> dict[str, str]:
    """The Auto Scaling group tags eksctl writes and the cluster autoscaler (and `aws drift`) reads;
    `group` is the eksctl name (generation included)."""
    tags = {f"{AUTOSCALER_TAG_PREFIX}/enabled": "true", f"{AUTOSCALER_TAG_PREFIX}/{cluster}": "owned"}
    if generation != UNVERSIONED:
        tags[GENERATION_LABEL] = generation
    if scales_from_zero:
        # The autoscaler cannot see labels, taints and GPUs of a group with no node; these tags tell it.
        template = f"{AUTOSCALER_TAG_PREFIX}/node-template"
        for key, value in {**node_labels(role, accelerator, generation), NODE_GROUP_LABEL: group}.items():
            tags[f"{template}/label/{key}"] = value
        for taint in node_taints(role, gpus):
            tags[f"{template}/taint/{taint['key']}"] = f"{taint['value']}:{taint['effect']}"
        if gpus:
            tags[f"{template}/resources/{GPU_RESOURCE}"] = str(gpus)
    return dict(sorted(tags.items()))


def discovery_tags(cluster: str, generation: str) -> list[str]:
    """The tags (key, or key=value) an Auto Scaling group needs for the autoscaler to manage it: those
    `autoscaler_tags` writes, the generation's value included, so only the current generation's
    groups are managed and an old group never grows while it drains or before it is deleted."""
    return [
        f"{AUTOSCALER_TAG_PREFIX}/enabled",
        f"{AUTOSCALER_TAG_PREFIX}/{cluster}",
        f"{GENERATION_LABEL}={generation}",
    ]


def generation_name(group: str, generation: str) -> str:
    """The eksctl name of `group` in `generation`: user and 1.35 give user-v1-35."""
    return group if generation == UNVERSIONED else f"{group}-v{generation.replace('.', '-')}"


def generation_age(generation: str) -> int:
    """How new a generation is, for comparing two: its minor, and older than all for UNVERSIONED."""
    return -1 if generation == UNVERSIONED else minor(generation)


def split_generation(name: str) -> tuple[str, str]:
    """(group, generation) of an eksctl node-group name: the inverse of generation_name."""
    found = _GENERATION_SUFFIX.search(name)
    return (name[: found.start()], f"1.{found.group(1)}") if found else (name, UNVERSIONED)


#: What `new cluster` writes as flux.url when none is given; validate and bootstrap refuse it.
PLACEHOLDER_GIT_URL = "ssh://git@github.com/your-org/your-hubs.git"
#: What a value `hubfleet new hub --auth` leaves to replace holds; validate refuses it in a login.
PLACEHOLDER = re.compile(r"replace-?(?:me|with)", re.IGNORECASE)
