"""Stage 2b, the rules of server profiles and of the node groups they run on.

A profile names a node group; the group must be a user group of the cluster, big enough
for the profile's guarantee, and have GPUs when the profile asks for them. Exactly one
profile is the default. A GPU group needs a type eksctl knows as NVIDIA, or it gets an
AMI without drivers. The tools group must hold two ingress replicas on two nodes.
"""

from __future__ import annotations

from ...core.capacity import INGRESS_REPLICAS, InstanceType, instance_type
from ...errors import Diagnostic
from ..load import Source
from ..model.cluster import Cluster, Hub, NodeGroup, Resources, memory_bytes

PROFILES = "profiles"


def check_profiles(hub: Hub, source: Source, stem: str) -> list[Diagnostic]:
    """Rules of a hub's profiles that need no cluster: unique names, one default, guarantees <= limits."""
    profiles = hub.profiles
    if not profiles:
        return []
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for index, profile in enumerate(profiles):
        if profile.name in seen:
            problems.append(
                source.problem(
                    [PROFILES, index, "name"],
                    f"'{profile.name}' is already the name of profiles[{seen[profile.name]}]",
                )
            )
        seen.setdefault(profile.name, index)
        problems += guarantees_within_limits(source, [PROFILES, index], profile.resources)
    defaults = [index for index, profile in enumerate(profiles) if profile.default]
    if not defaults:
        problems.append(
            source.problem([PROFILES], "no profile is the default; mark exactly one with default: true")
        )
    for index in defaults[1:]:
        problems.append(
            source.problem(
                [PROFILES, index, "default"],
                f"profiles[{defaults[0]}] is the default already; exactly one profile is the default",
            )
        )
    for index in defaults[:1]:
        if profiles[index].groups:
            problems.append(
                source.problem(
                    [PROFILES, index, "groups"],
                    "the default profile is for everyone: a user in none of its groups would have no "
                    "server to start; give groups to other profiles",
                )
            )
    return problems


def guarantees_within_limits(source: Source, where: list[str | int], wanted: Resources) -> list[Diagnostic]:
    problems = []
    if wanted.cpu_guarantee > wanted.cpu_limit:
        problems.append(
            source.problem(
                [*where, "cpu", "guarantee"],
                f"{wanted.cpu_guarantee:g} is more than the limit {wanted.cpu_limit:g}",
            )
        )
    if memory_bytes(wanted.memory_guarantee) > memory_bytes(wanted.memory_limit):
        problems.append(
            source.problem(
                [*where, "memory", "guarantee"],
                f"{wanted.memory_guarantee} is more than the limit {wanted.memory_limit}",
            )
        )
    return problems


def fits_node(
    source: Source, where: list[str | int], wanted: Resources, group: str, facts: InstanceType
) -> list[Diagnostic]:
    """A guarantee no node of the group can hold would wait for a node that never comes."""
    problems = []
    if memory_bytes(wanted.memory_guarantee) // 1024**2 > facts.allocatable_memory_mib:
        problems.append(
            source.problem(
                [*where, "memory", "guarantee"],
                f"{wanted.memory_guarantee} does not fit a node of group {group}: {facts.name} has "
                f"{facts.allocatable_memory_mib} MiB allocatable",
            )
        )
    if wanted.cpu_guarantee * 1000 > facts.allocatable_millicpu:
        problems.append(
            source.problem(
                [*where, "cpu", "guarantee"],
                f"{wanted.cpu_guarantee:g} does not fit a node of group {group}: {facts.name} has "
                f"{facts.allocatable_millicpu / 1000:g} CPUs allocatable",
            )
        )
    return problems


def _user_group(cluster: Cluster, name: str) -> NodeGroup | None:
    return next((g for g in cluster.user_groups if g.name == name), None)


def profiles_fit_their_groups(cluster: Cluster, hub: Hub, source: Source) -> list[Diagnostic]:
    """Each profile runs on a user group of the cluster that can hold it (and its GPUs)."""
    problems: list[Diagnostic] = []
    groups = ", ".join(g.name for g in cluster.user_groups)
    for index, profile in enumerate(hub.profiles):
        where: list[str | int] = [PROFILES, index]
        group = _user_group(cluster, profile.node_group)
        if group is None:
            problems.append(
                source.problem(
                    [*where, "nodeGroup"],
                    f"'{profile.node_group}' is not a user node group of {cluster.name} (user groups: {groups})",
                )
            )
            continue
        facts = instance_type(group.instance_type)
        if facts is None:
            continue
        problems += fits_node(source, where, profile.resources, group.name, facts)
        if facts.gpus and not profile.gpus:
            problems.append(
                source.problem(
                    [*where, "nodeGroup"],
                    f"node group {group.name} is a GPU group ({facts.name}); its nodes take only servers that "
                    "ask for a GPU: set gpus, or name another group",
                )
            )
        elif profile.gpus and not facts.gpus:
            problems.append(
                source.problem(
                    [*where, "gpus"],
                    f"node group {group.name} is {facts.name}, which has no GPU; name a group of a GPU type "
                    "(g4dn, g5, g6)",
                )
            )
        elif profile.gpus > facts.gpus:
            problems.append(
                source.problem(
                    [*where, "gpus"],
                    f"{profile.gpus} GPUs do not fit node group {group.name}: {facts.name} has {facts.gpus}",
                )
            )
    return problems


def gpu_groups_get_drivers(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    """eksctl picks the NVIDIA AMI (drivers, device plugin) only for types it knows as NVIDIA."""
    problems = []
    for group in cluster.extra_user_groups:
        facts = instance_type(group.instance_type)
        if facts is not None and facts.gpus and not facts.eksctl_nvidia:
            problems.append(
                source.problem(
                    [*group.input_path, "instanceType"],
                    f"eksctl v0.230.0 does not know {facts.name} as an NVIDIA type and would start it without "
                    "GPU drivers; use g4dn, g5 or g6",
                )
            )
    return problems


def tools_hold_the_ingress(cluster: Cluster, source: Source, folder: str) -> list[Diagnostic]:
    """Two ingress replicas must run on two tools nodes, so one node's loss leaves every hub reachable."""
    high = cluster.node_group("tools").max_size
    if high < INGRESS_REPLICAS:
        return [
            source.problem(
                ["nodeGroups", "tools", "maxSize"],
                f"{high} tools node cannot hold the {INGRESS_REPLICAS} ingress replicas, which run on separate "
                f"nodes so that one node's loss leaves every hub reachable; set maxSize: {INGRESS_REPLICAS} or more",
            )
        ]
    return []
