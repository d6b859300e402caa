"""Inputs, edited: change a few scalar fields of an input file in place, keeping every other byte as it was.

Commands such as `hub retire` and `aws scale` edit files that people wrote and
commented. Re-dumping through ruamel.yaml would normalise indentation, quoting and
flow style, so instead each new value is spliced into the exact span of the old one,
as ruamel.yaml's composed node tree marks it (start and end index of the scalar).
That holds alike for block and flow mappings, quoted values and trailing comments.

A missing key is added as a new line after the last entry of a block mapping, or
as `, key: value` after the last entry of a flow mapping; a key whose value is one
line of a block mapping is removed with its line. Whatever the edit, the
new text must read back as the old data with exactly the requested changes, or
nothing is written: an edit that cannot be made safely asks for one by hand. The
file is replaced atomically.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..core.schema_errors import dotted
from ..errors import InputError, LocalError
from ..system.files import write_atomic
from ..system.lock import writing_inputs
from ..system.project import Project
from ..system.yaml_reader import FieldPath, compose_for_splice, load_one
from .load import parse_text
from .pipeline import load_cluster

Scalar = str | int | bool
#: Mapping keys, and list indices for entries of a list (`nodeGroups.extraUser[0].minSize`).
EditPath = tuple[str | int, ...]
Pair = tuple[Node, Node]
#: Plain words that YAML 1.1 readers (yamllint, older tools) take for booleans: always quoted.
YAML11_BOOLEANS = frozenset({"y", "n", "yes", "no", "on", "off"})


def edit_text(text: str, file: str, updates: Mapping[EditPath, Scalar]) -> str:
    """`text` with each field path set to its new scalar value; the last part names a mapping key."""
    expected = copy.deepcopy(parse_text(text, file).data)
    for path, value in sorted(updates.items(), key=lambda item: dotted(item[0])):
        text = _set(text, file, path, value)
        _assign(expected, path, value)
        _require_reads_as(text, file, path, expected)
    return text


def _set(text: str, file: str, path: EditPath, value: Scalar) -> str:
    parent = _compose(text, file)
    for depth, key in enumerate(path[:-1]):
        child = _child(parent, key)
        if child is None:
            raise LocalError(file, f"cannot set {dotted(path)}: {dotted(path[: depth + 1])} does not exist")
        if not isinstance(child, MappingNode | SequenceNode):
            where = dotted(path[: depth + 1])
            raise LocalError(file, f"cannot set {dotted(path)}: {where} is not a mapping or list")
        parent = child
    key = path[-1]
    if not isinstance(parent, MappingNode) or not isinstance(key, str):
        raise LocalError(file, f"cannot set {dotted(path)}: it is not a field of a mapping")
    new = _render_scalar(value)
    pair = _pair(parent, key)
    if pair is None:
        return _insert_key(text, file, parent, f"{key}: {new}", path)
    key_node, old = pair
    if not isinstance(old, ScalarNode):
        raise LocalError(file, f"cannot set {dotted(path)}: it is not a single value")
    if old.style in ("|", ">"):
        # A block scalar's span runs on to the next key; replacing it would join two lines.
        raise LocalError(file, f"cannot set {dotted(path)}: it is a block scalar; edit it by hand")
    if _empty(old):
        # An empty value is marked at the next token, not after its key: write after the colon.
        at = _after_colon(text, key_node)
        if at is None:
            raise _by_hand(file, path)
        return text[:at] + f" {new}" + text[at:]
    return text[: old.start_mark.index] + new + text[old.end_mark.index :]


def _compose(text: str, file: str) -> Node:
    try:
        node = compose_for_splice(text)
    except YAMLError:
        node = None
    if not isinstance(node, MappingNode):
        # parse_text accepted this text, so the composer cannot disagree unless edits went wrong.
        raise LocalError(file, "hubfleet cannot find the fields to change; edit it by hand")
    return node


def _child(parent: Node, key: str | int) -> Node | None:
    if isinstance(parent, SequenceNode) and isinstance(key, int) and 0 <= key < len(parent.value):
        item: Node = parent.value[key]
        return item
    if isinstance(parent, MappingNode) and isinstance(key, str):
        pair = _pair(parent, key)
        return pair[1] if pair else None
    return None


def _pair(mapping: MappingNode, key: str) -> Pair | None:
    for key_node, value in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value
    return None


def _empty(node: Node) -> bool:
    """A value left out (`key:`), as opposed to one written as '' or null."""
    return isinstance(node, ScalarNode) and node.style is None and node.value == ""


def _after_colon(text: str, key_node: Node) -> int | None:
    """The index just after the ':' that follows `key_node`, if only spaces come between."""
    start = key_node.end_mark.index
    colon = text.find(":", start)
    if colon < 0 or text[start:colon].strip():
        return None
    return colon + 1


def _insert_key(text: str, file: str, parent: MappingNode, entry: str, path: FieldPath) -> str:
    if parent.flow_style:
        close = parent.end_mark.index - 1
        if text[close : close + 1] != "}":
            raise _by_hand(file, path)
        if not parent.value:
            return text[:close] + entry + text[close:]
        at = _entry_end(text, file, parent.value[-1], path)
        return text[:at] + f", {entry}" + text[at:]
    last_key, _ = parent.value[-1]
    at = _entry_end(text, file, parent.value[-1], path)
    newline = "\r\n" if "\r\n" in text else "\n"
    if text[at - 1 : at] != "\n":
        # After the rest of the line: the last value's trailing comment stays on its line.
        line_end = text.find("\n", at)
        if line_end < 0:
            text += newline
            line_end = len(text) - 1
        at = line_end + 1
    indent = " " * int(last_key.start_mark.column)
    return text[:at] + indent + entry + newline + text[at:]


def _entry_end(text: str, file: str, pair: Pair, path: FieldPath) -> int:
    """Where the last thing written for a mapping entry ends (its deepest last value, in block style)."""
    key_node, node = pair
    while isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        if isinstance(node, MappingNode):
            key_node, node = node.value[-1]
        else:
            node = node.value[-1]
            if _empty(node):
                raise _by_hand(file, path)
    if _empty(node):
        return _after_colon(text, key_node) or key_node.end_mark.index
    end: int = node.end_mark.index
    return end


def _assign(data: dict[str, Any], path: EditPath, value: Scalar) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _require_reads_as(
    text: str, file: str, path: EditPath, expected: dict[str, Any], verb: str = "set"
) -> None:
    """The edited text must load as the old data with only the requested change."""
    try:
        data = parse_text(text, file).data
    except InputError:
        data = None
    if data != expected:
        raise _by_hand(file, path, verb)


def _by_hand(file: str, path: FieldPath, verb: str = "set") -> LocalError:
    return LocalError(file, f"hubfleet cannot {verb} {dotted(path)} safely in place; edit it by hand")


def _render_scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    plain = value.replace("-", "").replace(".", "").replace("_", "").isalnum() and not value[:1].isdigit()
    plain = plain and value.lower() not in YAML11_BOOLEANS and _reads_back(value)
    return value if plain else json.dumps(value)


def _reads_back(token: str) -> bool:
    """True if `token` written plain reads back as the same string (not `Null`, `True`, `.inf` ...)."""
    try:
        return bool(load_one(f"[{token}]") == [token])
    except YAMLError:
        return False


def remove_text(text: str, file: str, path: EditPath) -> str:
    """`text` without the field at `path` (a one-line scalar of a block mapping), comment included."""
    expected = copy.deepcopy(parse_text(text, file).data)
    parent: Node | None = _compose(text, file)
    for key in path[:-1]:
        parent = _child(parent, key) if parent is not None else None
    pair = _pair(parent, str(path[-1])) if isinstance(parent, MappingNode) else None
    if pair is None or not isinstance(parent, MappingNode):
        return text
    key_node, value = pair
    one_line = isinstance(value, ScalarNode) and value.style not in ("|", ">") and not _empty(value)
    start = text.rfind("\n", 0, key_node.start_mark.index) + 1
    if (
        parent.flow_style
        or len(parent.value) < 2
        or not one_line
        or text[start : key_node.start_mark.index].strip()
    ):
        raise _by_hand(file, path, "remove")
    end = text.find("\n", value.end_mark.index)
    new = text[:start] + (text[end + 1 :] if end >= 0 else "")
    node: Any = expected
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    _require_reads_as(new, file, path, expected, "remove")
    return new


def edit_checked(
    project: Project,
    cluster: str,
    path: Path,
    change: Callable[[str, str], str],
    version_policy: bool = True,
) -> tuple[str, str]:
    """The one way a command edits an input file: under the writer's lock, read the file exactly
    (a new file reads as empty), change its text in memory (`change(text, display)`), load the
    whole cluster with the new text in the file's place, and only when that passes every check
    `render` runs, replace the file atomically. Returns (old text, new text); on any error nothing
    was written, so there is nothing to roll back.

    `aws scale` is the one editor that cannot use this as is: it must call AWS between staging the
    new text and renaming it over the old (`system.files.stage_beside`), and checks it the same way.
    """
    display = project.relative(path)
    with writing_inputs(project):
        old = read_exact(path) if path.exists() else ""
        new = change(old, display)
        if new != old:
            load_cluster(project, cluster, version_policy, pending=(path, new))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, new)
            except OSError as error:
                raise LocalError(display, f"cannot write it: {error.strerror}") from None
    return old, new


def updating(updates: Mapping[EditPath, Scalar]) -> Callable[[str, str], str]:
    """A change for `edit_checked` that sets scalar fields in place (`edit_text`)."""
    return lambda text, display: edit_text(text, display, updates)


def read_exact(path: Path) -> str:
    """The file's text with its line endings as they are (read_text would turn CRLF into LF)."""
    with path.open(encoding="utf-8", newline="") as stream:
        return stream.read()
