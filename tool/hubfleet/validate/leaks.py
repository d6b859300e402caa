"""Layer 7, leaks: no PEM private key and no plaintext Secret in any file under clusters/ or gitops/.

Secrets reach git only sealed. Every file in scope is scanned, whatever its name, size or
encoding, including flux bootstrap's folders and dot-folders (only `.git` is skipped): a
file is streamed in chunks (no size limit), NUL bytes are dropped before matching (so UTF-16
text, which git stores byte for byte, and a key hidden behind a NUL are both seen), and any
file that mentions `kind: Secret` in block, flow or JSON style is parsed and its Secrets
found, `kind: List` items included. A finding names the file, line and field; never a value.

A scoped run (`validate clusterA`) scans that cluster's input folder, its parts of gitops/
(flux-system included) and the loose files directly under clusters/.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core.files import OUTSIDE_LINK, Refused, leaves, open_regular
from ..core.yaml_reader import FieldPath, check_structure, loader, locate
from ..project import Project
from .findings import Tally
from .tree import LAYOUT, MAX_FILE_BYTES, Tree, display_path

PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
#: `kind: Secret`, `kind: "Secret"`, `{kind: Secret}`, `"kind": "Secret"`: worth parsing the file.
SECRET_HINT = re.compile(rb"""kind['"]?\s*:\s*['"]?Secret\b""")
CHUNK = 1024 * 1024
#: Bytes carried from one chunk to the next, so a marker split between chunks is still found.
OVERLAP = 96
STRUCTURED = (".yaml", ".yml", ".json")
KEY_MESSAGE = "a PEM private key is committed here; remove it (from the git history too) and replace the key"


def scanned_files(project: Project, tree: Tree, all_clusters: bool) -> list[Path]:
    if all_clusters:
        roots = [project.clusters_dir, project.gitops_dir]
    else:
        roots = [project.cluster_dir(name) for name in sorted(tree.clusters)]
        roots += [
            project.gitops_dir / scope
            for name in sorted(tree.clusters)
            for scope in LAYOUT.owned_scopes(name)
        ]
    found: set[Path] = set()
    if project.clusters_dir.is_dir() and not all_clusters:
        found.update(p for p in project.clusters_dir.iterdir() if not p.is_dir() or p.is_symlink())
    for root in roots:
        if root.is_symlink() or root.is_file():
            found.add(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            folder = Path(dirpath)
            found.update(folder / d for d in dirnames if (folder / d).is_symlink())
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            found.update(folder / name for name in filenames)
    return sorted(found)


def check_leaks(project: Project, tree: Tree, all_clusters: bool, tally: Tally) -> None:
    """Every file in scope: private keys, plaintext Secrets, and symlinks leading out."""
    for path in scanned_files(project, tree, all_clusters):
        display = display_path(project, path)
        check = f"leaks:{display}"
        tally.checked(check)
        if path.is_symlink() and leaves(path, project.root):
            tally.fail(check, display, 0, "", OUTSIDE_LINK)
            continue
        scan = _scan(path)
        if scan is None:
            continue
        key_lines, mentions_secret, size = scan
        for line in key_lines:
            tally.fail(check, display, line, "", KEY_MESSAGE)
        if mentions_secret:
            _check_secrets(path, display, size, check, tally)


def _scan(path: Path) -> tuple[list[int], bool, int] | None:
    """Lines of private-key markers, whether the file mentions a Secret, and its size; None for
    anything but a regular file (a FIFO would hang the scan)."""
    lines: list[int] = []
    mentions = False
    carry, newlines, size = b"", 0, 0
    try:
        with open_regular(path) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                data = carry + chunk.replace(b"\0", b"")
                for match in PRIVATE_KEY.finditer(data):
                    if match.end() > len(carry):
                        lines.append(newlines + data.count(b"\n", 0, match.start()) + 1)
                mentions = mentions or SECRET_HINT.search(data) is not None
                keep = data[-OVERLAP:]
                newlines += data.count(b"\n", 0, len(data) - len(keep))
                carry = keep
    except (Refused, OSError):
        return None
    return lines, mentions, size


def _decode(raw: bytes) -> str:
    """Text as a git client may have stored it: UTF-8, or UTF-16 with or without a byte-order mark."""
    for mark, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(mark):
            return raw[len(mark) :].decode(encoding, "replace")
    if raw.count(b"\0") * 3 > len(raw):  # mostly ASCII in UTF-16: every other byte is NUL
        return raw.decode("utf-16-le" if raw[1:2] == b"\0" else "utf-16-be", "replace")
    return raw.replace(b"\0", b"").decode("utf-8", "replace")


def _check_secrets(path: Path, display: str, size: int, check: str, tally: Tally) -> None:
    structured = path.suffix.lower() in STRUCTURED
    if size > MAX_FILE_BYTES:
        tally.fail(
            check,
            display,
            0,
            "",
            f"mentions kind: Secret but is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB, too large to parse; "
            "hubfleet cannot tell whether it is sealed: commit only SealedSecrets",
        )
        return
    try:
        text = _decode(path.read_bytes())
        check_structure(text)  # before the composer recurses into it
        yaml = loader()
        documents = [
            (node, yaml.constructor.construct_document(node)) for node in yaml.compose_all(text) if node
        ]
    except (OSError, YAMLError, RecursionError, ValueError):
        if structured:
            tally.fail(
                check,
                display,
                0,
                "",
                "mentions kind: Secret but does not parse as YAML or JSON; hubfleet cannot tell whether it is "
                "sealed: fix the file, and commit only SealedSecrets",
            )
        return
    for node, data in documents:
        for where, secret, field in _plaintext(data, ()):
            line = locate(node, (*where, field))[0]
            metadata = secret.get("metadata")
            name = metadata.get("name", "") if isinstance(metadata, dict) else ""
            tally.fail(
                check,
                display,
                line,
                f"Secret/{name}",
                f"{field}: plaintext Secret data in git; seal it (hubfleet seal) so only the cluster can read it",
            )


def _plaintext(data: Any, where: FieldPath) -> Iterator[tuple[FieldPath, dict[str, Any], str]]:
    """Secrets with data or stringData in a document, and in the items of a `kind: List`."""
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if kind == "Secret":
        for field in ("data", "stringData"):
            if data.get(field):
                yield where, data, field
    elif isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        for index, item in enumerate(data["items"]):
            yield from _plaintext(item, (*where, "items", index))
