"""Layer 7, cross-object lint of drives: what only hubfleet knows to look for across a cluster.

- Every drive is in the core zone, on a StorageClass pinned to that zone alone,
  and some node group of the drive's node purpose runs in its zone.
- The EBS volumes that attach to core nodes (a drive each, a hub database per
  JupyterHub) fit the core group's instance type at maxSize: the volumes are
  counted in the rendered tree, the arithmetic and wording are those of
  `rules.drives_fit_core_nodes`, which checks the inputs before render.
- The sealing audit (`hubfleet.sealing.audit`) of the cluster's sealed secrets.
Ingress and TLS lint is in `ingress`; secrets that leak are in `leaks`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..core.auth import LTI_COURSE_ROLES, login_gives_group
from ..core.capacity import VolumeFit, instance_type
from ..core.charts import JUPYTERHUB, chart_spec
from ..core.kubernetes import extended_support_warning
from ..core.names import DRIVE_CHART, HELM_GROUP, NODE_PURPOSE_LABEL, PLACEHOLDER, PLACEHOLDER_GIT_URL
from ..core.schema_errors import dotted
from ..inputs.load import load_file
from ..inputs.model.cluster import Cluster
from ..planning.capacity import core_shortfall, plan_cluster
from ..sealing.audit import audit_sealed_secrets
from ..sealing.auth_audit import audit_hub_logins
from ..system.project import Project
from .findings import Tally
from .manifests import Locator, Manifest
from .tree import LAYOUT, Tree

ZONE_LABEL = "topology.kubernetes.io/zone"


def release_values(manifest: Manifest) -> dict[str, Any]:
    values = manifest.spec.get("values")
    return values if isinstance(values, dict) else {}


def release_namespace(release: Manifest) -> str:
    """Where a HelmRelease installs: its targetNamespace, else its own namespace (helm-controller's
    rule; `helm template` leaves the namespace out of most objects)."""
    return str(release.spec.get("targetNamespace") or release.namespace)


def get(data: Any, *path: str) -> Any:
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _same_chart(path: str, wanted: str) -> bool:
    return path.removeprefix("./").rstrip("/") == wanted.removeprefix("./").rstrip("/")


def is_drive(manifest: Manifest) -> bool:
    chart = chart_spec(manifest.spec)
    source = chart.get("sourceRef")
    return (
        manifest.is_a(HELM_GROUP, "HelmRelease")
        and isinstance(source, dict)
        and source.get("kind") == "GitRepository"
        and _same_chart(str(chart.get("chart", "")), LAYOUT.chart_source(DRIVE_CHART))
    )


def is_jupyterhub(manifest: Manifest) -> bool:
    chart = chart_spec(manifest.spec)
    return manifest.is_a(HELM_GROUP, "HelmRelease") and chart.get("chart") == JUPYTERHUB.chart


class ClusterLint:
    def __init__(self, tree: Tree, cluster: Cluster, locator: Locator, tally: Tally) -> None:
        self.tree = tree
        self.cluster = cluster
        self.locator = locator
        self.tally = tally
        self.objects = list(tree.objects(cluster.name))
        self.config = tree.eksctl_config(cluster.name)

    def fail(self, check: str, manifest: Manifest, field: tuple[str | int, ...], message: str) -> None:
        line = self.locator.line(manifest, field)
        self.tally.fail(check, manifest.path, line, manifest.subject, message)

    def _node_groups(self) -> list[dict[str, Any]]:
        groups = self.config.data.get("nodeGroups") if self.config else None
        return [g for g in groups if isinstance(g, dict)] if isinstance(groups, list) else []

    def _zones(self, group: dict[str, Any]) -> list[Any]:
        zones = group.get("availabilityZones") or (
            self.config.data.get("availabilityZones") if self.config else []
        )
        return zones if isinstance(zones, list) else []

    def drives(self) -> None:
        core = self.cluster.core_zone
        classes = {m.name: m for m in self.objects if m.is_a("storage.k8s.io", "StorageClass")}
        used: set[str] = set()
        for drive in filter(is_drive, self.objects):
            check = f"drive:{drive.key}"
            self.tally.checked(check)
            values = release_values(drive)
            zone, purpose = values.get("zone"), values.get("nodePurpose")
            if zone != core:
                self.fail(
                    check,
                    drive,
                    ("spec", "values", "zone"),
                    f"spec.values.zone: the drive is in {zone}, outside the core zone {core} "
                    f"({self.cluster.source_file} coreZone); core pods could not mount its EBS volume",
                )
            if self.config is not None and not any(
                get(g, "labels", NODE_PURPOSE_LABEL) == purpose and zone in self._zones(g)
                for g in self._node_groups()
            ):
                self.fail(
                    check,
                    drive,
                    ("spec", "values", "zone"),
                    f"spec.values.zone: no node group in {self.config.path} has {NODE_PURPOSE_LABEL}={purpose} "
                    f"in {zone}; the drive's NFS server could never be scheduled",
                )
            name = str(values.get("storageClassName", ""))
            if name not in classes:
                self.fail(
                    check,
                    drive,
                    ("spec", "values", "storageClassName"),
                    f"spec.values.storageClassName: StorageClass {name} is not in the tree",
                )
            used.add(name)
        for name in sorted(used & set(classes)):
            self._storage_class(classes[name])

    def _storage_class(self, manifest: Manifest) -> None:
        check = f"storageclass:{manifest.key}"
        self.tally.checked(check)
        zones: list[Any] = []
        topologies = manifest.data.get("allowedTopologies")
        for term in topologies if isinstance(topologies, list) else []:
            for expression in get(term, "matchLabelExpressions") or []:
                if isinstance(expression, dict) and expression.get("key") == ZONE_LABEL:
                    zones += expression.get("values") or []
        if zones != [self.cluster.core_zone]:
            found = ", ".join(map(str, zones)) or "no zone restriction"
            self.fail(
                check,
                manifest,
                ("allowedTopologies",),
                f"allowedTopologies: drive volumes must be pinned to the core zone {self.cluster.core_zone} "
                f"alone; found {found}",
            )

    def attachments(self) -> None:
        if self.config is None:
            return
        check = f"attachments:{self.cluster.name}"
        self.tally.checked(check)
        core_name = self.cluster.node_group("core").eksctl_name
        index, group = next(
            ((i, g) for i, g in enumerate(self._node_groups()) if g.get("name") == core_name), (-1, None)
        )
        if group is None:
            self.fail(check, self.config, ("nodeGroups",), f"nodeGroups: no node group named {core_name}")
            return
        facts = instance_type(str(group.get("instanceType")))
        field = ("nodeGroups", index, "maxSize")
        if facts is None:
            self.tally.warn(
                check,
                self.config.path,
                self.locator.line(self.config, field),
                self.config.subject,
                f"instance type {group.get('instanceType')} is not in hubfleet's table; EBS attachments not checked",
            )
            return
        drives = sum(1 for m in self.objects if is_drive(m))
        databases = sum(
            1
            for m in self.objects
            if is_jupyterhub(m) and get(release_values(m), "hub", "db", "type") in (None, "sqlite-pvc")
        )
        raw = group.get("maxSize")
        # One drive per hub, so `drives` is the number of hubs; the count of volumes is the rendered one.
        fit = VolumeFit(drives, drives + databases, raw if isinstance(raw, int) else 0, facts)
        if not fit.fits:
            self.fail(check, self.config, field, f"nodeGroups[{index}].maxSize: {fit.describe()}")


def sealing_audit(project: Project, cluster: Cluster, now: datetime, tally: Tally) -> None:
    """hubfleet.sealing's audit of the cluster's sealed secrets, as findings of the lint layer."""
    check = f"audit:{cluster.name}"
    tally.checked(check)
    for finding in [*audit_sealed_secrets(project, cluster, now), *audit_hub_logins(cluster)]:
        tally.report(check, finding)


def _strings(data: Any, where: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in _strings(value, (*where, str(key)))] + [
            ((*where, str(key)), str(key)) for key in data if isinstance(key, str)
        ]
    if isinstance(data, list):
        return [found for index, item in enumerate(data) for found in _strings(item, (*where, index))]
    return [(where, data)] if isinstance(data, str) else []


def placeholder_lint(project: Project, cluster: Cluster, tally: Tally) -> None:
    """A login value still as `hubfleet new hub --auth` wrote it: the hub renders, but nobody can
    log in until the client id, organization or URL is the real one."""
    for hub in cluster.hubs:
        check = f"placeholders:{hub.source_file}"
        tally.checked(check)
        source = load_file(project.root / hub.source_file, hub.source_file, project.root)
        for where, text in _strings(source.data.get("auth"), ("auth",)):
            if PLACEHOLDER.search(text):
                line, _ = source.locate(where)
                tally.fail(
                    check,
                    hub.source_file,
                    line,
                    "",
                    f"{dotted(where)}: {text} is a placeholder `hubfleet new hub` wrote; replace it with your "
                    "provider's value",
                )


def flux_lint(cluster: Cluster, tally: Tally) -> None:
    """flux.url still the scaffold's placeholder: bootstrap would point Flux at a repository that
    is not this fleet's, and the cluster would never reconcile."""
    check = f"flux:{cluster.name}"
    tally.checked(check)
    if cluster.git_url == PLACEHOLDER_GIT_URL:
        tally.fail(
            check,
            cluster.source_file,
            0,
            "",
            f"flux.url: {PLACEHOLDER_GIT_URL} is the placeholder `hubfleet new cluster` writes; set it to "
            "this fleet's repository as Flux reads it (e.g. ssh://git@github.com/ORG/REPO.git)",
        )


