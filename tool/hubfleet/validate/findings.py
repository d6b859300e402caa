"""What the validation layers report: findings, and a tally of checks that passed or failed.

A check is one thing looked at by one layer (an object against its schema, a
chart lint, a kustomize build, a drive's zone); it fails when any error finding
names it. Warnings never fail a check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

#: The layers in the order they run; `--skip` takes these names.
LAYERS = ("inputs", "freshness", "objects", "eksctl", "charts", "flux", "lint")


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: `path:line: subject: message` (line 0 when there is no line)."""

    path: str
    line: int
    subject: str
    message: str
    severity: Severity = "error"
    layer: str = field(default="", compare=False)
    check: str = field(default="", compare=False)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        parts = [self.where]
        if self.subject:
            parts.append(self.subject)
        if self.severity == "warning":
            parts.append("warning")
        parts.append(self.message)
        return ": ".join(parts)


@dataclass
class Tally:
    """The checks of one layer and what they found."""

    layer: str
    checks: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    #: Checks that passed and that no finding names (freshness's unchanged files): only counted.
    unnamed_passes: int = 0

    def checked(self, check: str) -> None:
        self.checks.add(check)

    def passed_unnamed(self, count: int) -> None:
        self.unnamed_passes += count

    def fail(self, check: str, path: str, line: int, subject: str, message: str) -> None:
        self._add(check, Finding(path, line, subject, message, "error", self.layer, check))

    def warn(self, check: str, path: str, line: int, subject: str, message: str) -> None:
        self._add(check, Finding(path, line, subject, message, "warning", self.layer, check))

    def _add(self, check: str, finding: Finding) -> None:
        self.checks.add(check)
        self.findings.append(finding)

    @property
    def failed(self) -> set[str]:
        return {f.check for f in self.findings if f.severity == "error"}


@dataclass(frozen=True)
class Report:
    """Everything one `hubfleet validate` run found."""

    tallies: tuple[Tally, ...]
    skipped: tuple[str, ...] = ()
    #: Each cluster's reachability table (reachability.explain), when its user pods were built.
    networks: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def findings(self) -> list[Finding]:
        return sorted(f for tally in self.tallies for f in tally.findings)

    @property
    def failed(self) -> int:
        return sum(len(tally.failed) for tally in self.tallies)

    @property
    def passed(self) -> int:
        return sum(len(tally.checks) - len(tally.failed) + tally.unnamed_passes for tally in self.tallies)

    @property
    def warnings(self) -> int:
        return sum(1 for tally in self.tallies for f in tally.findings if f.severity == "warning")

    def summary(self) -> str:
        text = f"{self.passed} passed, {self.failed} failed"
        if self.warnings:
            text += f", {self.warnings} warning{'s' if self.warnings != 1 else ''}"
        if self.skipped:
            text += f" (skipped: {', '.join(self.skipped)})"
        return text
