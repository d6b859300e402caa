"""The kubeconform backend: the real binary, used when it is on PATH. Deliberately thin.

Objects go in as one JSON file each (the stream was already read, duplicate keys
and all), kubeconform runs strict with JSON output against the same schema
locations, and its results come back as Issues keyed by file. A missing schema
is worded as the in-process backend words it, so output does not depend on the
backend.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..core.schema_errors import FieldPath, Issue
from ..errors import ToolError
from ..system.programs import TIMEOUT
from .locations import SchemaSources
from .manifests import Manifest
from .schemas import JsonSchemaChecker

INVALID = {"statusInvalid", "INVALID"}
ERROR = {"statusError", "ERROR"}


def find_kubeconform() -> str | None:
    return shutil.which("kubeconform")


class KubeconformChecker:
    name = "kubeconform"

    def __init__(self, binary: str, sources: SchemaSources, jobs: int, wording: JsonSchemaChecker) -> None:
        self.binary = binary
        self.sources = sources
        self.jobs = jobs
        self.wording = wording

    def add_location(self, template: str) -> None:
        self.sources = replace(self.sources, locations=(template, *self.sources.locations))
        self.wording.add_location(template)

    def command(self, folder: Path, version: str) -> list[str]:
        command = [self.binary, "-strict", "-output", "json", "-kubernetes-version", version]
        command += ["-n", str(self.jobs)]
        for location in self.sources.locations:
            command += ["-schema-location", location]
        return [*command, str(folder)]

    def check(self, manifests: Sequence[Manifest], version: str) -> list[list[Issue]]:
        if not manifests:
            return []
        with tempfile.TemporaryDirectory(prefix="hubfleet-kubeconform-") as tmp:
            folder = Path(tmp)
            for index, manifest in enumerate(manifests):
                (folder / f"{index}.yaml").write_text(json.dumps(manifest.data), encoding="utf-8")
            try:
                result = subprocess.run(
                    self.command(folder, version),
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=TIMEOUT,
                )
            except subprocess.TimeoutExpired:
                raise ToolError("kubeconform", f"ran for more than {TIMEOUT} s and was stopped") from None
        try:
            results = parse_output(result.stdout, len(manifests))
        except ValueError:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise ToolError(
                "kubeconform",
                f"crashed (exit {result.returncode}): {detail[-1] if detail else 'no output'}",
            ) from None
        return [
            [
                self.wording.missing(manifests[i], version) if issue.missing_schema else issue
                for issue in issues
            ]
            for i, issues in enumerate(results)
        ]


def parse_output(stdout: str, count: int) -> list[list[Issue]]:
    """kubeconform's `-output json` for files named <index>.yaml, as issues per index."""
    document = json.loads(stdout)
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise ValueError("not kubeconform JSON output")
    results: list[list[Issue]] = [[] for _ in range(count)]
    for resource in document["resources"]:
        index = int(Path(str(resource.get("filename", ""))).stem)
        status = resource.get("status", "")
        message = str(resource.get("msg", ""))
        if status in ERROR and message.startswith("could not find schema"):
            results[index].append(Issue(("apiVersion",), message, missing_schema=True))
        elif status in INVALID and resource.get("validationErrors"):
            results[index] += [_issue(error) for error in resource["validationErrors"]]
        elif status in INVALID or status in ERROR:
            results[index].append(Issue((), message))
    return results


def _issue(error: dict[str, Any]) -> Issue:
    field: FieldPath = tuple(
        int(part) if part.isdigit() else part for part in str(error.get("path", "")).split("/") if part
    )
    return Issue(field, str(error.get("msg", "")))
