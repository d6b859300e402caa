"""How a validation report is printed: text for people, JSON for machines, GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal

from ..errors import Diagnostic
from .findings import LAYERS, Report

Format = Literal["text", "json", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "github")


def format_report(report: Report, style: Format) -> str:
    """The whole output of a run, ending in a newline."""
    findings = report.findings
    if style == "json":
        document = {
            "findings": [_as_json(f, layer) for f, layer in report.by_layer()],
            "passed": report.passed,
            "failed": report.failed,
            "warnings": report.warnings,
            "skipped": list(report.skipped),
        }
        return json.dumps(document, indent=2) + "\n"
    if style == "github":
        lines = [github_annotation(f.severity, f.file, f.line, f.subject, f.message) for f in findings]
    else:
        lines = [str(f) for f in findings]
    return "".join(line + "\n" for line in [*lines, report.summary()])


def _as_json(finding: Diagnostic, layer: str) -> dict[str, object]:
    return {
        "path": finding.file,
        "line": finding.line,
        "subject": finding.subject,
        "message": finding.message,
        "severity": finding.severity,
        "layer": layer,
    }


def github_annotation(severity: str, path: str, line: int, title: str, message: str) -> str:
    """A workflow command that GitHub shows on the pull request's diff."""
    properties = [f"file={_escape_property(path)}"]
    if line:
        properties.append(f"line={line}")
    if title:
        properties.append(f"title={_escape_property(title)}")
    return f"::{severity} {','.join(properties)}::{_escape_data(message)}"


def input_annotations(problems: Iterable[Diagnostic]) -> str:
    """Annotations for input problems (the run stops at them, exit 2)."""
    return "".join(
        github_annotation("error", p.file, p.line, p.subject, p.message) + "\n" for p in sorted(problems)
    )


def input_report(problems: Iterable[Diagnostic]) -> str:
    """The JSON report of a run that stopped at unreadable or invalid inputs (exit 2)."""
    findings = [
        {
            "path": p.file,
            "line": p.line,
            "column": p.column,
            "subject": p.subject,
            "message": p.message,
            "severity": "error",
            "layer": LAYERS[0],
        }
        for p in sorted(problems)
    ]
    document = {
        "findings": findings,
        "passed": 0,
        "failed": len(findings),
        "warnings": 0,
        "skipped": [],
        "stopped": LAYERS[0],
    }
    return json.dumps(document, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
