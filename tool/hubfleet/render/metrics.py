"""The PromQL hubfleet asks Prometheus, in one place: the alert rules and hubfleet's own Grafana
dashboard read the same expressions and thresholds, so a panel turns red where an alert fires.

`where` adds label matchers (the dashboard's `namespace=~"$hub"`); the alerts pass none.
"""

from __future__ import annotations

from datetime import datetime

from ..core.names import DRIVE_CLAIM, HUB_DB_CLAIM
from ..core.tls import EXPIRY_METRIC, READY_METRIC

#: A drive or hub database this full warns, and this full is an emergency (writes fail).
ALMOST_FULL = 0.9
FULL = 0.99
#: Failed spawns of one hub within SPAWN_WINDOW that page someone.
SPAWN_FAILURES = 2
SPAWN_WINDOW = "30m"
#: The scrape job that fetches every hub's /hub/health through its public URL.
HUB_HEALTH_JOB = "hub-health"
HUB_VOLUMES = f"{DRIVE_CLAIM}|{HUB_DB_CLAIM}"


def _matchers(*parts: str) -> str:
    return "{" + ", ".join(part for part in parts if part) + "}"


def volume_used(claims: str = HUB_VOLUMES, where: str = "") -> str:
    """The used fraction of the hubs' volumes (kubelet's volume stats), by namespace and claim."""
    claim = f'persistentvolumeclaim=~"{claims}"'
    return (
        f"kubelet_volume_stats_used_bytes{_matchers(claim, where)}"
        f" / kubelet_volume_stats_capacity_bytes{_matchers(claim, where)}"
    )


def spawn_failures(where: str = "") -> str:
    """Servers that failed to start per hub within SPAWN_WINDOW (JupyterHub's own metric)."""
    selected = _matchers('status="failure"', where)
    return f"sum by (namespace) (increase(jupyterhub_server_spawn_duration_seconds_count{selected}[{SPAWN_WINDOW}]))"


def running_servers(where: str = "") -> str:
    """Users' servers running per hub."""
    return f"sum by (namespace) (jupyterhub_running_servers{_matchers(where)})"


def hub_reachable(where: str = "") -> str:
    """1 while a hub answers /hub/health at its public URL, 0 when it does not."""
    job = f'job="{HUB_HEALTH_JOB}"'
    return f"up{_matchers(job, where)}"


def pending_pods(where: str = "") -> str:
    """Pods waiting for a node (or a volume), per namespace and pod."""
    pending = 'phase="Pending"'
    return f"max by (namespace, pod) (kube_pod_status_phase{_matchers(pending, where)})"


def pending_by_hub(where: str = "") -> str:
    """How many pods wait per namespace (kube-state-metrics reports 0 for every other phase)."""
    pending = 'phase="Pending"'
    return f"sum by (namespace) (kube_pod_status_phase{_matchers(pending, where)})"


def _certificate(namespace: str, name: str, *more: str) -> str:
    return _matchers(f'namespace="{namespace}"', f'name="{name}"', *more)


def certificate_days_left(namespace: str, name: str) -> str:
    """Days until cert-manager's Certificate `namespace/name` expires (its controller's gauge). The
    gauge reads 0 until a first certificate is issued; those series are left out (see below)."""
    return f"(({EXPIRY_METRIC}{_certificate(namespace, name)} > 0) - time()) / 86400"


def certificate_not_ready(namespace: str, name: str) -> str:
    """1 while cert-manager reports the Certificate not Ready (never issued, or failing)."""
    not_ready = 'condition="False"'
    return f"{READY_METRIC}{_certificate(namespace, name, not_ready)}"


def certificate_unwatched(namespace: str, name: str) -> str:
    """1 when no expiry of the Certificate reaches Prometheus (cert-manager down or not scraped)."""
    return f"absent({EXPIRY_METRIC}{_certificate(namespace, name)})"


def sealed_certificate_days_left(not_after: datetime) -> str:
    """Days until a sealed certificate expires: its recorded expiry, rendered in as unix seconds."""
    return f"(vector({int(not_after.timestamp())}) - time()) / 86400"
