"""How validate judges one connection (validate/network_model.py), case by case: the Kubernetes
NetworkPolicy rules the API server's own documentation states, Calico's for GlobalNetworkPolicies,
and the open reading of anything the model does not understand. The rendered tree's table, built
from the real charts and KubeSpawner, is test_reachability.py's."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from hubfleet.validate.enforcement import Enforcement
from hubfleet.validate.manifests import Manifest
from hubfleet.validate.network_model import Endpoint, Network, Pod, Policy, connection
from hubfleet.validate.reachability import targets

USER = Pod("course", {"component": "singleuser-server"}, (), owned=False)
DRIVE = Pod("course", {"app.kubernetes.io/name": "nfs-drive"}, (("nfs", 2049, "TCP"),), owned=True)
NFS = Endpoint(2049, "TCP", DRIVE, "nfs")


def network(*policies: Policy, engine: str = "calico") -> Network:
    return Network(
        ipaddress.ip_network("192.168.0.0/16"),
        Enforcement(engine, None),  # type: ignore[arg-type]
        policies=list(policies),
    )


def k8s(name: str, namespace: str, spec: dict[str, Any]) -> Policy:
    return Policy("NetworkPolicy", name, namespace, spec)


def calico(name: str, spec: dict[str, Any]) -> Policy:
    return Policy("GlobalNetworkPolicy", name, None, spec)


def opened(net: Network, source: Pod = USER, target: Endpoint = NFS) -> bool:
    return connection(net, source, target)[0]


DRIVE_ONLY_FROM_VPC = k8s(
    "drive",
    "course",
    {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "nfs-drive"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}], "ports": [{"port": 2049}]}],
    },
)
NO_POD_AT_DRIVES = calico(
    "no-pod",
    {
        "order": 100,
        "selector": "app.kubernetes.io/name == 'nfs-drive'",
        "ingress": [{"action": "Deny", "source": {"selector": "all()"}}],
    },
)


def test_a_vpc_rule_admits_pods_and_calicos_deny_closes_it_only_where_calico_enforces() -> None:
    assert opened(network(DRIVE_ONLY_FROM_VPC))
    assert not opened(network(DRIVE_ONLY_FROM_VPC, NO_POD_AT_DRIVES))
    # The VPC CNI's agent: the drive (owned) is enforced, Calico's policy is not Calico's to enforce.
    assert opened(network(DRIVE_ONLY_FROM_VPC, NO_POD_AT_DRIVES, engine="vpc-cni"))


def test_egress_counts_only_when_the_policy_has_egress_rules_or_says_so() -> None:
    empty = {"podSelector": {"matchLabels": {"component": "singleuser-server"}}, "egress": []}
    assert opened(network(k8s("p", "course", empty)))  # Ingress only: egress stays open
    assert not opened(network(k8s("p", "course", {**empty, "policyTypes": ["Egress"]})))


def test_a_null_selector_is_an_absent_one() -> None:
    rule = {"from": [{"podSelector": None, "namespaceSelector": {}}]}
    policy = k8s("drive", "course", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [rule]})
    assert opened(network(policy))


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "Deny", "protocol": "UDP", "source": {"selector": "all()"}},
        {"action": "Deny", "source": {"nets": ["10.0.0.0/8"]}},
        {"action": "Deny", "source": {"selector": "app in {'a', 'b'}"}},
    ],
)
def test_a_calico_deny_the_model_does_not_read_closes_nothing(rule: dict[str, Any]) -> None:
    policy = calico("g", {"order": 10, "selector": "all()", "ingress": [rule]})
    assert opened(network(policy, DRIVE_ONLY_FROM_VPC))


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "Allow", "source": {"namespaceSelector": "all()"}},
        {"action": "Allow", "source": {"selector": "app in {'a', 'b'}"}},
        {"action": "Pass", "source": {"selector": "all()"}},  # leaves the tier: the k8s policy is skipped
    ],
)
def test_a_calico_allow_or_pass_the_model_does_not_read_opens(rule: dict[str, Any]) -> None:
    closed = k8s("drive", "course", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []})
    policy = calico("g", {"order": 10, "selector": "all()", "ingress": [rule]})
    assert not opened(network(closed))
    assert opened(network(policy, closed))


def test_a_calico_policy_without_order_comes_last() -> None:
    deny_first = calico("deny", {"order": 5, "selector": "all()", "ingress": [{"action": "Deny"}]})
    allow_unordered = calico("allow", {"selector": "all()", "ingress": [{"action": "Allow"}]})
    assert not opened(network(deny_first, allow_unordered))
    assert opened(network(calico("deny", {"selector": "all()", "ingress": [{"action": "Deny"}]}),
                          calico("allow", {"order": 5, "selector": "all()", "ingress": [{"action": "Allow"}]})))  # fmt: skip


def test_host_network_sources_are_not_pods_to_calico() -> None:
    node_plugin = Pod("kube-system", {"app": "csi-nfs-node"}, (), owned=True, host_network=True)
    assert opened(network(DRIVE_ONLY_FROM_VPC, NO_POD_AT_DRIVES), source=node_plugin)


def test_a_service_that_reaches_no_pod_is_reported_not_dropped() -> None:
    """A drive Service whose selector matches none of the expanded pods cannot be judged; it must
    come back as unresolved (validate fails it) rather than vanish from the table."""
    release = Manifest(
        "gitops/hubs/clusterA/course/drive.yaml",
        0,
        2,
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "drive", "namespace": "course"},
            "spec": {
                "chart": {
                    "spec": {"chart": "./gitops/charts/nfs-drive", "sourceRef": {"kind": "GitRepository"}}
                }
            },
        },
    )
    service = Manifest(
        "", 0, 0,
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "drive-nfs"},
         "spec": {"selector": {"app.kubernetes.io/name": "nfs-drive-renamed"}, "ports": [{"port": 2049}]}},
    )  # fmt: skip
    unresolved: list[tuple[Manifest, str, str]] = []
    found = targets([(release, service)], [DRIVE], unresolved)
    assert [t.label for t in found] == ["169.254.169.254:80/TCP"]
    assert [(r.path, label, what) for r, label, what in unresolved] == [
        ("gitops/hubs/clusterA/course/drive.yaml", "drive-nfs.course:2049/TCP", "the drive of course")
    ]
