"""Change a few scalar fields of an input file in place, keeping every other byte as it was.

Commands such as `hub retire` and `aws scale` edit files that people wrote and
commented. Re-dumping through ruamel.yaml would normalise indentation and quoting,
so instead the new value is spliced into the text at the position ruamel.yaml
reports for the old one, and a missing key is added as a new line under its
parent mapping. The file is replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import InputError
from .load import FieldPath, dotted, parse_text

Scalar = str | int | bool
#: Mapping keys, and list indices for entries of a list (`nodeGroups.extraUser[0].minSize`).
EditPath = tuple[str | int, ...]


def _render_scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    plain = value.replace("-", "").replace(".", "").replace("_", "").isalnum() and not value[:1].isdigit()
    return value if plain and value not in ("true", "false", "null", "yes", "no") else json.dumps(value)


def _offset(lines: list[str], line: int, column: int) -> int:
    return sum(len(text) for text in lines[:line]) + column


def edit_text(text: str, file: str, updates: Mapping[EditPath, Scalar]) -> str:
    """`text` with each field path set to its new scalar value; the last part names a mapping key."""
    for path, value in sorted(updates.items(), key=lambda item: dotted(item[0])):
        source = parse_text(text, file)
        parent: CommentedMap | CommentedSeq = source.tree
        for key in path[:-1]:
            child: Any = None
            if isinstance(parent, CommentedSeq) and isinstance(key, int) and 0 <= key < len(parent):
                child = parent[key]
            elif isinstance(parent, CommentedMap):
                child = parent.get(key)
            if not isinstance(child, CommentedMap | CommentedSeq):
                raise InputError(f"{file}: cannot set {dotted(path)}: {key} is not a mapping or list")
            parent = child
        key = path[-1]
        if not isinstance(parent, CommentedMap) or not isinstance(key, str):
            raise InputError(f"{file}: cannot set {dotted(path)}: it is not a field of a mapping")
        lines = text.splitlines(keepends=True)
        new = _render_scalar(value)
        if key in parent:
            old = parent[key]
            if isinstance(old, dict | list):
                raise InputError(f"{file}: cannot set {dotted(path)}: it is not a single value")
            line, column = parent.lc.value(key)
            start = _offset(lines, line, column)
            rest = lines[line][column:]
            token = _scalar_token(rest)
            text = text[:start] + new + text[start + len(token) :]
        else:
            text = _insert_key(text, lines, parent, key, new, path)
    return text


def _scalar_token(rest: str) -> str:
    """The scalar as written at the start of `rest`: quoted, or up to a comment or line end."""
    if rest[:1] in "\"'":
        quote = rest[0]
        end = rest.index(quote, 1)
        return rest[: end + 1]
    token = rest.split(" #", 1)[0].rstrip("\r\n")
    return token.rstrip()


def _insert_key(
    text: str, lines: list[str], parent: CommentedMap, key: str, new: str, path: FieldPath
) -> str:
    if not parent:
        raise InputError(f"cannot add {dotted(path)} to an empty mapping")
    last = list(parent)[-1]
    key_line, key_column = parent.lc.key(last)
    # Insert after the last line that belongs to the last key (its nested block, if any).
    end = key_line + 1
    while end < len(lines) and (
        not lines[end].strip()
        or len(lines[end]) - len(lines[end].lstrip()) > key_column
        or lines[end].lstrip().startswith("#")
    ):
        if not lines[end].strip() or lines[end].lstrip().startswith("#"):
            following = next((ln for ln in lines[end:] if ln.strip() and not ln.lstrip().startswith("#")), "")
            if len(following) - len(following.lstrip()) <= key_column:
                break
        end += 1
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines.insert(end, " " * key_column + f"{key}: {new}\n")
    return "".join(lines)


def edit_file(path: Path, file: str, updates: Mapping[EditPath, Scalar]) -> tuple[str, str]:
    """Apply `updates` to the file; returns (old text, new text). Nothing is written if parsing fails."""
    old = path.read_text(encoding="utf-8")
    new = edit_text(old, file, updates)
    if new != old:
        write_atomic(path, new)
    return old, new


def write_atomic(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
