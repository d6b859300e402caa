"""The schemas validate uses when none are given: installed packages, never a folder beside the repo.

- Kubernetes built-in kinds: the strict schemas of PyPI `kubernetes-validate` (a maintained
  conversion of each Kubernetes release's OpenAPI, 1.25 to 1.37), for the cluster's own
  `kubernetesVersion`. They `$ref` a `_definitions.json` beside them, resolved here.
- Flux kinds (installed by `flux bootstrap`, so no chart carries them): derived from the
  Flux CRDs and shipped in hubfleet's package data (tool/scripts/derive_schemas.py).
- Kinds a chart installs (SealedSecret): from the CRDs in that chart's own templated output,
  added per run (see charts.py).
- eksctl's ClusterConfig: shipped in package data, derived the same way.

`--schema-location` (or HUBFLEET_SCHEMA_LOCATION) still replaces all of this for people who
bring their own schemas.

Chart values schemas that `$ref` Kubernetes definitions by URL (nginx-ingress points at a
`_definitions.json` on raw.githubusercontent.com) are resolved against the same package,
so no schema is ever fetched from the internet.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from .locations import CRD_TEMPLATE, SchemaSources

#: kubeconform's template fields, over kubernetes-validate's folder layout.
K8S_TEMPLATE = (
    "/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
#: A Kubernetes definitions file named by URL, as chart values schemas do.
_REMOTE_DEFINITIONS = re.compile(r"/v(\d+)\.(\d+)\.\d+(?:-[a-z-]+)?/_definitions\.json$")


def kubernetes_schemas() -> Path:
    return Path(str(resources.files("kubernetes_validate") / "kubernetes-json-schema"))


def package_data() -> Path:
    return Path(str(resources.files("hubfleet") / "data"))


def packaged_sources(ignore_missing: bool = False) -> SchemaSources:
    return SchemaSources(
        (str(kubernetes_schemas()) + K8S_TEMPLATE, str(package_data() / "crd-schemas" / CRD_TEMPLATE)),
        eksctl_dir=package_data() / "eksctl",
        values_dir=None,
        ignore_missing=ignore_missing,
    )


def known_versions() -> list[str]:
    """Kubernetes versions the package has schemas for (`1.32`, ...), oldest first."""
    found = {
        ".".join(p.name[1:].split(".")[:2])
        for p in kubernetes_schemas().glob("v*-local-strict")
        if p.is_dir()
    }
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


@cache
def _load(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _retrieve(uri: str) -> Resource[Any]:
    """Files by file: URI; Kubernetes definitions named by an http(s) URL from the package."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        try:
            return Resource.from_contents(_load(parsed.path), default_specification=DRAFT202012)
        except (OSError, ValueError):
            raise NoSuchResource(uri) from None
    match = _REMOTE_DEFINITIONS.search(parsed.path)
    if match is None:
        raise NoSuchResource(uri)
    try:
        contents = _remote_view(str(_nearest_definitions(int(match.group(1)), int(match.group(2)))))
    except (OSError, ValueError):
        raise NoSuchResource(uri) from None
    return Resource.from_contents(contents, default_specification=DRAFT202012)


@cache
def _remote_view(path: str) -> dict[str, Any]:
    """Definitions as a values schema that names them by URL expects them: under `definitions`
    (the older layout it was written against) as well as `$defs`, and without the package's own
    `$id`, so their references to each other resolve within the URL they were fetched as."""
    loaded = _load(path)
    definitions = loaded.get("$defs") or loaded.get("definitions") or {}
    text = json.dumps(definitions).replace('"#/$defs/', '"#/definitions/')
    converted = json.loads(text)
    return {"definitions": converted, "$defs": converted}


def _nearest_definitions(major: int, minor: int) -> Path:
    """The package's non-strict definitions of that version, or of the nearest it has (the
    definitions, not the kinds, are what values schemas reference)."""
    versions = known_versions()
    wanted = (major, minor)
    best = (
        min(versions, key=lambda v: abs(tuple(int(x) for x in v.split("."))[1] - wanted[1]))
        if versions
        else ""
    )
    exact = f"{major}.{minor}"
    chosen = exact if exact in versions else best
    return kubernetes_schemas() / f"v{chosen}.0-local" / "_definitions.json"


@cache
def registry_for(folder: Path) -> Registry[Any]:
    """References from a schema in `folder`: its `_definitions.json` under that file's own `$id`
    (kubernetes-validate names it https://kubernetes.io/api/_definitions.json in every version,
    so each version folder needs a registry of its own), everything else retrieved on demand."""
    registry: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    definitions = folder / "_definitions.json"
    if definitions.is_file():
        contents = _load(str(definitions))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        registry = registry.with_resource(definitions.resolve().as_uri(), resource)
        if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
            registry = registry.with_resource(contents["$id"], resource)
    return registry


def with_identity(schema: dict[str, Any], path: Path) -> dict[str, Any]:
    """The schema with its file's URI as `$id` when it has none, so its relative `$ref`s resolve
    beside it."""
    return schema if "$id" in schema else {**schema, "$id": path.resolve().as_uri()}


#: Keywords that only annotate: a `$ref` beside nothing else can be replaced by its target.
_ANNOTATIONS = frozenset({"description", "default", "example", "title", "externalDocs"})
_DEFINITIONS_REF = "/api/_definitions.json#/$defs/"


def standalone(schema: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The schema with the `_definitions.json` it refers to copied in, as kubeconform's
    "standalone" schemas are: resolving hundreds of thousands of `$ref`s one by one costs more than
    checking the objects. A definition that refers back to itself (JSONSchemaProps) stays a
    `$ref`, resolved through the registry. Why written here: kubernetes-validate ships only the
    `$ref` form, and the converters that make standalone files (openapi2jsonschema) are scripts,
    not libraries."""
    definitions_file = folder / "_definitions.json"
    if not definitions_file.is_file():
        return schema
    definitions = _load(str(definitions_file)).get("$defs", {})
    memo: dict[str, Any] = {}

    def target(ref: str) -> str | None:
        for prefix in (_DEFINITIONS_REF, "#/$defs/"):
            if ref.startswith(prefix) and ref[len(prefix) :] in definitions:
                return ref[len(prefix) :]
        return None

    def walk(node: Any, stack: tuple[str, ...]) -> tuple[Any, bool]:
        if isinstance(node, list):
            items = [walk(item, stack) for item in node]
            return [item for item, _ in items], any(cyclic for _, cyclic in items)
        if not isinstance(node, dict):
            return node, False
        ref = node.get("$ref")
        name = target(ref) if isinstance(ref, str) else None
        if name is not None:
            if name in stack:
                return {**node, "$ref": _DEFINITIONS_REF + name}, True
            if name in memo:
                resolved, cyclic = memo[name], False
            else:
                resolved, cyclic = walk(definitions[name], (*stack, name))
                if not cyclic:
                    memo[name] = resolved
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if set(siblings) <= _ANNOTATIONS and isinstance(resolved, dict):
                return {**resolved, **siblings}, cyclic
            rest, rest_cyclic = walk(siblings, stack)
            return {"allOf": [resolved], **rest}, cyclic or rest_cyclic
        result: dict[str, Any] = {}
        cyclic = False
        for key, value in node.items():
            result[key], inner = walk(value, stack)
            cyclic = cyclic or inner
        return result, cyclic

    return dict(walk(schema, ())[0])
