"""The in-process schema backend: jsonschema on the same files kubeconform would read.

Strictness equals `kubeconform -strict`: the schema files forbid unknown fields
themselves (additionalProperties: false) and duplicate keys were already refused
when the stream was read. Formats are not asserted, as the README of the schemas
says. A few kinds serve thousands of objects, so each schema file is read and
compiled once per run.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from ..core.schema_errors import Issue, describe
from ..errors import LocalError
from .locations import SchemaSources, render_location
from .manifests import Manifest
from .packaged import kubernetes_schemas, registry_for, standalone, with_identity


class ValidatorCache:
    """Compiled validators by schema file, and found schema files by object type."""

    def __init__(self) -> None:
        self._validators: dict[Path, Validator] = {}
        self._documents: dict[Path, dict[str, Any]] = {}

    def document(self, path: Path) -> dict[str, Any]:
        found = self._documents.get(path)
        if found is None:
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise LocalError(str(path), f"cannot read this schema: {error}") from None
            found = loaded if isinstance(loaded, dict) else {}
            if path.parent.parent == kubernetes_schemas():
                found = standalone(found, path.parent)
            self._documents[path] = found
        return found

    def validator(self, path: Path) -> Validator:
        found = self._validators.get(path)
        if found is None:
            schema = self.document(path)
            cls = validators.validator_for(schema, default=Draft202012Validator)
            # With its own URI as $id, a schema's relative $refs (kubernetes-validate's
            # `_definitions.json`) resolve beside it; see packaged.py.
            found = cls(with_identity(schema, path), registry=registry_for(path.parent))
            self._validators[path] = found
        return found


def schema_issues(validator: Validator, instance: Any, ignore_required: bool = False) -> list[Issue]:
    """Every problem of `instance`, in a stable order."""
    try:
        issues = [
            issue
            for error in validator.iter_errors(instance)
            for issue in describe(error, ignore_required=ignore_required)
        ]
    except Unresolvable as error:
        # A schema that names a definition nobody has: a finding, never a traceback.
        return [
            Issue((), f"its schema cannot be used: it refers to {error.ref!r}, which hubfleet cannot resolve")
        ]
    return sorted(set(issues), key=lambda i: (tuple(str(p) for p in i.field), i.message))


class JsonSchemaChecker:
    """Objects against the schema their apiVersion and kind name, found like kubeconform finds them."""

    name = "jsonschema"

    def __init__(self, sources: SchemaSources, cache: ValidatorCache) -> None:
        self.sources = sources
        self.cache = cache
        self._found: dict[tuple[str, str, str], Path | None] = {}

    def add_location(self, template: str) -> None:
        """Consult `template` first from now on (the schemas of CRDs a chart installs)."""
        self.sources = replace(self.sources, locations=(template, *self.sources.locations))
        self._found.clear()

    def schema_path(self, api_version: str, kind: str, version: str) -> Path | None:
        key = (api_version, kind, version)
        if key not in self._found:
            self._found[key] = next(
                (
                    path
                    for template in self.sources.locations
                    if (path := Path(render_location(template, kind, api_version, version))).is_file()
                ),
                None,
            )
        return self._found[key]

    def check(self, manifests: Sequence[Manifest], version: str) -> list[list[Issue]]:
        results: list[list[Issue]] = []
        for manifest in manifests:
            missing = _missing_keys(manifest)
            if missing:
                results.append(missing)
                continue
            path = self.schema_path(manifest.api_version, manifest.kind, version)
            if path is None:
                results.append([self.missing(manifest, version)])
            else:
                results.append(schema_issues(self.cache.validator(path), manifest.data))
        return results

    def missing(self, manifest: Manifest, version: str) -> Issue:
        """The missing-schema issue, naming the apiVersions the schemas do have for this kind."""
        text = f"no schema for {manifest.api_version} {manifest.kind}"
        served = self.served_versions(manifest.kind, version)
        if served:
            text += f"; the schemas know {manifest.kind} as {', '.join(served)} (wrong apiVersion?)"
        else:
            count = len(self.sources.locations)
            text += f" in {'any of the ' if count > 1 else 'the '}{count} schema location{'s' if count > 1 else ''}"
            if not self.sources.ignore_missing:
                text += "; add its schema, or pass --ignore-missing-schemas"
        return Issue(("apiVersion",), text, missing_schema=True)

    def served_versions(self, kind: str, version: str) -> list[str]:
        found: set[str] = set()
        for template in self.sources.locations:
            probe = render_location(template, kind, "zzgroup.zz/zzversion", version)
            pattern = (
                probe.replace("-zzgroup-zzversion", "*").replace("zzgroup.zz", "*").replace("zzversion", "*")
            )
            for candidate in glob.glob(pattern):
                properties = self.cache.document(Path(candidate)).get("properties", {})
                kinds = properties.get("kind", {}).get("enum", [])
                if kind in kinds:
                    found.update(
                        v for v in properties.get("apiVersion", {}).get("enum", []) if isinstance(v, str)
                    )
        return sorted(found)


def _missing_keys(manifest: Manifest) -> list[Issue]:
    issues = []
    for key in ("apiVersion", "kind"):
        if not isinstance(manifest.data.get(key), str) or not manifest.data[key]:
            issues.append(Issue((), f"missing '{key}' key"))
    return issues
