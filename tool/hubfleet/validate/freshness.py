"""Layer 2, freshness: the committed gitops/ is exactly what the inputs render to (`render --check`).

It renders the clusters the inputs layer already loaded; nothing is read twice.
"""

from __future__ import annotations

from ..errors import InputError, LocalError, ToolError
from ..inputs.model.cluster import Cluster
from ..inputs.pipeline import Scope
from ..system.project import Project
from ..write.pipeline import plan_project
from ..write.tree import Plan
from .findings import Tally

ADVICE = "run `hubfleet render` and commit"


def check_freshness(project: Project, scope: Scope, clusters: list[Cluster]) -> Tally:
    tally = Tally("freshness")
    try:
        plan = plan_project(project, scope, clusters=clusters)
    except InputError as error:
        # The inputs loaded but cannot be rendered over this tree (an active hub's file is gone,
        # a drive would shrink): the render refuses, so the tree cannot be fresh.
        for problem in error.problems:
            tally.fail(problem.file, problem.file, problem.line, problem.subject, problem.message)
        return tally
    except (LocalError, ToolError) as error:
        # The inputs loaded, so this is about the tree: files hubfleet did not write where it writes.
        tree = project.relative(project.gitops_dir)
        where, message = (
            (error.path or tree, error.reason) if isinstance(error, LocalError) else (tree, error.message)
        )
        tally.fail(tree, where, 0, "", " ".join(message.split()))
        return tally
    report_plan(plan, tally)
    return tally


def report_plan(plan: Plan, tally: Tally) -> None:
    """A finding for every file a render would add, change or remove."""
    stale = {
        **{path: (0, f"missing: the inputs render this file; {ADVICE}") for path in plan.added},
        **{path: (1, f"stale: differs from what the inputs render; {ADVICE}") for path in plan.changed},
        **{path: (1, f"stale: no input renders this file any more; {ADVICE}") for path in plan.removed},
    }
    for path, (line, message) in sorted(stale.items()):
        tally.fail(path, plan.shown(path), line, "", message)
    tally.passed_unnamed(plan.unchanged)
