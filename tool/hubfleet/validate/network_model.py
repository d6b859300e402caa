"""The network as the expanded objects describe it: pods, Services, policies, and who may connect.

Pods come from the expanded workloads (owned by their controller) and, for each hub, from
KubeSpawner itself (validate/pods.py: ownerless, as KubeSpawner creates them); policies from the
expanded charts and the tree (Kubernetes NetworkPolicies, and the Calico GlobalNetworkPolicies
hubfleet writes). `connection` follows the Kubernetes NetworkPolicy semantics (a pod selected by
no policy of a direction is open in it; once selected, only what some rule admits passes), Calico's
for its own policies (ordered before the Kubernetes ones; a matching Deny ends it), and only where
the enforcement model (enforcement.py) says a policy holds.

Addresses: a pod's address is some address of the cluster's VPC (the VPC CNI gives pods
addresses from its subnets), so an ipBlock admits a pod when it admits any VPC address: a
policy that might admit a pod is taken to admit it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .enforcement import Enforcement

Address = ipaddress.IPv4Network | ipaddress.IPv6Network
METADATA_ADDRESS = ipaddress.ip_network("169.254.169.254/32")


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str]
    #: Container ports: name (or "") -> (number, protocol).
    ports: tuple[tuple[str, int, str], ...]
    owned: bool
    host_network: bool = False
    name: str = ""


@dataclass(frozen=True)
class Endpoint:
    """Where a connection goes: a pod's port, or an address outside every pod (the metadata server)."""

    port: int
    protocol: str
    pod: Pod | None = None
    port_name: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class Policy:
    kind: str  # "NetworkPolicy" or "GlobalNetworkPolicy"
    name: str
    namespace: str | None
    data: Mapping[str, Any]

    @property
    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass
class Network:
    vpc: Address
    enforcement: Enforcement
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)

    def namespace_labels(self, name: str) -> dict[str, str]:
        return {**self.namespaces.get(name, {}), "kubernetes.io/metadata.name": name}


def matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """A Kubernetes LabelSelector ({} selects everything)."""
    if not isinstance(selector, dict):
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = (
            expression.get("key"),
            expression.get("operator"),
            expression.get("values") or [],
        )
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def parse_network(cidr: Any) -> Address | None:
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def block_admits(block: Any, network: Address) -> bool:
    """An ipBlock admits some address of `network` (a pod's VPC, or one address)."""
    if not isinstance(block, dict):
        return False
    cidr = parse_network(block.get("cidr"))
    if cidr is None or cidr.version != network.version or not cidr.overlaps(network):
        return False
    excepted = [parse_network(e) for e in block.get("except") or []]
    return not any(e is not None and e.version == network.version and network.subnet_of(e) for e in excepted)  # type: ignore[arg-type]


def _peer_admits(peer: Any, policy_namespace: str, other: Endpoint | Pod, net: Network) -> bool:
    """One `from`/`to` peer of a Kubernetes NetworkPolicy admits the other side."""
    if not isinstance(peer, dict):
        return False
    pod = other if isinstance(other, Pod) else other.pod
    if "ipBlock" in peer:
        if pod is not None:
            return block_admits(peer["ipBlock"], net.vpc)
        address = other.address if isinstance(other, Endpoint) else None
        return address is not None and block_admits(peer["ipBlock"], address)
    if pod is None:
        return False
    if "namespaceSelector" in peer:
        if not matches(peer["namespaceSelector"], net.namespace_labels(pod.namespace)):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or matches(peer["podSelector"], pod.labels)


def _port_admits(ports: Any, endpoint: Endpoint) -> bool:
    if not ports:
        return True
    for port in ports:
        if not isinstance(port, dict) or port.get("protocol", "TCP") != endpoint.protocol:
            continue
        number = port.get("port")
        if number is None:
            return True
        if isinstance(number, str):
            if number == endpoint.port_name:
                return True
            continue
        if int(number) <= endpoint.port <= int(port.get("endPort") or number):
            return True
    return False


