"""Layer 7, leaks: no PEM private key anywhere under clusters/ or gitops/, no plaintext Secret data.

Secrets reach git only sealed. A private key in any text file, or a Secret with
`data` or `stringData`, is a finding wherever it is, including files hubfleet
neither reads nor writes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..project import Project
from .findings import Tally
from .manifests import Locator, Manifest, parse_stream
from .tree import MAX_FILE_BYTES, Tree, display_path

PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_SECRET_KIND = re.compile(r"^kind:\s*['\"]?Secret['\"]?\s*$", re.MULTILINE)


def _files(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return None if b"\0" in data[:8192] else data.decode("utf-8", "replace")


def scanned_folders(project: Project, tree: Tree, all_clusters: bool) -> list[Path]:
    if all_clusters:
        return [project.clusters_dir, project.gitops_dir]
    return [project.cluster_dir(name) for name in sorted(tree.clusters)]


def check_private_keys(project: Project, tree: Tree, all_clusters: bool, tally: Tally) -> None:
    """Every text file in scope; the gitops files of named clusters come from the tree."""
    paths = [
        p
        for folder in scanned_folders(project, tree, all_clusters)
        if folder.is_dir()
        for p in _files(folder)
    ]
    if not all_clusters:
        paths += [project.root / file.path for file in tree.files]
    for path in sorted(set(paths)):
        display = display_path(project, path)
        check = f"keys:{display}"
        tally.checked(check)
        text = _text(path)
        for match in PRIVATE_KEY.finditer(text or ""):
            line = text.count("\n", 0, match.start()) + 1 if text else 0
            tally.fail(
                check,
                display,
                line,
                "",
                "a PEM private key is committed here; remove it (from the git history too) and replace the key",
            )


def _plaintext(manifest: Manifest, locator: Locator, tally: Tally) -> None:
    if manifest.api_version != "v1" or manifest.kind != "Secret":
        return
    check = f"secret:{manifest.key}"
    tally.checked(check)
    for field in ("data", "stringData"):
        if manifest.data.get(field):
            tally.fail(
                check,
                manifest.path,
                locator.line(manifest, (field,)),
                manifest.subject,
                f"{field}: plaintext Secret data in git; seal it (hubfleet seal) so only the cluster can read it",
            )


def check_plaintext_secrets(project: Project, tree: Tree, locator: Locator, tally: Tally) -> None:
    for file in tree.files:
        for manifest in file.stream.manifests:
            _plaintext(manifest, locator, tally)
    for cluster in sorted(tree.clusters):
        folder = project.cluster_dir(cluster)
        for path in _files(folder) if folder.is_dir() else []:
            if path.suffix not in (".yaml", ".yml"):
                continue
            text = _text(path)
            if text and _SECRET_KIND.search(text):
                for manifest in parse_stream(text, display_path(project, path)).manifests:
                    _plaintext(manifest, locator, tally)