def version_lint(cluster: Cluster, on: date, tally: Tally) -> None:
    """A Kubernetes version in EKS extended support: a warning with its end date and extra cost."""
    check = f"kubernetes:{cluster.name}"
    tally.checked(check)
    warning = extended_support_warning(cluster.kubernetes_version, on)
    if warning:
        tally.warn(check, cluster.source_file, 0, "", f"kubernetesVersion: {warning}")


def expiry_watch_lint(cluster: Cluster, tally: Tally) -> None:
    """An acme certificate renews itself, but only the monitoring layer's alerts say when renewal
    fails (Let's Encrypt sends no expiry emails since June 2025): without monitoring, a warning."""
    check = f"certificate-watch:{cluster.name}"
    tally.checked(check)
    if cluster.tls.mode == "acme" and cluster.monitoring is None:
        tally.warn(
            check,
            cluster.source_file,
            0,
            "",
            "tls: nothing alerts when cert-manager fails to renew the certificate (Let's Encrypt sends no "
            "expiry emails): add a monitoring block, which brings the CertificateExpiring alert",
        )


#: What each login type can give as groups, for the warning below.
GROUP_SOURCES = {
    "oidc": "the groups of oidc.groupsClaim (set it)",
    "github": "teams of the allowed organisations, as org:team",
    "lti13": "course roles (" + ", ".join(LTI_COURSE_ROLES) + ") and graders",
}


