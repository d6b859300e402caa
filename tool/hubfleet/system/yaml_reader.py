"""System layer: the one YAML reader with positions, for inputs (load) and rendered trees (validate).

Data is built as Flux and kubeconform -strict read it: YAML 1.2, duplicate keys
are an error, timestamps stay the strings they were written as (Kubernetes has
no timestamp type, and an image tag `2025-11-10` must stay a string). The C
loader composes nodes, whose marks give the line and column of every key; the
position of a field is looked up in the composed nodes only when something asks
(an error message), so a clean run pays nothing for it.

YAML errors are worded here, once, for people: a tab, a duplicate key, an
unclosed quote each say what is wrong and how to fix it.

Before any recursive code (the composer, the constructor, whatever walks the data) sees a
document, its event stream is checked (`check_structure`): libyaml's parser is a state machine,
so a hostile file cannot overflow a stack there. Nesting deeper than MAX_DEPTH, aliases that
expand a document by more than MAX_NODES (a "billion laughs"), an alias inside its own anchor, a tag other
than YAML's core ones (`!!set`, `!!python/...`) and a key that is not a string are each refused
with their line and column. Every YAML document hubfleet reads comes through `load_all`,
`load_one` or `compose_documents`, which check first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
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


#: Deepest nesting of mappings and sequences any hubfleet file or chart needs, with room to spare.
MAX_DEPTH = 100
#: Most nodes the aliases of one document may add once expanded (a document without aliases is
#: bounded by the size of its file instead).
MAX_NODES = 1_000_000
#: The tags a document may name: YAML 1.2's core schema (and `!`, "no tag").
CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
) | {"!"}
_STRING = "tag:yaml.org,2002:str"


class StructureError(MarkedYAMLError):
    """A document hubfleet refuses to compose, at the event that makes it so."""

    def __init__(self, event: Event, problem: str) -> None:
        super().__init__(problem=problem, problem_mark=event.start_mark)


class _Frame:
    __slots__ = ("anchor", "is_map", "items", "size")

    def __init__(self, anchor: str | None, is_map: bool) -> None:
        self.anchor, self.is_map, self.items, self.size = anchor, is_map, 0, 1


def check_structure(text: str) -> None:
    """StructureError unless every document of `text` is one hubfleet may compose (see above)."""
    resolver = _Resolver()
    stack: list[_Frame] = []
    sizes: dict[str, int] = {}
    aliased = 0
    for event in loader().parse(text):
        if isinstance(event, DocumentStartEvent):
            sizes.clear()
            aliased = 0
        if not isinstance(event, NodeEvent):
            if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                frame = stack.pop()
                if frame.anchor is not None:
                    sizes[frame.anchor] = frame.size
                if stack:
                    stack[-1].size += frame.size
            continue
        parent = stack[-1] if stack else None
        if parent is not None:
            if parent.is_map and parent.items % 2 == 0 and not _string_key(event, resolver):
                raise StructureError(event, "a key that is not a string; quote it, or use another key")
            parent.items += 1
        tag = getattr(event, "tag", None)
        if tag is not None and not isinstance(event, AliasEvent) and tag not in CORE_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise StructureError(event, f"the tag {shown}, which hubfleet does not read; remove it")
        if isinstance(event, CollectionStartEvent):
            stack.append(_Frame(event.anchor, isinstance(event, MappingStartEvent)))
            if len(stack) > MAX_DEPTH:
                raise StructureError(
                    event, f"nesting deeper than {MAX_DEPTH} levels, which no hubfleet file needs"
                )
            size = 1
        elif isinstance(event, AliasEvent):
            if any(frame.anchor == event.anchor for frame in stack):
                raise StructureError(
                    event, f"the alias *{event.anchor} inside its own anchor, which never ends"
                )
            size = sizes.get(str(event.anchor), 1)
            aliased += size
            if aliased > MAX_NODES:
                raise StructureError(
                    event, f"aliases that expand the document by more than {MAX_NODES:,} nodes"
                )
        else:
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        if not isinstance(event, CollectionStartEvent) and parent is not None:
            parent.size += size


def _string_key(event: Event, resolver: VersionedResolver) -> bool:
    """True for a key event that constructs to a string (a plain `1`, `true` or `null` does not)."""
    if not isinstance(event, ScalarEvent):
        return False
    if event.tag is not None and event.tag != "!":
        return bool(event.tag == _STRING)
    if event.style or event.tag == "!":
        return True  # quoted or block scalars are strings
    return bool(resolver.resolve(ScalarNode, event.value, (True, False)) == _STRING)


def load_all(data: str | bytes) -> list[Any]:
    """Every document of `data` (bytes: UTF-8), checked first (check_structure), as hubfleet
    reads YAML."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    check_structure(text)
    return list(loader().load_all(text))


def load_one(data: str | bytes) -> Any:
    """The one document of `data` (None when empty), checked first."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    check_structure(text)
    return loader().load(text)


def compose_for_splice(text: str) -> Node | None:
    """The one document of `text` as the pure-Python round-trip composer sees it, checked first.

    `hubfleet.inputs.edit` replaces a value's characters in place; it needs the pure composer's
    marks, which put an empty value at the token after its key, as its splice is written for
    (the C composer marks such a value differently)."""
    check_structure(text)
    node: Node | None = YAML(typ="rt").compose(text)
    return node


def compose_documents(text: str) -> Iterator[Node | None]:
    """The composed node of every document of `text` (None for an empty document), checked first."""
    check_structure(text)
    yield from loader().compose_all(text)


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