def _k8s(policy: Policy, direction: str, pod: Pod) -> bool:
    spec = policy.data
    if policy.kind != "NetworkPolicy" or policy.namespace != pod.namespace:
        return False
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
    return direction in types and matches(spec.get("podSelector"), pod.labels)


def _verdict(
    net: Network, direction: str, pod: Pod, other: Endpoint | Pod, endpoint: Endpoint
) -> tuple[bool, str]:
    """Whether `pod`'s policies of `direction` let the connection through, and why."""
    where = "egress" if direction == "Egress" else "ingress"
    if pod.host_network:
        return True, f"{where}: host network, no policy applies"
    if not net.enforcement.holds_for(pod.owned):
        return True, f"{where}: no policy is enforced on {'owned' if pod.owned else 'ownerless'} pods here"
    if direction == "Ingress" and net.enforcement.engine == "calico":
        for policy in sorted(
            (p for p in net.policies if p.kind == "GlobalNetworkPolicy" and _calico_selects(p, pod)),
            key=lambda p: float(p.data.get("order", 0)),
        ):
            for rule in policy.data.get("ingress") or []:
                if _calico_rule_matches(rule, other):
                    action = rule.get("action")
                    if action == "Deny":
                        return False, f"{where}: {policy.label} denies it"
                    if action == "Allow":
                        return True, f"{where}: {policy.label} allows it"
    selecting = [p for p in net.policies if _k8s(p, direction, pod)]
    if not selecting:
        return True, f"{where}: no policy selects the pod"
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy.data.get(key) or []:
            if not isinstance(rule, dict):
                continue
            listed = rule.get(peers)
            peer_ok = not listed or any(_peer_admits(p, pod.namespace, other, net) for p in listed)
            if peer_ok and _port_admits(rule.get("ports"), endpoint):
                return True, f"{where}: {policy.label} admits it"
    names = ", ".join(p.label for p in selecting)
    return False, f"{where}: no rule of {names} admits it"


def connection(net: Network, source: Pod, target: Endpoint) -> tuple[bool, str]:
    """Whether `source` can open `target`, with the reason: both directions' verdicts, so the
    table shows each layer that closes it (a user pod's egress, the target's own policies)."""
    out, why_out = _verdict(net, "Egress", source, target, target)
    if target.pod is None:
        return out, why_out
    inbound, why_in = _verdict(net, "Ingress", target.pod, source, target)
    return out and inbound, f"{why_out}; {why_in}"


# Calico selectors: the subset hubfleet writes (all(), ==, !=, has(), joined by &&). Anything else
# is not understood, and a Deny that is not understood is taken not to match (reachable).
_TERM = re.compile(r"^\s*(?:(all\(\))|has\(([\w./-]+)\)|([\w./-]+)\s*(==|!=)\s*'([^']*)')\s*$")


def calico_selector(expression: Any, labels: Mapping[str, str]) -> bool:
    if not isinstance(expression, str):
        return False
    for term in expression.split("&&"):
        found = _TERM.match(term)
        if found is None:
            return False
        everything, has, key, operator, value = found.groups()
        if everything:
            continue
        if has:
            if has not in labels:
                return False
        elif (labels.get(key) == value) != (operator == "=="):
            return False
    return True


def _calico_selects(policy: Policy, pod: Pod) -> bool:
    types = policy.data.get("types") or ["Ingress"]
    return "Ingress" in types and calico_selector(policy.data.get("selector", "all()"), pod.labels)


def _calico_rule_matches(rule: Any, other: Endpoint | Pod) -> bool:
    """A Calico rule's source matches the other side: a selector matches pods (workload endpoints) only."""
    if not isinstance(rule, dict):
        return False
    source = rule.get("source") or {}
    pod = other if isinstance(other, Pod) else other.pod
    if "selector" in source:
        return pod is not None and not pod.host_network and calico_selector(source["selector"], pod.labels)
    return not source
