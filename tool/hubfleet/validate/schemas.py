"""The in-process schema backend: jsonschema on the same files kubeconform would read.

Strictness equals `kubeconform -strict`: the schema files forbid unknown fields
themselves (additionalProperties: false) and duplicate keys were already refused
when the stream was read. Formats are not asserted, as the README of the schemas
says. A few kinds serve thousands of objects, so each schema file is read and
compiled once per run.
"""

from __future__ import annotations

import difflib
import glob
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

from ..errors import InputError
from ..load import dotted
from .locations import SchemaSources, render_location
from .manifests import Manifest

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    """One schema problem of one object; `field` is its path inside the object."""

    field: FieldPath
    message: str
    missing_schema: bool = False

    def __str__(self) -> str:
        return f"{dotted(self.field)}: {self.message}" if self.field else self.message


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
                raise InputError(f"{path}: cannot read this schema: {error}") from None
            found = loaded if isinstance(loaded, dict) else {}
            self._documents[path] = found
        return found

    def validator(self, path: Path) -> Validator:
        found = self._validators.get(path)
        if found is None:
            schema = self.document(path)
            cls = validators.validator_for(schema, default=Draft202012Validator)
            found = cls(schema)
            self._validators[path] = found
        return found


def schema_issues(validator: Validator, instance: Any, ignore_required: bool = False) -> list[Issue]:
    """Every problem of `instance`, in a stable order."""
    issues = [
        issue for error in validator.iter_errors(instance) for issue in describe(error, ignore_required)
    ]
    return sorted(set(issues), key=lambda i: (tuple(str(p) for p in i.field), i.message))


def _only_required(error: ValidationError) -> bool:
    if error.validator == "required":
        return True
    return bool(error.context) and all(_only_required(e) for e in error.context)


def describe(error: ValidationError, ignore_required: bool = False) -> Iterator[Issue]:
    """Issues a person can act on, with did-you-mean for misspelt keys."""
    path: FieldPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if ignore_required and _only_required(error):
        return
    if error.validator in ("anyOf", "oneOf") and error.context:
        candidates = [e for e in error.context if not (ignore_required and _only_required(e))]
        best = best_match(candidates) if candidates else None
        if best is not None:
            yield from describe(best, ignore_required)
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        for key in sorted(error.instance):
            if key not in known and not any(re.search(p, key) for p in patterns):
                yield Issue((*path, key), _unknown(str(key), known))
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        yield Issue((*path, missing), "required field is missing")
    elif error.validator == "type":
        yield Issue(path, f"expected {_type_name(error.validator_value)}, found {_short(error.instance)}")
    elif error.validator == "enum":
        choices = ", ".join(str(choice) for choice in schema.get("enum", []))
        yield Issue(path, f"{_short(error.instance)} is not one of: {choices}")
    else:
        yield Issue(path, _clip(error.message))


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"unknown field (did you mean '{close[0]}'?)" if close else "unknown field"


def _type_name(value: Any) -> str:
    names = {"object": "an object", "array": "a list", "null": "null", "integer": "an integer"}
    values = value if isinstance(value, list) else [value]
    return " or ".join(names.get(v, f"a {v}") for v in values)


def _short(instance: Any) -> str:
    if isinstance(instance, dict):
        return "an object"
    if isinstance(instance, list):
        return "a list"
    return _clip(json.dumps(instance))


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class JsonSchemaChecker:
    """Objects against the schema their apiVersion and kind name, found like kubeconform finds them."""

    name = "jsonschema"

    def __init__(self, sources: SchemaSources, cache: ValidatorCache) -> None:
        self.sources = sources
        self.cache = cache
        self._found: dict[tuple[str, str, str], Path | None] = {}

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
