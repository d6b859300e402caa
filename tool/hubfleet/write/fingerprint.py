"""Stage 5, write: skip clusters whose render cannot have changed: same inputs, same hubfleet, same output files.

A no-op `render --all` on a 1,500-hub fleet used to load, render, serialise and compare every
cluster (1.3 to 3 s) to find nothing to do, and changing one hub cost the same as changing
none. After each commit the writer records, per cluster, a digest of every byte under
clusters/<name>/ and the size and mtime of every file it owns in the tree. A later render
skips a cluster when its inputs digest, the tool key (hubfleet's version and code, the output
layout) and the listing of its output files (names, sizes, mtimes) all match the record.

What that guarantees: a hand-edited or deleted generated file changes its size or mtime (or
the listing), so its cluster is rendered again and the file restored. `render --check`,
validate and `aws scale` never consult the record; they always recompute. The record lives in
the tree's git-ignored state folder, and deleting it only makes the next render a full one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..core.layout import STATE_DIR, Layout
from ..inputs.load import MAX_INPUT_BYTES
from ..system.files import Refused, read_regular, write_atomic

RECORD = "fingerprints.json"
#: The record lists every generated file; a fleet of thousands of hubs stays far below this.
RECORD_LIMIT = 64 * 1024 * 1024
#: Listing of a cluster's output files: tree-relative path -> (size, mtime in ns).
Listing = dict[str, tuple[int, int]]


def tool_key(layout: Layout) -> str:
    """Changes whenever hubfleet's code or data or the output layout could change the output."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{layout.repo_prefix}".encode())
    package = Path(__file__).parents[1]  # the whole hubfleet package, not only write/
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            info = os.stat(os.path.join(dirpath, name))
            digest.update(f"{dirpath}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def inputs_digest(cluster_dir: Path) -> str:
    """Every file under clusters/<name>/ by relative path and bytes (symlinks to files read
    through, symlinked folders not followed). Only regular files are read, each up to the input
    limit: a FIFO, a device or a symlink loop is a marker here, and the render says what is wrong
    with it, instead of hanging or filling memory."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(cluster_dir):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            digest.update(path.relative_to(cluster_dir).as_posix().encode() + b"\0")
            try:
                digest.update(read_regular(path, MAX_INPUT_BYTES))
            except Refused as refused:
                digest.update(b"\0refused: " + refused.reason.encode())
            digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class Record:
    """What the last commit left, per cluster; `tool` must match for any of it to count."""

    tool: str
    clusters: dict[str, tuple[str, Listing]] = field(default_factory=dict)

    @classmethod
    def read(cls, tree: Path, tool: str) -> Record:
        try:
            data = json.loads(read_regular(tree / STATE_DIR / RECORD, RECORD_LIMIT, tree))
            if data.get("tool") != tool:
                return cls(tool)
            clusters = {
                name: (
                    entry["inputs"],
                    {path: (size, mtime) for path, (size, mtime) in entry["files"].items()},
                )
                for name, entry in data["clusters"].items()
            }
        except (Refused, OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(tool)  # no record, or not one we can trust: render everything
        return cls(tool, clusters)

    def fresh(self, name: str, inputs: str, listing: Listing) -> bool:
        recorded = self.clusters.get(name)
        return recorded is not None and recorded == (inputs, listing)

    def files(self, name: str) -> int:
        return len(self.clusters[name][1])

    def update(self, entries: dict[str, tuple[str, Listing]], keep: Iterable[str]) -> None:
        """Record the clusters just rendered; forget clusters that no longer exist."""
        kept = set(keep)
        self.clusters = {name: entry for name, entry in {**self.clusters, **entries}.items() if name in kept}

    def serialise(self) -> bytes:
        data = {
            "tool": self.tool,
            "clusters": {
                name: {
                    "inputs": inputs,
                    "files": {path: list(stamp) for path, stamp in sorted(listing.items())},
                }
                for name, (inputs, listing) in sorted(self.clusters.items())
            },
        }
        return json.dumps(data, sort_keys=True).encode()

    def write(self, tree: Path) -> None:
        """Replace the record atomically, only when it changed (a no-op render writes nothing)."""
        path = tree / STATE_DIR / RECORD
        content = self.serialise()
        try:
            if path.read_bytes() == content:
                return
        except OSError:
            pass
        write_atomic(path, content.decode())
