"""Stage 2b, rules: checks the schema cannot express, each a small function returning Diagnostics.

The model is built first, from input that passed the schema; a rule reads the typed objects
(their defaults already applied, declared once in `inputs.model`) and locates what it finds with
the file's `Source` (a node group knows where it is written: `NodeGroup.input_path`). Rules
about where a field is written rather than what it says (a block that goes with a login type,
a setting only a hub's own file may make) read the file itself: the model does not record that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core.capacity import VolumeFit, instance_type
from ...core.charts import CALICO_CRDS, TIGERA_OPERATOR
from ...core.kubernetes import minor_step, version_problem
from ...core.names import INFRA_NAMESPACES, RESERVED_HUB_NAMES, UNVERSIONED, split_generation
from ...core.urls import RESERVED_HOST_LABELS
from ...errors import Diagnostic
from ...system.settings import today
from ..load import Source
from ..model.cluster import Cluster, Hub, build_hub
from .auth import check_auth
from .profiles import (
    check_profiles,
    fits_node,
    gpu_groups_get_drivers,
    guarantees_within_limits,
    profiles_fit_their_groups,
    tools_hold_the_ingress,
)
from .tls import TLS_RULES

ClusterRule = Callable[[Cluster, Source, str], list[Diagnostic]]
HubRule = Callable[[Hub, Source, str], list[Diagnostic]]
#: A rule about where fields are written (the merged hub and the hub file's own data).
ShapeRule = Callable[[Source, dict[str, Any], str], list[Diagnostic]]


def name_matches_folder(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    if cluster.name != folder:
        return [source.problem(["name"], f"'{cluster.name}' must equal the folder name '{folder}'")]
    return []


def kubernetes_version_supported(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    problem = version_problem(cluster.kubernetes_version, today())
    return [source.problem(["kubernetesVersion"], problem)] if problem else []


def retiring_is_previous(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    """The retiring generation is the one an upgrade replaces: the previous minor, one step down."""
    retiring, version = cluster.retiring, cluster.kubernetes_version
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


def core_zone_in_zones(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    if cluster.core_zone not in cluster.zones:
        zones = ", ".join(cluster.zones)
        return [source.problem(["coreZone"], f"'{cluster.core_zone}' is not one of zones ({zones})")]
    return []


def zones_in_region(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    region = cluster.region
    problems = []
    for index, zone in enumerate(cluster.zones):
        if zone[:-1] != region:
            problems.append(
                source.problem(
                    ["zones", index], f"'{zone}' is not a zone of region {region} (e.g. {region}a)"
                )
            )
    if cluster.core_zone[:-1] != region and cluster.core_zone in cluster.zones:
        problems.append(
            source.problem(["coreZone"], f"'{cluster.core_zone}' is not a zone of region {region}")
        )
    return problems


def sizes_ordered(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    problems = []
    for group in cluster.node_groups:
        low, high, desired = group.min_size, group.max_size, group.desired_capacity
        if low > high:
            problems.append(
                source.problem([*group.input_path, "minSize"], f"{low} is more than maxSize {high}")
            )
        elif not low <= desired <= high:
            problems.append(
                source.problem(
                    [*group.input_path, "desiredCapacity"],
                    f"{desired} must be between minSize {low} and maxSize {high}",
                )
            )
    return problems


def extra_group_names_unique(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    seen = {"tools", "core", "user"}
    problems = []
    for group in cluster.extra_user_groups:
        if group.name in seen:
            problems.append(source.problem([*group.input_path, "name"], f"'{group.name}' is already used"))
        seen.add(group.name)
        if split_generation(group.name)[1] != UNVERSIONED:
            problems.append(
                source.problem(
                    [*group.input_path, "name"],
                    f"'{group.name}' ends like a generation (-v1-NN), which hubfleet adds to every node "
                    "group's eksctl name itself; choose another name",
                )
            )
    return problems


def calico_charts_together(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    """Calico ships its CRDs for each release: the CRD chart goes with the operator chart."""
    crds, operator = cluster.charts.of(CALICO_CRDS), cluster.charts.of(TIGERA_OPERATOR)
    if crds == operator:
        return []
    written = source.data.get("charts", {})
    where = CALICO_CRDS.key if CALICO_CRDS.key in written else TIGERA_OPERATOR.key
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
    *TLS_RULES,
)


def check_cluster_rules(
    cluster: Cluster, source: Source, folder: str, version_policy: bool = True
) -> list[Diagnostic]:
    """Every cluster rule over the cluster's model; without `version_policy`, a Kubernetes version
    past its support passes (`upgrade plan` must read exactly the clusters the policy refuses)."""
    rules = [r for r in CLUSTER_RULES if version_policy or r is not kubernetes_version_supported]
    return [problem for rule in rules for problem in rule(cluster, source, folder)]


# Hub rules: they see every hub of a cluster at once, after each passed the schema. -----------


def hub_name_matches_file(hub: Hub, source: Source, stem: str) -> list[Diagnostic]:
    if hub.name != stem:
        return [source.problem(["name"], f"'{hub.name}' must equal the file name '{stem}'")]
    return []


def hub_name_not_reserved(hub: Hub, source: Source, stem: str) -> list[Diagnostic]:
    if hub.name in INFRA_NAMESPACES:
        reserved = ", ".join(sorted(INFRA_NAMESPACES))
        return [
            source.problem(
                ["name"], f"'{hub.name}' is an infrastructure namespace ({reserved}); pick another name"
            )
        ]
    return []


def hub_name_not_monitoring(hub: Hub, source: Source, stem: str) -> list[Diagnostic]:
    # Grafana is served at https://<domain>/grafana/; a hub of that name would take its path.
    if hub.name in RESERVED_HUB_NAMES:
        reserved = ", ".join(sorted(RESERVED_HUB_NAMES))
        return [
            source.problem(
                ["name"],
                f"'{hub.name}' is reserved for the cluster's monitoring ({reserved}); pick another name",
            )
        ]
    return []


def hub_name_not_system(hub: Hub, source: Source, stem: str) -> list[Diagnostic]:
    # The hub's cluster-wide objects (PriorityClasses) start with its name; "system-" is reserved.
    if hub.name.startswith("system-"):
        return [source.problem(["name"], f"'{hub.name}' starts with 'system-', which Kubernetes reserves")]
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


def user_within_limits(hub: Hub, source: Source, stem: str) -> list[Diagnostic]:
    return guarantees_within_limits(source, ["user"], hub.resources)


HUB_RULES: tuple[HubRule, ...] = (
    hub_name_matches_file,
    hub_name_not_reserved,
    hub_name_not_monitoring,
    hub_name_not_system,
    user_within_limits,
    check_profiles,
)
#: The hub rules about where a field is written: they read the merged hub and its own file.
HUB_SHAPE_RULES: tuple[ShapeRule, ...] = (backup_opt_out_is_reasoned, check_auth)


def check_hub_rules(source: Source, merged: dict[str, Any], stem: str) -> list[Diagnostic]:
    """Every hub rule: the value rules over the hub's model (built from the merged hub, which
    passed the schema), the shape rules over the merged hub and the file."""
    hub = build_hub(merged, source.file)
    return [
        *(problem for rule in HUB_RULES for problem in rule(hub, source, stem)),
        *(problem for rule in HUB_SHAPE_RULES for problem in rule(source, merged, stem)),
    ]


def hub_name_free_as_host(cluster: Cluster, hub: Hub, source: Source) -> list[Diagnostic]:
    """With `urls: host` a hub's name is a host under the cluster's domain: not one the cluster
    keeps for itself or that people read as something else (grafana and prometheus are refused
    in every scheme by hub_name_not_monitoring)."""
    taken = RESERVED_HOST_LABELS - RESERVED_HUB_NAMES
    if cluster.urls != "host" or hub.name not in taken:
        return []
    reserved = ", ".join(sorted(RESERVED_HOST_LABELS))
    return [
        source.problem(
            ["name"],
            f"'{hub.name}' would be served at {hub.name}.{cluster.domain}, a host name the cluster keeps "
            f"with urls: host ({reserved}); pick another name",
        )
    ]


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
