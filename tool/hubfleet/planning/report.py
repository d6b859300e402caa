"""A plan laid out for people and machines: text for a terminal, JSON for scripts and the
pull-request artifact, Markdown, and a GitHub comment that always fits.

GitHub refuses a comment body over 65,536 characters. `github` keeps to COMMENT_LIMIT whatever the
change: the summary table first, then the risk flags (blocking ones first), then the object diffs,
each section cut with a note when the room runs out; the full plan is the artifact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..core.risks import PLAN_WORDS, SEVERITIES
from .model import ChangePlan, ClusterChanges
from .objects import ObjectChange
from .risks import Risk

#: The first line of the pull-request comment: how the workflow finds its own comment again.
MARKER = "<!-- hubfleet-plan -->"
COMMENT_LIMIT = 60_000
ARTIFACT_NAME = "hubfleet-plan"
SIGN = {"added": "+", "changed": "~", "removed": "-"}
BADGE = {"error": ":no_entry: blocking", "warning": ":warning: warning", "info": "info"}


def plan_json(plan: ChangePlan) -> dict[str, Any]:
    return {
        "base": plan.base,
        "head": plan.head,
        "blocking": bool(plan.blocking),
        "notes": plan.notes,
        "risks": [
            {
                "id": r.id,
                "severity": r.word,
                "area": r.area,
                "cluster": r.cluster,
                "subject": r.subject,
                "reason": r.message,
                "source": r.file,
            }
            for r in plan.risks
        ],
        "clusters": [
            {
                "name": c.name,
                "added": c.count("added"),
                "changed": c.count("changed"),
                "removed": c.count("removed"),
                "upgrades": c.upgrades,
                "hubs": c.hubs,
                "objects": [
                    {
                        "change": o.change,
                        "kind": o.key.kind,
                        "namespace": o.key.namespace,
                        "name": o.key.name,
                        "path": f"gitops/{o.path}",
                        "via": o.via or None,
                        "fields": [
                            {"path": f.path, "old": f.old, "new": f.new, "items": f.items} for f in o.fields
                        ],
                    }
                    for o in c.objects
                ],
            }
            for c in plan.clusters
        ],
    }


def _tally(risks: list[Risk]) -> str:
    counts = [(s, sum(1 for r in risks if r.severity == s)) for s in SEVERITIES]
    return ", ".join(f"{n} {PLAN_WORDS[s]}" for s, n in counts)


def _summary(cluster: ClusterChanges) -> str:
    upgrades = len(cluster.upgrades)
    return (
        f"{cluster.count('added')} objects added, {cluster.count('changed')} changed, "
        f"{cluster.count('removed')} removed; {upgrades} HelmRelease upgrade{'s' if upgrades != 1 else ''}; "
        f"hubs affected: {', '.join(cluster.hubs) or 'none'}"
    )


def object_lines(change: ObjectChange, indent: str = "") -> list[str]:
    if change.via:
        where = f" (via {change.via})"
    else:
        where = "" if change.key.name == f"gitops/{change.path}" else f" (gitops/{change.path})"
    lines = [f"{indent}{SIGN[change.change]} {change.key.label}{where}"]
    return lines + [f"{indent}    {f.line()}" for f in change.fields]


def text_report(plan: ChangePlan) -> list[str]:
    lines = [f"base {plan.base[:12]}, head {plan.head if len(plan.head) < 40 else plan.head[:12]}"]
    lines += [f"note: {note}" for note in plan.notes]
    if not plan.clusters and not plan.risks:
        return [*lines, "no changes"]
    if plan.risks:
        lines += [f"risks: {_tally(plan.risks)}", *(f"  {r.text()}" for r in plan.risks)]
    for cluster in plan.clusters:
        lines.append(f"{cluster.name}: {_summary(cluster)}")
        lines += [f"  upgrade {line}" for line in cluster.upgrades]
        for change in cluster.objects:
            lines += object_lines(change, "  ")
    return lines


def _some(names: list[str], shown: int = 20) -> str:
    """The first `shown` names, and how many more."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


