"""Stage 2a, check against the schema: every JSON Schema error as a Diagnostic a person can act on.

The schemas in schemas/ are the single description of the input format. The
wording of each error is the shared one (`core.schema_errors`); this module only
places each error at its file:line:col.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from ..core.package_data import input_schema
from ..core.schema_errors import describe
from ..errors import Diagnostic
from .load import Source


@cache
def input_validator(name: str) -> Draft202012Validator:
    """The validator for schemas/<name>.schema.json, built once per process."""
    schema = input_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def check_source(source: Source, schema: str, data: Any = None) -> list[Diagnostic]:
    """Problems of `data` (default: the whole source) against schemas/<schema>.schema.json."""
    instance = source.data if data is None else data
    return [
        source.problem(issue.field, issue.message)
        for error in input_validator(schema).iter_errors(instance)
        for issue in describe(error, hints=True)
    ]
