"""Shared layer: files that ship inside the package (input schemas, instance facts), read with
importlib.resources so that an ordinary `pip install .` works as well as an editable one."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
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
