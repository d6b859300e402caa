"""Shared layer: where a cluster's served certificate comes from (`tls.mode`), and what that needs.

- `sealed` (the default, today's way): the operator brings a certificate and seals it
  (`hubfleet seal tls`); validate warns 30 days before it expires, an alert fires at 21.
- `acme`: cert-manager asks Let's Encrypt for one wildcard certificate (`<domain>` and
  `*.<domain>`), proving control of the domain by DNS-01 TXT records it writes in the Route 53
  hosted zone given in cluster.yaml, and renews it by itself (30 days before expiry, as
  cert-manager does by default for a 90-day certificate). The certificate lands in the very Secret
  NGINX serves, so the ingress is the same in both modes.

cert-manager reaches Route 53 through an IAM role for its service account (IRSA) that eksctl makes
(render/eksctl.py), allowed to change only TXT records of `_acme-challenge.<domain>` in that one
zone: the narrowest grant cert-manager's Route 53 solver works with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

TlsMode = Literal["sealed", "acme"]
TLS_MODES: tuple[TlsMode, ...] = ("sealed", "acme")
DEFAULT_TLS_MODE: TlsMode = "sealed"
AcmeIssuer = Literal["production", "staging"]
ACME_ISSUERS: tuple[AcmeIssuer, ...] = ("production", "staging")
DEFAULT_ACME_ISSUER: AcmeIssuer = "production"

#: The controller's service account as the chart names release `cert-manager` (the IRSA role trusts it).
CERT_MANAGER_SERVICE_ACCOUNT = "cert-manager"
#: Let's Encrypt's ACME directories: staging issues untrusted certificates under far higher rate
#: limits, for trying a new cluster out; production issues the real ones.
ACME_SERVERS: dict[AcmeIssuer, str] = {
    "production": "https://acme-v02.api.letsencrypt.org/directory",
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
#: Days before a served certificate's expiry at which the alert fires (validate warns at 30).
EXPIRY_ALERT_DAYS = 21
#: The annotation `hubfleet seal tls` records a sealed certificate's expiry in (UTC), read back by
#: the sealing audit and by render for the expiry alert; and its format.
NOT_AFTER_ANNOTATION = "hubfleet/tls-not-after"
NOT_AFTER_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_not_after(text: str) -> datetime | None:
    """The expiry recorded in NOT_AFTER_ANNOTATION (UTC), or None when it does not read as one."""
    try:
        return datetime.strptime(text, NOT_AFTER_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


#: cert-manager's own gauge of each Certificate's expiry (unix seconds), from its controller's metrics.
EXPIRY_METRIC = "certmanager_certificate_expiration_timestamp_seconds"
#: And of its Ready condition (one series per condition status, 1 for the current one).
READY_METRIC = "certmanager_certificate_ready_status"


def issuer_name(issuer: AcmeIssuer) -> str:
    return f"letsencrypt-{issuer}"


def cert_manager_role_name(cluster: str) -> str:
    return f"{cluster}-cert-manager"


def challenge_record(domain: str) -> str:
    """The TXT record DNS-01 writes for `domain` and `*.domain` alike."""
    return f"_acme-challenge.{domain}"


def in_zone(domain: str, zone: str) -> bool:
    """Whether `domain` is the hosted zone's name or a name under it (case does not matter in DNS)."""
    domain, zone = domain.lower().rstrip("."), zone.lower().rstrip(".")
    return domain == zone or domain.endswith(f".{zone}")


def route53_policy(partition: str, zone_id: str, domain: str) -> dict[str, Any]:
    """The IAM policy of cert-manager's role: read its change's status, and write nothing but the
    challenge TXT record of `domain` in the one zone (IAM compares the record name in lower case).
    With the zone's ID given, cert-manager's Route 53 solver calls nothing else: no listing of
    zones or of the zone's records."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "route53:GetChange",
                "Resource": f"arn:{partition}:route53:::change/*",
            },
            {
                "Effect": "Allow",
                "Action": "route53:ChangeResourceRecordSets",
                "Resource": f"arn:{partition}:route53:::hostedzone/{zone_id}",
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                            challenge_record(domain).lower()
                        ],
                    }
                },
            },
        ],
    }
