"""A HelmRelease's `spec.valuesFrom`, resolved against the secrets the tree itself provides.

helm-controller reads each entry from a Secret or ConfigMap in the release's namespace and
merges it before `spec.values`. hubfleet renders secret values that way (a hub's client
secret, its passwords) from SealedSecrets committed beside the release, so validate can
check, without decrypting anything, that each Secret and key exists in the tree for that
namespace. For templating, a value that goes to a `targetPath` is stood in for by a
placeholder string, so the chart sees the field the cluster will have; a whole values file
from the cluster cannot be seen, and only then does validate say it templated without it.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.names import HELM_GROUP
from .findings import Tally
from .manifests import Manifest
from .tree import Tree

#: A targetPath of plain dotted keys (helm's --set syntax without escapes or list indices).
SIMPLE_PATH = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
DEFAULT_KEY = "values.yaml"
SEALED_GROUP = "bitnami.com"


def _keys(manifest: Manifest) -> set[str] | None:
    """The keys of the Secret an object makes: a Secret's own, a SealedSecret's sealed ones."""
    spec = manifest.spec
    if manifest.is_a(SEALED_GROUP, "SealedSecret"):
        sealed = spec.get("encryptedData")
        return {str(k) for k in sealed} if isinstance(sealed, dict) else set()
    if manifest.is_a("", "Secret"):
        data = {**(manifest.data.get("data") or {}), **(manifest.data.get("stringData") or {})}
        return {str(k) for k in data}
    return None


def _secret_name(manifest: Manifest) -> str:
    if manifest.is_a(SEALED_GROUP, "SealedSecret"):
        template = manifest.spec.get("template")
        metadata = template.get("metadata") if isinstance(template, dict) else None
        if isinstance(metadata, dict) and metadata.get("name"):
            return str(metadata["name"])
    return manifest.name


def secrets_of(tree: Tree, cluster: str) -> dict[tuple[str, str], set[str]]:
    """(namespace, Secret name) -> its keys, for every Secret the cluster's tree provides."""
    found: dict[tuple[str, str], set[str]] = {}
    for manifest in tree.objects(cluster):
        keys = _keys(manifest)
        if keys is not None:
            found.setdefault((manifest.namespace, _secret_name(manifest)), set()).update(keys)
    return found


def set_target_path(values: dict[str, Any], path: str, value: str) -> None:
    """Put `value` at a valuesFrom `targetPath` (plain dotted keys) of `values`."""
    *parents, last = path.split(".")
    for part in parents:
        child = values.get(part)
        if not isinstance(child, dict):
            child = values[part] = {}
        values = child
    values[last] = value


def resolve_values_from(
    manifest: Manifest, secrets: dict[tuple[str, str], set[str]], tally: Tally
) -> dict[str, Any]:
    """Placeholders for the targetPath values of `manifest`'s valuesFrom; a finding for each entry
    the tree does not provide, a warning when a whole values file comes from the cluster."""
    entries = manifest.spec.get("valuesFrom")
    overlay: dict[str, Any] = {}
    if not isinstance(entries, list) or not manifest.is_a(HELM_GROUP, "HelmRelease"):
        return overlay
    check = f"template:{manifest.key}"
    unseen = False
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        kind, name = str(entry.get("kind", "")), str(entry.get("name", ""))
        key = str(entry.get("valuesKey") or DEFAULT_KEY)
        target = entry.get("targetPath")
        keys = secrets.get((manifest.namespace, name)) if kind == "Secret" else None
        where = f"spec.valuesFrom[{index}]: {kind} {manifest.namespace}/{name}"
        if keys is None or key not in keys:
            if entry.get("optional") is True:
                continue
            if keys is None:
                problem = (
                    f"{where} is not in the tree (no SealedSecret or Secret of that name in the namespace)"
                )
            else:
                problem = f"{where} has no key {key} (it has: {', '.join(sorted(keys)) or 'none'})"
            tally.fail(
                check,
                manifest.path,
                manifest.line,
                manifest.subject,
                f"{problem}; helm-controller would fail",
            )
        elif isinstance(target, str) and SIMPLE_PATH.fullmatch(target):
            set_target_path(overlay, target, f"sealed:{name}/{key}")
        else:
            unseen = True
    if unseen:
        tally.warn(
            check,
            manifest.path,
            manifest.line,
            manifest.subject,
            "spec.valuesFrom merges values files from the cluster; only spec.values was templated",
        )
    return overlay


def under(overlay: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`values` merged over `overlay` (spec.values wins over valuesFrom, as helm-controller merges)."""
    merged = dict(overlay)
    for key, value in values.items():
        below = merged.get(key)
        merged[key] = under(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged
