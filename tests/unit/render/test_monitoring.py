"""The monitoring layer: Prometheus and Grafana rendered for a cluster with `monitoring`, the alert
rules (PromQL parsed by promql-parser, a binding of the Rust parser; promtool cannot be
installed here), and the hub names it reserves. Templating through the real charts is
validate's (the committed example passes it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import promql_parser
import pytest
from click.testing import Result

from conftest import REPO, load_docs
from support.builders import make_cluster, position_of

LAYER = REPO / "gitops/infrastructure/clusterA/monitoring"


def release(name: str) -> dict[str, Any]:
    (document,) = load_docs(LAYER / f"{name}.yaml")
    return dict(document["spec"])


def test_the_layer_comes_after_the_controllers_and_blocks_no_hub() -> None:
    layers = {
        d["metadata"]["name"]: d["spec"]
        for d in load_docs(REPO / "gitops/clusters/clusterA/infrastructure.yaml")
    }
    assert layers["infra-monitoring"]["dependsOn"] == [{"name": "infra-controllers"}]
    assert layers["infra-monitoring"]["wait"] is False
    (hubs,) = load_docs(REPO / "gitops/clusters/clusterA/hubs.yaml")
    assert hubs["spec"]["dependsOn"] == [{"name": "infra-ingress"}]
    (kustomization,) = load_docs(LAYER / "kustomization.yaml")
    assert kustomization["resources"] == [
        "dashboards.yaml",
        "grafana-role.yaml",
        "grafana.yaml",
        "monitoring.alert-receivers.sealedsecret.yaml",
        "monitoring.grafana-admin.sealedsecret.yaml",
        "namespace.yaml",
        "network-policies.yaml",
        "prometheus.yaml",
        "sources.yaml",
    ]


def test_grafana_is_a_minion_at_grafana_without_anonymous_access() -> None:
    values = release("grafana")["values"]
    ingress = values["ingress"]
    assert (ingress["path"], ingress["hosts"], ingress["tls"]) == (
        "/grafana/",
        ["clustera.hubs.example.org"],
        [],
    )
    assert ingress["annotations"] == {"nginx.org/mergeable-ingress-type": "minion"}
    assert values["grafana.ini"] == {
        "server": {"root_url": "https://clustera.hubs.example.org/grafana/", "serve_from_sub_path": True},
        "auth.anonymous": {"enabled": False},
    }
    assert values["persistence"]["storageClassName"] == "hubfleet-drive"


def test_prometheus_keeps_its_data_on_the_drive_class_and_sees_every_node() -> None:
    values = release("prometheus")["values"]
    assert values["server"]["retention"] == "90d"
    assert values["server"]["persistentVolume"] == {
        "enabled": True,
        "size": "50Gi",
        "storageClass": "hubfleet-drive",
    }
    assert values["server"]["nodeSelector"] == {"nodegroup-role": "clustertools"}
    assert values["prometheus-node-exporter"]["tolerations"] == [{"operator": "Exists"}]
    assert values["kube-state-metrics"]["metricLabelsAllowlist"] == [
        "pods=[hub.jupyter.org/username,component,app]",
        "nodes=[alpha.eksctl.io/nodegroup-name]",
    ]
    assert values["kube-state-metrics"]["metricAnnotationsAllowList"] == ["pods=[hub.jupyter.org/username]"]


def rules() -> dict[str, dict[str, Any]]:
    (group,) = release("prometheus")["values"]["serverFiles"]["alerting_rules.yml"]["groups"]
    return {rule["alert"]: rule for rule in group["rules"]}


@pytest.mark.parametrize(
    ("name", "threshold", "wait"),
    [
        ("HubVolumeAlmostFull", "> 0.9", "15m"),
        ("HubVolumeFull", "> 0.99", "5m"),
        ("HubSpawnsFailing", ">= 2", "0m"),
        ("HubUnreachable", "== 0", "5m"),
        ("PodPendingTooLong", "== 1", "30m"),
        ("DriveServerRestarted", "> 0", "0m"),
        ("AutoscalerScaleUpFailing", "> 0", "0m"),
    ],
)
def test_alert_rules_parse_and_say_what_the_issue_asks(name: str, threshold: str, wait: str) -> None:
    rule = rules()[name]
    promql_parser.parse(rule["expr"])  # raises on a syntax error
    assert rule["expr"].endswith(threshold) and rule["for"] == wait
    assert rule["labels"]["severity"] in ("warning", "critical")


def test_a_broken_expression_would_be_caught() -> None:
    with pytest.raises(ValueError):
        promql_parser.parse('sum by (namespace (kube_pod_status_phase{phase="Pending"})')


@pytest.mark.parametrize("name", ["grafana", "prometheus"])
def test_monitoring_names_are_reserved(tmp_path: Path, run: Callable[..., Result], name: str) -> None:
    root = make_cluster(tmp_path, hubs={name: {}})
    result = run(root, "render", "clusterA")
    line, column = position_of(root / f"clusters/clusterA/hubs/{name}.yaml", "name")
    assert result.exit_code == 2
    assert (
        f"clusters/clusterA/hubs/{name}.yaml:{line}:{column}: name: '{name}' is reserved for the cluster's "
        "monitoring (grafana, prometheus); pick another name"
    ) in result.output.splitlines()


def test_without_monitoring_there_is_no_layer(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hubs={"course": {}})
    assert run(root, "render", "clusterA").exit_code == 0
    assert not (root / "gitops/infrastructure/clusterA/monitoring").exists()
    names = [d["metadata"]["name"] for d in load_docs(root / "gitops/clusters/clusterA/infrastructure.yaml")]
    assert "infra-monitoring" not in names
    sources = [
        d["metadata"]["name"]
        for d in load_docs(root / "gitops/infrastructure/clusterA/controllers/sources.yaml")
    ]
    assert "grafana-community" not in sources and "prometheus-community" not in sources


def test_prometheus_may_read_every_hubs_metrics() -> None:
    (hub,) = load_docs(REPO / "gitops/hubs/clusterA/physics101/jupyterhub.yaml")
    assert hub["spec"]["values"]["hub"]["config"]["JupyterHub"]["authenticate_prometheus"] is False


def test_grafanas_admin_password_is_sealed_for_the_monitoring_namespace(tmp_path: Path) -> None:
    from kubesealpy import SealedSecret, Unsealer

    from support.sealing import cli, make_project, sealing_pair

    root = make_project(tmp_path)
    cluster = root / "clusters/clusterA/cluster.yaml"
    refused = cli(root, "seal", "monitoring", "clusterA", input=b"a-long-enough-password\n")
    assert (refused.exit_code, refused.output) == (
        2,
        "CLUSTER: clusters/clusterA/cluster.yaml has no monitoring block; add one first\n",
    )
    cluster.write_text(cluster.read_text() + "monitoring: {retention: 30d}\n")
    short = cli(root, "seal", "monitoring", "clusterA", input=b"short\n")
    assert short.output == "the password has 5 characters; it needs at least 16\n"
    done = cli(root, "seal", "monitoring", "clusterA", input=b"a-long-enough-password\n")
    assert done.exit_code == 0, done.output
    assert "a-long-enough-password" not in done.output
    sealed = root / "clusters/clusterA/secrets/monitoring.grafana-admin.sealedsecret.yaml"
    secret = Unsealer.from_private_key(sealing_pair()[0]).unseal(SealedSecret.from_yaml(sealed.read_text()))
    assert (secret.metadata.namespace, secret.metadata.name) == ("monitoring", "grafana-admin")
    assert secret.get_data_decoded() == {"admin-user": b"admin", "admin-password": b"a-long-enough-password"}
    assert cli(root, "render", "clusterA").exit_code == 0
    layer = root / "gitops/infrastructure/clusterA/monitoring"
    assert (layer / "monitoring.grafana-admin.sealedsecret.yaml").is_file()
    assert not list((root / "gitops/infrastructure/clusterA/configs").glob("monitoring.*"))
    generated = cli(root, "seal", "monitoring", "clusterA", "--generate")
    (line, _) = generated.output.splitlines()
    assert line.startswith("Grafana admin password (shown once; keep it in your password manager): ")


def test_grafana_reads_the_sealed_login_and_validate_wants_it(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    assert release("grafana")["values"]["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    root = make_cluster(tmp_path, monitoring={"retention": "30d"})
    assert run(root, "render", "clusterA").exit_code == 0
    result = run(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    assert (
        "clusters/clusterA/cluster.yaml: monitoring: Grafana's admin login is not sealed (monitoring/grafana-admin); "
        "Grafana cannot start without it: run `hubfleet seal monitoring clusterA --generate`"
    ) in result.output.splitlines()


def test_alerts_go_to_the_receivers_with_their_secrets_read_from_files() -> None:
    alertmanager = release("prometheus")["values"]["alertmanager"]
    assert alertmanager["extraSecretMounts"] == [
        {
            "name": "receivers",
            "mountPath": "/etc/alertmanager/secrets",
            "secretName": "alert-receivers",
            "readOnly": True,
        }
    ]
    (receiver,) = alertmanager["config"]["receivers"]
    assert receiver["email_configs"] == [
        {
            "to": "hub-ops@example.edu",
            "from": "hubfleet@example.edu",
            "smarthost": "smtp.example.edu:587",
            "send_resolved": True,
            "auth_username": "hubfleet",
            "auth_password_file": "/etc/alertmanager/secrets/smtp-password",
        }
    ]
    assert receiver["slack_configs"] == [
        {
            "channel": "#hub-alerts",
            "api_url_file": "/etc/alertmanager/secrets/slack-webhook",
            "send_resolved": True,
        }
    ]
    text = (LAYER / "prometheus.yaml").read_text() + (
        LAYER / "monitoring.alert-receivers.sealedsecret.yaml"
    ).read_text()
    assert "hooks.slack.com" not in text and "example-smtp-password" not in text


def test_receiver_secrets_are_sealed_a_key_at_a_time_and_audited(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    from kubesealpy import SealedSecret, Unsealer

    from support.sealing import cli, make_project, sealing_pair

    root = make_project(tmp_path)
    cluster = root / "clusters/clusterA/cluster.yaml"
    cluster.write_text(cluster.read_text() + 'monitoring: {alerts: {slack: {channel: "#ops"}}}\n')
    refused = cli(root, "seal", "monitoring", "clusterA", "--smtp-password", input=b"secret")
    assert (refused.exit_code, refused.output) == (
        2,
        "clusters/clusterA/cluster.yaml has no monitoring.alerts.email.username, which would use smtp-password\n",
    )
    assert cli(root, "render", "clusterA").exit_code == 0
    result = run(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    assert (
        "clusters/clusterA/cluster.yaml: monitoring.alerts: slack-webhook not sealed (monitoring/alert-receivers); "
        "Alertmanager cannot send without it: `hubfleet seal monitoring clusterA --slack-webhook`"
    ) in result.output.splitlines()
    done = cli(
        root, "seal", "monitoring", "clusterA", "--slack-webhook", input=b"https://hooks.example/T/B/X\n"
    )
    assert done.exit_code == 0, done.output
    sealed = root / "clusters/clusterA/secrets/monitoring.alert-receivers.sealedsecret.yaml"
    secret = Unsealer.from_private_key(sealing_pair()[0]).unseal(SealedSecret.from_yaml(sealed.read_text()))
    assert secret.get_data_decoded() == {"slack-webhook": b"https://hooks.example/T/B/X"}


def test_without_receivers_there_is_no_alertmanager(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, monitoring={"retention": "30d"})
    assert run(root, "render", "clusterA").exit_code == 0
    (prometheus,) = load_docs(root / "gitops/infrastructure/clusterA/monitoring/prometheus.yaml")
    assert prometheus["spec"]["values"]["alertmanager"] == {"enabled": False}


def test_prometheus_scrapes_the_autoscaler() -> None:
    (autoscaler,) = load_docs(REPO / "gitops/infrastructure/clusterA/controllers/cluster-autoscaler.yaml")
    assert autoscaler["spec"]["values"]["service"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8085",
    }


def test_every_hub_lets_prometheus_read_its_metrics_and_nothing_else_in() -> None:
    (hub,) = load_docs(REPO / "gitops/hubs/clusterA/datalab/jupyterhub.yaml")
    assert hub["spec"]["values"]["hub"]["networkPolicy"]["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                    "podSelector": {
                        "matchLabels": {
                            "app.kubernetes.io/name": "prometheus",
                            "app.kubernetes.io/instance": "prometheus",
                            "app.kubernetes.io/component": "server",
                        }
                    },
                }
            ],
            "ports": [{"port": 8081, "protocol": "TCP"}],
        }
    ]
    assert release("grafana")["values"]["deploymentStrategy"] == {"type": "Recreate"}


def test_a_monitoring_secret_without_monitoring_is_a_finding(tmp_path: Path) -> None:
    from support.sealing import cli, make_project

    root = make_project(tmp_path)
    cluster = root / "clusters/clusterA/cluster.yaml"
    text = cluster.read_text()
    cluster.write_text(text + "monitoring: {retention: 30d}\n")
    assert cli(root, "seal", "monitoring", "clusterA", "--generate").exit_code == 0
    cluster.write_text(text)
    refused = cli(root, "render", "clusterA")  # it would be applied with the infrastructure, and fail there
    assert refused.exit_code == 2
    assert (
        "metadata.namespace: sealed for namespace monitoring, which nothing of clusterA makes"
        in refused.stderr
    )
    result = cli(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    assert (
        "clusters/clusterA/secrets/monitoring.grafana-admin.sealedsecret.yaml: sealed for the monitoring namespace, "
        "and clusters/clusterA/cluster.yaml has no monitoring: remove the file, or turn monitoring on"
    ) in result.output.splitlines()
