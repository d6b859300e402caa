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

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent
from ruamel.yaml.nodes import Node

from ..core.schema_errors import dotted
from ..errors import Diagnostic, InputError
from ..system.files import Refused, read_regular
from ..system.yaml_reader import (
    FieldPath,
    compose_documents,
    describe_yaml_error,
    load_all,
    loader,
    locate,
)

MAX_INPUT_BYTES = 256 * 1024
#: Deeper than any input format needs (a hub file is at most five levels deep).
MAX_DEPTH = 64
ALIASES_REFUSED = "YAML anchors and aliases are not allowed; put shared settings in hubDefaults"


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

    def problem(self, path: FieldPath, message: str) -> Diagnostic:
        line, column = self.locate(path)
        return Diagnostic(self.file, line, column, dotted(path), message)


def parse_text(text: str, file: str) -> Source:
    """Parse one YAML document that must be a mapping, or raise InputError saying why not."""
    if len(text.encode()) > MAX_INPUT_BYTES:
        raise InputError.at(file, f"file is larger than {MAX_INPUT_BYTES // 1024} KiB")
    try:
        # Inputs refuse anchors and aliases outright, and nest at most MAX_DEPTH deep; then the one
        # reader's own structure check (keys, tags) runs before anything is composed.
        _check_events(text, file)
        documents = load_all(text)
    except (DuplicateKeyError, YAMLError) as error:
        syntax = describe_yaml_error(error, text)
        raise InputError.at(file, syntax.message, syntax.line, syntax.column) from None
    except ValueError as error:
        # Python refuses to turn a number of more than 4,300 digits into an int.
        raise InputError.at(file, f"a value cannot be read: {' '.join(str(error).split())[:120]}") from None
    if not documents or (len(documents) == 1 and documents[0] is None):
        raise InputError.at(file, "file is empty; expected a mapping of settings", 1, 1)
    if len(documents) != 1:
        raise InputError.at(file, f"expected one YAML document, found {len(documents)}", 1, 1)
    data = documents[0]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the {type(data).__name__.lower()} {data!r}"
        raise InputError.at(file, f"expected a mapping of settings, found {kind}", 1, 1)
    source = Source(file, text, plain(data))
    bad = _non_finite(source.data, [])
    if bad is not None:
        raise InputError([source.problem(bad, "not a number (.nan or .inf); give a finite number")])
    return source


def _check_events(text: str, file: str) -> None:
    """Refuse anchors, aliases and nesting deeper than MAX_DEPTH before anything is constructed
    (the constructor recurses, and a few thousand levels would exhaust the stack)."""
    depth = 0
    for event in loader().parse(text):
        mark = event.start_mark
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            raise InputError.at(file, ALIASES_REFUSED, mark.line + 1, mark.column + 1)
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep; no setting needs that"
                raise InputError.at(file, message, mark.line + 1, mark.column + 1)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def _non_finite(value: Any, path: list[str | int]) -> list[str | int] | None:
    """The path of the first NaN or infinity in `value` (YAML's .nan and .inf), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        found = _non_finite(child, [*path, key])
        if found is not None:
            return found
    return None


def load_file(path: Path, file: str, root: Path | None = None) -> Source:
    """Read and parse `path`; `file` is how errors name it (relative to the project root).

    Only a regular file is read, never more than the size limit, and with `root` (the project)
    never through a symlink that leaves it (see system/files.py).
    """
    try:
        raw = read_regular(path, MAX_INPUT_BYTES, root)
    except Refused as refused:
        raise InputError.at(file, refused.reason) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError.at(file, "file is not UTF-8 text") from None
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
