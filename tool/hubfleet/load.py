"""Stage 1, load: read one YAML input file into plain data that knows where each field came from.

Inputs are small files that people write. Anything that is not one plain mapping
is refused before it can cost memory or surprise a later stage: oversized files,
several documents, duplicate keys, anchors and aliases (the root of alias bombs;
`hubDefaults` is the way to share settings).

Reading and positions are the shared reader's (`core.yaml_reader`), the same one
validate uses for rendered files: the C loader gives plain data, and the composed
nodes that know the line and column of every key are built only when something
asks where a field is (an error message).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, NodeEvent
from ruamel.yaml.nodes import Node

from .core.yaml_reader import FieldPath, compose_documents, describe_yaml_error, dotted, loader, locate
from .errors import InputError, Problem

MAX_INPUT_BYTES = 256 * 1024
ALIASES_REFUSED = "YAML anchors and aliases are not allowed; put shared settings in hubDefaults"
__all__ = ["FieldPath", "Source", "dotted", "load_file", "parse_text"]


@dataclass(frozen=True)
class Source:
    """A loaded input: its text, its plain data, and (on demand) where each field came from."""

    file: str
    text: str
    data: dict[str, Any]

    @cached_property
    def node(self) -> Node | None:
        """The composed document, whose marks give positions; composed on first use."""
        return next(compose_documents(self.text), None)

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """1-based line and column of the deepest existing node on `path` (its key, for mappings)."""
        line, column = locate(self.node, path)
        return (line, column) if line else (1, 1)

    def problem(self, path: FieldPath, message: str) -> Problem:
        line, column = self.locate(path)
        return Problem(self.file, line, column, dotted(path), message)


def parse_text(text: str, file: str) -> Source:
    """Parse one YAML document that must be a mapping, or raise InputError saying why not."""
    if len(text.encode()) > MAX_INPUT_BYTES:
        raise InputError.at(file, f"file is larger than {MAX_INPUT_BYTES // 1024} KiB")
    try:
        # Anchors and aliases need '&' or '*'; only then is the event stream worth scanning.
        for event in loader().parse(text) if ("&" in text or "*" in text) else ():
            if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
                mark = event.start_mark
                raise InputError.at(file, ALIASES_REFUSED, mark.line + 1, mark.column + 1)
        documents = list(loader().load_all(text))
    except (DuplicateKeyError, YAMLError) as error:
        syntax = describe_yaml_error(error, text)
        raise InputError.at(file, syntax.message, syntax.line, syntax.column) from None
    if not documents or (len(documents) == 1 and documents[0] is None):
        raise InputError.at(file, "file is empty; expected a mapping of settings", 1, 1)
    if len(documents) != 1:
        raise InputError.at(file, f"expected one YAML document, found {len(documents)}", 1, 1)
    data = documents[0]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the {type(data).__name__.lower()} {data!r}"
        raise InputError.at(file, f"expected a mapping of settings, found {kind}", 1, 1)
    return Source(file, text, plain(data))


def load_file(path: Path, file: str) -> Source:
    """Read and parse `path`; `file` is how errors name it (relative to the project root)."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError.at(file, f"file is larger than {MAX_INPUT_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.at(file, "file not found") from None
    except UnicodeDecodeError:
        raise InputError.at(file, "file is not UTF-8 text") from None
    except OSError as error:
        raise InputError.at(file, f"cannot read: {error.strerror}") from None
    return parse_text(text, file)


def plain(value: Any) -> Any:
    """Convert ruamel round-trip containers into plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value if value is None else str(value)
