"""Object-level changes between two trees: which Kubernetes objects (and eksctl configs) are
added, changed or removed, with a compact field-level diff of the changed ones.

Objects are matched by cluster, kind, namespace and name across the changed files, so an object
that moves between files is "changed" (or unchanged), never removed and added. Values that are
secret, or sealed, are never shown: only that they changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml.error import YAMLError

from ..core.layout import Layout
from ..system.yaml_reader import load_all

Change = Literal["added", "changed", "removed"]
HIDDEN = "(hidden)"
#: Where Secrets and SealedSecrets keep their values (plain or sealed): never printed.
SECRET_FIELDS = ("data", "stringData", "spec.encryptedData", "spec.template.data")
SECRET_KINDS = ("Secret", "SealedSecret")
#: The longest a value is shown in a field diff before it is cut.
VALUE_WIDTH = 80


@dataclass(frozen=True)
class ObjectKey:
    cluster: str
    kind: str
    namespace: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: str | None
    new: str | None
    #: A list of plain values compared as a set: `old` holds the items removed, `new` those added.
    items: bool = False

    def line(self) -> str:
        if self.items:
            parts = ([f"added {self.new}"] if self.new else []) + (
                [f"removed {self.old}"] if self.old else []
            )
            return f"{self.path}: {'; '.join(parts)}"
        if self.old is None:
            return f"{self.path}: added {self.new}"
        if self.new is None:
            return f"{self.path}: removed (was {self.old})"
        return f"{self.path}: {self.old} -> {self.new}"


@dataclass
class ObjectChange:
    key: ObjectKey
    change: Change
    path: str
    #: The object before and after (None when absent); kept for the risk checks, never printed.
    old: dict[str, Any] | None = field(default=None, repr=False)
    new: dict[str, Any] | None = field(default=None, repr=False)
    fields: list[FieldChange] = field(default_factory=list)
    #: For an object a chart renders: the HelmRelease it comes from (`HelmRelease ns/name`).
    via: str = ""


def documents(text: bytes) -> list[dict[str, Any]]:
    """The mappings of a rendered YAML file (a file that does not parse counts as empty: the
    base's committed tree may hold anything, and validate reports it)."""
    try:
        found = load_all(text.decode("utf-8", "replace"))
    except (YAMLError, ValueError):
        return []
    return [d for d in found if isinstance(d, dict)]


def _key(cluster: str, path: str, document: Mapping[str, Any]) -> ObjectKey:
    """A nameless document (kustomize's own Kustomization) is known by its file."""
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    name = str(metadata.get("name") or f"gitops/{path}")
    return ObjectKey(cluster, str(document.get("kind", "")), str(metadata.get("namespace", "")), name)


def _flatten(node: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(node, list) and node and not _plain_list(node):
        names = _item_names(node)
        for index, value in enumerate(node):
            _flatten(value, f"{prefix}[name={names[index]}]" if names else f"{prefix}[{index}]", out)
    else:
        out[prefix] = node


_NAMED_ENTRY = re.compile(r"\[name=[^\]]*\]")


def _item_names(items: list[Any]) -> list[str] | None:
    """The `name` of every item of a list of mappings, when each has a distinct one (containers,
    node groups, ports): such items are matched by name, so one added before the others shows as
    one added, not as every later one changed."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if all(isinstance(name, str) and name for name in names) and len(set(names)) == len(names):
        return [str(name) for name in names]
    return None


def _plain_list(value: Any) -> bool:
    """A list of strings, numbers and booleans: compared by its items, not by position."""
    return isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= VALUE_WIDTH else f"{text[: VALUE_WIDTH - 3]}..."


def _items(values: list[Any]) -> str | None:
    return (
        _shown(", ".join(v if isinstance(v, str) else json.dumps(v, default=str) for v in values))
        if values
        else None
    )


def _secret(kind: str, path: str) -> bool:
    return kind in SECRET_KINDS and any(
        path == f or path.startswith((f"{f}.", f"{f}[")) for f in SECRET_FIELDS
    )


def field_changes(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Leaf by leaf, in path order; secret leaves say only that they changed."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(old, "", before)
    _flatten(new, "", after)
    changes = []
    whole = _whole_entries(before, after)
    for entry, side in sorted(whole.items()):
        changes.append(FieldChange(entry, "entry" if side == "removed" else None,
                                   "entry" if side == "added" else None, items=True))  # fmt: skip
    for path in sorted(before.keys() | after.keys()):
        if path in before and path in after and before[path] == after[path]:
            continue
        if any(path.startswith(entry) for entry in whole):
            continue
        hide = _secret(kind, path)
        was, now = before.get(path), after.get(path)
        if (
            isinstance(was, list)
            and isinstance(now, list)
            and _plain_list(was)
            and _plain_list(now)
            and not hide
        ):
            removed = [v for v in was if v not in now]
            added = [v for v in now if v not in was]
            if removed or added:  # else only the order changed
                changes.append(FieldChange(path, _items(removed), _items(added), items=True))
            else:
                changes.append(FieldChange(path, "(order)", "(new order)"))
            continue
        old_text = None if path not in before else HIDDEN if hide else _shown(before[path])
        new_text = None if path not in after else HIDDEN if hide else _shown(after[path])
        changes.append(FieldChange(path, old_text, new_text))
    return sorted(changes, key=lambda change: change.path)


def _entry_prefixes(path: str) -> list[str]:
    """`a[name=x].b[name=y].c` -> [`a[name=x]`, `a[name=x].b[name=y]`]."""
    return [path[: match.end()] for match in _NAMED_ENTRY.finditer(path)]


def _whole_entries(before: dict[str, Any], after: dict[str, Any]) -> dict[str, str]:
    """Named list entries present on one side only (outermost first), as "added" or "removed": shown
    as one line each rather than leaf by leaf."""
    sides = {"removed": (before, after), "added": (after, before)}
    found: dict[str, str] = {}
    for side, (here, there) in sides.items():
        present = {prefix for path in there for prefix in _entry_prefixes(path)}
        for path in here:
            entry = next((prefix for prefix in _entry_prefixes(path) if prefix not in present), None)
            if entry is not None:
                found[entry] = side
    return found


def _index(layout: Layout, files: Mapping[str, bytes]) -> dict[ObjectKey, tuple[str, dict[str, Any]]]:
    found: dict[ObjectKey, tuple[str, dict[str, Any]]] = {}
    for path, text in files.items():
        owner = layout.owner(path)
        if owner is None:
            continue
        for document in documents(text):
            found[_key(owner.cluster, path, document)] = (path, document)
    return found


Index = dict[ObjectKey, tuple[str, dict[str, Any]]]


def object_changes(
    layout: Layout, base: Mapping[str, bytes], head: Mapping[str, bytes]
) -> list[ObjectChange]:
    """`base` and `head`: the files that differ, by tree path (a file only one side has included)."""
    return indexed_changes(_index(layout, base), _index(layout, head))


def index_documents(cluster: str, path: str, documents: list[dict[str, Any]]) -> Index:
    """Objects one file (or one chart's output, `path` being its HelmRelease's file) holds."""
    return {_key(cluster, path, document): (path, document) for document in documents}


def indexed_changes(before: Index, after: Index, via: str = "") -> list[ObjectChange]:
    changes = []
    for key in sorted(before.keys() | after.keys(), key=_order):
        if key not in before:
            path, document = after[key]
            changes.append(ObjectChange(key, "added", path, None, document, via=via))
        elif key not in after:
            path, document = before[key]
            changes.append(ObjectChange(key, "removed", path, document, None, via=via))
        elif before[key][1] != after[key][1]:
            path, document = after[key]
            old = before[key][1]
            fields = field_changes(key.kind, old, document)
            changes.append(ObjectChange(key, "changed", path, old, document, fields, via))
    return changes


def _order(key: ObjectKey) -> tuple[str, str, str, str]:
    return (key.cluster, key.namespace, key.kind, key.name)


def by_cluster(changes: list[ObjectChange]) -> Iterator[tuple[str, list[ObjectChange]]]:
    clusters = sorted({c.key.cluster for c in changes})
    for cluster in clusters:
        yield cluster, [c for c in changes if c.key.cluster == cluster]
