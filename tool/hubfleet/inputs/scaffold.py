"""Inputs, written: `hubfleet new` and `hubfleet hub retire` write or change input files a person then owns.

Scaffolds are commented text (people read and edit them), checked by the same
schema and rules as any input before they are written, and never overwrite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.capacity import DRIVE_SIZE, size_gib
from ..core.charts import UPSTREAM_CHARTS
from ..core.kubernetes import newest_in_standard_support
from ..core.package_data import data_file, input_schema
from ..core.risks import guard
from ..core.tls import TlsMode
from ..errors import LocalError, ToolError, UsageError
from ..system.project import Project
from ..system.settings import today
from .edit import edit_checked, updating
from .load import parse_text
from .pipeline import check_cluster_source, check_hub_source, hub_of, load_cluster

CLUSTER_TEMPLATE = """\
# Cluster {name}. Format: schemas/cluster.schema.json. Render with: hubfleet render {name}
name: {name}
region: {region}
accountId: "{account}"        # the AWS account that owns the cluster (hubfleet aws refuses others)
kubernetesVersion: "{kubernetes}"    # the newest EKS version in standard support that eksctl can create
domain: {domain}   # hubs at <hub>.{domain}: CNAME *.{domain} to the ingress load balancer (hubfleet aws dns)
urls: host         # each hub at https://<hub>.<domain>/, an origin of its own; path: https://<domain>/<hub>/
{tls}zones: [{zones}]
coreZone: {core_zone}               # tools, core and every hub drive live in this one zone

nodeGroups:
  tools:                          # autoscaler, ingress controller, sealed-secrets controller
    instanceType: t3a.medium
    minSize: 1
    maxSize: 4
    volumeSize: 20
  core:                           # hub and proxy pods, NFS drive servers
    instanceType: t3a.medium
    minSize: 1
    maxSize: 10
    volumeSize: 30
  user:                           # notebook servers
    instanceType: t3a.large
    minSize: 1
    maxSize: 30
    volumeSize: 30

ingress:
  maxUploadSize: 2G

flux:
  url: {git_url}    # the repository given to flux bootstrap
  branch: main

# EBS snapshots of every drive and hub database; `hubfleet aws backups enable {name}` makes the
# policy in AWS (README "Backups and restore").
backups:
  schedule: daily
  time: "03:00"     # UTC
  keep: 7

# Prometheus, and Grafana at https://grafana.<domain>/ (README "Monitoring").
monitoring:
  retention: 90d
  storage: 50Gi

# Chart versions default to the ones this hubfleet was tested with ({charts}).
# hubDefaults: settings every hub starts from (same fields as a hub file).
"""

HUB_TEMPLATE = """\
# Hub {name} of cluster {cluster}, served at {url}. Format: schemas/hub.schema.json.
name: {name}
state: active            # retired keeps only the drive (the data), see README "Retiring a hub"
expectedUsers: {expected}        # users at once at the busiest time: `hubfleet plan capacity` sizes for them
drive:
  size: {size}           # one EBS volume in the core zone, holding every user's home
auth:
{auth}user:
  cpu: {{guarantee: 0.5, limit: 2}}
  memory: {{guarantee: 1G, limit: 4G}}
  placeholders: 0        # pods that keep room for this many users warm
culling:
  timeout: 3600          # stop servers idle this many seconds
"""

#: The login block of a new hub, per `new hub --auth` type (README "Logging in" says more). The
#: values to replace are marked (`replace-me`, `replace-with-...`: core/names.PLACEHOLDER, which
#: validate refuses); each block renders as written. `dummy` is left out:
#: it lets anyone in and is for tests only.
AUTH_BLOCKS = {
    "native": """\
  # native: people sign up and an admin approves them.
  type: native
  # Admins approve sign-ups. Seal each one's initial password before the hub starts:
  #   hubfleet seal auth {cluster} {name} --admin NAME
  admins: {admins}
""",
    "shared-password": """\
  # shared-password: one password for a workshop; anyone who has it gets in (a user name of their
  # choice). Seal it, and the admins' own password, before the hub starts:
  #   hubfleet seal auth {cluster} {name}            (the users' password)
  #   hubfleet seal auth {cluster} {name} --admin-password
  type: shared-password
  admins: {admins}
""",
    "github": """\
  # github: an OAuth app (callback {url}hub/oauth_callback); seal its secret:
  #   hubfleet seal auth {cluster} {name}
  type: github
  clientId: Ov23liReplaceMe          # replace: the OAuth app's client ID
  admins: {admins}
  allowed:
    organizations: [replace-with-your-org]   # or teams ("org:team") or users
""",
    "google": """\
  # google: an OAuth client (callback {url}hub/oauth_callback); seal its secret:
  #   hubfleet seal auth {cluster} {name}
  type: google
  clientId: replace-me.apps.googleusercontent.com   # replace: the OAuth client ID
  admins: {admins}
  allowed:
    domains: [replace-me.example]    # replace: your Google Workspace domain(s)
