"""The network as the expanded objects describe it: pods, Services, policies, and who may connect.

Pods come from the expanded workloads (owned by their controller) and, for each hub, from
KubeSpawner itself (validate/pods.py: ownerless, as KubeSpawner creates them); policies from the
expanded charts and the tree (Kubernetes NetworkPolicies, and the Calico GlobalNetworkPolicies
hubfleet writes). `connection` follows the Kubernetes NetworkPolicy semantics (a pod selected by
no policy of a direction is open in it; once selected, only what some rule admits passes), Calico's
for GlobalNetworkPolicies in the default tier (by order, a missing order last; the first matching
Deny, Allow or Pass decides, before the Kubernetes policies) and only where the enforcement model
(enforcement.py) says a policy holds. What it does not model it reads the open way: a Calico rule
with parts it does not read, or a selector expression it cannot parse, never closes anything.

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
    if peer.get("ipBlock") is not None:
        if pod is not None:
            return block_admits(peer["ipBlock"], net.vpc)
        address = other.address if isinstance(other, Endpoint) else None
        return address is not None and block_admits(peer["ipBlock"], address)
    if pod is None:
        return False
    # A selector that is null is absent, as the API server reads it.
    if peer.get("namespaceSelector") is not None:
        if not matches(peer["namespaceSelector"], net.namespace_labels(pod.namespace)):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return peer.get("podSelector") is None or matches(peer["podSelector"], pod.labels)


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
    # Without policyTypes: Ingress, and Egress only when the policy has egress rules.
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") else ["Ingress"])
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
    if net.enforcement.engine == "calico":
        applying = [
            (p, selects)
            for p in net.policies
            if p.kind == "GlobalNetworkPolicy"
            and (selects := _calico_selects(p, pod, direction)) is not False
        ]
        for policy, selects in sorted(applying, key=lambda pair: _calico_order(pair[0])):
            for rule in policy.data.get("ingress" if direction == "Ingress" else "egress") or []:
                action = rule.get("action") if isinstance(rule, dict) else None
                if selects is None and action == "Deny":
                    continue  # a policy whose selector is not read never closes anything
                if not _calico_rule_matches(rule, other, direction, action == "Deny"):
                    continue
                if action == "Deny":
                    return False, f"{where}: {policy.label} denies it"
                if action in ("Allow", "Pass"):
                    # Pass leaves the tier: the Kubernetes policies, in the same tier, are skipped.
                    return True, f"{where}: {policy.label} {'allows' if action == 'Allow' else 'passes'} it"
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


def calico_selector(expression: Any, labels: Mapping[str, str]) -> bool | None:
    """Whether a Calico selector selects these labels; None for an expression it cannot read."""
    if not isinstance(expression, str):
        return None
    for term in expression.split("&&"):
        found = _TERM.match(term)
        if found is None:
            return None
    for term in expression.split("&&"):
        found = _TERM.match(term)
        assert found is not None
        everything, has, key, operator, value = found.groups()
        if everything:
            continue
        if has:
            if has not in labels:
                return False
        elif (labels.get(key) == value) != (operator == "=="):
            return False
    return True


def _calico_order(policy: Policy) -> float:
    """A policy without an order comes last, as in Calico."""
    order = policy.data.get("order")
    return float(order) if isinstance(order, int | float) else float("inf")


def _calico_selects(policy: Policy, pod: Pod, direction: str) -> bool | None:
    """Whether the policy applies to the pod in `direction`; None when its selector is not read."""
    types = policy.data.get("types") or (["Ingress", "Egress"] if policy.data.get("egress") else ["Ingress"])
    if direction not in types:
        return False
    return calico_selector(policy.data.get("selector", "all()"), pod.labels)


#: The parts of a Calico rule this model reads. A rule with any other part (protocol, ports, nets,
#: notSelector, namespaceSelector, ...) is not understood: taken to match when it allows (reachable)
#: and not to match when it denies (reachable as well), so the model never closes what is open.
MODELLED_RULE = {"action", "source", "destination"}
MODELLED_PEER = {"selector"}


def _calico_rule_matches(rule: Any, other: Endpoint | Pod, direction: str, deny: bool) -> bool:
    """A Calico rule matches the other side (a selector matches pods, workload endpoints, only)."""
    if not isinstance(rule, dict):
        return False
    peer_key, own_key = ("source", "destination") if direction == "Ingress" else ("destination", "source")
    peer = rule.get(peer_key) or {}
    understood = (
        set(rule) <= MODELLED_RULE
        and isinstance(peer, dict)
        and set(peer) <= MODELLED_PEER
        and not rule.get(own_key)
    )
    if not understood:
        return not deny
    pod = other if isinstance(other, Pod) else other.pod
    if "selector" in peer:
        if pod is None or pod.host_network:
            return False
        selected = calico_selector(peer["selector"], pod.labels)
        return (not deny) if selected is None else selected
    return True
