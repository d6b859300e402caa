"""Lint: no user pod reaches what it must not, proved from the expanded objects.

For every hub's user pods (as KubeSpawner builds them, ownerless), every Service port of interest
is tried through network_model.connection under the cluster's enforcement model:
- every drive's NFS port (mounts come from the nodes; no pod needs a drive),
- every other hub's hub API (8081) and proxy API (8001),
- Prometheus and Alertmanager,
- the cloud metadata address (169.254.169.254:80: a node's IAM role).
Each open one is a finding at the hub's JupyterHub release. The same table, open and closed with
the reason, is what `hubfleet validate --explain-network CLUSTER` prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core.charts import JUPYTERHUB, PROMETHEUS, chart_spec
from ..core.names import VPC_CIDR
from .enforcement import enforcement_model
from .images import pod_template
from .lint import ClusterLint, get, is_drive, release_namespace
from .manifests import Manifest
from .network_model import (
    METADATA_ADDRESS,
    Endpoint,
    Network,
    Pod,
    Policy,
    connection,
    matches,
    parse_network,
)

#: What each kind of target is, and whether a user pod of `hub` may reach it.
HUB_API_PORT, PROXY_API_PORT = 8081, 8001
METADATA_PORT = 80


@dataclass(frozen=True)
class Target:
    label: str  # e.g. drive-nfs.physics101:2049/TCP
    what: str  # e.g. "the drive of physics101"
    #: The hub whose user pods may reach it ("" for none).
    allowed_for: str
    endpoint: Endpoint


@dataclass(frozen=True)
class Row:
    hub: str
    target: Target
    open: bool
    reason: str

    @property
    def forbidden(self) -> bool:
        return self.open and self.target.allowed_for != self.hub


def workload_pods(rendered: Iterable[tuple[Manifest, Manifest]]) -> list[Pod]:
    pods = []
    for release, output in rendered:
        template = pod_template(output)
        if template is None or output.kind == "Pod":
            continue
        pods.append(pod_from(template, output.namespace or release_namespace(release), True, output.name))
    return pods


def pod_from(template: dict[str, Any], namespace: str, owned: bool, name: str) -> Pod:
    spec = template.get("spec") or {}
    ports = tuple(
        (str(port.get("name", "")), int(port["containerPort"]), str(port.get("protocol", "TCP")))
        for container in spec.get("containers") or []
        for port in container.get("ports") or []
        if isinstance(port, dict) and "containerPort" in port
    )
    labels = (template.get("metadata") or {}).get("labels") or {}
    return Pod(namespace, dict(labels), ports, owned, bool(spec.get("hostNetwork")), name)


def _service_endpoint(
    service: Manifest, namespace: str, port: dict[str, Any], pods: list[Pod]
) -> Endpoint | None:
    selector = (service.spec.get("selector") or {}) if isinstance(service.spec, dict) else {}
    protocol = str(port.get("protocol", "TCP"))
    for pod in pods:
        if pod.namespace != namespace or not selector or not matches({"matchLabels": selector}, pod.labels):
            continue
        target = port.get("targetPort", port.get("port"))
        for name, number, proto in pod.ports:
            if proto == protocol and target in (name, number):
                return Endpoint(number, protocol, pod, name)
        if isinstance(target, int):
            return Endpoint(target, protocol, pod, "")
    return None


def targets(
    rendered: list[tuple[Manifest, Manifest]], pods: list[Pod], unresolved: list[tuple[Manifest, str, str]]
) -> list[Target]:
    """Every Service port of interest with the pod port it reaches; those that reach no pod of
    the expanded objects go to `unresolved` (release, label, what)."""
    found = []
    for release, output in rendered:
        if output.kind != "Service":
            continue
        namespace = output.namespace or release_namespace(release)
        chart = chart_spec(release.spec).get("chart")
        for port in output.spec.get("ports") or []:
            if not isinstance(port, dict):
                continue
            number = port.get("port")
            what, allowed = "", ""
            if is_drive(release):
                what = f"the drive of {namespace}"
            elif chart == JUPYTERHUB.chart and output.name == "hub" and number == HUB_API_PORT:
                what, allowed = f"the hub API of {namespace}", namespace
            elif chart == JUPYTERHUB.chart and output.name == "proxy-api":
                what = f"the proxy API of {namespace}"
            elif chart == PROMETHEUS.chart and output.name == "prometheus-server":
                what = "Prometheus"
            elif chart == PROMETHEUS.chart and output.name == "prometheus-alertmanager":
                what = "Alertmanager"
            if not what:
                continue
            endpoint = _service_endpoint(output, namespace, port, pods)
            label = f"{output.name}.{namespace}:{number}/{port.get('protocol', 'TCP')}"
            if endpoint is None:
                # Left out silently, it could never be reported open: say it was not checked.
                unresolved.append((release, label, what))
                continue
            found.append(Target(label, what, allowed, endpoint))
    metadata = Endpoint(METADATA_PORT, "TCP", address=METADATA_ADDRESS)
    found.append(Target("169.254.169.254:80/TCP", "the cloud metadata server", "", metadata))
    return sorted(found, key=lambda t: t.label)


def network_of(lint: ClusterLint, rendered: list[tuple[Manifest, Manifest]]) -> Network:
    config = lint.config
    vpc = parse_network(get(config.data, "vpc", "cidr") if config else None) or parse_network(VPC_CIDR)
    assert vpc is not None
    net = Network(vpc, enforcement_model(lint.objects, config))
    objects = [(m, m) for m in lint.objects] + rendered
    for release, output in objects:
        if output.kind == "Namespace":
            net.namespaces[output.name] = dict(output.metadata.get("labels") or {})
        elif output.kind == "NetworkPolicy" and output.group == "networking.k8s.io":
            namespace = output.namespace or release_namespace(release)
            net.policies.append(Policy("NetworkPolicy", output.name, namespace, output.spec))
        elif output.kind == "GlobalNetworkPolicy":
            net.policies.append(Policy("GlobalNetworkPolicy", output.name, None, output.spec))
    return net


def reachability(
    lint: ClusterLint,
    rendered: list[tuple[Manifest, Manifest]],
    user_pods: dict[str, list[dict[str, Any]]],
    unresolved: list[tuple[Manifest, str, str]],
) -> tuple[Network, list[Row]]:
    """Every (hub's user pods, target) of the cluster; `user_pods`: hub namespace -> KubeSpawner's pods."""
    net = network_of(lint, rendered)
    pods = workload_pods(rendered)
    wanted = targets(rendered, pods, unresolved)
    rows = []
    for hub, built in sorted(user_pods.items()):
        sources = {}
        for pod in built:
            meta = pod.get("metadata") or {}
            # KubeSpawner's pods have no owner; taken from the pod it built, not assumed.
            source = pod_from(pod, hub, bool(meta.get("ownerReferences")), meta.get("name", "user"))
            sources[tuple(sorted(source.labels.items()))] = source
        for target in wanted:
            verdicts = [connection(net, source, target.endpoint) for source in sources.values()]
            opened = [v for v in verdicts if v[0]]
            is_open, reason = opened[0] if opened else verdicts[0]
            rows.append(Row(hub, target, is_open, reason))
    return net, rows


def check_reachability(
    lint: ClusterLint, rendered: list[tuple[Manifest, Manifest]], user_pods: dict[str, list[dict[str, Any]]]
) -> tuple[Network, list[Row]]:
    unresolved: list[tuple[Manifest, str, str]] = []
    net, rows = reachability(lint, rendered, user_pods, unresolved)
    for release, label, what in unresolved:
        check = f"reach:{lint.cluster.name}>{label}"
        lint.tally.checked(check)
        lint.fail(
            check,
            release,
            (),
            f"{label} ({what}) selects no pod port of the expanded objects, so who reaches it cannot be "
            "checked: its selector or targetPort does not match the chart's pods",
        )
    releases = {
        release_namespace(r): r for r, _ in rendered if chart_spec(r.spec).get("chart") == JUPYTERHUB.chart
    }
    for row in rows:
        check = f"reach:{lint.cluster.name}>{row.hub}>{row.target.label}"
        lint.tally.checked(check)
        if row.forbidden and row.hub in releases:
            lint.fail(
                check,
                releases[row.hub],
                (),
                f"user pods of hub {row.hub} reach {row.target.label} ({row.target.what}): {row.reason}",
            )
    return net, rows


def explain(cluster: str, net: Network, rows: list[Row]) -> list[str]:
    """The table `--explain-network` prints."""
    lines = [f"who reaches what in cluster {cluster}; policies enforced by {net.enforcement.describe()}"]
    width = max((len(r.target.label) for r in rows), default=0)
    for row in rows:
        verdict = ("OPEN" if row.forbidden else "open") if row.open else "closed"
        lines.append(
            f"  user pods of {row.hub:<12} -> {row.target.label:<{width}}  {verdict:<6}  {row.reason}"
        )
    return lines
