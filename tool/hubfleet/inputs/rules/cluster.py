"""Stage 2b, rules: checks the schema cannot express, each a small function returning Problems.

Rules run only on input that passed the schema, so they may index required fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core.capacity import VolumeFit, instance_type
from ...core.charts import CALICO_CRDS, TIGERA_OPERATOR
from ...core.kubernetes import minor_step, version_problem
from ...core.names import INFRA_NAMESPACES, RESERVED_HUB_NAMES, UNVERSIONED, split_generation
from ...errors import Diagnostic
from ...system.settings import today
from ..load import Source
from ..model.cluster import Cluster, Hub, build_resources, group_sizes
from .auth import check_auth
from .profiles import (
    check_profiles,
    fits_node,
    gpu_groups_get_drivers,
    guarantees_within_limits,
    profiles_fit_their_groups,
    tools_hold_the_ingress,
)

ClusterRule = Callable[[Source, dict[str, Any], str], list[Diagnostic]]


def name_matches_folder(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
    if raw["name"] != folder:
        return [source.problem(["name"], f"'{raw['name']}' must equal the folder name '{folder}'")]
    return []


def kubernetes_version_supported(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
    problem = version_problem(str(raw["kubernetesVersion"]), today())
    return [source.problem(["kubernetesVersion"], problem)] if problem else []


def retiring_is_previous(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
    """The retiring generation is the one an upgrade replaces: the previous minor, one step down."""
    retiring, version = raw["nodeGroups"].get("retiring"), str(raw["kubernetesVersion"])
    previous = minor_step(version, -1)
    if retiring is None or retiring in (previous, UNVERSIONED):
        return []
    return [
        source.problem(
            ["nodeGroups", "retiring"],
            f"'{retiring}' is not the generation before kubernetesVersion {version}: name the version the old "
            f"node groups were made for ({previous}), or {UNVERSIONED} for groups made before hubfleet named "
            "generations",
        )
    ]


def core_zone_in_zones(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
    if raw["coreZone"] not in raw["zones"]:
        zones = ", ".join(raw["zones"])
        return [source.problem(["coreZone"], f"'{raw['coreZone']}' is not one of zones ({zones})")]
    return []


def zones_in_region(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
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


def sizes_ordered(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
    problems = []
    for path, group in _group_entries(raw):
        low, high, desired = group_sizes(group)
        if low > high:
            problems.append(source.problem([*path, "minSize"], f"{low} is more than maxSize {high}"))
        elif not low <= desired <= high:
            problems.append(
                source.problem(
                    [*path, "desiredCapacity"], f"{desired} must be between minSize {low} and maxSize {high}"
                )
            )
    return problems


def extra_group_names_unique(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
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
        if split_generation(group["name"])[1] != UNVERSIONED:
            problems.append(
                source.problem(
                    ["nodeGroups", "extraUser", index, "name"],
                    f"'{group['name']}' ends like a generation (-v1-NN), which hubfleet adds to every node "
                    "group's eksctl name itself; choose another name",
                )
            )
    return problems


def calico_charts_together(source: Source, raw: dict[str, Any], folder: str) -> list[Diagnostic]:
    """Calico ships its CRDs for each release: the CRD chart goes with the operator chart."""
    charts = raw.get("charts", {})
    crds = charts.get(CALICO_CRDS.key, CALICO_CRDS.default_version)
    operator = charts.get(TIGERA_OPERATOR.key, TIGERA_OPERATOR.default_version)
    if crds == operator:
        return []
    where = CALICO_CRDS.key if CALICO_CRDS.key in charts else TIGERA_OPERATOR.key
    return [
        source.problem(
            ["charts", where],
            f"calicoCrds {crds} and tigeraOperator {operator} differ: Calico's CRDs are released with "
            "its operator; pin both to the same version",
        )
    ]


CLUSTER_RULES: tuple[ClusterRule, ...] = (
    name_matches_folder,
    calico_charts_together,
    kubernetes_version_supported,
    retiring_is_previous,
    core_zone_in_zones,
    zones_in_region,
    sizes_ordered,
    extra_group_names_unique,
    gpu_groups_get_drivers,
    tools_hold_the_ingress,
)


def check_cluster_rules(
    source: Source, raw: dict[str, Any], folder: str, version_policy: bool = True
) -> list[Diagnostic]:
    """Every cluster rule; without `version_policy`, a Kubernetes version past its support passes
    (`upgrade plan` must read exactly the clusters the policy refuses)."""
    rules = [r for r in CLUSTER_RULES if version_policy or r is not kubernetes_version_supported]
    return [problem for rule in rules for problem in rule(source, raw, folder)]


# Hub rules: they see every hub of a cluster at once, after each passed the schema. -----------


def hub_name_matches_file(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    if raw["name"] != stem:
        return [source.problem(["name"], f"'{raw['name']}' must equal the file name '{stem}'")]
    return []


def hub_name_not_reserved(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    if raw["name"] in INFRA_NAMESPACES:
        reserved = ", ".join(sorted(INFRA_NAMESPACES))
        return [
            source.problem(
                ["name"], f"'{raw['name']}' is an infrastructure namespace ({reserved}); pick another name"
            )
        ]
    return []


def hub_name_not_monitoring(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    # Grafana is served at https://<domain>/grafana/; a hub of that name would take its path.
    if raw["name"] in RESERVED_HUB_NAMES:
        reserved = ", ".join(sorted(RESERVED_HUB_NAMES))
        return [
            source.problem(
                ["name"],
                f"'{raw['name']}' is reserved for the cluster's monitoring ({reserved}); pick another name",
            )
        ]
    return []


def hub_name_not_system(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    # The hub's cluster-wide objects (PriorityClasses) start with its name; "system-" is reserved.
    if raw["name"].startswith("system-"):
        return [source.problem(["name"], f"'{raw['name']}' starts with 'system-', which Kubernetes reserves")]
    return []


def backup_opt_out_is_reasoned(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    """A hub leaves backups only on purpose, in its own file, with a reason a reviewer reads."""
    backups = raw.get("backups", {})
    found = source.data.get("backups")
    own: dict[str, Any] = found if isinstance(found, dict) else {}
    problems = []
    if backups.get("enabled") is False:
        if own.get("enabled") is not False:
            problems.append(
                source.problem(
                    ["backups", "enabled"],
                    "comes from hubDefaults; a hub opts out of backups only in its own file",
                )
            )
        elif "reason" not in backups:
            problems.append(
                source.problem(
                    ["backups", "enabled"],
                    "false needs a reason (backups.reason): its users' work would have no snapshot",
                )
            )
    elif "reason" in backups:
        problems.append(source.problem(["backups", "reason"], "is only for enabled: false; remove it"))
    return problems


def user_within_limits(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    return guarantees_within_limits(source, ["user"], build_resources(raw.get("user", {})))


HUB_RULES = (
    hub_name_matches_file,
    hub_name_not_reserved,
    hub_name_not_monitoring,
    hub_name_not_system,
    user_within_limits,
    backup_opt_out_is_reasoned,
    check_profiles,
    check_auth,
)


def check_hub_rules(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    return [problem for rule in HUB_RULES for problem in rule(source, raw, stem)]


def guarantee_fits_user_nodes(cluster: Cluster, hub: Hub, source: Source) -> list[Diagnostic]:
    """A hub without profiles runs its users on the main user group: its guarantee must fit there.
    With profiles, each profile must fit its own group."""
    if hub.profiles:
        return profiles_fit_their_groups(cluster, hub, source)
    group = cluster.node_group("user")
    facts = instance_type(group.instance_type)
    return fits_node(source, ["user"], hub.resources, group.name, facts) if facts else []


def drives_fit_core_nodes(cluster: Cluster, source: Source) -> list[Diagnostic]:
    """Every drive, and the database volume of every active hub, attaches to a core node."""
    core = cluster.node_group("core")
    facts = instance_type(core.instance_type)
    if facts is None:
        return []
    fit = VolumeFit(len(cluster.hubs), cluster.core_volumes, core.max_size, facts)
    return [] if fit.fits else [source.problem(["nodeGroups", "core", "maxSize"], fit.describe())]
