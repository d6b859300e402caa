"""Read manifest streams (`---`-separated YAML documents) with the line of every document.

The reader is the shared one (`core.yaml_reader`, also used for inputs): YAML 1.2,
duplicate keys are an error, timestamps stay strings. The C loader composes nodes
(whose marks give each document's line) and then plain data. Lines of single
fields are only wanted for findings, so they are found on demand by composing
the file again.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import Node

from ..system.yaml_reader import check_structure, compose_documents, describe_yaml_error, loader, locate

_SOURCE = re.compile(r"^# Source: (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Manifest:
    """One object of a stream: where it is and what it says."""

    path: str
    index: int
    line: int
    data: dict[str, Any]
    origin: str = ""

    @property
    def api_version(self) -> str:
        value = self.data.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        value = self.data.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> dict[str, Any]:
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def spec(self) -> dict[str, Any]:
        value = self.data.get("spec")
        return value if isinstance(value, dict) else {}

    @property
    def subject(self) -> str:
        return f"{self.kind or '?'}/{self.name or '?'}"

    @property
    def key(self) -> str:
        return f"{self.path}#{self.index}"

    def is_a(self, group: str, kind: str) -> bool:
        return self.group == group and self.kind == kind


@dataclass(frozen=True)
class Stream:
    """The objects of one stream, and (line, message) for what could not be read as an object."""

    manifests: tuple[Manifest, ...]
    problems: tuple[tuple[int, str], ...] = ()


def parse_stream(text: str, path: str) -> Stream:
    """Every object of `text`; documents after a syntax error are lost, and said to be."""
    manifests: list[Manifest] = []
    problems: list[tuple[int, str]] = []
    sources = [(m.start(), m.group(1)) for m in _SOURCE.finditer(text)]
    offsets = [start for start, _ in sources]
    yaml = loader()
    try:
        check_structure(text)  # before the composer recurses into it
        for index, node in enumerate(yaml.compose_all(text)):
            if node is None:
                continue
            data = yaml.constructor.construct_document(node)
            line = node.start_mark.line + 1
            if data is None:
                continue
            if not isinstance(data, dict):
                found = "a list" if isinstance(data, list) else f"the scalar {str(data)[:40]!r}"
                problems.append((line, f"document is not an object: found {found}"))
                continue
            origin = ""
            position = bisect.bisect_right(offsets, node.start_mark.index) - 1
            if position >= 0:
                origin = sources[position][1]
            manifests.append(Manifest(path, index, line, data, origin))
    except YAMLError as error:
        syntax = describe_yaml_error(error, text)
        problems.append((syntax.line, syntax.message))
    except ValueError as error:
        # Python refuses to turn a number of more than 4,300 digits into an int.
        problems.append((0, f"a value cannot be read: {' '.join(str(error).split())[:120]}"))
    return Stream(tuple(manifests), tuple(problems))


class Locator:
    """Lines of fields of objects in the project's files, composed on first use and kept."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._documents: dict[str, list[Node | None]] = {}

    def line(self, manifest: Manifest, field: Sequence[str | int] = ()) -> int:
        """The field's line in the file the manifest was read from; the object's line as fallback."""
        if not field:
            return manifest.line
        documents = self._documents.get(manifest.path)
        if documents is None:
            try:
                text = (self._root / manifest.path).read_text(encoding="utf-8")
                documents = list(compose_documents(text))
            except (OSError, UnicodeDecodeError, YAMLError):
                documents = []
            self._documents[manifest.path] = documents
        node = documents[manifest.index] if manifest.index < len(documents) else None
        return locate(node, field)[0] or manifest.line
