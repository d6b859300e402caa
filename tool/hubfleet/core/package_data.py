"""Shared layer: files that ship inside the package (input schemas, instance facts), read with
importlib.resources so that an ordinary `pip install .` works as well as an editable one."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any


@cache
def input_schema(name: str) -> dict[str, Any]:
    """schemas/<name>.schema.json, the description of one input format."""
    text = resources.files("hubfleet.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def data_file(name: str) -> Any:
    """A JSON table under hubfleet/data/."""
    return json.loads(resources.files("hubfleet").joinpath(f"data/{name}").read_text(encoding="utf-8"))


#: The charts hubfleet ships (charts/ in its repository, hubfleet.charts in the package). Every
#: fleet's render writes them into its tree (gitops/charts/), so a newer hubfleet updates them.
SHIPPED_CHARTS = "hubfleet.charts"


@cache
def shipped_charts() -> dict[str, bytes]:
    """Every file of every chart hubfleet ships, by path below charts/ (`nfs-drive/Chart.yaml`)."""
    found: dict[str, bytes] = {}

    def visit(folder: Traversable, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name in {"__pycache__", "__init__.py"}:
                continue
            if entry.is_dir():
                visit(entry, f"{prefix}{entry.name}/")
            elif prefix:  # files at the top of charts/ are not part of a chart
                found[f"{prefix}{entry.name}"] = entry.read_bytes()

    visit(resources.files(SHIPPED_CHARTS), "")
    return found


def shipped_chart_names() -> frozenset[str]:
    """The folder names of the charts hubfleet ships (`nfs-drive`)."""
    return frozenset(path.split("/")[0] for path in shipped_charts())
