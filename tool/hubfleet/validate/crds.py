"""JSON Schemas from CustomResourceDefinitions, strict the way kubeconform's are.

Objects of a custom kind (HelmRelease, Kustomization, SealedSecret) are checked
against the CRD that defines them. The Flux CRDs, which `flux bootstrap` installs,
ship with hubfleet as derived schemas (tool/scripts/derive_crd_schemas.py uses this
module; their descriptions are dropped); the CRDs a chart installs are read from
the templated chart itself, so they always match the chart version deployed.

The rules are those of kubeconform's openapi2jsonschema with "deny root additional
properties", which the published CRD catalogues use too:
- every object node that declares properties, has no additionalProperties of its own
  and is not marked x-kubernetes-preserve-unknown-fields gets additionalProperties: false;
- int-or-string becomes "string or integer"; nullable adds "null" to the type (and stays, as
  kubeconform leaves it);
- the root declares apiVersion and kind (with their one allowed value) and metadata.
CEL rules (x-kubernetes-validations) are carried along; validators ignore them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: (group, kind, version) of one served version of a custom kind.
CrdKey = tuple[str, str, str]


def crd_schemas(crd: dict[str, Any], keep_descriptions: bool = False) -> dict[CrdKey, dict[str, Any]]:
    """One strict schema per served version of the CRD; {} for anything that is not a CRD."""
    spec = crd.get("spec")
    if crd.get("kind") != "CustomResourceDefinition" or not isinstance(spec, dict):
        return {}
    group, kind = str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", ""))
    found: dict[CrdKey, dict[str, Any]] = {}
    for version in spec.get("versions") or []:
        if not isinstance(version, dict) or not version.get("served", True):
            continue
        schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object"}
        strict = _strict(schema, keep_descriptions)
        properties = strict.setdefault("properties", {})
        name = str(version.get("name", ""))
        properties["apiVersion"] = {"type": "string", "enum": [f"{group}/{name}"]}
        properties["kind"] = {"type": "string", "enum": [kind]}
        properties.setdefault("metadata", {"type": "object"})
        strict.setdefault("additionalProperties", False)
        found[(group, kind, name)] = strict
    return found


def _strict(node: Any, keep_descriptions: bool) -> Any:
    if isinstance(node, list):
        return [_strict(item, keep_descriptions) for item in node]
    if not isinstance(node, dict):
        return node
    result = {
        key: _strict(value, keep_descriptions)
        for key, value in node.items()
        if keep_descriptions or key != "description"
    }
    if result.get("format") == "int-or-string" or result.get("x-kubernetes-int-or-string"):
        result.pop("format", None)
        result.pop("type", None)
        result["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if "type" in result and result.get("nullable") is True:
        kinds = result["type"] if isinstance(result["type"], list) else [result["type"]]
        result["type"] = [*kinds, "null"]
    if (
        result.get("type") == "object"
        and "properties" in result
        and "additionalProperties" not in result
        and not result.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


def chart_crd_schemas(rendered: Iterable[dict[str, Any]], folder: Path) -> int:
    """Write the schemas of the CRDs the charts render under `folder` in the CRD template's
    layout; return how many were written."""
    written = 0
    for manifest in rendered:
        for (group, kind, version), schema in crd_schemas(manifest).items():
            path = folder / group / f"{kind.lower()}_{version}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schema), encoding="utf-8")
            written += 1
    return written
