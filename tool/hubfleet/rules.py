"""Stage 2b, rules: checks the schema cannot express, each a small function returning Problems.

Rules run only on input that passed the schema, so they may index required fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import Problem
from .load import Source

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
