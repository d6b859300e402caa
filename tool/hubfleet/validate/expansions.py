"""Expansions kept between runs: `helm template` output cached by everything that decides it.

Expanding 3,000 releases costs minutes of helm processes; on the next run nearly all of
them are the same. The key is a digest of what helm reads and how it is asked: the chart's
content (a locked package's sha256, or every file of a chart in this repository), the values
(and values files), release name, namespace, Kubernetes version, flags, and the helm binary
itself (path, size and mtime). Only successful runs are kept; a failure is recomputed, so its
message is always current. The parsed form of each output and the schema issues of its
objects are kept too, the issues under the identity of the checker and schemas that found
them (a new hubfleet, another backend or other chart CRDs find them afresh). Entries live beside the chart packages
(`<chart cache>/expansions/`), are written atomically and are safe to delete at any time.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

from ..core.layout import Layout
from ..core.schema_errors import Issue
from ..system.files import write_atomic
from ..system.programs import Ran, run
from ..write.fingerprint import tool_key
from .manifests import Manifest, Stream, parse_stream


@cache
def chart_digest(chart: Path) -> str:
    """A package's digest from its content-addressed name, or a digest of a chart folder's files."""
    if chart.is_file():
        return chart.stem if chart.parent.name == "sha256" else _file_digest(chart)
    digest = hashlib.sha256()
    for path in sorted(p for p in chart.rglob("*") if p.is_file()):
        digest.update(path.relative_to(chart).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def _tool_identity(binary: str) -> str:
    try:
        info = os.stat(binary)
    except OSError:
        return binary
    return f"{binary}\0{info.st_size}\0{info.st_mtime_ns}"


@cache
def _code_key() -> str:
    """Parsed forms are only as good as the code that parsed them: any change to hubfleet invalidates."""
    return tool_key(Layout())


class ExpansionCache:
    """`run` for helm template commands, answered from disk when the same expansion ran before;
    `parse` for their output, kept as JSON (reading it back is ten times faster than YAML)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0

    def parse(self, text: str, path: str) -> Stream:
        """parse_stream(text, path), from the parsed form kept for the same text when there is one."""
        if self.folder is None:
            return parse_stream(text, path)
        key = hashlib.sha256(f"{_code_key()}\0{text}".encode()).hexdigest()
        entry = self.folder / "parsed" / key[:2] / f"{key}.json"
        try:
            kept = json.loads(entry.read_text(encoding="utf-8"))
            manifests = tuple(
                Manifest(path, m["index"], m["line"], m["data"], m["origin"]) for m in kept["manifests"]
            )
            return Stream(manifests, tuple((int(line), str(text)) for line, text in kept["problems"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        stream = parse_stream(text, path)
        form = {
            "manifests": [
                {"index": m.index, "line": m.line, "data": m.data, "origin": m.origin}
                for m in stream.manifests
            ],
            "problems": [list(problem) for problem in stream.problems],
        }
        _write(entry, json.dumps(form))
        return stream

    def key(self, command: list[str], chart: Path, inputs: list[Path]) -> str:
        digest = hashlib.sha256(_tool_identity(command[0]).encode())
        digest.update(chart_digest(chart).encode())
        # Paths differ from run to run (values files live in a temporary folder): their content counts.
        placeholders = {str(chart): "<chart>", **{str(path): f"<input {i}>" for i, path in enumerate(inputs)}}
        for part in command[1:]:
            digest.update(b"\0" + placeholders.get(part, part).encode())
        for path in inputs:
            digest.update(b"\0" + _file_digest(path).encode())
        return digest.hexdigest()

    def _issues_entry(self, text: str, identity: str, version: str) -> Path | None:
        if self.folder is None:
            return None
        key = hashlib.sha256(f"{identity}\0{version}\0{text}".encode()).hexdigest()
        return self.folder / "issues" / key[:2] / f"{key}.json"

    def issues(self, text: str, identity: str, version: str) -> list[list[Issue]] | None:
        """The schema issues of each object of a helm output, as found by the same checker before."""
        entry = self._issues_entry(text, identity, version)
        if entry is None:
            return None
        try:
            kept = json.loads(entry.read_text(encoding="utf-8"))
            return [[Issue(tuple(i["field"]), i["message"], i["missing"]) for i in issues] for issues in kept]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def keep_issues(self, text: str, identity: str, version: str, found: list[list[Issue]]) -> None:
        entry = self._issues_entry(text, identity, version)
        if entry is not None:
            form = [
                [{"field": list(i.field), "message": i.message, "missing": i.missing_schema} for i in issues]
                for issues in found
            ]
            _write(entry, json.dumps(form))

    def run(self, command: list[str], chart: Path, inputs: list[Path], offline: bool = False) -> Ran:
        if self.folder is None:
            return run(command, offline=offline)
        key = self.key(command, chart, inputs)
        entry = self.folder / key[:2] / f"{key}.yaml"
        try:
            text = entry.read_text(encoding="utf-8")
            self.hits += 1
            return Ran(0, text, "")
        except (OSError, UnicodeDecodeError):
            pass
        ran = run(command, offline=offline)
        if ran.ok:
            _write(entry, ran.stdout)
        return ran


def values_identity() -> str:
    """What a values-schema verdict depends on besides the chart (whose digest names its schema)
    and the values: hubfleet's own code."""
    return hashlib.sha256(f"values\0{_code_key()}".encode()).hexdigest()


def checker_identity(checker: object, crd_folder: Path) -> str:
    """What a schema verdict depends on besides the object: the backend, its schema locations,
    the content of the CRD schemas charts rendered this run, and hubfleet's own code."""
    digest = hashlib.sha256(f"{_code_key()}\0{getattr(checker, 'name', '')}".encode())
    sources = getattr(checker, "sources", None)
    digest.update(
        f"\0ignore-missing={getattr(sources, 'ignore_missing', False)}".encode()
    )  # it words the issue
    for location in getattr(sources, "locations", ()):
        # The run's temporary CRD folder differs every run; its content counts, below.
        digest.update(b"\0" + str(location).replace(str(crd_folder), "<chart CRDs>").encode())
    for path in sorted(crd_folder.rglob("*.json")) if crd_folder.is_dir() else []:
        digest.update(b"\0" + path.relative_to(crd_folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _write(entry: Path, text: str) -> None:
    """Atomically; a cache that cannot be written only costs the next run time."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(entry, text)
    except (OSError, ValueError):
        pass
