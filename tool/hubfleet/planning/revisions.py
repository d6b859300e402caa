"""The inputs and the committed tree of a git revision, read without touching the work tree (an
edge of `hubfleet plan`: it runs git).

`git archive` streams the revision's files into memory; the checkout, its index and its stash are
never used, so planning a pull request beside uncommitted work is safe. Only the inputs a plan must
load are written out, to a scratch folder: the base tree of a large fleet is thousands of files,
and this disk is slow to create them.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from ..core.layout import CHARTS_LOCK, GITOPS, INPUTS
from ..errors import LocalError, UsageError

#: `--head worktree`: the files as they are in the work tree, committed or not.
WORKTREE = "worktree"
#: The most a revision's planned files may hold, far more than any fleet's inputs and tree.
MAX_REVISION_BYTES = 512 * 1024 * 1024
#: What a plan reads of a revision: the inputs, the committed tree (the charts hubfleet ships
#: included, in gitops/charts/) and the chart lock.
PLANNED_PATHS = (INPUTS, GITOPS, CHARTS_LOCK)


#: Seconds one git command may take (reading a revision of a large fleet takes a few).
GIT_TIMEOUT = 120


def git(root: Path, *args: str, what: str) -> bytes:
    """git's output; its own message (one line) as a usage error when it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, check=False, timeout=GIT_TIMEOUT
        )
    except FileNotFoundError:
        raise LocalError("git", "is not installed; hubfleet plan reads revisions with it") from None
    except subprocess.TimeoutExpired:
        raise LocalError(
            "git", f"`git {args[0]}` ran for more than {GIT_TIMEOUT} s and was stopped"
        ) from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["git failed"]
        raise UsageError(what, lines[-1].removeprefix("fatal: "))
    return done.stdout


def commit_of(root: Path, ref: str, option: str) -> str:
    """The commit `ref` names (a branch, tag, sha or `origin/main`)."""
    if ref.startswith("-"):
        raise UsageError(option, f"{ref!r} is not a revision")
    try:
        found = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what=f"{option} {ref}")
    except UsageError:
        raise UsageError(
            f"{option} {ref}", "no such commit in this repository (a branch, tag or commit; fetch it first)"
        ) from None
    return found.decode().strip()


def merge_base(root: Path, base: str, head: str, option: str) -> str:
    """Where the head's branch left the base: the plan shows the head's changes, not the base's."""
    try:
        return git(root, "merge-base", base, head, what=option).decode().strip()
    except UsageError:
        raise UsageError(
            option,
            "the head has no commit in common with it (unrelated histories, or a shallow clone: fetch "
            "with full history, e.g. actions/checkout with fetch-depth: 0)",
        ) from None


def toplevel(root: Path) -> tuple[Path, str]:
    """The repository's top folder, and the project's folder inside it (`sub/` or empty)."""
    top = git(root, "rev-parse", "--show-toplevel", what="git").decode(errors="surrogateescape").strip()
    prefix = git(root, "rev-parse", "--show-prefix", what="git").decode(errors="surrogateescape").strip()
    return Path(top), prefix


def read_revision(top: Path, commit: str, prefix: str) -> dict[str, bytes]:
    """PLANNED_PATHS of `commit`, in memory: path from the project folder (`prefix` in the
    repository whose top folder is `top`) -> bytes. Regular files only."""
    listing = git(top, "ls-tree", "-z", "--name-only", f"{commit}:{prefix}", what=commit[:12])
    listed = listing.decode(errors="surrogateescape").split("\0")
    present = [f"{prefix}{path}" for path in PLANNED_PATHS if path in listed]
    if not present:
        return {}
    sizes = git(top, "ls-tree", "-r", "-l", "-z", commit, "--", *present, what=commit[:12])
    total = sum(
        int(fields[3])
        for entry in sizes.split(b"\0")
        if len(fields := entry.split(None, 4)) == 5 and fields[3].isdigit()
    )
    if total > MAX_REVISION_BYTES:
        raise UsageError(
            commit[:12],
            f"its clusters/, gitops/ and charts/ hold {total // 1024} KiB, more than hubfleet plan reads "
            f"({MAX_REVISION_BYTES // 1024} KiB); that is not a fleet's tree",
        )
    archive = git(top, "archive", "--format=tar", commit, "--", *present, what=commit[:12])
    found = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                found[member.name.removeprefix(prefix)] = handle.read()
    return found


def write_files(files: dict[str, bytes], dest: Path, under: tuple[str, ...]) -> None:
    """The files whose path starts with one of `under`, written below `dest` (a scratch folder)."""
    for path, content in files.items():
        if path.startswith(under) and ".." not in Path(path).parts and not Path(path).is_absolute():
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