def profile_groups_lint(cluster: Cluster, tally: Tally) -> None:
    """A profile naming a group no login of its hub can give is seen by no one: a warning (the
    profile may be kept for a login change to come)."""
    for hub in cluster.hubs:
        auth = hub.auth
        for profile in hub.profiles:
            for group in profile.groups:
                check = f"profile-groups:{cluster.name}>{hub.name}>{profile.name}>{group}"
                tally.checked(check)
                platform = auth.lti13
                if login_gives_group(
                    auth.type,
                    group,
                    auth.allowed.organizations,
                    auth.oidc is not None and bool(auth.oidc.groups_claim),
                    platform is not None and bool(platform.grader_roles),
                ):
                    continue
                gives = GROUP_SOURCES.get(auth.type, "no groups")
                tally.warn(
                    check,
                    hub.source_file,
                    0,
                    "",
                    f"profiles.{profile.name}.groups: no {auth.type} login gives the group {group!r} "
                    f"(it gives {gives}), so no one would see this profile",
                )


def capacity_lint(cluster: Cluster, tally: Tally) -> None:
    """hubfleet.planning.capacity's verdict: core nodes at maxSize must hold every hub's core pods (a
    finding); user groups should hold every hub's expectedUsers (a warning: it is an estimate)."""
    check = f"capacity:{cluster.name}"
    tally.checked(check)
    plan = plan_cluster(cluster)
    shortfall = core_shortfall(plan)
    if shortfall:
        tally.fail(check, cluster.source_file, 0, "", f"nodeGroups.core.maxSize: {shortfall}")
    for group in plan.groups:
        needed = group.nodes_needed
        if group.group.role == "user" and needed is not None and needed > group.group.max_size:
            tally.warn(
                check,
                cluster.source_file,
                0,
                "",
                f"node group {group.group.name}: the hubs' expectedUsers need {needed} x "
                f"{group.group.instance_type} and maxSize is {group.group.max_size}; the last users "
                "would wait for a node that never comes (`hubfleet plan capacity` shows the figures)",
            )
