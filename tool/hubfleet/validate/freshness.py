"""Layer 2, freshness: the committed gitops/ is exactly what the inputs render to (`render --check`)."""

from __future__ import annotations

from ..errors import InputError
from ..names import GITOPS
from ..project import Project
from ..rendering import plan_project
from .findings import Tally

ADVICE = "run `make render` and commit"


def check_freshness(project: Project, names: list[str], all_clusters: bool) -> Tally:
    tally = Tally("freshness")
    try:
        plan = plan_project(project, names, all_clusters, None)
    except InputError as error:
        # The inputs loaded, so this is about the tree: files hubfleet did not write where it writes.
        tally.fail(GITOPS, GITOPS, 0, "", " ".join(error.message.split()))
        return tally
    stale = {
        **{path: (0, f"missing: the inputs render this file; {ADVICE}") for path in plan.added},
        **{path: (1, f"stale: differs from what the inputs render; {ADVICE}") for path in plan.changed},
        **{path: (1, f"stale: no input renders this file any more; {ADVICE}") for path in plan.removed},
    }
    for path, (line, message) in sorted(stale.items()):
        tally.fail(path, f"{GITOPS}/{path}", line, "", message)
    tally.passed_unnamed(plan.unchanged)
    return tally
