"""Stage 2b, rules: checks the schema cannot express, each a small function returning Problems.

Rules run only on input that passed the schema, so they may index required fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core.capacity import VolumeFit, instance_type
from .core.names import INFRA_NAMESPACES
from .errors import Problem
from .load import Source
from .model import Cluster, Hub, build_resources, memory_bytes
from .rules_auth import check_auth

ClusterRule = Callable[[Source, dict[str, Any], str], list[Problem]]


def name_matches_folder(source: Source, raw: dict[str, Any], folder: str) -> list[Problem]:
    if raw["name"] != folder:
        return [source.problem(["name"], f"'{raw['name']}' must equal the folder name '{folder}'")]
    return []


def core_zone_in_zones(source: Source, raw: dict[str, Any], folder: str) -> list[Problem]:
    if raw["coreZone"] not in raw["zones"]:
        zones = ", ".join(raw["zones"])
        return [source.problem(["coreZone"], f"'{raw['coreZone']}' is not one of zones ({zones})")]
    return []


def zones_in_region(source: Source, raw: dict[str, Any], folder: str) -> list[Problem]:
    region = raw["region"]
    problems = []
    for index, zone in enumerate(raw["zones"]):
        if zone[:-1] != region:
            problems.append(
                source.problem(
                    ["zones", index], f"'{zone}' is not a zone of region {region} (e.g. {region}a)"
                )
            )
    if raw["coreZone"][:-1] != region and raw["coreZone"] in raw["zones"]:
        problems.append(source.problem(["coreZone"], f"'{raw['coreZone']}' is not a zone of region {region}"))
    return problems


def _group_entries(raw: dict[str, Any]) -> list[tuple[list[str | int], dict[str, Any]]]:
    groups = raw["nodeGroups"]
    entries: list[tuple[list[str | int], dict[str, Any]]] = [
        (["nodeGroups", role], groups[role]) for role in ("tools", "core", "user")
    ]
    entries += [(["nodeGroups", "extraUser", i], g) for i, g in enumerate(groups.get("extraUser", []))]
    return entries


def sizes_ordered(source: Source, raw: dict[str, Any], folder: str) -> list[Problem]:
    problems = []
    for path, group in _group_entries(raw):
        low, high = group.get("minSize", 0), group["maxSize"]
        desired = group.get("desiredCapacity", low)
        if low > high:
            problems.append(source.problem([*path, "minSize"], f"{low} is more than maxSize {high}"))
        elif not low <= desired <= high:
            problems.append(
                source.problem(
                    [*path, "desiredCapacity"], f"{desired} must be between minSize {low} and maxSize {high}"
                )
            )
    return problems


def extra_group_names_unique(source: Source, raw: dict[str, Any], folder: str) -> list[Problem]:
    seen = {"tools", "core", "user"}
    problems = []
    for index, group in enumerate(raw["nodeGroups"].get("extraUser", [])):
        if group["name"] in seen:
            problems.append(
                source.problem(
                    ["nodeGroups", "extraUser", index, "name"], f"'{group['name']}' is already used"
                )
            )
        seen.add(group["name"])
    return problems


CLUSTER_RULES: tuple[ClusterRule, ...] = (
    name_matches_folder,
    core_zone_in_zones,
    zones_in_region,
    sizes_ordered,
    extra_group_names_unique,
)


def check_cluster_rules(source: Source, raw: dict[str, Any], folder: str) -> list[Problem]:
    return [problem for rule in CLUSTER_RULES for problem in rule(source, raw, folder)]


# Hub rules: they see every hub of a cluster at once, after each passed the schema. -----------


def hub_name_matches_file(source: Source, raw: dict[str, Any], stem: str) -> list[Problem]:
    if raw["name"] != stem:
        return [source.problem(["name"], f"'{raw['name']}' must equal the file name '{stem}'")]
    return []


def hub_name_not_reserved(source: Source, raw: dict[str, Any], stem: str) -> list[Problem]:
    if raw["name"] in INFRA_NAMESPACES:
        reserved = ", ".join(sorted(INFRA_NAMESPACES))
        return [
            source.problem(
                ["name"], f"'{raw['name']}' is an infrastructure namespace ({reserved}); pick another name"
            )
        ]
    return []


def hub_name_not_system(source: Source, raw: dict[str, Any], stem: str) -> list[Problem]:
    # The hub's cluster-wide objects (PriorityClasses) start with its name; "system-" is reserved.
    if raw["name"].startswith("system-"):
        return [source.problem(["name"], f"'{raw['name']}' starts with 'system-', which Kubernetes reserves")]
    return []


def guarantees_within_limits(source: Source, raw: dict[str, Any], stem: str) -> list[Problem]:
    wanted = build_resources(raw.get("user", {}))
    problems = []
    if wanted.cpu_guarantee > wanted.cpu_limit:
        problems.append(
            source.problem(
                ["user", "cpu", "guarantee"],
                f"{wanted.cpu_guarantee:g} is more than the limit {wanted.cpu_limit:g}",
            )
        )
    if memory_bytes(wanted.memory_guarantee) > memory_bytes(wanted.memory_limit):
        problems.append(
            source.problem(
                ["user", "memory", "guarantee"],
                f"{wanted.memory_guarantee} is more than the limit {wanted.memory_limit}",
            )
        )
    return problems


HUB_RULES = (
    hub_name_matches_file,
    hub_name_not_reserved,
    hub_name_not_system,
    guarantees_within_limits,
    check_auth,
)


def check_hub_rules(source: Source, raw: dict[str, Any], stem: str) -> list[Problem]:
    return [problem for rule in HUB_RULES for problem in rule(source, raw, stem)]


def guarantee_fits_user_nodes(cluster: Cluster, hub: Hub, source: Source) -> list[Problem]:
    """A user whose guarantee fits no user node would wait for a node that can never come."""
    known = [t for t in (instance_type(g.instance_type) for g in cluster.user_groups) if t is not None]
    if not known:
        return []
    problems = []
    memory_mib = memory_bytes(hub.resources.memory_guarantee) // 1024**2
    if all(memory_mib > t.allocatable_memory_mib for t in known):
        biggest = max(known, key=lambda t: t.allocatable_memory_mib)
        problems.append(
            source.problem(
                ["user", "memory", "guarantee"],
                f"{hub.resources.memory_guarantee} does not fit any user node: {biggest.name} has "
                f"{biggest.allocatable_memory_mib} MiB allocatable",
            )
        )
    if all(hub.resources.cpu_guarantee * 1000 > t.allocatable_millicpu for t in known):
        biggest = max(known, key=lambda t: t.allocatable_millicpu)
        problems.append(
            source.problem(
                ["user", "cpu", "guarantee"],
                f"{hub.resources.cpu_guarantee:g} does not fit any user node: {biggest.name} has "
                f"{biggest.allocatable_millicpu / 1000:g} CPUs allocatable",
            )
        )
    return problems


def drives_fit_core_nodes(cluster: Cluster, source: Source) -> list[Problem]:
    """Every drive, and the database volume of every active hub, attaches to a core node."""
    core = cluster.node_group("core")
    facts = instance_type(core.instance_type)
    if facts is None:
        return []
    fit = VolumeFit(len(cluster.hubs), cluster.core_volumes, core.max_size, facts)
    return [] if fit.fits else [source.problem(["nodeGroups", "core", "maxSize"], fit.describe())]
