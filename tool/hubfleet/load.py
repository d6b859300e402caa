"""Stage 1, load: read a YAML input with ruamel.yaml, keeping line and column of every key.

Inputs are small files that people write. Anything that is not one plain mapping
is refused before it can cost memory or surprise a later stage: oversized files,
several documents, duplicate keys, anchors and aliases (the root of alias bombs;
`hubDefaults` is the way to share settings).

Speed matters for fleets of thousands of hubs, so files are read with the C
loader into plain data, and the round-trip tree that knows line and column of
every key is built only when something asks where a field is (an error, an edit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, NodeEvent

from .errors import InputError, Problem

MAX_INPUT_BYTES = 256 * 1024
FieldPath = Sequence[str | int]


@dataclass(frozen=True)
class Source:
    """A loaded input: its text, its plain data, and (on demand) where each field came from."""

    file: str
    text: str
    data: dict[str, Any]

    @cached_property
    def tree(self) -> CommentedMap:
        """The round-trip tree, with `.lc` positions; parsed on first use."""
        tree = _yaml().load(self.text)
        assert isinstance(tree, CommentedMap)
        return tree

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """1-based line and column of the deepest existing node on `path` (its key, for mappings)."""
        node: Any = self.tree
        line, column = 1, 1
        for part in path:
            if isinstance(node, CommentedMap) and part in node:
                line, column = node.lc.key(part)
                line, column = line + 1, column + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, column = node.lc.item(part)
                line, column = line + 1, column + 1
                node = node[part]
            else:
                break
        return line, column

    def problem(self, path: FieldPath, message: str) -> Problem:
        line, column = self.locate(path)
        return Problem(self.file, line, column, dotted(path), message)


def dotted(path: FieldPath) -> str:
    """`nodeGroups.extraUser[0].name` from ("nodeGroups", "extraUser", 0, "name")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _fast_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.allow_duplicate_keys = False
    return yaml


def _marked(file: str, error: MarkedYAMLError, fallback: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    text = " ".join(part for part in (error.context, error.problem) if part) or fallback
    return Problem(file, line, column, "", text)


def parse_text(text: str, file: str) -> Source:
    """Parse one YAML document that must be a mapping, or raise InputError saying why not."""
    if len(text.encode()) > MAX_INPUT_BYTES:
        raise InputError([Problem(file, 0, 0, "", f"file is larger than {MAX_INPUT_BYTES // 1024} KiB")])
    try:
        # Anchors and aliases need '&' or '*'; only then is the event stream worth scanning.
        for event in _yaml().parse(text) if ("&" in text or "*" in text) else ():
            if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
                mark = event.start_mark
                raise InputError(
                    [
                        Problem(
                            file,
                            mark.line + 1,
                            mark.column + 1,
                            "",
                            "YAML anchors and aliases are not allowed; put shared settings in hubDefaults",
                        )
                    ]
                )
        documents = list(_fast_yaml().load_all(text))
    except DuplicateKeyError as error:
        mark = error.problem_mark
        key = (error.problem or "").split('"')[1] if '"' in (error.problem or "") else "key"
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise InputError([Problem(file, line, column, "", f"duplicate key '{key}'")]) from None
    except MarkedYAMLError as error:
        raise InputError([_marked(file, error, "invalid YAML")]) from None
    except YAMLError as error:
        raise InputError([Problem(file, 0, 0, "", f"invalid YAML: {error}")]) from None
    if not documents or (len(documents) == 1 and documents[0] is None):
        raise InputError([Problem(file, 1, 1, "", "file is empty; expected a mapping of settings")])
    if len(documents) != 1:
        raise InputError([Problem(file, 1, 1, "", f"expected one YAML document, found {len(documents)}")])
    data = documents[0]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the {type(data).__name__.lower()} {data!r}"
        raise InputError([Problem(file, 1, 1, "", f"expected a mapping of settings, found {kind}")])
    return Source(file, text, plain(data))


def load_file(path: Path, file: str) -> Source:
    """Read and parse `path`; `file` is how errors name it (relative to the project root)."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError([Problem(file, 0, 0, "", f"file is larger than {MAX_INPUT_BYTES // 1024} KiB")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(file, 0, 0, "", "file not found")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(file, 0, 0, "", "file is not UTF-8 text")]) from None
    except OSError as error:
        raise InputError([Problem(file, 0, 0, "", f"cannot read: {error.strerror}")]) from None
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
