"""Build small, valid hubfleet projects for tests, one field at a time.

    root = make_cluster(tmp_path)                                    # clusterA, no hubs
    root = make_cluster(tmp_path, nodeGroups__core__maxSize=3)       # `__` separates keys...
    root = make_cluster(tmp_path, **{"nodeGroups.core.maxSize": 3})  # ...and so does `.`
    root = make_cluster(tmp_path, ingress=DELETE, hubs={"physics101": {"auth.type": "dummy"}})
    make_hub(root, "clusterA", "datalab", state="retired")

Changes are applied by `apply_changes`: a key is a field path (`.` or `__` between keys, a
number picks a list item); a dict value is merged key by key into a dict already there; the
sentinel `DELETE` removes the field; any other value replaces it. The files are plain YAML
dumped by ruamel.yaml, so a test can also edit them afterwards (see conftest.set_field).

`position_of(path, "nodeGroups.user.minSize")` gives the 1-based line and column of a field's key
(or of a list item, "zones[1]") in a file as written, so expected messages need no pinned positions.
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from hubfleet.core import package_data
from hubfleet.planning import upgrade as upgrade_plan
from hubfleet.write import pipeline as rendering

REPO: Final = Path(__file__).resolve().parents[2]


class _Delete(enum.Enum):
    DELETE = "DELETE"

    def __repr__(self) -> str:
        return "DELETE"


#: Use as a value to remove a field: make_cluster(tmp_path, ingress=DELETE).
DELETE: Final = _Delete.DELETE

_PATH_SEPARATOR = re.compile(r"\.|__")
_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def minimal_cluster(name: str = "clusterA") -> dict[str, Any]:
    """The smallest cluster.yaml that passes the schema and the rules, shaped like clusters/clusterA."""
    return {
        "name": name,
        "region": "us-west-2",
        "accountId": "111122223333",
        "kubernetesVersion": "1.35",
        "domain": f"{name.lower()}.hubs.example.org",
        "zones": ["us-west-2a", "us-west-2b", "us-west-2c"],
        "coreZone": "us-west-2b",
        "nodeGroups": {
            "tools": {"instanceType": "t3a.medium", "minSize": 1, "maxSize": 4},
            "core": {"instanceType": "t3a.medium", "minSize": 1, "maxSize": 10},
            "user": {"instanceType": "t3a.large", "minSize": 1, "maxSize": 30},
        },
        "flux": {"url": "ssh://git@github.com/example-org/hubfleet-hubs.git", "branch": "main"},
    }


def minimal_hub(name: str) -> dict[str, Any]:
    """The smallest hub file that passes the schema and the rules."""
    return {"name": name, "drive": {"size": "10Gi"}, "auth": {"type": "native", "admins": ["admin"]}}


def _split(key: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in _PATH_SEPARATOR.split(key)]


def _child(node: Any, key: str | int, create: bool) -> Any:
    if isinstance(node, list):
        return node[int(key)]
    if create:
        return node.setdefault(key, {})
    return node[key]


def _get(node: Any, key: str | int) -> Any:
    if isinstance(node, list):
        index = int(key)
        return node[index] if -len(node) <= index < len(node) else None
    return node.get(key)


def apply_changes(data: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply field-path changes to `data` in place (see the module docstring) and return it."""
    for key, value in changes.items():
        *parents, last = _split(key)
        node: Any = data
        for part in parents:
            node = _child(node, part, create=value is not DELETE)
        slot = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[slot]
        elif isinstance(value, Mapping):
            if not isinstance(_get(node, slot), dict):
                node[slot] = {}
            apply_changes(node[slot], value)
        else:
            node[slot] = copy.deepcopy(value)
    return data


