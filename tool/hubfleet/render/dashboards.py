"""Grafana dashboards as ConfigMaps that Grafana's sidecar loads: the JupyterHub dashboards
(compiled upstream jsonnet, given to the renderer as data) and hubfleet's own per-hub view.

hubfleet's dashboard is built here rather than in jsonnet: it is a few panels whose queries
must match the alert rules (render/metrics.py), and grafonnet would add half a minute of
compiling for them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..core.names import DRIVE_CLAIM, MONITORING_NAMESPACE
from ..inputs.model.cluster import GrafanaDashboard
from . import metrics
from .common import Manifest

#: The sidecar loads ConfigMaps with this label, into the folder named by the annotation.
DASHBOARD_LABEL = "grafana_dashboard"
FOLDER_ANNOTATION = "grafana_folder"
UPSTREAM_FOLDER = "JupyterHub"
OWN_FOLDER = "hubfleet"
HUBFLEET_UID = "hubfleet-hubs"
#: Grafana's JSON model version the hubfleet dashboard is written for (Grafana 11 and later).
SCHEMA_VERSION = 39

HUB = 'namespace=~"$hub"'
DATASOURCE = {"type": "prometheus", "uid": "${PROMETHEUS_DS}"}


def _panel(
    number: int, title: str, expr: str, legend: str, unit: str, thresholds: Sequence[float] = ()
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [
        {"color": color, "value": value} for color, value in zip(("orange", "red"), thresholds, strict=False)
    ]
    return {
        "id": number,
        "type": "timeseries",
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 12 * ((number - 1) % 2), "y": 8 * ((number - 1) // 2)},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "min": 0,
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": {"mode": "line" if thresholds else "off"}},
            },
            "overrides": [],
        },
        "targets": [{"refId": "A", "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}],
    }


def hubfleet_dashboard() -> GrafanaDashboard:
    """Per hub: users running, drive usage against its size, failed spawns, reachability, waiting pods."""
    panels = [
        _panel(1, "Users' servers running", metrics.running_servers(HUB), "{{namespace}}", "short"),
        _panel(
            2,
            "Drive used (of its size)",
            metrics.volume_used(DRIVE_CLAIM, HUB),
            "{{namespace}}",
            "percentunit",
            (metrics.ALMOST_FULL, metrics.FULL),
        ),
        _panel(
            3,
            f"Failed spawns in {metrics.SPAWN_WINDOW}",
            metrics.spawn_failures(HUB),
            "{{namespace}}",
            "short",
            (metrics.SPAWN_FAILURES,),
        ),
        _panel(4, "Hub answers /hub/health", metrics.hub_reachable(HUB), "{{namespace}}", "bool_yes_no"),
        _panel(5, "Pods waiting (Pending)", metrics.pending_by_hub(HUB), "{{namespace}}", "short"),
    ]
    model = {
        "uid": HUBFLEET_UID,
        "title": "Hubs (hubfleet)",
        "tags": ["hubfleet", "jupyterhub"],
        "editable": False,
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "5m",
        "templating": {
            "list": [
                {
                    "name": "PROMETHEUS_DS",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                },
                {
                    "name": "hub",
                    "label": "Hub",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": {
                        "query": "label_values(jupyterhub_running_servers, namespace)",
                        "refId": "hubs",
                    },
                    "includeAll": True,
                    "multi": True,
                    "current": {"text": "All", "value": "$__all"},
                    "refresh": 2,
                },
            ]
        },
        "panels": panels,
    }
    return GrafanaDashboard("hubfleet", str(model["title"]), json.dumps(model, indent=2, sort_keys=True))


def dashboard_config_map(dashboard: GrafanaDashboard, folder: str) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"dashboard-{dashboard.name}",
            "namespace": MONITORING_NAMESPACE,
            "labels": {DASHBOARD_LABEL: "1"},
            "annotations": {FOLDER_ANNOTATION: folder},
        },
        "data": {f"{dashboard.name}.json": dashboard.text + "\n"},
    }


def render_dashboards(upstream: Sequence[GrafanaDashboard]) -> list[Manifest]:
    """The upstream dashboards in a JupyterHub folder, hubfleet's own in a hubfleet folder."""
    found = [dashboard_config_map(d, UPSTREAM_FOLDER) for d in sorted(upstream, key=lambda d: d.name)]
    return [*found, dashboard_config_map(hubfleet_dashboard(), OWN_FOLDER)]
