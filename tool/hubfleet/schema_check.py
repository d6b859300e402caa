"""Stage 2a, check against the schema: every JSON Schema error as a Problem a person can act on.

The schemas in schemas/ are the single description of the input format; this
module turns jsonschema's errors into `file:line:col: field.path: message` with a
did-you-mean for misspelt keys.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import Problem
from .load import Source
from .project import SCHEMAS_DIR


@cache
def input_validator(name: str) -> Draft202012Validator:
    """The validator for schemas/<name>.schema.json, built once per process."""
    schema = json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def check_source(source: Source, schema: str, data: Any = None) -> list[Problem]:
    """Problems of `data` (default: the whole source) against schemas/<schema>.schema.json."""
    instance = source.data if data is None else data
    problems: list[Problem] = []
    for error in input_validator(schema).iter_errors(instance):
        problems.extend(_problems(source, error))
    return problems


def _problems(source: Source, error: ValidationError) -> Iterator[Problem]:
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(schema.get("properties", {}))
        for key in sorted(set(error.instance) - set(known)):
            yield source.problem([*path, key], _unknown(key, known))
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        yield source.problem([*path, missing], f"required field is missing{_hint(schema, missing)}")
    elif error.validator == "pattern":
        title = error.schema.get("title") if isinstance(error.schema, dict) else None
        described = f"a valid {title}" if title else f"a string matching {error.validator_value}"
        yield source.problem(path, f"{error.instance!r} is not {described}{_describe(error)}")
    elif error.validator == "enum":
        choices = ", ".join(str(choice) for choice in schema.get("enum", []))
        yield source.problem(path, f"{error.instance!r} is not one of: {choices}")
    elif error.validator == "type":
        yield source.problem(
            path, f"expected {_type_name(error.validator_value)}, found {_kind(error.instance)}"
        )
    else:
        yield source.problem(path, error.message + _describe(error))


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown field (did you mean '{close[0]}'?)"
    return f"unknown field; expected one of: {', '.join(known)}" if known else "unknown field"


def _hint(schema: dict[str, Any], key: str) -> str:
    description = schema.get("properties", {}).get(key, {}).get("description")
    return f" ({description})" if description else ""


def _describe(error: ValidationError) -> str:
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    return f" ({description})" if description else ""


def _type_name(value: Any) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "null": "nothing",
    }
    if isinstance(value, list):
        return " or ".join(names.get(v, str(v)) for v in value)
    return names.get(value, str(value))


def _kind(instance: Any) -> str:
    if isinstance(instance, bool):
        return f"{str(instance).lower()}"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if instance is None:
        return "nothing"
    return repr(instance)
