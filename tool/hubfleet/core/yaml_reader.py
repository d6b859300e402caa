"""Shared layer: the one YAML reader with positions, for inputs (load) and rendered trees (validate).

Data is built as Flux and kubeconform -strict read it: YAML 1.2, duplicate keys
are an error, timestamps stay the strings they were written as (Kubernetes has
no timestamp type, and an image tag `2025-11-10` must stay a string). The C
loader composes nodes, whose marks give the line and column of every key; the
position of a field is looked up in the composed nodes only when something asks
(an error message), so a clean run pays nothing for it.

YAML errors are worded here, once, for people: a tab, a duplicate key, an
unclosed quote each say what is wrong and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

FieldPath = Sequence[str | int]

_DUPLICATE = re.compile(r'found duplicate key "([^"]*)"')
TAB_ADVICE = "a tab character, which YAML does not allow for indentation; indent with spaces"


class _Constructor(SafeConstructor):
    """Timestamps stay the strings they were written as."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


class _Resolver(VersionedResolver):
    """YAML 1.2 always; ruamel's own lookup of the version costs two exceptions per scalar."""

    @property
    def processing_version(self) -> tuple[int, int]:
        return (1, 2)


def loader() -> YAML:
    """A fresh safe C loader (ruamel loaders are not thread-safe, so one per use)."""
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _Resolver
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


def compose_documents(text: str) -> Iterator[Node | None]:
    """The composed node of every document of `text` (None for an empty document)."""
    yield from loader().compose_all(text)


def dotted(path: FieldPath) -> str:
    """`nodeGroups.extraUser[0].name` from ("nodeGroups", "extraUser", 0, "name")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def locate(node: Node | None, path: FieldPath) -> tuple[int, int]:
    """1-based line and column of the deepest existing node on `path` (its key, for mapping
    entries); (0, 0) when not even the first part exists."""
    line, column = 0, 0
    for part in path:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line, column = key.start_mark.line + 1, key.start_mark.column + 1
                    node = value
                    break
            else:
                return line, column
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        else:
            return line, column
    return line, column


@dataclass(frozen=True)
class YamlSyntax:
    """A YAML error at a position, worded for a person."""

    line: int
    column: int
    message: str


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if 0 < line <= len(lines) and 0 < column <= len(lines[line - 1]):
        return lines[line - 1][column - 1]
    return ""


def describe_yaml_error(error: YAMLError, text: str = "") -> YamlSyntax:
    """What a YAML error in `text` means, at the position the parser gave (0, 0 when none)."""
    if not isinstance(error, MarkedYAMLError):
        return YamlSyntax(0, 0, f"invalid YAML: {' '.join(str(error).split())}")
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = error.problem or ""
    duplicate = _DUPLICATE.search(problem)
    if duplicate:
        return YamlSyntax(line, column, f"duplicate key '{duplicate.group(1)}'")
    if "tab character" in problem or _char_at(text, line, column) == "\t":
        return YamlSyntax(line, column, f"invalid YAML: {TAB_ADVICE}")
    text = " ".join(part for part in (error.context, problem) if part)
    return YamlSyntax(line, column, f"invalid YAML: {text or 'cannot parse'}")
