"""Inputs, written: `hubfleet init DIR`, a fleet repository of one's own, holding only its inputs and what
hubfleet renders from them.

A university installs hubfleet with pip and keeps its hubs in its own repository; nothing of
hubfleet's repository is copied there by hand. What hubfleet owns in a fleet is either rendered
(gitops/, the drive chart in gitops/charts/ included: a newer hubfleet updates it by rendering)
or written once here and then the fleet's own (the workflows, the README, .gitignore, and
charts.lock, which `hubfleet charts lock` keeps). The files come from the package
(hubfleet/data/fleet/), so an installed wheel makes the same fleet as a checkout.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from .. import __version__
from ..core.layout import CHARTS_LOCK
from ..errors import LocalError, UsageError, os_error
from ..system.files import STAGING_PREFIX, Refused, list_folder
from ..system.project import Project

#: The helm and kubectl the fleet's workflows install: the versions hubfleet is tested with
#: (the PyPI layer package tool/scripts/install_k8s_tools.py unpacks).
HELM_VERSION = "3.19.0"
KUBECTL_VERSION = "1.34.5"
#: Fleet file -> template under hubfleet/data/fleet/ (None: the packaged charts.lock).
FLEET_FILES: dict[str, str | None] = {
    "README.md": "README.md",
    ".gitignore": "gitignore",
    ".github/workflows/validate.yml": "validate.yml",
    ".github/workflows/plan.yml": "plan.yml",
    CHARTS_LOCK: None,
}
#: Shown when a folder holds too much to list.
MAX_LISTED = 5


#: What a --requirement may hold: a pip requirement (a name with a version, or `name @ URL`) and
#: nothing that shell or YAML would read as syntax inside the workflows' `pip install '...'`.
REQUIREMENT = re.compile(r"[A-Za-z0-9._@/+=<>!~,\[\]-]+(?: @ [A-Za-z0-9._@/+=:%?&~,#-]+)?")


def check_requirement(spec: str) -> str:
    if not REQUIREMENT.fullmatch(spec) or " #" in spec or ": " in spec:
        raise UsageError(
            f"--requirement {spec!r}",
            "is not a pip requirement the workflows can carry (e.g. hubfleet==0.1.0, or hubfleet @ "
            "https://host/hubfleet-0.1.0-py3-none-any.whl; no quotes, spaces or shell characters)",
        )
    return spec


def check_first_cluster(cluster: str | None, answers: dict[str, str | None]) -> None:
    """`--cluster` comes with every answer `new cluster` needs, and those answers with it."""
    if cluster is None and any(value is not None for value in answers.values()):
        raise UsageError(
            "--cluster", f"is needed with {', '.join(list(answers)[:-1])} and {list(answers)[-1]}"
        )
    missing = [name for name, value in answers.items() if value is None]
    if cluster is not None and missing:
        raise UsageError("--cluster", f"needs {', '.join(missing)} too (the questions of `new cluster`)")


def requirement() -> str:
    """What the fleet's workflows install by default: exactly this hubfleet."""
    return f"hubfleet=={__version__}"


def fleet_files(wanted: str) -> dict[str, bytes]:
    """Every file `init` writes, by path in the fleet, with its text filled in."""
    data = resources.files("hubfleet").joinpath("data")
    files: dict[str, bytes] = {}
    for path, template in FLEET_FILES.items():
        if template is None:
            files[path] = data.joinpath(CHARTS_LOCK).read_bytes()
            continue
        text = data.joinpath("fleet", template).read_text(encoding="utf-8")
        files[path] = text.format(requirement=wanted, helm=HELM_VERSION, kubectl=KUBECTL_VERSION).encode()
    return files


def _refuse_non_empty(target: Path, shown: str) -> None:
    try:
        entries = sorted(entry.name for entry in list_folder(target))
    except Refused as refused:
        raise LocalError(shown, refused.reason) from None
    if entries:
        listed = ", ".join(entries[:MAX_LISTED]) + (
            f" and {len(entries) - MAX_LISTED} more" if len(entries) > MAX_LISTED else ""
        )
        raise UsageError(
            f"DIR {shown}",
            f"is not empty ({listed}); init writes only into a new or empty folder and never overwrites",
        )


def init_fleet(
    target: Path, shown: str, wanted: str, populate: Callable[[Project], None] = lambda _: None
) -> Project:
    """Make a new fleet at `target` (made if missing; refused unless empty): the files, then
    `populate` (a first cluster, rendered), all in a staging folder beside it that becomes
    `target` only when everything worked. A bad --cluster answer leaves nothing behind."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UsageError(f"DIR {shown}", "is not a folder")
    if target.exists():
        _refuse_non_empty(target, shown)
    absolute = Path(os.path.abspath(target))
    staging = absolute.parent / f"{STAGING_PREFIX}init-{absolute.name}-{os.getpid()}"
    try:
        (staging / "clusters").mkdir(parents=True)
        for path, content in fleet_files(wanted).items():
            file = staging / path
            file.parent.mkdir(parents=True, exist_ok=True)
            with open(file, "xb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        populate(Project(staging))
        if absolute.exists():
            absolute.rmdir()  # empty, as checked: the staged fleet takes its place
        os.rename(staging, absolute)
    except OSError as error:
        raise os_error(error, str, "make the fleet", f"nothing was made at {shown}", shown) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Project(absolute)
