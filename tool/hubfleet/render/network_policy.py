"""Network-policy enforcement for every pod: Calico in policy-only mode beside the VPC CNI.

Why Calico and not the VPC CNI's own enforcement: the VPC CNI's network-policy agent applies a
policy only to pods that have an owner (a ReplicaSet, a StatefulSet, ...), and the user pods
KubeSpawner makes have none (aws-network-policy-agent#327), so z2jh's user-pod policy (no private
addresses, no cloud metadata) held for nobody. Calico's policy-only mode keeps the VPC CNI for
addresses and routing (pods stay first-class VPC addresses; nothing about the network changes)
and enforces every NetworkPolicy on every pod, owned or not, as the largest public JupyterHub
fleet runs it on EKS. VPC CNI custom networking (pods on a CIDR of their own) was the other
route: it would let an address rule tell pods from nodes, but still leave ownerless pods
unenforced, and it rebuilds every node group. So the VPC CNI's own enforcement is turned off
(render/eksctl.py): one enforcer, whose model validate knows.

Installed in the controllers layer: the CRD chart first (Calico 3.32 ships its CRDs apart), then
the operator, which runs calico-node on every node and Typha and kube-controllers on tools nodes.
No Calico API server, Goldmane or Whisker: hubfleet writes no projectcalico.org/v3 object, and
fewer servers are less to defend.

One Calico policy of hubfleet's own, in the configs layer (after the CRDs): no pod of any
namespace may open a drive. A drive's NetworkPolicy admits its cluster's VPC on NFS, which is
where kubelet mounts from (the node's address; the NFS CSI driver runs on the host network), but
pods have VPC addresses too, and no address rule can tell them apart. Calico can: a rule whose
source is `all()` matches every workload endpoint, that is every pod and no node.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.capacity import CALICO_NODE_POD, CALICO_TYPHA_REPLICAS, TOOLS_PODS, PodSize
from ..core.charts import CALICO_CRDS, TIGERA_OPERATOR
from ..core.names import TIGERA_NAMESPACE
from ..inputs.model.cluster import Cluster
from .common import NO_ESCALATION, Manifest, metadata, namespace, upstream_release
from .controllers import TOOLS_SELECTOR

CALICO_POLICY_API = "crd.projectcalico.org/v1"
#: The label every drive server pod has (the nfs-drive chart's app.kubernetes.io/name).
DRIVE_SELECTOR = "app.kubernetes.io/name == 'nfs-drive'"
#: Evaluated before the Kubernetes NetworkPolicies of the default tier (Calico gives them 1000).
DRIVE_POLICY_ORDER = 100
DRIVE_POLICY = "drives-admit-no-pod"


#: The chart gives the operator's container no securityContext and has no value for one. Its
#: image runs as 10001 (tigera/operator build/Dockerfile); nothing in it needs a capability.
OPERATOR_CONTEXT = {
    "target": {"kind": "Deployment", "name": "tigera-operator"},
    "patch": json.dumps(
        [
            {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "tigera-operator"},
            {
                "op": "add",
                "path": "/spec/template/spec/containers/0/securityContext",
                "value": {
                    **NO_ESCALATION,
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "readOnlyRootFilesystem": True,
                },
            },
        ]
    ),
}


def _container(name: str, size: PodSize) -> dict[str, Any]:
    return {"name": name, "resources": size.resources()}


def _overrides(name: str, size: PodSize) -> dict[str, Any]:
    """An Installation override of one component's containers (the operator's own shape)."""
    return {"spec": {"template": {"spec": {"containers": [_container(name, size)]}}}}


def installation() -> dict[str, Any]:
    """The operator's Installation (the chart's `installation` values)."""
    return {
        "enabled": True,
        "kubernetesProvider": "EKS",
        # Addresses and routes stay the VPC CNI's; Calico only enforces policy.
        "cni": {"type": "AmazonVPC"},
        "controlPlaneReplicas": CALICO_TYPHA_REPLICAS,
        "controlPlaneNodeSelector": TOOLS_SELECTOR,
        "calicoNodeDaemonSet": _overrides("calico-node", CALICO_NODE_POD),
        "typhaDeployment": _overrides("calico-typha", TOOLS_PODS["calico-typha"][1]),
        "calicoKubeControllersDeployment": _overrides(
            "calico-kube-controllers", TOOLS_PODS["calico-kube-controllers"][1]
        ),
    }


def render_calico(cluster: Cluster) -> list[Manifest]:
    """The namespace, the CRD release and the operator release (after the CRDs)."""
    crds = upstream_release(CALICO_CRDS, cluster.charts.of(CALICO_CRDS), {})
    operator = upstream_release(
        TIGERA_OPERATOR,
        cluster.charts.of(TIGERA_OPERATOR),
        {
            "installation": installation(),
            "apiServer": {"enabled": False},
            "goldmane": {"enabled": False},
            "whisker": {"enabled": False},
            # The CRDs are the CRD release's, so Flux and the operator never fight over them.
            "manageCRDs": False,
            "nodeSelector": TOOLS_SELECTOR,
            "resources": TOOLS_PODS["tigera-operator"][1].resources(),
        },
        depends_on=[{"name": CALICO_CRDS.release}],
    )
    # The chart's only hook is a pre-delete Job (root, no requests) that removes the Installation
    # before the operator goes. hubfleet never uninstalls Calico: a cluster without it is refused
    # by validate, and taking it out by hand is in the README's runbook.
    operator["spec"]["uninstall"] = {"disableHooks": True}
    operator["spec"]["postRenderers"] = [{"kustomize": {"patches": [OPERATOR_CONTEXT]}}]
    return [namespace(TIGERA_NAMESPACE), crds, operator]


def render_drive_isolation() -> Manifest:
    """No pod opens a drive; the nodes (kubelet's NFS mounts) still may, by the drive's own policy."""
    spec: dict[str, Any] = {
        "order": DRIVE_POLICY_ORDER,
        "selector": DRIVE_SELECTOR,
        "types": ["Ingress"],
        # Denies and ends there; traffic no rule matches goes on to the drive's NetworkPolicy.
        "ingress": [{"action": "Deny", "source": {"selector": "all()"}}],
    }
    return {
        "apiVersion": CALICO_POLICY_API,
        "kind": "GlobalNetworkPolicy",
        "metadata": metadata(DRIVE_POLICY),
        "spec": spec,
    }