def write_yaml(path: Path, data: Mapping[str, Any]) -> Path:
    """Dump `data` to `path` with ruamel.yaml (block style, key order kept) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    yaml.default_flow_style = False
    with path.open("w") as stream:
        yaml.dump(_plain(data), stream)
    return path


def _plain(value: Any) -> Any:
    """Plain dicts and lists (ruamel.yaml's round-trip dumper would tag tuples and Mapping subclasses)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def make_cluster(
    tmp_path: Path,
    name: str = "clusterA",
    hubs: dict[str, dict[str, Any]] | None = None,
    **overrides: Any,
) -> Path:
    """Write clusters/<name>/cluster.yaml (and its hubs) into a project under tmp_path; return the root.

    The project root is tmp_path/"project"; charts/ is copied from the repository the first time,
    so `hubfleet render` works. Call again with another name to add a second cluster to the same
    project. `overrides` change the minimal cluster (`minimal_cluster`), e.g.
    `nodeGroups__core__maxSize=3`, `**{"nodeGroups.extraUser": [{...}]}` or `ingress=DELETE`.
    `hubs` maps a hub name to changes over `minimal_hub(name)`, in the same form: e.g.
    `{"old": {"state": "retired"}, "demo": {"auth": {"type": "shared-password"}}}`.
    Without `hubs` the cluster has none.
    """
    root = tmp_path / "project"
    folder = root / "clusters" / name
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; pick another cluster name")
    write_yaml(folder / "cluster.yaml", apply_changes(minimal_cluster(name), overrides))
    for hub, fields in (hubs or {}).items():
        make_hub(root, name, hub, **fields)
    return root


def make_hub(project: Path, cluster: str, name: str, **overrides: Any) -> Path:
    """Write clusters/<cluster>/hubs/<name>.yaml from `minimal_hub(name)` changed by `overrides`.

    Overrides take the same keys as `make_cluster`'s: `state="retired"`, `auth__type="shared-password"`,
    `**{"user.placeholders": 2}`, `auth={"admins": ["prof"]}` (merged), `auth__admins=DELETE`.
    Returns the path of the hub file.
    """
    hub_file = project / "clusters" / cluster / "hubs" / f"{name}.yaml"
    return write_yaml(hub_file, apply_changes(minimal_hub(name), overrides))


def _field_parts(dotted_field: str) -> list[str | int]:
    """("nodeGroups", "extraUser", 0, "name") from "nodeGroups.extraUser[0].name"."""
    parts: list[str | int] = []
    for match in _FIELD_PART.finditer(dotted_field):
        key, index = match.groups()
        parts.append(int(index) if index is not None else key)
    return parts


def position_of(path: Path, dotted_field: str) -> tuple[int, int]:
    """1-based line and column of a field's key in the YAML file at `path` ("zones[1]": of the item).

    Read from ruamel.yaml's round-trip positions (`CommentedMap.lc`, `CommentedSeq.lc`), not from
    hubfleet's own code, so a test that compares the two checks hubfleet's positions independently.
    Raises KeyError when the field is not in the file.
    """
    node: Any = YAML().load(path.read_text())
    position: tuple[int, int] | None = None
    for part in _field_parts(dotted_field):
        if isinstance(part, int) and isinstance(node, CommentedSeq) and 0 <= part < len(node):
            position = node.lc.item(part)
        elif isinstance(part, str) and isinstance(node, CommentedMap) and part in node:
            position = node.lc.key(part)
        else:
            raise KeyError(f"{dotted_field} is not in {path}")
        node = node[part]
    if position is None:
        raise KeyError(f"no field named in {dotted_field!r}")
    line, column = position
    return line + 1, column + 1


def ship_changed_chart(monkeypatch: pytest.MonkeyPatch, path: str, old: str, new: str) -> None:
    """Act as a hubfleet whose shipped chart file `path` (`nfs-drive/Chart.yaml`) says `new` where
    this one's says `old`: what render writes into gitops/charts/ and what upgrade plan reads."""
    shipped = dict(package_data.shipped_charts())
    text = shipped[path].decode()
    assert old in text, f"{path} does not say {old!r}"
    shipped[path] = text.replace(old, new).encode()
    for module in (rendering, upgrade_plan):
        monkeypatch.setattr(module, "shipped_charts", lambda: shipped)
