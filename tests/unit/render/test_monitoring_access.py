"""The monitoring stack closed to users, shown by the real charts: Prometheus without its lifecycle
API, Grafana without a Role that reads Secrets, and NetworkPolicies whose selectors and ports are
those of the pods the charts make (a policy that selects nothing would leave a server open)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import load_docs
from unit.upstream.test_dashboards import LAYER, template

Objects = list[dict[str, Any]]


@pytest.fixture(scope="module")
def prometheus() -> Objects:
    return template("prometheus-29.27.0.tgz", "prometheus")


@pytest.fixture(scope="module")
def grafana() -> Objects:
    return template("grafana-12.11.1.tgz", "grafana")


def pod_of(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    (workload,) = [d for d in objects if d["kind"] == kind and d["metadata"]["name"] == name]
    return dict(workload["spec"]["template"])


def test_prometheus_has_no_lifecycle_api_and_reloads_by_itself(prometheus: Objects) -> None:
    pod = pod_of(prometheus, "Deployment", "prometheus-server")["spec"]
    (server,) = pod["containers"]  # no config-reload sidecar: it can only POST /-/reload
    assert server["name"] == "prometheus-server"
    assert "--web.enable-lifecycle" not in server["args"]
    assert [a for a in server["args"] if "reload" in a] == [
        "--enable-feature=auto-reload-config",
        "--config.auto-reload-interval=1m",
    ]


def test_no_role_grafana_is_bound_to_reads_a_secret(grafana: Objects) -> None:
    ours = load_docs(LAYER / "grafana-role.yaml")
    roles = {d["metadata"]["name"]: d for d in grafana + ours if d["kind"] in ("Role", "ClusterRole")}
    (binding,) = [d for d in grafana if d["kind"] in ("RoleBinding", "ClusterRoleBinding")]
    assert binding["kind"] == "RoleBinding"
    role = roles[binding["roleRef"]["name"]]
    assert role["metadata"]["namespace"] == "monitoring"
    assert [r["resources"] for r in role["rules"]] == [["configmaps"]]
    assert not [
        name for name, r in roles.items() if any("secrets" in rule["resources"] for rule in r["rules"])
    ]


def selected(pods: list[dict[str, Any]], selector: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = selector.get("matchLabels", {})
    return [pod for pod in pods if wanted.items() <= pod["metadata"]["labels"].items()]


def test_each_policy_admits_one_client_to_a_port_its_pods_serve(
    prometheus: Objects, grafana: Objects
) -> None:
    pods = [
        d["spec"]["template"]
        for d in prometheus + grafana
        if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
        and not d["spec"]["template"]["spec"].get("hostNetwork")
    ]
    policies = load_docs(LAYER / "network-policies.yaml")
    answers: dict[str, tuple[list[str], int, str]] = {}
    for policy in policies:
        spec = policy["spec"]
        targets = selected(pods, spec["podSelector"])
        assert targets, policy["metadata"]["name"]
        if not spec.get("ingress"):
            assert spec == {
                "podSelector": {},
                "policyTypes": ["Ingress"],
            }  # the namespace's default: nothing in
            assert len(targets) == len(pods)
            continue
        (rule,) = spec["ingress"]
        (port,) = rule["ports"]
        (peer,) = rule["from"]
        served = {
            p["containerPort"] for t in targets for c in t["spec"]["containers"] for p in c.get("ports", [])
        }
        assert port["port"] in served, policy["metadata"]["name"]
        clients = (
            [t["metadata"]["labels"]["app.kubernetes.io/name"] for t in selected(pods, peer["podSelector"])]
            if "podSelector" in peer
            else [f"namespace {peer['namespaceSelector']['matchLabels']['kubernetes.io/metadata.name']}"]
        )
        names = sorted({t["metadata"]["labels"]["app.kubernetes.io/name"] for t in targets})
        answers[",".join(names)] = (clients, port["port"], port["protocol"])
    assert answers == {
        "prometheus": (["grafana"], 9090, "TCP"),
        "alertmanager": (["prometheus"], 9093, "TCP"),
        "kube-state-metrics": (["prometheus"], 8080, "TCP"),
        "grafana": (["namespace nginx-ingress"], 3000, "TCP"),
    }
