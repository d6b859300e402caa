"""What the validation layers report: findings, and a tally of checks that passed or failed.

A check is one thing looked at by one layer (an object against its schema, a
chart lint, a kustomize build, a drive's zone); it fails when any error finding
names it. Warnings never fail a check. A finding is a `hubfleet.errors.Diagnostic`, the type every
stage reports in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Diagnostic

#: The layers in the order they run; `--skip` takes these names.
LAYERS = ("inputs", "freshness", "objects", "eksctl", "charts", "flux", "lint")


@dataclass
class Tally:
    """The checks of one layer and what they found."""

    layer: str
    checks: set[str] = field(default_factory=set)
    findings: list[Diagnostic] = field(default_factory=list)
    #: The checks with at least one error among their findings.
    failed: set[str] = field(default_factory=set)
    #: Checks that passed and that no finding names (freshness's unchanged files): only counted.
    unnamed_passes: int = 0

    def checked(self, check: str) -> None:
        self.checks.add(check)

    def passed_unnamed(self, count: int) -> None:
        self.unnamed_passes += count

    def fail(self, check: str, path: str, line: int, subject: str, message: str) -> None:
        self.report(check, Diagnostic(path, line, 0, subject, message, "error"))

    def warn(self, check: str, path: str, line: int, subject: str, message: str) -> None:
        self.report(check, Diagnostic(path, line, 0, subject, message, "warning"))

    def report(self, check: str, found: Diagnostic) -> None:
        """What `check` found; an error fails it, a warning or info leaves it passed."""
        self.checks.add(check)
        self.findings.append(found)
        if found.severity == "error":
            self.failed.add(check)


@dataclass(frozen=True)
class Report:
    """Everything one `hubfleet validate` run found."""

    tallies: tuple[Tally, ...]
    skipped: tuple[str, ...] = ()
    #: Each cluster's reachability table (reachability.explain), when its user pods were built.
    networks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Every image the checked clusters run, with what runs it (`images lock` reads this).
    images: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def findings(self) -> list[Diagnostic]:
        return [found for found, _ in self.by_layer()]

    def by_layer(self) -> list[tuple[Diagnostic, str]]:
        """Every finding with the layer that found it, in the order they are printed."""
        return sorted(
            ((f, tally.layer) for tally in self.tallies for f in tally.findings), key=lambda e: e[0]
        )

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
