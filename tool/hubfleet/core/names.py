"""Shared layer: names that several stages must agree on (namespaces, objects, labels, tags).

Render writes these names and validate and aws look for them; each is defined here
once, so a rename reaches every stage. gitops/ paths are in `layout`.
"""

from __future__ import annotations

FLUX_NAMESPACE = "flux-system"
GIT_REPOSITORY = "flux-system"
KUBE_SYSTEM = "kube-system"
NGINX_NAMESPACE = "nginx-ingress"
SEALED_SECRETS_NAMESPACE = "kube-system"
SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller"

#: Namespaces that belong to the cluster itself or its infrastructure; no hub may take one.
INFRA_NAMESPACES = frozenset(
    {"default", "kube-system", "kube-public", "kube-node-lease", FLUX_NAMESPACE, NGINX_NAMESPACE}
)

DRIVE_STORAGE_CLASS = "hubfleet-drive"
#: The per-hub drive: a release of our NFS drive chart, from this repository.
DRIVE_RELEASE = "drive"
DRIVE_CHART = "./charts/nfs-drive"
#: A drive's claim: charts/nfs-drive names its StatefulSet "<release>-nfs" and its claim template
#: "data", and Kubernetes names the claim "<template>-<statefulset>-<ordinal>".
DRIVE_CLAIM = f"data-{DRIVE_RELEASE}-nfs-0"
HOME_CLAIM = "home"
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
HUBS = "hubs"


def autoscaler_role_name(cluster: str) -> str:
    return f"{cluster}-cluster-autoscaler"


def aws_partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def node_labels(role: str) -> dict[str, str]:
    """Kubernetes labels of a node group of `role` (the node purpose first, when it has one)."""
    role_label, purpose = ROLE_LABELS[role]
    labels = {NODEGROUP_ROLE_LABEL: role_label}
    return {NODE_PURPOSE_LABEL: purpose, **labels} if purpose else labels


def user_taint(role: str) -> dict[str, str] | None:
    """The taint that keeps everything but user servers off user nodes."""
    return {"key": USER_TAINT_KEY, "value": "user", "effect": "NoSchedule"} if role == "user" else None


def autoscaler_tags(cluster: str, role: str, scales_from_zero: bool) -> dict[str, str]:
    """The Auto Scaling group tags eksctl writes and the cluster autoscaler (and `aws drift`) reads."""
    tags = {f"{AUTOSCALER_TAG_PREFIX}/enabled": "true", f"{AUTOSCALER_TAG_PREFIX}/{cluster}": "owned"}
    if scales_from_zero:
        # The autoscaler cannot see labels and taints of a group with no node; these tags tell it.
        for key, value in node_labels(role).items():
            tags[f"{AUTOSCALER_TAG_PREFIX}/node-template/label/{key}"] = value
        taint = user_taint(role)
        if taint:
            tags[f"{AUTOSCALER_TAG_PREFIX}/node-template/taint/{taint['key']}"] = (
                f"{taint['value']}:{taint['effect']}"
            )
    return dict(sorted(tags.items()))
