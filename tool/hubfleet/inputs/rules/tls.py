"""Stage 2b, rules: what `tls` and `hostedZone` need of each other and of `domain` (core/tls.py).

cert-manager can only prove a domain through a hosted zone that holds it; a zone that does not
hold the domain would fail at the first renewal, far from the input that caused it, so it is
refused here, where the file can point at the line. (The ACME contact, `tls.email`, is optional:
Let's Encrypt stopped sending expiry emails in June 2025, and the expiry alert watches renewal.)
"""

from __future__ import annotations

from ...core.tls import in_zone
from ...errors import Diagnostic
from ..load import Source
from ..model.cluster import Cluster


def acme_has_a_zone(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    if cluster.tls.mode != "acme" or cluster.hosted_zone is not None:
        return []
    return [
        source.problem(
            ["tls", "mode"],
            "acme proves the domain through Route 53: add hostedZone: {id: Z..., name: <zone>} "
            "(the hosted zone that holds the domain), or use mode: sealed",
        )
    ]


def email_only_for_acme(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    written = source.data.get("tls", {})
    return [
        source.problem(
            ["tls", key],
            f"is only for mode: acme (this cluster's certificate is {cluster.tls.mode}); remove it",
        )
        for key in ("email", "issuer")
        if cluster.tls.mode != "acme" and key in written
    ]


def domain_in_zone(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    zone = cluster.hosted_zone
    if zone is None:
        return []
    if not in_zone(cluster.domain, zone.name):
        return [
            source.problem(
                ["hostedZone", "name"],
                f"{cluster.domain} (domain) is not in hosted zone {zone.name}: give the zone that holds "
                f"the domain (its name is the domain or ends with .<that name>)",
            )
        ]
    if cluster.urls == "path" and cluster.domain == zone.name:
        return [
            source.problem(
                ["hostedZone", "name"],
                f"urls: path serves every hub at {cluster.domain}, the apex of the hosted zone, where "
                "DNS allows no CNAME to the load balancer: use urls: host (records under the domain) or "
                "the zone above the domain",
            )
        ]
    return []


TLS_RULES = (acme_has_a_zone, email_only_for_acme, domain_in_zone)