""",
    "cilogon": """\
  # cilogon: a CILogon client (callback {url}hub/oauth_callback); seal its secret:
  #   hubfleet seal auth {cluster} {name}
  type: cilogon
  clientId: "cilogon:/client_id/replace-me"   # replace: the CILogon client ID
  admins: {admins}
  cilogon:
    idps:
      https://replace-me.example/idp/shibboleth:   # replace: your institution's IdP entity ID
        usernameClaim: email
        stripDomain: replace-me.example
        domains: [replace-me.example]
""",
    "oidc": """\
  # oidc: any OpenID Connect provider (callback {url}hub/oauth_callback); seal
  # its client secret:  hubfleet seal auth {cluster} {name}
  type: oidc
  clientId: replace-with-the-client-id
  allowed:
    groups: [jupyter-users]          # replace: the group whose members may log in
  oidc:                              # replace each URL with your provider's
    issuer: https://replace-me.example
    authorizeUrl: https://replace-me.example/authorize
    tokenUrl: https://replace-me.example/token
    userdataUrl: https://replace-me.example/userinfo
    usernameClaim: preferred_username
    groupsClaim: groups
    adminGroups: [jupyter-admins]    # replace: the group whose members are admins
    loginService: Example University
""",
    "lti13": """\
  # lti13: launched from an LMS course (LTI 1.3); register the tool with the LMS first (README
  # "Logging in"). Launches are signed by the LMS: nothing to seal.
  type: lti13
  clientId: "replace-me"             # replace: the developer key's client ID
  allowed:
    everyone: true                   # every launch the LMS signs for this key
  lti13:                             # replace with your LMS's (these are Canvas Cloud's)
    issuer: https://canvas.instructure.com
    authorizeUrl: https://sso.canvaslms.com/api/lti/authorize_redirect
    jwksUrl: https://sso.canvaslms.com/api/lti/security/jwks
    deploymentIds: ["replace-me"]    # replace: the key's deployment id in your LMS (launches from others are refused)
    adminRoles: [Instructor]
    graderRoles: [TeachingAssistant] # open students' servers, change nothing
""",
    "lti11": """\
  # lti11: launched from an LMS course (LTI 1.1); seal the consumer secret:
  #   hubfleet seal auth {cluster} {name}
  type: lti11
  admins: {admins}                   # the LMS's user IDs
  allowed:
    everyone: true                   # every launch signed with the consumer key
  lti11:
    consumerKey: replace-with-the-consumer-key
""",
}
#: Login types whose block names admins (`--admin` is needed for them).
AUTH_WITH_ADMINS = ("native", "shared-password", "github", "google", "cilogon", "lti11")

#: Which command-line argument wrote each field of a scaffold, so a bad value is reported at the
#: argument a person typed, not at a file that was never written.
CLUSTER_ARGUMENTS = {
    "name": "NAME",
    "region": "--region",
    "accountId": "--account-id",
    "domain": "--domain",
    "zones": "--zones",
    "coreZone": "--core-zone",
    "flux.url": "--git-url",
    "hostedZone.id": "--zone-id",
    "hostedZone.name": "--zone",
    "tls.mode": "--tls",
    "tls.email": "--acme-email",
}
HUB_ARGUMENTS = {
    "name": "NAME",
    "drive.size": "--size",
    "auth.admins": "--admin",
    "expectedUsers": "--expected-users",
}


def _check(text: str, display: str, schema: str, stem: str) -> None:
    source = parse_text(text, display)
    if schema == "cluster":
        problems, arguments = check_cluster_source(source, stem), CLUSTER_ARGUMENTS
    else:
        problems, arguments = check_hub_source(source, source.data, stem), HUB_ARGUMENTS
    for problem in problems:
        field = problem.subject.split("[")[0]
        if field not in arguments:
            raise ToolError(
                "hubfleet new", f"the scaffold of {display} is invalid ({problem}); please report it"
            )
        raise UsageError(arguments[field], problem.message)


def _fresh(path: Path, text: str) -> Callable[[str, str], str]:
    """A change for `edit_checked` that writes a new file, refusing one that exists by then."""

    def change(_old: str, display: str) -> str:
        if path.exists():
            raise LocalError(display, "already exists; refusing to overwrite it")
        return text

    return change


def default_zones(region: str) -> tuple[str, ...]:
    """Three zones every account has in `region`, from the shipped table, or UsageError."""
    letters = data_file("region_zones.json")["regions"].get(region)
    if letters is None:
        raise UsageError(
            "--zones",
            f"hubfleet does not know which zones every account has in {region}; pass them, e.g. "
            f"--zones {region}a,{region}b (list yours with `aws ec2 describe-availability-zones "
            f"--region {region}`)",
        )
    return tuple(f"{region}{letter}" for letter in letters)


@dataclass(frozen=True)
class CertificateAnswers:
    """`new cluster`'s answers about the certificate: where it comes from, and the zone and contact
    `acme` needs (the zone's name defaults to the domain, a zone of the cluster's own)."""

    mode: TlsMode = "acme"
    email: str | None = None
    zone_id: str | None = None
    zone: str | None = None

    def block(self, domain: str) -> str:
        """The scaffold's hostedZone and tls lines; UsageError for answers that do not go together."""
        if self.zone is not None and self.zone_id is None:
            raise UsageError("--zone", "names the hosted zone of --zone-id; give --zone-id too")
        if self.mode == "sealed" and self.email is not None:
            raise UsageError("--acme-email", "is Let's Encrypt's contact, for --tls acme only")
        if self.mode == "acme" and self.zone_id is None:
            raise UsageError(
                "--tls",
                "acme (the default) needs --zone-id: the Route 53 hosted zone that holds the domain, where "
                "cert-manager proves it; or bring your own certificate with --tls sealed",
            )
        lines = []
        if self.zone_id is not None:
            zone = json.dumps(self.zone or domain)
            lines.append(
                f"hostedZone: {{id: {json.dumps(self.zone_id)}, name: {zone}}}   # Route 53; aws dns writes "
                "the records there"
            )
        lines.append("tls:")
        if self.mode == "acme":
            lines.append(
                "  mode: acme       # cert-manager gets and renews a Let's Encrypt certificate (DNS-01)"
            )
            if self.email is not None:
                lines.append(f"  email: {json.dumps(self.email)}   # optional contact for the ACME account")
        else:
            lines.append(
                "  mode: sealed     # yours, sealed: hubfleet seal tls <cluster> --cert FILE --key FILE"
            )
        return "".join(f"{line}\n" for line in lines)


