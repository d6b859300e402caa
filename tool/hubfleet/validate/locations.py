"""Where object schemas are found: kubeconform's `-schema-location` templates, offline.

A location is a Go-template path, rendered per object with kubeconform's fields:
NormalizedKubernetesVersion (v1.32.0), StrictSuffix (-strict), ResourceKind
(lower case), ResourceAPIVersion (v1), Group (apps; for the core group the
version, as kubeconform does) and KindSuffix (-apps-v1, or -v1). A location not
ending in "json" gets kubeconform's suffix appended:
`/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`.

A folder that holds k8s-schemas/ stands for its k8s-schemas and crd-schemas
locations, and also provides the eksctl schema (eksctl/) and values schemas of upstream
charts (chart-values-schemas/). Without any location, validate uses the schemas it
installs (packaged.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

KUBECONFORM_SUFFIX = "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
CRD_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
FIELDS = frozenset(
    {
        "NormalizedKubernetesVersion",
        "StrictSuffix",
        "ResourceKind",
        "ResourceAPIVersion",
        "Group",
        "KindSuffix",
    }
)
_FIELD = re.compile(r"\{\{-?\s*\.(\w+)\s*-?\}\}")
ENVIRONMENT = "HUBFLEET_SCHEMA_LOCATION"


@dataclass(frozen=True)
class SchemaSources:
    """Every schema the validation reads, as templates and folders."""

    locations: tuple[str, ...]
    eksctl_dir: Path | None = None
    values_dir: Path | None = None
    ignore_missing: bool = False
    strict: bool = True


def render_location(template: str, kind: str, api_version: str, version: str, strict: bool = True) -> str:
    """The path a location names for one object (kubeconform's schemaPath)."""
    group_parts = api_version.split("/")
    kind_suffix = "-" + group_parts[0].split(".")[0].lower()
    if len(group_parts) > 1:
        kind_suffix += "-" + group_parts[1].lower()
    values = {
        "NormalizedKubernetesVersion": version if version == "master" else f"v{version}",
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": kind.lower(),
        "ResourceAPIVersion": group_parts[-1],
        "Group": group_parts[0],
        "KindSuffix": kind_suffix,
    }
    return _FIELD.sub(lambda match: values[match.group(1)], template)


def _template(location: str) -> str:
    """kubeconform's rule: a location that does not end in json is a folder of its layout."""
    template = location if location.endswith("json") else location.rstrip("/") + KUBECONFORM_SUFFIX
    unknown = sorted({m.group(1) for m in _FIELD.finditer(template)} - FIELDS)
    leftover = _FIELD.sub("", template)
    if unknown or "{{" in leftover or "}}" in leftover:
        what = f"unknown field .{unknown[0]}" if unknown else "only {{ .Field }} is supported"
        raise UsageError(f"--schema-location {location}", f"{what} (fields: {', '.join(sorted(FIELDS))})")
    return template


def schema_sources(given: Sequence[str], cwd: Path, ignore_missing: bool = False) -> SchemaSources:
    """Resolve --schema-location values (or $HUBFLEET_SCHEMA_LOCATION); relative ones from `cwd`."""
    locations: list[str] = []
    eksctl_dir: Path | None = None
    values_dir: Path | None = None
    for location in given:
        if re.match(r"^[a-z]+://", location):
            raise UsageError(
                f"--schema-location {location}",
                "only local folders and files are read; "
                "validation runs offline, so download the schemas and point at them",
            )
        folder = (cwd / location) if not Path(location).is_absolute() else Path(location)
        if (folder / "k8s-schemas").is_dir():
            locations += [_template(str(folder / "k8s-schemas")), str(folder / "crd-schemas" / CRD_TEMPLATE)]
            eksctl_dir = eksctl_dir or (folder / "eksctl")
            values_dir = values_dir or (folder / "chart-values-schemas")
        elif "{{" not in location and not folder.exists():
            raise UsageError(f"--schema-location {location}", "no such file or folder")
        else:
            locations.append(_template(str(folder)))
    return SchemaSources(tuple(locations), eksctl_dir, values_dir, ignore_missing)
