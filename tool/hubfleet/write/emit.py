"""Stage 5, write: serialise rendered manifests (plain dicts, lists and scalars) as block-style YAML.

Renderers build data and this module writes it once. It is a small, strict
emitter instead of ruamel.yaml's representer because a fleet renders thousands of
files and ruamel spends most of its dumping time rebuilding tag objects per node;
this is ~10x faster. ruamel.yaml stays the judge: the tests load every emitted
file back with it and require exactly the rendered data.

A string is written plain only when it cannot be read back as anything else
(it starts with a letter, holds no YAML indicators, and is no bool or null word);
everything else is double-quoted, using JSON's escapes, which YAML shares. Text of
several lines that ends in one newline (code, such as a hub's extraConfig) is written as a
literal block, so it reads as it runs.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./@=+-]*(:[A-Za-z0-9_./@=+-]+)*")
#: Characters a literal block cannot hold as they are: controls (tab included) and those YAML
#: reads as a line break or a byte-order mark (NEL, U+2028, U+2029, U+FEFF).
_NOT_IN_BLOCK = frozenset(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0xFEFF]))
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
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
        quoted = json.dumps(value, ensure_ascii=False)
        # JSON escapes only C0 controls; YAML also cannot hold these as they are.
        return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
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
    elif isinstance(item, str) and _literal(item):
        out.append(f"{prefix}{sep}|")
        out.extend(f"{' ' * indent}{line}" if line else "" for line in item[:-1].split("\n"))
    else:
        out.append(f"{prefix}{sep}{scalar(item)}")


def _literal(text: str) -> bool:
    """True when `text` reads back exactly from a `|` block: several lines, one final newline,
    a first line that does not start with a space, and every line printable as it is."""
    if "\n" not in text[:-1] or not text.endswith("\n") or text.endswith("\n\n") or text[0] == " ":
        return False
    lines = text[:-1].split("\n")
    return all(line == line.rstrip() and _NOT_IN_BLOCK.isdisjoint(line) for line in lines)


def dump(document: dict[str, Any]) -> str:
    """One document as YAML text, ending in a newline."""
    lines: list[str] = []
    _block(document, 0, lines)
    return "\n".join(lines) + "\n"