def new_cluster(
    project: Project,
    name: str,
    region: str,
    domain: str,
    account: str,
    git_url: str,
    zones: tuple[str, ...] = (),
    core_zone: str | None = None,
    certificate: CertificateAnswers = CertificateAnswers(),
) -> Path:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,39}", name):
        raise UsageError(
            "NAME", f"'{name}' is not a valid cluster name (letters, digits, hyphens; at most 40)"
        )
    path = project.cluster_file(name)
    display = project.relative(path)
    if path.exists():
        raise LocalError(display, "already exists; refusing to overwrite it")
    if not zones:
        # A region the schema refuses is reported as such (by _check), not as unknown zones.
        valid = re.fullmatch(input_schema("cluster")["properties"]["region"]["pattern"], region)
        zones = default_zones(region) if valid else (f"{region}a",)
    charts = ", ".join(f"{c.key} {c.default_version}" for c in UPSTREAM_CHARTS)
    text = CLUSTER_TEMPLATE.format(
        name=name,
        region=region,
        domain=domain,
        account=account,
        git_url=git_url,
        charts=charts,
        zones=", ".join(zones),
        core_zone=core_zone or zones[0],
        kubernetes=newest_in_standard_support(today()),
        tls=certificate.block(domain),
    )
    _check(text, display, "cluster", name)
    edit_checked(project, name, path, _fresh(path, text))
    return path


def new_hub(
    project: Project,
    cluster: str,
    name: str,
    size: str,
    admins: tuple[str, ...],
    auth: str = "native",
    expected: int = 0,
) -> Path:
    """clusters/CLUSTER/hubs/NAME.yaml with the login block of `auth` (AUTH_BLOCKS)."""
    if auth in AUTH_WITH_ADMINS and not admins:
        raise UsageError("--admin", f"--auth {auth} needs at least one admin (repeat --admin for several)")
    if auth not in AUTH_WITH_ADMINS and admins:
        raise UsageError(
            "--admin", f"--auth {auth} takes its admins from the provider's groups or roles, not --admin"
        )
    loaded = load_cluster(project, cluster)
    cluster, url = loaded.name, loaded.hub_site(name).url
    path = project.hub_file(cluster, name)
    display = project.relative(path)
    if path.exists():
        raise LocalError(display, "already exists; refusing to overwrite it")
    block = AUTH_BLOCKS[auth].format(name=name, url=url, cluster=cluster, admins=json.dumps(list(admins)))
    text = HUB_TEMPLATE.format(name=name, url=url, cluster=cluster, size=size, auth=block, expected=expected)
    _check(text, display, "hub", name)
    edit_checked(project, cluster, path, _fresh(path, text))
    return path


def retire_hub(project: Project, cluster: str, hub: str) -> bool:
    """Set `state: retired`; True if the file changed. The drive stays; the hub goes."""
    loaded = load_cluster(project, cluster)
    path = project.root / hub_of(loaded, hub).source_file
    old, new = edit_checked(project, loaded.name, path, updating({("state",): "retired"}))
    return old != new


def grow_drive(project: Project, cluster: str, hub: str, size: str) -> tuple[str, str]:
    """Set `drive.size` of HUB to SIZE (larger than now), keeping the file's comments; returns
    (old size, new size). The render that follows grows the volume in place."""
    if not DRIVE_SIZE.fullmatch(size):
        raise UsageError("SIZE", f"'{size}' is not a drive size (whole Gi or Ti, e.g. 200Gi)")
    loaded = load_cluster(project, cluster)
    found = hub_of(loaded, hub)
    current = found.drive_size
    if size_gib(size) <= size_gib(current):
        raise UsageError(
            "SIZE",
            guard("drive-shrunk", "edit", hub=hub, old=current),
        )
    path = project.root / found.source_file
    edit_checked(project, loaded.name, path, updating({("drive", "size"): size}))
    return current, size
