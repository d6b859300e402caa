"""cluster-autoscaler (kubernetes/autoscaler chart) in kube-system, on the tools group.

It finds node groups by eksctl's auto-discovery tags and authenticates with the
IAM role eksctl creates for its service account (IRSA).
"""

from __future__ import annotations

from ..core.capacity import TOOLS_PODS
from ..core.charts import AUTOSCALER, AUTOSCALER_IMAGE, AUTOSCALER_TAGS
from ..core.names import (
    AUTOSCALER_SERVICE_ACCOUNT,
    NODEGROUP_ROLE_LABEL,
    ROLE_LABELS,
    autoscaler_role_name,
    aws_partition,
    discovery_tags,
)
from ..inputs.model.cluster import Cluster
from .common import NO_ESCALATION, NON_ROOT_POD, Manifest, upstream_release


def render_autoscaler(cluster: Cluster) -> Manifest:
    role_arn = f"arn:{aws_partition(cluster.region)}:iam::{cluster.account_id}:role/{autoscaler_role_name(cluster.name)}"
    values = {
        "fullnameOverride": "cluster-autoscaler",
        "cloudProvider": "aws",
        "awsRegion": cluster.region,
        "autoDiscovery": {
            "clusterName": cluster.name,
            "tags": discovery_tags(cluster.name, cluster.kubernetes_version),
        },
        "extraArgs": {
            "expander": cluster.expander,
            "balance-similar-node-groups": True,
            # Hub and drive pods use local scratch and kube-system pods run everywhere;
            # without these the autoscaler would never remove an idle node.
            "skip-nodes-with-local-storage": False,
            "skip-nodes-with-system-pods": False,
        },
        "nodeSelector": {NODEGROUP_ROLE_LABEL: ROLE_LABELS["tools"][0]},
        "rbac": {
            "serviceAccount": {
                "create": True,
                "name": AUTOSCALER_SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            }
        },
        "resources": TOOLS_PODS["cluster-autoscaler"][1].resources(),
        # It talks to AWS and the API server only: nobody, with no way to gain privileges.
        "securityContext": NON_ROOT_POD,
        "containerSecurityContext": {**NO_ESCALATION, "readOnlyRootFilesystem": True},
        # The chart's default image follows the chart, not the cluster: pin the matching minor.
        "image": {"repository": AUTOSCALER_IMAGE, "tag": AUTOSCALER_TAGS[cluster.kubernetes_version]},
    }
    if cluster.monitoring is not None:
        # Prometheus scrapes annotated Services: the failed-scale-up alert reads the autoscaler's metrics.
        values["service"] = {"annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "8085"}}
    return upstream_release(AUTOSCALER, cluster.charts.of(AUTOSCALER), values)
