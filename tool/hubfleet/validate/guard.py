"""`validate --base REF`: the data-loss guard of `hubfleet plan`, enforced as findings, so the
pull-request job fails a change that would lose data even when nobody reads the plan comment."""

from __future__ import annotations

from collections.abc import Sequence

from ..planning.changes import plan_changes
from ..planning.revisions import WORKTREE
from ..system.project import Project
from .findings import Tally


def check_guard(project: Project, base: str, clusters: Sequence[str]) -> Tally:
    """Every blocking risk flag of the work tree against `base`, at the file that says it."""
    tally = Tally("guard")
    check = f"guard:{base}"
    tally.checked(check)
    for risk in plan_changes(project, base, WORKTREE, clusters, expand=False).blocking:
        tally.fail(check, risk.file, 0, f"{risk.cluster}/{risk.subject}", f"{risk.area}: {risk.message}")
    return tally
