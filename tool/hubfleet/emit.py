"""Serialise rendered manifests (plain dicts, lists and scalars) as block-style YAML.

Renderers build data and this module writes it once. It is a small, strict
emitter instead of ruamel.yaml's representer because a fleet renders thousands of
files and ruamel spends most of its dumping time rebuilding tag objects per node;
this is ~10x faster. ruamel.yaml stays the judge: the tests load every emitted
file back with it and require exactly the rendered data.

A string is written plain only when it cannot be read back as anything else
(it starts with a letter, holds no YAML indicators, and is no bool or null word);
everything else is double-quoted, using JSON's escapes, which YAML shares.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./@=+-]*(:[A-Za-z0-9_./@=+-]+)*")
_RESERVED = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"})


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} in a manifest")
        return repr(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
            return value
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} in a manifest")


def _block(value: Any, indent: int, out: list[str]) -> None:
    """Append the lines of a non-empty mapping or list at `indent` spaces."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"mapping keys must be strings, found {key!r}")
            _entry(f"{pad}{scalar(key)}:", item, indent + 2, out, " ")
    else:
        for item in value:
            _entry(f"{pad}-", item, indent + 2, out, " ", in_list=True)


def _entry(prefix: str, item: Any, indent: int, out: list[str], sep: str, in_list: bool = False) -> None:
    if isinstance(item, dict | list) and item:
        if in_list and isinstance(item, dict):
            # "- key: value" with the rest of the mapping aligned under the first key.
            lines: list[str] = []
            _block(item, indent, lines)
            out.append(f"{prefix} {lines[0].lstrip()}")
            out.extend(lines[1:])
        else:
            out.append(prefix)
            _block(item, indent, out)
    elif isinstance(item, dict):
        out.append(f"{prefix}{sep}{{}}")
    elif isinstance(item, list):
        out.append(f"{prefix}{sep}[]")
    else:
        out.append(f"{prefix}{sep}{scalar(item)}")


def dump(document: dict[str, Any]) -> str:
    """One document as YAML text, ending in a newline."""
    lines: list[str] = []
    _block(document, 0, lines)
    return "\n".join(lines) + "\n"
