"""Shared layer: the one wording of JSON Schema errors, for input files and rendered objects alike.

jsonschema's own messages are written for programmers (`'x' is not of type
'integer'`); these are written for the people who edit YAML: "expected a whole
number, found 'x'", "unknown field (did you mean 'maxSize'?)". Input schemas
(schemas/) carry descriptions written as hints, which are added to the message;
upstream schemas carry reference prose, which is not (`hints=False`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

FieldPath = tuple[str | int, ...]

#: List the known keys of an unknown one when there are at most this many (else only did-you-mean).
MAX_LISTED_KEYS = 12
TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def dotted(path: Sequence[str | int]) -> str:
    """`nodeGroups.extraUser[0].name` from ("nodeGroups", "extraUser", 0, "name")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class Issue:
    """One schema problem; `field` is its path inside the checked document."""

    field: FieldPath
    message: str
    missing_schema: bool = False

    def __str__(self) -> str:
        return f"{dotted(self.field)}: {self.message}" if self.field else self.message


def _only_required(error: ValidationError) -> bool:
    if error.validator == "required":
        return True
    return bool(error.context) and all(_only_required(e) for e in error.context)


def describe(
    error: ValidationError, *, ignore_required: bool = False, hints: bool = False
) -> Iterator[Issue]:
    """Issues a person can act on. `ignore_required` drops missing fields (chart defaults may hold
    them); `hints` adds the schema's description of the field."""
    path: FieldPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if ignore_required and _only_required(error):
        return
    if error.validator in ("anyOf", "oneOf") and error.context:
        candidates = [e for e in error.context if not (ignore_required and _only_required(e))]
        best = best_match(candidates) if candidates else None
        if best is not None:
            yield from describe(best, ignore_required=ignore_required, hints=hints)
        return
    hint = _hint(schema) if hints else ""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        for key in sorted(map(str, error.instance)):
            if key not in known and not any(re.search(p, key) for p in patterns):
                yield Issue((*path, key), _unknown(key, known))
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        field_hint = _hint(schema.get("properties", {}).get(missing, {})) if hints else ""
        yield Issue((*path, missing), f"required field is missing{field_hint}")
    elif error.validator == "type":
        yield Issue(path, f"expected {type_name(error.validator_value)}, found {found(error.instance)}")
    elif error.validator == "enum":
        choices = ", ".join(str(choice) for choice in schema.get("enum", []))
        yield Issue(path, f"{found(error.instance)} is not one of: {choices}")
    elif error.validator == "pattern":
        title = schema.get("title")
        described = f"a valid {title}" if title else f"a string matching {error.validator_value}"
        yield Issue(path, f"{found(error.instance)} is not {described}{hint}")
    else:
        yield Issue(path, _clip(error.message) + hint)


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown field (did you mean '{close[0]}'?)"
    if known and len(known) <= MAX_LISTED_KEYS:
        return f"unknown field; expected one of: {', '.join(known)}"
    return "unknown field"


def _hint(schema: Any) -> str:
    description = schema.get("description") if isinstance(schema, dict) else None
    return f" ({description})" if description else ""


def type_name(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    return " or ".join(TYPE_NAMES.get(v, f"a {v}") for v in values)


def found(instance: Any) -> str:
    """How a value is shown in a message: kinds for containers, YAML-like text for scalars."""
    if isinstance(instance, bool):
        return str(instance).lower()
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if instance is None:
        return "nothing"
    if isinstance(instance, str):
        return _clip(repr(instance))
    return _clip(json.dumps(instance))


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
