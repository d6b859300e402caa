"""Shared layer: where a cluster serves each hub and Grafana, by the cluster's URL scheme (`urls`).

- `path` (today's scheme, the default): one host for the whole cluster, `https://<domain>/<hub>/`
  and `https://<domain>/grafana/`, joined by NGINX mergeable Ingresses (a master that owns the
  host and its TLS, a minion per hub).
- `host`: a host of its own for each hub, `https://<hub>.<domain>/`, and `https://grafana.<domain>/`.
  Every hub is then an origin shared with nothing else, as JupyterHub's advisory GHSA-7r3h-4ph8-w38g
  asks: content one hub's users control cannot run with another hub's cookies, or Grafana's. Each
  Ingress stands alone; TLS comes from the controller's wildcard certificate.

render, validate, `hub show` and `hub check` all take a hub's address from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UrlScheme = Literal["path", "host"]
URL_SCHEMES: tuple[UrlScheme, ...] = ("path", "host")
DEFAULT_URL_SCHEME: UrlScheme = "path"
GRAFANA_LABEL = "grafana"
#: Host labels a hub cannot take with `urls: host`: the cluster's own services and names people
#: expect to mean something else. (grafana and prometheus are refused in every scheme.)
RESERVED_HOST_LABELS = frozenset(
    {"grafana", "prometheus", "alertmanager", "www", "api", "mail", "auth", "login"}
)


@dataclass(frozen=True)
class Site:
    """Where something is served: a host and the path under it (ending in /)."""

    host: str
    path: str

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}"


def hub_site(scheme: UrlScheme, domain: str, hub: str) -> Site:
    return Site(f"{hub}.{domain}", "/") if scheme == "host" else Site(domain, f"/{hub}/")


def grafana_site(scheme: UrlScheme, domain: str) -> Site:
    return Site(f"{GRAFANA_LABEL}.{domain}", "/") if scheme == "host" else Site(domain, f"/{GRAFANA_LABEL}/")


def hosts_needed(scheme: UrlScheme, domain: str) -> tuple[str, ...]:
    """The names the cluster's certificate must cover."""
    return (domain, f"*.{domain}") if scheme == "host" else (domain,)


def dns_records(scheme: UrlScheme, domain: str) -> tuple[str, ...]:
    """The names DNS must point at the ingress load balancer: the one host, or the wildcard every
    hub's and Grafana's host is under (nothing is served at the bare domain then)."""
    return (f"*.{domain}",) if scheme == "host" else (domain,)
