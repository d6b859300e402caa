"""Upstream: the one reader of Helm charts as files, a package (`.tgz`) or a chart folder, read the same way.

What hubfleet reads from a chart besides templating it is small: Chart.yaml (its `kubeVersion`,
for `upgrade plan`), values.yaml and values.schema.json (validate's values check), z2jh's hub
configuration files (validate builds every pod with them), and the templates (the plan looks for
charts that read StatefulSets back from the cluster). All of it goes through `chart_files`, so a
package is opened, and its paths are named, in one place: relative to the chart's top folder
(`Chart.yaml`, `files/hub/jupyterhub_config.py`), whatever the package calls that folder.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..system.yaml_reader import load_one


def chart_files(chart: Path, wanted: Callable[[str], bool]) -> dict[str, bytes]:
    """The files of a chart package or folder whose path below the chart's top folder is
    `wanted`, by that path. A folder's files are read as they are; a package's regular members
    only (links are not followed). OSError or tarfile.TarError when the chart cannot be read."""
    found: dict[str, bytes] = {}
    if chart.is_dir():
        for path in sorted(chart.rglob("*")):
            inside = path.relative_to(chart).as_posix()
            if path.is_file() and wanted(inside):
                found[inside] = path.read_bytes()
        return found
    with tarfile.open(chart) as package:
        for member in package:
            top, _, inside = member.name.partition("/")
            if not (top and inside and member.isfile() and wanted(inside)):
                continue
            handle = package.extractfile(member)
            if handle is not None:
                found[inside] = handle.read()
    return found


def chart_metadata(text: bytes) -> dict[str, Any]:
    """A Chart.yaml's content; ValueError, in words, when it is not YAML or not a mapping."""
    try:
        data = load_one(text.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as error:
        raise ValueError(f"its Chart.yaml is not YAML ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise ValueError("its Chart.yaml is not a mapping")
    return data


def chart_yaml(chart: Path) -> dict[str, Any]:
    """A chart's Chart.yaml; ValueError, in words, when it is missing or unreadable."""
    text = chart_files(chart, lambda inside: inside == "Chart.yaml").get("Chart.yaml")
    if text is None:
        raise ValueError("the package has no Chart.yaml at its top")
    return chart_metadata(text)


def kube_version_constraint(metadata: dict[str, Any]) -> str | None:
    """A chart's `kubeVersion` constraint, None when it states none."""
    found = metadata.get("kubeVersion")
    return str(found) if found else None


@dataclass(frozen=True)
class ChartDefaults:
    """A chart's default values and its values schema, as validate checks a release's values."""

    defaults: dict[str, Any]
    values_schema: dict[str, Any] | None

    @property
    def schema_needs_network(self) -> bool:
        return self.values_schema is not None and '"$ref": "http' in json.dumps(self.values_schema)


@cache
def chart_defaults(chart: Path) -> ChartDefaults:
    """values.yaml and values.schema.json of a chart (read once per package in a run)."""
    files = chart_files(chart, lambda inside: inside in ("values.yaml", "values.schema.json"))
    loaded = load_one(files["values.yaml"].decode("utf-8", "replace")) if "values.yaml" in files else {}
    schema = json.loads(files["values.schema.json"]) if "values.schema.json" in files else None
    return ChartDefaults(
        loaded if isinstance(loaded, dict) else {}, schema if isinstance(schema, dict) else None
    )
