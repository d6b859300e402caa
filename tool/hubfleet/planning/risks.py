"""Risk flags: what a change does to users' data, to who can log in, to capacity and to versions,
each with an id, a severity and a one-line reason.

Computed from the base and head input models (what people meant) and the object changes (what
Flux will apply). `blocking` flags fail the plan and `validate --base`: they lose data unless the
documented order is followed. The severity, area and wording of every flag are in
`hubfleet.core.risks`, with the words render and the edit commands use for the same risks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.capacity import size_gib
from ..core.kubernetes import minor
from ..core.names import DRIVE_STORAGE_CLASS, generation_age, split_generation
from ..core.risks import FLAGS, PLAN_WORDS, PRUNE_ANNOTATION, SEVERITIES, TLS_SWITCH, Area
from ..errors import Diagnostic
from ..inputs.model.cluster import Cluster, Hub
from .capacity import plan_cluster
from .objects import ObjectChange

VOLUME_KINDS = ("PersistentVolumeClaim", "PersistentVolume", "StatefulSet")


@dataclass(frozen=True)
class Risk(Diagnostic):
    """A risk flag: a Diagnostic at the file to look at (the input that says it, or the rendered
    file for an object's risk), about `subject` of `cluster`, with the flag's id and area."""

    id: str = ""
    area: Area = "data"
    cluster: str = ""

    @property
    def word(self) -> str:
        """The severity as the plan says it (`blocking` for an error)."""
        return PLAN_WORDS[self.severity]

    def text(self) -> str:
        """The flag as the plan's text output shows it."""
        return f"{self.word}: {self.area}: {self.cluster}/{self.subject}: {self.message}"


def flag(flag_id: str, cluster: str, subject: str, source: str = "", **values: Any) -> Risk:
    severity, area, reason = FLAGS[flag_id]
    message = reason.format(cluster=cluster, **values)
    return Risk(
        source, subject=subject, message=message, severity=severity, id=flag_id, area=area, cluster=cluster
    )


def _hub_risks(cluster: str, old: Hub, new: Hub) -> list[Risk]:
    at = {"cluster": cluster, "subject": new.name, "source": new.source_file}
    found = []
    if size_gib(new.drive_size) != size_gib(old.drive_size):
        shrinks = size_gib(new.drive_size) < size_gib(old.drive_size)
        found.append(
            flag("drive-shrunk" if shrinks else "drive-grown", **at, old=old.drive_size, new=new.drive_size)
        )
    a, b = old.auth, new.auth
    if a.type != b.type:
        found.append(flag("login-changed", **at, old=a.type, new=b.type))
    if b.allowed.everyone and not a.allowed.everyone:
        found.append(flag("opened-to-everyone", **at, type=b.type))
    if b.type == "dummy" and a.type != "dummy":
        found.append(flag("dummy-login", **at))
    rules = ("organizations", "domains", "groups", "users")
    removed = [
        f"{rule} {v}" for rule in rules for v in getattr(a.allowed, rule) if v not in getattr(b.allowed, rule)
    ]
    if removed:
        found.append(flag("allow-rules-removed", **at, rules=", ".join(removed)))
    added_admins = [x for x in b.admins if x not in a.admins]
    removed_admins = [x for x in a.admins if x not in b.admins]
    if added_admins or removed_admins:
        parts = [f"{word} {', '.join(names)}" for word, names in (("added", added_admins), ("removed", removed_admins))
                 if names]  # fmt: skip
        found.append(flag("admins-changed", **at, change="; ".join(parts)))
    return found


def _new_hub_risks(cluster: str, hub: Hub) -> list[Risk]:
    at = {"cluster": cluster, "subject": hub.name, "source": hub.source_file}
    found = [flag("new-hub-open", **at, type=hub.auth.type)] if hub.auth.allowed.everyone else []
    return found + ([flag("new-hub-dummy", **at)] if hub.auth.type == "dummy" else [])


def removed_hub_risk(cluster: str, hub: Hub) -> Risk:
    """The data-loss guard's own flag: it is what `validate --base` enforces too."""
    flag_id = "hub-removed" if hub.active else "retired-hub-removed"
    return flag(flag_id, cluster, hub.name, hub.source_file, hub=hub.name)


def cluster_risks(old: Cluster | None, new: Cluster | None, name: str) -> list[Risk]:
    """From the input models of one cluster at base and head."""
    if old is None:
        return [risk for hub in (new.hubs if new else ()) for risk in _new_hub_risks(name, hub)]
    if new is None:
        return [removed_hub_risk(name, hub) for hub in old.hubs]
    found: list[Risk] = []
    if new.core_zone != old.core_zone:
        found.append(
            flag("core-zone-changed", name, "coreZone", new.source_file, old=old.core_zone, new=new.core_zone)
        )
    # An acknowledgement is for the change that adds it: one already in the base acknowledges an
    # earlier switch, not this one.
    acknowledged = "urls-changed" in new.acknowledged and "urls-changed" not in old.acknowledged
    if new.urls != old.urls:
        flag_id = "urls-changed-acknowledged" if acknowledged else "urls-changed"
        found.append(flag(flag_id, name, "urls", new.source_file, old=old.urls, new=new.urls))
    elif "urls-changed" in new.acknowledged:
        found.append(
            flag("acknowledge-left", name, "acknowledge", new.source_file, acknowledged="urls-changed")
        )
    if new.tls.mode != old.tls.mode:
        found.append(flag("tls-mode-changed", name, "tls", new.source_file, old=old.tls.mode,
                          new=new.tls.mode, how=TLS_SWITCH[new.tls.mode].format(cluster=name)))  # fmt: skip
    elif new.tls.mode == "acme":
        # The role's policy names the zone and the challenge record: both must follow in IAM.
        zones = (
            old.hosted_zone.id if old.hosted_zone else None,
            new.hosted_zone.id if new.hosted_zone else None,
        )
        for what, before, after in (("hostedZone.id", *zones), ("domain", old.domain, new.domain)):
            if before != after:
                found.append(
                    flag("acme-zone-changed", name, what, new.source_file, what=what, old=before, new=after)
                )
    if new.kubernetes_version != old.kubernetes_version:
        step = minor(new.kubernetes_version) - minor(old.kubernetes_version)
        flag_id = (
            "kubernetes-version" if step == 1 else "kubernetes-downgrade" if step < 0 else "kubernetes-skip"
        )
        found.append(flag(flag_id, name, "kubernetesVersion", new.source_file,
                          old=old.kubernetes_version, new=new.kubernetes_version))  # fmt: skip

    found += _capacity_risks(old, new)
    hubs = {hub.name: hub for hub in new.hubs}
    for hub in old.hubs:
        found += _hub_risks(name, hub, hubs[hub.name]) if hub.name in hubs else [removed_hub_risk(name, hub)]
    known = {hub.name for hub in old.hubs}
    return found + [risk for hub in new.hubs if hub.name not in known for risk in _new_hub_risks(name, hub)]


def _capacity_risks(old: Cluster, new: Cluster) -> list[Risk]:
    found = []
    before = {group.name: group for group in old.node_groups}
    needed_before = {g.group.name: g.nodes_needed for g in plan_cluster(old).groups}
    for plan in plan_cluster(new).groups:
        group, was = plan.group, before.get(plan.group.name)
        at = {"cluster": new.name, "subject": group.name, "source": new.source_file}
        if was is not None and group.max_size < was.desired_capacity:
            found.append(flag("max-below-desired", **at, max=group.max_size, desired=was.desired_capacity))
        needed = plan.nodes_needed
        newly_short = was is None or needed_before.get(group.name) != needed or was.max_size != group.max_size
        if needed is not None and needed > group.max_size and newly_short:
            found.append(flag("max-below-needed", **at, needed=needed, max=group.max_size))
    return found


def _annotations(document: Mapping[str, Any] | None) -> dict[str, Any]:
    metadata = (document or {}).get("metadata")
    found = metadata.get("annotations") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def _major(version: str) -> str:
    """The part of a version whose change breaks: the major, or major.minor below 1.0 (semver)."""
    parts = version.strip('"').lstrip("v").split(".")
    return ".".join(parts[:2]) if parts[0] == "0" else parts[0]


def object_risks(change: ObjectChange) -> list[Risk]:
    """From what Flux will apply; each at the rendered file that holds the object."""
    source = f"gitops/{change.path}"
    return [flag(flag_id, change.key.cluster, change.key.label, source, **values)
            for flag_id, values in _object_flags(change)]  # fmt: skip


def _object_flags(change: ObjectChange) -> list[tuple[str, dict[str, Any]]]:
    key, old, new = change.key, change.old or {}, change.new or {}
    if change.change == "added":
        return []
    if change.change == "removed":
        if _annotations(old).get(PRUNE_ANNOTATION) == "disabled":
            return []  # Flux leaves it in the cluster
        if key.kind == "Namespace":
            return [("namespace-removed", {})]
        return [("volume-object-removed", {})] if key.kind in VOLUME_KINDS else []
    found: list[tuple[str, dict[str, Any]]] = []
    if (
        _annotations(old).get(PRUNE_ANNOTATION) == "disabled"
        and _annotations(new).get(PRUNE_ANNOTATION) != "disabled"
    ):
        found.append(("prune-guard-lost", {}))
    paths = {f.path for f in change.fields}
    if key.kind == "Kustomization" and "spec.prune" in paths and new.get("spec", {}).get("prune") is True:
        found.append(("prune-on", {}))
    if key.kind == "StorageClass":
        for f in change.fields:
            if f.path == "reclaimPolicy" and f.new in ("Delete", None):  # absent means Delete
                found.append(
                    ("drive-class-deletes" if key.name == DRIVE_STORAGE_CLASS else "reclaim-delete", {})
                )
            elif f.path.startswith(("parameters", "reclaimPolicy", "allowedTopologies", "volumeBindingMode")):
                found.append(("storage-class-changed", {"change": f.line()}))
    if key.kind == "StatefulSet" and any(
        p.startswith(("spec.volumeClaimTemplates", "spec.selector")) for p in paths
    ):
        found.append(("statefulset-immutable", {}))
    claim_fields = ("spec.storageClassName", "spec.accessModes", "spec.volumeName")
    if key.kind == "PersistentVolumeClaim" and any(p.startswith(claim_fields) for p in paths):
        found.append(("claim-immutable", {}))
    if key.kind == "HelmRelease":
        found += _release_flags(change)
    if key.kind == "ClusterConfig":
        found += _node_group_flags(old, new, f"gitops/{change.path}")
    return found


def _group_names(config: Mapping[str, Any]) -> list[str]:
    groups = config.get("nodeGroups")
    return [g["name"] for g in groups or () if isinstance(g, dict) and isinstance(g.get("name"), str)]


def _node_group_flags(
    old: Mapping[str, Any], new: Mapping[str, Any], config: str
) -> list[tuple[str, dict[str, Any]]]:
    """Node groups that leave or join a ClusterConfig, one flag per kind. A group may leave only when
    a newer generation of it was already beside it and stays: that ends an upgrade's rotation
    (core/names.GENERATION_LABEL). A group joins an old generation only by a mistake."""
    before, after = _group_names(old), _group_names(new)
    newest = max((generation_age(split_generation(name)[1]) for name in after), default=-1)
    found: dict[str, list[tuple[str, str]]] = {}
    for name in before:
        if name in after:
            continue
        group, generation = split_generation(name)
        newer = [n for n in before if n in after and split_generation(n)[0] == group]
        if not any(split_generation(n)[0] == group for n in after):
            flag_id = "node-group-removed"
        elif any(generation_age(split_generation(n)[1]) > generation_age(generation) for n in newer):
            flag_id = "generation-retired"
        else:
            flag_id = "generation-dropped"
        found.setdefault(flag_id, []).append((name, generation))
    for name in after:
        generation = split_generation(name)[1]
        if name not in before and generation_age(generation) < newest:
            found.setdefault("retiring-group-added", []).append((name, generation))
    flags: list[tuple[str, dict[str, Any]]] = []
    for flag_id, names in sorted(found.items()):
        groups = ", ".join(name for name, _ in names)
        values = {
            "groups": f"node group{'s' if len(names) > 1 else ''} {groups}",
            "generation": ", ".join(sorted({generation for _, generation in names})),
            "config": config,
        }
        flags.append((flag_id, values))
    return flags


def _release_flags(change: ObjectChange) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for f in change.fields:
        if f.path == "spec.chart.spec.version" and f.old and f.new:
            old, new = f.old.strip('"'), f.new.strip('"')
            found.append(
                ("chart-major" if _major(old) != _major(new) else "chart-version", {"old": old, "new": new})
            )
        elif f.path.startswith("spec.values.") and "image" in f.path.lower() and f.path.rsplit(".", 1)[-1] in (
            "tag", "image", "name"
        ):  # fmt: skip
            found.append(("image-changed", {"change": f.line()}))
    return found


def own_chart_risks(versions: Mapping[str, tuple[str, str]], releases: Mapping[str, int]) -> list[Risk]:
    """Our charts (charts/<name>) whose version moves: Flux upgrades every release of them (they
    reconcile on the chart's version)."""
    found = []
    for chart, (old, new) in sorted(versions.items()):
        count = releases.get(chart, 0)
        if not count:
            continue
        flag_id = "own-chart-major" if _major(old) != _major(new) else "own-chart-version"
        found.append(flag(flag_id, "*", f"charts/{chart}", f"charts/{chart}/Chart.yaml", old=old, new=new,
                          releases=f"{count} release{'s' if count != 1 else ''}"))  # fmt: skip
    return found


def sort_risks(risks: list[Risk]) -> list[Risk]:
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(set(risks), key=lambda r: (order[r.severity], r.cluster, r.area, r.subject, r.message))
