"""Grafana dashboards: the JupyterHub ones compiled from the pinned jsonnet, hubfleet's own, the
sidecar that loads them, and the uptime probe of every hub that the alerts and panels read."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import _jsonnet
import promql_parser
import pytest
from click.testing import Result
from ruamel.yaml import YAML

from conftest import HELM, REPO, load_docs, require, upstream_path
from hubfleet.errors import LocalError
from hubfleet.system.settings import DASHBOARD_CACHE_ENV
from hubfleet.upstream import dashboards
from support.builders import make_cluster

LAYER = REPO / "gitops/infrastructure/clusterA/monitoring"
PACKAGED = REPO / "tool/hubfleet/data" / dashboards.ARCHIVE


def config_maps() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in load_docs(LAYER / "dashboards.yaml")}


def dashboard(name: str) -> dict[str, Any]:
    (text,) = config_maps()[f"dashboard-{name}"]["data"].values()
    found: dict[str, Any] = json.loads(text)
    return found


def expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value)


def test_the_packaged_sources_are_the_reference_archive() -> None:
    assert PACKAGED.read_bytes() == upstream_path("data", dashboards.ARCHIVE).read_bytes()


def test_grafana_gets_the_jupyterhub_dashboards_and_hubfleets_own() -> None:
    maps = config_maps()
    assert sorted(maps) == [
        "dashboard-activity",
        "dashboard-cluster",
        "dashboard-hubfleet",
        "dashboard-jupyterhub",
        "dashboard-usage-report",
        "dashboard-user",
    ]
    for name, config_map in maps.items():
        assert config_map["metadata"]["labels"] == {"grafana_dashboard": "1"}
        folder = "hubfleet" if name == "dashboard-hubfleet" else "JupyterHub"
        assert config_map["metadata"]["annotations"] == {"grafana_folder": folder}
    assert dashboard("jupyterhub")["title"] == "JupyterHub Dashboard"
    assert dashboard("jupyterhub")["uid"] == "jupyterhub-jupyterhub"
    assert dashboard("hubfleet")["uid"] == "hubfleet-hubs"


def test_a_dashboard_is_what_upstreams_own_build_makes_of_it(tmp_path: Path) -> None:
    """An independent compile of the reference archive (upstream's `jsonnet -J vendor` command, in
    the binding) gives the same dashboard but for the fixed uid."""
    with tarfile.open(upstream_path("data", dashboards.ARCHIVE)) as tar:
        tar.extractall(tmp_path, filter="data")
    top = tmp_path / dashboards.TOP
    compiled = json.loads(
        _jsonnet.evaluate_file(str(top / "dashboards/activity.jsonnet"), jpathdir=[str(top / "vendor")])
    )
    rendered = dashboard("activity")
    assert rendered.pop("uid") == "jupyterhub-activity"
    compiled.pop("uid", None)
    compiled.pop("id", None)
    assert rendered == compiled


def as_promql(expr: str) -> str:
    """A panel's query with Grafana's variables replaced by values Prometheus would get."""
    expr = re.sub(r"\$__(rate_interval|interval|range)\b", "5m", expr)
    return re.sub(r"\$\{?\w+\}?", "x", expr)


def test_every_dashboard_query_is_valid_promql() -> None:
    """Parsed with promql-parser (promtool cannot be installed here)."""
    count = 0
    for name in config_maps():
        for expr in expressions(dashboard(name.removeprefix("dashboard-"))):
            promql_parser.parse(as_promql(expr))
            count += 1
    assert count > 40


def test_hubfleets_dashboard_asks_what_the_alerts_ask() -> None:
    panels = {panel["title"]: panel for panel in dashboard("hubfleet")["panels"]}
    assert list(panels) == [
        "Users' servers running",
        "Drive used (of its size)",
        "Failed spawns in 30m",
        "Hub answers /hub/health",
        "Pods waiting (Pending)",
    ]
    drive = panels["Drive used (of its size)"]
    assert drive["targets"][0]["expr"] == (
        'kubelet_volume_stats_used_bytes{persistentvolumeclaim=~"data-drive-nfs-0", namespace=~"$hub"}'
        ' / kubelet_volume_stats_capacity_bytes{persistentvolumeclaim=~"data-drive-nfs-0", namespace=~"$hub"}'
    )
    steps = drive["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [step["value"] for step in steps] == [None, 0.9, 0.99]
    rules = {
        rule["alert"]: rule["expr"]
        for group in load_docs(LAYER / "prometheus.yaml")[0]["spec"]["values"]["serverFiles"][
            "alerting_rules.yml"
        ]["groups"]
        for rule in group["rules"]
    }
    spawns = panels["Failed spawns in 30m"]["targets"][0]["expr"]
    assert spawns.replace(', namespace=~"$hub"', "") + " >= 2" == rules["HubSpawnsFailing"]
    reachable = panels["Hub answers /hub/health"]["targets"][0]["expr"]
    assert reachable.replace(', namespace=~"$hub"', "") + " == 0" == rules["HubUnreachable"]


def template(chart: str, release: str) -> list[dict[str, Any]]:
    """The chart from the reference repository, templated with the values the example renders."""
    require(HELM.is_file(), f"helm is missing: {HELM} (make tools)")
    package = upstream_path("charts", chart)
    (document,) = load_docs(LAYER / f"{release}.yaml")
    values = json.dumps(document["spec"]["values"])
    out = subprocess.run(
        [str(HELM), "template", release, str(package), "-n", "monitoring", "-f", "-"],
        input=values,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [d for d in YAML(typ="safe").load_all(out) if d]


def test_grafanas_sidecar_reads_config_maps_of_its_own_namespace_only() -> None:
    objects = template("grafana-12.11.1.tgz", "grafana")
    kinds = {d["kind"] for d in objects}
    assert "ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds
    assert (
        "Role" not in kinds
    )  # hubfleet's own Role, bound by the chart's RoleBinding (test_monitoring_access.py)
    (deployment,) = [d for d in objects if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert [c["name"] for c in pod.get("initContainers", [])] == []  # no root chown container
    (sidecar,) = [c for c in pod["containers"] if c["name"] == "grafana-sc-dashboard"]
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    assert (env["LABEL"], env["LABEL_VALUE"], env["RESOURCE"], env["FOLDER_ANNOTATION"]) == (
        "grafana_dashboard",
        "1",
        "configmap",
        "grafana_folder",
    )
    assert "NAMESPACE" not in env  # its own namespace, where the dashboards are
    assert sidecar["resources"]["requests"] == {"cpu": "10m", "memory": "64Mi"}


def test_prometheus_fetches_every_active_hubs_health_page_beside_its_own_jobs() -> None:
    objects = template("prometheus-29.27.0.tgz", "prometheus")
    (server,) = [
        d for d in objects if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "prometheus-server"
    ]
    config = YAML(typ="safe").load(server["data"]["prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert "kubernetes-service-endpoints" in jobs and "kubernetes-nodes" in jobs
    probe = jobs["hub-health"]
    assert (probe["scheme"], probe["fallback_scrape_protocol"]) == ("https", "PrometheusText0.0.4")
    assert [(c["targets"], c["labels"]) for c in probe["static_configs"]] == [
        (["clustera.hubs.example.org"], {"__metrics_path__": f"/{hub}/hub/health", "namespace": hub})
        for hub in ("bio150", "datalab", "physics101")
    ]


def test_a_retired_hub_is_not_probed(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(
        tmp_path,
        hubs={"course": {}, "old": {"state": "retired"}},
        monitoring={"enabled": True},
    )
    assert run(root, "render", "clusterA").exit_code == 0
    (release,) = load_docs(root / "gitops/infrastructure/clusterA/monitoring/prometheus.yaml")
    configs = release["spec"]["values"]["scrapeConfigs"]["hub-health"]["static_configs"]
    assert [c["labels"]["namespace"] for c in configs] == ["course"]


def test_dashboards_are_compiled_once_and_again_when_the_cache_is_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[bytes] = []

    def compile_counted(archive: bytes) -> dict[str, str]:
        compiled.append(archive)
        return {"activity": json.dumps({"title": "Activity", "uid": "jupyterhub-activity"})}

    monkeypatch.setenv(DASHBOARD_CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(dashboards, "_compile", compile_counted)
    dashboards.upstream_dashboards.cache_clear()
    try:
        first = dashboards.upstream_dashboards()
        dashboards.upstream_dashboards.cache_clear()
        assert dashboards.upstream_dashboards() == first and len(compiled) == 1
        (entry,) = tmp_path.iterdir()
        entry.write_text('{"activity": ')  # a process killed mid-write before the rename
        dashboards.upstream_dashboards.cache_clear()
        assert dashboards.upstream_dashboards() == first and len(compiled) == 2
        assert [d.title for d in first] == ["Activity"]
    finally:
        dashboards.upstream_dashboards.cache_clear()


def test_a_changed_archive_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboards, "ARCHIVE_SHA256", "0" * 64)
    with pytest.raises(LocalError) as raised:
        dashboards._archive()
    assert str(raised.value) == (
        "hubfleet/data/grafana-dashboards-ef44b4ed.tar.gz: is not the pinned archive (its sha256 differs); "
        "reinstall hubfleet"
    )


def test_a_cache_folder_that_cannot_be_written_only_costs_a_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv(DASHBOARD_CACHE_ENV, str(blocked / "cache"))
    monkeypatch.setattr(dashboards, "_compile", lambda archive: {"user": '{"title": "User"}'})
    dashboards.upstream_dashboards.cache_clear()
    try:
        assert [d.name for d in dashboards.upstream_dashboards()] == ["user"]
    finally:
        dashboards.upstream_dashboards.cache_clear()


def test_left_out_dashboards_are_the_ones_whose_metrics_hubfleet_does_not_collect() -> None:
    with tarfile.open(fileobj=io.BytesIO(PACKAGED.read_bytes())) as tar:
        names = {
            Path(m.name).stem
            for m in tar.getmembers()
            if m.name.startswith(f"{dashboards.TOP}/dashboards/") and m.name.endswith(".jsonnet")
        }
    shipped = {name.removeprefix("dashboard-") for name in config_maps()} - {"hubfleet"}
    assert names - shipped == set(dashboards.LEFT_OUT) == {"homedirs", "group", "support"}


#: Names the upstream dashboards ask of other platforms and services, never of a hubfleet cluster:
#: GKE's and AKS's node-pool labels (EKS's is the eksctl label), and dask-gateway's cluster and its
#: workers' component (hubfleet installs no dask-gateway; those panels stay empty by design).
OTHER_PLATFORMS = {"label_cloud_google_com_gke_nodepool", "label_kubernetes_azure_com_agentpool"}
OTHER_SERVICES = {"label_gateway_dask_org_cluster", "label_app_kubernetes_io_component"}


def state_metrics_names(args: list[str]) -> set[str]:
    """The Prometheus labels kube-state-metrics adds for its `--metric-*-allowlist` flags."""
    names = set()
    for arg in args:
        flag, _, value = arg.partition("=")
        prefix = {"--metric-labels-allowlist": "label_", "--metric-annotations-allowlist": "annotation_"}.get(
            flag
        )
        for keys in re.findall(r"\w+=\[([^\]]*)\]", value) if prefix else []:
            names |= {prefix + re.sub(r"[^A-Za-z0-9_]", "_", key) for key in keys.split(",")}
    return names


def test_kube_state_metrics_exports_every_label_the_dashboards_group_by() -> None:
    """The prometheus chart templated with the rendered values: kube-state-metrics' own flags give
    every pod and node label and annotation the shipped dashboards query (before, the node group
    and the user annotation were missing, and two dashboards were empty)."""
    (deployment,) = [
        d for d in template("prometheus-29.27.0.tgz", "prometheus")
        if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("kube-state-metrics")
    ]  # fmt: skip
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    exported = state_metrics_names(container["args"])
    asked = {
        name
        for config_map in config_maps()
        for expr in expressions(dashboard(config_map.removeprefix("dashboard-")))
        for name in re.findall(r"\b(?:label|annotation)_(?!replace\b|values\b|join\b)\w+", expr)
    }
    assert asked - OTHER_PLATFORMS - OTHER_SERVICES <= exported
    assert {"label_alpha_eksctl_io_nodegroup_name", "annotation_hub_jupyter_org_username"} <= asked