class _Budget:
    """Lines kept while they fit in `limit` characters; RESERVE is kept for closing lines and cut
    notes, so no line added through `add` or `close` can push the text over the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.lines: list[str] = []

    def add(self, line: str) -> bool:
        """Add `line` if it fits beside the reserve; a line longer than a tenth of the limit is cut."""
        line = line if len(line) <= self.limit // 10 else f"{line[: self.limit // 10 - 3]}..."
        if self.used + len(line) + 1 + RESERVE > self.limit:
            return False
        self.lines.append(line)
        self.used += len(line) + 1
        return True

    def fits(self, lines: Sequence[str]) -> bool:
        return self.used + sum(len(line) + 1 for line in lines) + RESERVE <= self.limit

    def close(self, line: str) -> None:
        """A closing line or a cut note (short, from the reserve)."""
        if self.used + len(line) + 1 <= self.limit:
            self.lines.append(line)
            self.used += len(line) + 1


CUT = "*... {count} more {what} are in the `" + ARTIFACT_NAME + "` artifact of this run.*"
RESERVE = 600


def _section(budget: _Budget, lines: list[str], what: str, closing: Sequence[str] = ()) -> bool:
    """Add `lines` (then `closing`) while they fit; on running out, close and say how many were cut."""
    for index, line in enumerate(lines):
        if not budget.add(line):
            for close in closing:
                budget.close(close)
            budget.close("")
            budget.close(CUT.format(count=len(lines) - index, what=what))
            return False
    for close in closing:
        budget.close(close)
    return True


def markdown_report(plan: ChangePlan, limit: int | None = None, marker: bool = False) -> str:
    """Markdown; with `limit`, cut to fit (the GitHub comment). The risk flags come first (the
    blocking ones first of all), then the summary table, the notes, and each cluster's diff."""
    budget = _Budget(limit or 10**12)
    head = plan.head if len(plan.head) < 40 else f"`{plan.head[:12]}`"
    intro = [MARKER] if marker else []
    intro += ["## hubfleet plan", "", f"Base `{plan.base[:12]}`, head {head}."]
    if plan.blocking:
        intro.append(
            f"**{_tally(plan.risks)}: this change would lose data; fix the blocking flags before merging.**"
        )
    elif plan.risks:
        intro.append(f"{_tally(plan.risks)}.")
    for line in intro:
        budget.add(line)
    if plan.risks:
        for line in ("", "### Risks", "", "| severity | area | where | why |", "|---|---|---|---|"):
            budget.add(line)
        rows = [
            f"| {BADGE[r.severity]} | {r.area} | {_cell(r.cluster)}/{_cell(r.subject)} | {_cell(r.message)} |"
            for r in plan.risks
        ]
        _section(budget, rows, "risk flags")
    for line in ("", "### Clusters", "", "| cluster | added | changed | removed | HelmRelease upgrades | hubs affected |",
                 "|---|---:|---:|---:|---:|---|"):  # fmt: skip
        budget.add(line)
    rows = [
        f"| {c.name} | {c.count('added')} | {c.count('changed')} | {c.count('removed')} | {len(c.upgrades)} | "
        f"{_cell(_some(c.hubs)) or '-'} |"
        for c in plan.clusters
    ]
    _section(budget, rows or ["| (none) | 0 | 0 | 0 | 0 | - |"], "clusters")
    if plan.notes:
        budget.add("")
        _section(
            budget, [line for note in plan.notes for line in (f"> {_cell(note)}", ">")][:-1], "note lines"
        )
    for index, cluster in enumerate(plan.clusters):
        body = [f"  upgrade {line}" for line in cluster.upgrades]
        for change in cluster.objects:
            body += object_lines(change)
        fence = _fence(body)
        opening = [
            "",
            f"<details><summary>{cluster.name}: {cluster.count('added')} added, {cluster.count('changed')} changed, "
            f"{cluster.count('removed')} removed</summary>",
            "",
            f"{fence}diff",
        ]
        if not budget.fits(opening) or not all(budget.add(line) for line in opening):
            budget.close("")
            budget.close(CUT.format(count=len(plan.clusters) - index, what="clusters' changes"))
            break
        _section(budget, body, f"lines of {cluster.name}'s changes", [fence, "", "</details>", ""])
    return "\n".join(budget.lines) + "\n"
