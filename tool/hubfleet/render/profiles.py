"""A hub's server profiles as z2jh's `singleuser.profileList`, and where servers of each run.

Every node carries its node group's eksctl name (`core/names.NODE_GROUP_LABEL`), so a server
asks for its group with a node selector: a hub without profiles runs on the main user group,
each profile on its own. The name carries the current generation, so during an upgrade new
servers start only on new nodes while running ones stay where they are until drained. A profile's KubeSpawner override replaces whole settings, so a
GPU profile lists the user-node tolerations z2jh gives every server as well as the GPU one.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.names import GPU_RESOURCE, GPU_TAINT, NODE_GROUP_LABEL, USER_TAINT_KEY
from ..inputs.model.cluster import MAIN_USER_GROUP, Cluster, Hub, Image, Profile
from .notebook import shm_override

#: The tolerations z2jh gives user servers (the dedicated-user taint, in both spellings it uses).
USER_TOLERATIONS = [
    {"key": USER_TAINT_KEY, "operator": "Equal", "value": "user", "effect": "NoSchedule"},
    {"key": USER_TAINT_KEY.replace("/", "_"), "operator": "Equal", "value": "user", "effect": "NoSchedule"},
]
GPU_TOLERATION = {"key": GPU_TAINT["key"], "operator": "Exists", "effect": GPU_TAINT["effect"]}


def node_selector(cluster: Cluster, group: str = MAIN_USER_GROUP) -> dict[str, str]:
    return {NODE_GROUP_LABEL: cluster.eksctl_name(group)}


def _reference(image: Image) -> str:
    return f"{image.name}:{image.tag}"


def _choice_slug(image: Image) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{image.name.rsplit('/', 1)[-1]}-{image.tag}".lower()).strip("-")


def _override(cluster: Cluster, profile: Profile, hub: Hub) -> dict[str, Any]:
    resources = profile.resources
    override: dict[str, Any] = {
        "cpu_guarantee": resources.cpu_guarantee,
        "cpu_limit": resources.cpu_limit,
        "mem_guarantee": resources.memory_guarantee,
        "mem_limit": resources.memory_limit,
        "node_selector": node_selector(cluster, profile.node_group),
    }
    if profile.gpus:
        override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpus)}
        override["tolerations"] = [*USER_TOLERATIONS, GPU_TOLERATION]
    if len(profile.images) == 1 and profile.images[0] != hub.image:
        override["image"] = _reference(profile.images[0])
    return {**override, **shm_override(profile, hub)}


def _entry(cluster: Cluster, profile: Profile, hub: Hub) -> dict[str, Any]:
    entry: dict[str, Any] = {"display_name": profile.display_name, "slug": profile.name}
    if profile.description:
        entry["description"] = profile.description
    if profile.default:
        entry["default"] = True
    entry["kubespawner_override"] = _override(cluster, profile, hub)
    if len(profile.images) > 1:
        entry["profile_options"] = {
            "image": {
                "display_name": "Image",
                "choices": {
                    f"{index + 1}-{_choice_slug(image)}": {
                        "display_name": _reference(image),
                        **({"default": True} if index == 0 else {}),
                        "kubespawner_override": {"image": _reference(image)},
                    }
                    for index, image in enumerate(profile.images)
                },
            }
        }
    return entry


def profile_list(cluster: Cluster, hub: Hub) -> list[dict[str, Any]]:
    """z2jh `singleuser.profileList`; empty for a hub without profiles."""
    return [_entry(cluster, profile, hub) for profile in hub.profiles]
