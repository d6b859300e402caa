"""Names that several stages must agree on: namespaces, object names, labels, paths."""

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

# Flux Kustomization names in flux-system.
INFRA_CONTROLLERS = "infra-controllers"
INFRA_CONFIGS = "infra-configs"
INFRA_INGRESS = "infra-ingress"
HUBS = "hubs"

# Folders of the rendered tree, relative to gitops/ (the writer's output folder).
GITOPS = "gitops"
BOOTSTRAP_DIR = "flux-system"


def cluster_entry_dir(cluster: str) -> str:
    return f"clusters/{cluster}"


def infra_dir(cluster: str, layer: str) -> str:
    return f"infrastructure/{cluster}/{layer}"


def hubs_dir(cluster: str) -> str:
    return f"hubs/{cluster}"


def eksctl_file(cluster: str) -> str:
    return f"eksctl/{cluster}.yaml"


def flux_path(gitops_relative: str) -> str:
    """The path a Flux Kustomization gives for a folder of the tree (relative to the repository)."""
    return f"./{GITOPS}/{gitops_relative}"


def owned_paths(cluster: str) -> tuple[str, ...]:
    """Everything under gitops/ that a render of `cluster` owns (folders end in /)."""
    return (
        f"{cluster_entry_dir(cluster)}/",
        f"infrastructure/{cluster}/",
        f"{hubs_dir(cluster)}/",
        eksctl_file(cluster),
    )


def autoscaler_role_name(cluster: str) -> str:
    return f"{cluster}-cluster-autoscaler"


def aws_partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
